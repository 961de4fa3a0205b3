package io.fencewatch.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;

import io.fencewatch.bench.BenchMain.Figures;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Section 10: one cluster-wide policy change in a cluster of many namespaces (issue 15). The table
 * of N namespaces without policy is built first (profile {@code effective}, EOS defaults); then a
 * Calico GlobalNetworkPolicy default deny is added (every namespace becomes COMPLIANT: N drift
 * records CLUSTER_POLICY_ADDED) and deleted again (N records CLUSTER_POLICY_REMOVED), several times.
 * Per change: from the policy's inventory records produced (to every partition, as the collector
 * sends them) to each drift record readable by a read_committed consumer, p50/p99, and to the last.
 */
final class ClusterPolicyBenchmark {
    private static final String CLUSTER = "bench";
    private static final int PARTITIONS = 3;

    private ClusterPolicyBenchmark() {
    }

    static void run(EmbeddedKafkaBroker broker, Path stateRoot, Figures figures, boolean quick) throws Exception {
        int namespaces = quick ? 2_000 : 10_000;
        int changes = quick ? 4 : 6;
        String prefix = "bench-cluster-policy";
        TopicNames topics = new TopicNames(prefix);
        BenchKafka.createTopics(broker, topics, PARTITIONS);
        Map<String, String> flags = BenchKafka.processorFlags(broker, prefix, stateRoot.resolve(prefix),
                Map.of("profile", "effective"));
        AvroSerde<InventoryEvent> events = FencewatchSerdes.inventoryEvent();
        AvroSerde<DriftEvent> drifts = FencewatchSerdes.driftEvent();
        long epoch = System.currentTimeMillis();
        long[] seq = {0};
        List<Double> allMs = new ArrayList<>();
        List<Double> p50s = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        try (ProcessorApp processor = new ProcessorApp(ProcessorConfig.fromMap(flags)).start();
                KafkaProducer<byte[], byte[]> producer = CoverageBenchmark.producer(broker, true);
                KafkaConsumer<String, byte[]> drift = BenchKafka.readCommitted(broker, topics.drift())) {
            Wait.until(() -> processor.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(2));
            everyPartition(producer, topics.inventory(), events, marker(Op.SYNC_START, epoch, seq[0]++));
            for (int i = 0; i < namespaces; i++) {
                String ns = "ns-" + i;
                InventoryEvent e = CoverageBenchmark.namespace(ns, epoch, seq[0]++, Instant.EPOCH);
                e.getSource().setCluster(CLUSTER);
                e.setOp(Op.SNAPSHOT);
                producer.send(new ProducerRecord<>(topics.inventory(), key(Keys.of(CLUSTER, ns)),
                        events.serialize(topics.inventory(), e)));
            }
            everyPartition(producer, topics.inventory(), events, marker(Op.SYNC_END, epoch, seq[0]++));
            producer.flush();
            BenchMain.progress("cluster policy: building the table of " + namespaces + " namespaces");
            int created = countUntil(drift, drifts, namespaces, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY,
                    Duration.ofMinutes(5));
            if (created < namespaces) {
                throw new IllegalStateException("table build: " + created + " of " + namespaces + " drift records");
            }
            // One unreported change first: the JIT of the re-evaluation path, the first transactions of the burst.
            for (int c = 0; c <= changes; c++) {
                boolean add = c % 2 == 0;
                InventoryEvent policy = InventoryEvent.newBuilder()
                        .setSource(new Source(CLUSTER, "bench-collector", epoch, seq[0]++, Instant.now()))
                        .setOp(add ? Op.UPSERT : Op.DELETE).setKind(Kind.CALICO_GLOBAL_NETWORK_POLICY)
                        .setName("default-deny").setUid("uid-gnp").setResourceVersion(Long.toString(seq[0]))
                        .setFenceFacts(FenceFacts.newBuilder().setApiVersion("projectcalico.org/v3")
                                .setPodExpression("projectcalico.org/namespace not in {'kube-system'}")
                                .setTypes(List.of("Ingress", "Egress")).build())
                        .build();
                long t0 = System.nanoTime();
                everyPartition(producer, topics.inventory(), events, policy);
                producer.flush();
                DriftReason expected = add ? DriftReason.CLUSTER_POLICY_ADDED : DriftReason.CLUSTER_POLICY_REMOVED;
                List<Double> latencies = latencies(drift, drifts, namespaces, expected, t0, Duration.ofMinutes(3));
                if (latencies.size() < namespaces) {
                    throw new IllegalStateException((add ? "add" : "remove") + ": " + latencies.size() + " of "
                            + namespaces + " drift records within 3 min");
                }
                Stats.Summary s = Stats.summary(latencies);
                BenchMain.progress(String.format(Locale.ROOT, "cluster policy %s%s: %d drift, p50 %.0f p99 %.0f last %.0f ms",
                        add ? "added" : "removed", c == 0 ? " (warm-up, not reported)" : "", s.n(), s.p50(), s.p99(),
                        s.max()));
                if (c > 0) {
                    allMs.add(s.max());
                    p50s.add(s.p50());
                    p99s.add(s.p99());
                }
            }
        }
        double all = Stats.median(allMs);
        double p50 = Stats.median(p50s);
        double p99 = Stats.median(p99s);
        double spread = (java.util.Collections.max(allMs) - java.util.Collections.min(allMs)) / all;
        figures.row("10 cluster-wide policy change", String.format(Locale.ROOT,
                "one GlobalNetworkPolicy added or removed, %,d namespaces, %d partitions, EOS defaults, profile effective;"
                        + " median of %d changes", namespaces, PARTITIONS, allMs.size()),
                String.format(Locale.ROOT, "drift p50 %s / p99 %s ms; all %,d committed in %s ms%s", Figures.fmt(p50),
                        Figures.fmt(p99), namespaces, Figures.fmt(all), spread > 0.5 ? " (spread wide: "
                                + Figures.fmt(spread * 100) + " %)" : ""),
                "", "");
        figures.put("cluster_policy_namespaces", namespaces);
        figures.put("cluster_policy_drift_p50_ms", p50);
        figures.put("cluster_policy_drift_p99_ms", p99);
        figures.put("cluster_policy_all_committed_ms", all);
        figures.put("cluster_policy_drift_per_s", namespaces / (all / 1000.0));
    }

    private static InventoryEvent marker(Op op, long epoch, long seq) {
        return InventoryEvent.newBuilder().setSource(new Source(CLUSTER, "bench-collector", epoch, seq, Instant.now()))
                .setOp(op).build();
    }

    private static void everyPartition(KafkaProducer<byte[], byte[]> producer, String topic,
            AvroSerde<InventoryEvent> events, InventoryEvent e) {
        byte[] value = events.serialize(topic, e);
        for (int p = 0; p < PARTITIONS; p++) {
            producer.send(new ProducerRecord<>(topic, p, key(Keys.marker(CLUSTER)), value));
        }
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static int countUntil(KafkaConsumer<String, byte[]> consumer, AvroSerde<DriftEvent> drifts, int wanted,
            DriftReason reason, Duration timeout) {
        return latencies(consumer, drifts, wanted, reason, System.nanoTime(), timeout).size();
    }

    /** Reads drift until {@code wanted} distinct namespaces had one of {@code reason}: ms since {@code t0} each. */
    private static List<Double> latencies(KafkaConsumer<String, byte[]> consumer, AvroSerde<DriftEvent> drifts,
            int wanted, DriftReason reason, long t0, Duration timeout) {
        List<Double> out = new ArrayList<>(wanted);
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (seen.size() < wanted && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                long now = System.nanoTime();
                DriftEvent d = drifts.deserialize(r.topic(), r.value());
                if (d != null && d.getReason() == reason && seen.add(r.key())) {
                    out.add((now - t0) / 1e6);
                }
            }
        }
        return out;
    }
}
