package io.fencewatch.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.CoverageRecords;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Verdict;
import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Encoding one record of each contract type as the throughput input makes them (a namespace with
 * three policies, its coverage record, its drift event): {@link AvroSerde}'s compiled writer against
 * Avro's own {@code BinaryMessageEncoder}, side by side in one run, the same bytes (checked), ns per
 * record, median of the rounds. Part of section 2: the coverage record's encoding was the largest
 * single cost of the processor's stream thread.
 */
final class CodecBenchmark {
    private static final int ROUNDS = 7;
    private static final int WARMUP_ROUNDS = 4;
    /** Records per round: enough that a round takes 50-200 ms, so the JIT has settled after the warm-up rounds. */
    private static final int PER_ROUND = 50_000;

    /** Bytes encoded in the last measurement. */
    static volatile long written;

    private CodecBenchmark() {
    }

    /** One record of each type, as the throughput input makes them: a namespace and three policies, evaluated. */
    private record Samples(NamespaceCoverage coverage, InventoryEvent policy, DriftEvent drift) {
        static Samples make() {
            Instant created = Instant.parse("2026-01-01T00:00:00Z");
            long epoch = 1_764_238_530_123L;
            InventoryEvent ns = CoverageBenchmark.namespace("team-payments", epoch, 1, created);
            List<PolicyFacts> policies = new ArrayList<>();
            List<String> names = new ArrayList<>();
            InventoryEvent policy = null;
            for (int i = 0; i < 3; i++) {
                policy = CoverageBenchmark.policy("team-payments", "p" + i, Op.UPSERT, epoch, 2 + i);
                policies.add(policy.getPolicyFacts());
                names.add("p" + i);
            }
            Rules rules = Rules.defaults();
            long now = created.toEpochMilli() + 86_400_000L;
            Verdict verdict = new CoverageEvaluator(rules).evaluate(
                    new NamespaceState("team-payments", ns.getNamespaceFacts(), policies, now - 1000), now);
            EventRef cause = new EventRef(policy.getKind(), policy.getName(), policy.getOp(), policy.getResourceVersion(),
                    policy.getSource().getObservedAt(), policy.getSource().getCollector(), epoch, 4L);
            NamespaceCoverage coverage = CoverageRecords.of("bench", "team-payments", "uid-team-payments", verdict, names,
                    rules.profile(), created, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now), cause, Boolean.TRUE);
            DriftEvent drift = DriftEvent.newBuilder().setId("0b6b6c56-6f2e-3c1e-9d55-5f0b1c1a6d3e").setCluster("bench")
                    .setNamespace("team-payments").setBefore(null).setAfter(CoverageRecords.stateOf(coverage))
                    .setReason(DriftReason.POLICY_ADDED).setCause(cause).setDetectedAt(Instant.ofEpochMilli(now))
                    .setProfile(rules.profile().wireName()).build();
            return new Samples(coverage, policy, drift);
        }
    }

    static void run(BenchMain.Figures figures) {
        Samples samples = Samples.make();
        NamespaceCoverage coverage = samples.coverage();
        InventoryEvent policy = samples.policy();
        DriftEvent drift = samples.drift();
        String[] what = {"coverage record", "inventory event (policy)", "drift event"};
        double[][] medians = {
            measure(FencewatchSerdes.namespaceCoverage(), coverage),
            measure(FencewatchSerdes.inventoryEvent(), policy),
            measure(FencewatchSerdes.driftEvent(), drift),
        };
        StringBuilder value = new StringBuilder();
        for (int i = 0; i < what.length; i++) {
            value.append(String.format(Locale.ROOT, "%s%s %.0f / %.0f ns (%.1fx)", i == 0 ? "" : "; ", what[i],
                    medians[i][0], medians[i][1], medians[i][1] / medians[i][0]));
        }
        figures.row("2 throughput", String.format(Locale.ROOT, "Avro encode, one record: AvroSerde's compiled writer / "
                + "Avro's BinaryMessageEncoder, same bytes, median of %d rounds of %,d", ROUNDS, PER_ROUND),
                value.toString(), "", "");
        figures.put("codec_coverage_compiled_ns", String.format(Locale.ROOT, "%.0f", medians[0][0]));
        figures.put("codec_coverage_avro_ns", String.format(Locale.ROOT, "%.0f", medians[0][1]));
        figures.put("codec_inventory_compiled_ns", String.format(Locale.ROOT, "%.0f", medians[1][0]));
        figures.put("codec_inventory_avro_ns", String.format(Locale.ROOT, "%.0f", medians[1][1]));
        figures.put("codec_drift_compiled_ns", String.format(Locale.ROOT, "%.0f", medians[2][0]));
        figures.put("codec_drift_avro_ns", String.format(Locale.ROOT, "%.0f", medians[2][1]));
    }

    /** [median compiled ns, median Avro ns] per record; the two alternate round by round. */
    private static <T extends SpecificRecordBase> double[] measure(AvroSerde<T> serde, T record) {
        int n = PER_ROUND;
        BinaryMessageEncoder<T> avro = new BinaryMessageEncoder<>(SpecificData.getForClass(serde.type()), serde.schema());
        byte[] ours = serde.serialize("t", record);
        byte[] theirs = encode(avro, record);
        if (!java.util.Arrays.equals(ours, theirs)) {
            throw new IllegalStateException("the compiled writer's bytes differ from Avro's for " + serde.type().getSimpleName());
        }
        List<Double> compiled = new ArrayList<>();
        List<Double> reference = new ArrayList<>();
        long sink = 0;
        for (int round = -WARMUP_ROUNDS; round < ROUNDS; round++) { // the warm-up rounds are not kept
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += serde.serialize("t", record).length;
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += encode(avro, record).length;
            }
            long t2 = System.nanoTime();
            if (round >= 0) {
                compiled.add((double) (t1 - t0) / n);
                reference.add((double) (t2 - t1) / n);
            }
        }
        written = sink; // read, so the encodes cannot be optimized away
        return new double[] {Stats.median(compiled), Stats.median(reference)};
    }

    /** As {@link AvroSerde} wrote it before: Avro's encoder, then its buffer copied out. */
    private static <T> byte[] encode(BinaryMessageEncoder<T> avro, T record) {
        try {
            java.nio.ByteBuffer b = avro.encode(record);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
