package io.fencewatch.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
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
import org.apache.kafka.clients.admin.Admin;
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
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.WorkloadFacts;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Section {@code pod-change-cpu} (issue 16): what one pod count change costs the processor. A
 * cluster whose collector watches pods, N namespaces with one NetworkPolicy and 10 workload shapes
 * each (one selected, nine not: FW-NP-003 NON_COMPLIANT), then rounds of C count changes (one shape's
 * pods up or down, its status unchanged: no drift, a coverage record per namespace and commit), produced as fast as
 * the producer goes. Per round: CPU time of the processor's stream threads (ThreadMXBean, threads
 * named {@code <application-id>-...-StreamThread-n}: the processing itself, not its producer's
 * network threads, the broker or this harness) per change, and changes per second from the first
 * produced to the last committed by the processor. EOS defaults,
 * profile baseline, 3 partitions; median of 3 rounds after a warm-up round.
 */
final class PodChangeBenchmark {
    private static final String CLUSTER = "bench";
    private static final int PARTITIONS = 3;
    private static final int SHAPES = 10;
    private static final int ROUNDS = 3;

    private PodChangeBenchmark() {
    }

    static void run(EmbeddedKafkaBroker broker, Path stateRoot, Figures figures, boolean quick) throws Exception {
        int namespaces = quick ? 300 : 1_000;
        int changes = quick ? 5_000 : 20_000;
        String prefix = "bench-pod-change";
        TopicNames topics = new TopicNames(prefix);
        BenchKafka.createTopics(broker, topics, PARTITIONS);
        Map<String, String> flags = BenchKafka.processorFlags(broker, prefix, stateRoot.resolve(prefix), Map.of());
        AvroSerde<InventoryEvent> events = FencewatchSerdes.inventoryEvent();
        AvroSerde<DriftEvent> drifts = FencewatchSerdes.driftEvent();
        long epoch = System.currentTimeMillis();
        long[] seq = {0};
        List<Double> cpuUs = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (ProcessorApp processor = new ProcessorApp(ProcessorConfig.fromMap(flags)).start();
                KafkaProducer<byte[], byte[]> producer = CoverageBenchmark.producer(broker, false);
                KafkaConsumer<String, byte[]> drift = BenchKafka.readCommitted(broker, topics.drift());
                KafkaConsumer<String, byte[]> coverage = BenchKafka.readCommitted(broker, topics.coverage())) {
            Wait.until(() -> processor.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(2));
            InventoryEvent start = InventoryEvent.newBuilder().setSource(source(epoch, seq[0]++)).setOp(Op.SYNC_START)
                    .setCluster(ClusterFacts.newBuilder().setWatchesPods(true).build()).build();
            everyPartition(producer, topics.inventory(), events, start);
            for (int i = 0; i < namespaces; i++) {
                String ns = "ns-" + i;
                InventoryEvent n = CoverageBenchmark.namespace(ns, epoch, seq[0]++, Instant.EPOCH);
                n.getSource().setCluster(CLUSTER);
                n.setOp(Op.SNAPSHOT);
                send(producer, topics.inventory(), events, ns, n);
                send(producer, topics.inventory(), events, ns, InventoryEvent.newBuilder().setSource(source(epoch, seq[0]++))
                        .setOp(Op.SNAPSHOT).setKind(Kind.NETWORK_POLICY).setNamespace(ns).setName("s0")
                        .setPolicyFacts(new PolicyFacts(new LabelSelector(Map.of("app", "s0"), List.of()), null, null, null))
                        .build());
                for (int s = 0; s < SHAPES; s++) {
                    send(producer, topics.inventory(), events, ns, shape(ns, s, 2, Op.SNAPSHOT, epoch, seq[0]++));
                }
            }
            everyPartition(producer, topics.inventory(), events, InventoryEvent.newBuilder()
                    .setSource(source(epoch, seq[0]++)).setOp(Op.SYNC_END).build());
            producer.flush();
            BenchMain.progress("pod change: building " + namespaces + " namespaces x " + SHAPES + " shapes");
            int built = countDrift(drift, drifts, namespaces, DriftReason.WORKLOAD_UNISOLATED, Duration.ofMinutes(5));
            if (built < namespaces) {
                throw new IllegalStateException("table build: " + built + " of " + namespaces + " namespaces unisolated");
            }
            drainAll(coverage);
            for (int round = 0; round <= ROUNDS; round++) {
                long cpu0 = streamThreadCpu(threads, prefix);
                long t0 = System.nanoTime();
                for (int c = 0; c < changes; c++) {
                    String ns = "ns-" + (c % namespaces);
                    int s = 1 + (c / namespaces) % (SHAPES - 1);
                    int pods = 3 + ((c / namespaces + round) % 4);
                    send(producer, topics.inventory(), events, ns, shape(ns, s, pods, Op.UPSERT, epoch, seq[0]++));
                }
                producer.flush();
                // Until every change is processed and committed: the coverage topic gets one record per
                // namespace and commit (the store's cache folds a namespace's changes), not one per change.
                try (Admin admin = broker.admin()) {
                    long end = ScaleBenchmark.endOffsets(admin, topics.inventory());
                    Wait.until(() -> BenchKafka.committed(admin, prefix, topics.inventory()) >= end, Duration.ofMinutes(5));
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long cpu = streamThreadCpu(threads, prefix) - cpu0;
                int read = countRecords(coverage, 1, Duration.ofSeconds(30)) + drainCount(coverage);
                if (read == 0) {
                    throw new IllegalStateException("round " + round + ": no coverage record for " + changes + " changes");
                }
                double us = cpu / 1e3 / changes;
                double rate = changes / seconds;
                BenchMain.progress(String.format(Locale.ROOT, "pod change round %d%s: %.1f us stream-thread CPU per change,"
                        + " %.0f changes/s, %,d coverage records", round, round == 0 ? " (warm-up, not reported)" : "", us,
                        rate, read));
                if (round > 0) {
                    cpuUs.add(us);
                    rates.add(rate);
                }
            }
            if (!drainDrift(drift, drifts).isEmpty()) {
                throw new IllegalStateException("a count change made drift");
            }
        }
        double us = Stats.median(cpuUs);
        double rate = Stats.median(rates);
        figures.row("pod count change (FW-NP-003)", String.format(Locale.ROOT,
                "%,d namespaces x %d shapes, %,d count changes per round (no drift; coverage folded per commit), %d partitions,"
                        + " EOS defaults; stream-thread CPU (ThreadMXBean); median of %d rounds after a warm-up",
                namespaces, SHAPES, changes, PARTITIONS, cpuUs.size()),
                String.format(Locale.ROOT, "%s us CPU per change; %s changes/s", Figures.fmt(us), Figures.fmt(rate)), "", "");
        figures.put("pod_change_cpu_us", us);
        figures.put("pod_change_events_per_s", rate);
    }

    /** Shape {@code s} of {@code ns}: app=s&lt;s&gt;, {@code pods} pods; s0 is the one its NetworkPolicy selects. */
    private static InventoryEvent shape(String ns, int s, int pods, Op op, long epoch, long seq) {
        return InventoryEvent.newBuilder().setSource(source(epoch, seq)).setOp(op).setKind(Kind.WORKLOAD)
                .setNamespace(ns).setName("Deployment/app-" + s + "/" + String.format("%08x", s))
                .setWorkloadFacts(new WorkloadFacts("Deployment", "app-" + s, Map.of("app", "s" + s, "team", "bench"),
                        List.of("pod-template-hash"), pods, false))
                .build();
    }

    /** CPU time so far of the live stream threads of this application (ns); threads gone are not counted. */
    static long streamThreadCpu(ThreadMXBean threads, String applicationId) {
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(applicationId) && info.getThreadName().contains("StreamThread")) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(0, t);
            }
        }
        return total;
    }

    private static Source source(long epoch, long seq) {
        return new Source(CLUSTER, "bench-collector", epoch, seq, Instant.now());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, AvroSerde<InventoryEvent> events,
            String ns, InventoryEvent e) {
        producer.send(new ProducerRecord<>(topic, Keys.of(CLUSTER, ns).getBytes(StandardCharsets.UTF_8),
                events.serialize(topic, e)));
    }

    private static void everyPartition(KafkaProducer<byte[], byte[]> producer, String topic,
            AvroSerde<InventoryEvent> events, InventoryEvent e) {
        byte[] value = events.serialize(topic, e);
        for (int p = 0; p < PARTITIONS; p++) {
            producer.send(new ProducerRecord<>(topic, p, Keys.marker(CLUSTER).getBytes(StandardCharsets.UTF_8), value));
        }
    }

    private static int countDrift(KafkaConsumer<String, byte[]> consumer, AvroSerde<DriftEvent> drifts, int wanted,
            DriftReason reason, Duration timeout) {
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (seen.size() < wanted && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                DriftEvent d = drifts.deserialize(r.topic(), r.value());
                if (d != null && d.getReason() == reason) {
                    seen.add(r.key());
                }
            }
        }
        return seen.size();
    }

    private static List<DriftReason> drainDrift(KafkaConsumer<String, byte[]> consumer, AvroSerde<DriftEvent> drifts) {
        List<DriftReason> out = new ArrayList<>();
        for (int empty = 0; empty < 10;) {
            var records = consumer.poll(Duration.ofMillis(100));
            empty = records.isEmpty() ? empty + 1 : 0;
            records.forEach(r -> out.add(drifts.deserialize(r.topic(), r.value()).getReason()));
        }
        return out;
    }

    /** Reads until the topic has been quiet for a second: what the build wrote. */
    private static void drainAll(KafkaConsumer<String, byte[]> consumer) {
        for (int empty = 0; empty < 10;) {
            empty = consumer.poll(Duration.ofMillis(100)).isEmpty() ? empty + 1 : 0;
        }
    }

    /** Records read until the consumer has been idle for a second. */
    private static int drainCount(KafkaConsumer<String, byte[]> consumer) {
        int n = 0;
        for (int empty = 0; empty < 10;) {
            int c = consumer.poll(Duration.ofMillis(100)).count();
            n += c;
            empty = c == 0 ? empty + 1 : 0;
        }
        return n;
    }

    private static int countRecords(KafkaConsumer<String, byte[]> consumer, int wanted, Duration timeout) {
        int n = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (n < wanted && System.nanoTime() < deadline) {
            n += consumer.poll(Duration.ofMillis(20)).count();
        }
        return n;
    }
}
