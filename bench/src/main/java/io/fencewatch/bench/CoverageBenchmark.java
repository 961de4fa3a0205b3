package io.fencewatch.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

import io.fencewatch.processor.CoverageTopology;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.rules.Rules;
import io.fencewatch.processor.TopologyOptions;
import io.fencewatch.processor.Topics;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * Processor throughput (moved here from the stream processor's tests; run by {@link BenchMain}): on
 * the in-process broker, the coverage topology beside a bare {@code groupByKey().count()} over the
 * same input topic in the same run, under the {@link #SETTINGS}, with where each record's CPU goes.
 * Drift latency, end to end, is {@link DriftLatencyBenchmark}'s; the settings and the input's
 * events are shared with it and the other sections.
 */
final class CoverageBenchmark {
    static final int PARTITIONS = 3;
    static final String CLUSTER = "bench";

    /** One setting of Kafka Streams properties under test. */
    record Setting(String name, Map<String, String> props) {
    }

    /** Settings as the application's own flags ({@link ProcessorConfig}); {@code kafka.*} passes through raw. */
    static final List<Setting> SETTINGS = List.of(
            new Setting("EOS defaults (commit 100 ms)", Map.of()),
            new Setting("EOS low-latency (commit 20 ms)", Map.of(
                    "commit-interval", "20ms",
                    "kafka." + StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0")),
            new Setting("ALOS defaults (commit 100 ms)", Map.of(
                    "processing-guarantee", "at_least_once")),
            new Setting("ALOS low-latency (linger 0)", Map.of(
                    "processing-guarantee", "at_least_once",
                    "kafka." + StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0")));

    private final EmbeddedKafkaBroker broker;
    private final Path stateRoot;
    private int runs;

    CoverageBenchmark(EmbeddedKafkaBroker broker, Path stateRoot) {
        this.broker = broker;
        this.stateRoot = stateRoot;
    }

    interface TopologyFactory {
        Topology create(String prefix);
    }

    static TopologyFactory bareCount(String input) {
        return prefix -> {
            StreamsBuilder b = new StreamsBuilder();
            b.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                    .groupByKey()
                    .count(Materialized.as("bare-count"))
                    .toStream()
                    .to(prefix + ".count", Produced.with(Serdes.String(), Serdes.Long()));
            return b.build();
        };
    }

    static TopologyFactory coverage(String input) {
        return prefix -> {
            Topics base = Topics.of(prefix);
            Topics topics = new Topics(new io.fencewatch.processor.Topic<>(input, base.inventory().keySerde(),
                    base.inventory().valueSerde()), base.coverage(), base.drift(), base.findings(), base.dlq());
            return CoverageTopology.build(topics, Rules.defaults(), options());
        };
    }

    static TopologyOptions options() {
        String history = System.getProperty("bench.driftHistory");
        return history == null ? TopologyOptions.defaults()
                : TopologyOptions.defaults().withDriftHistoryRetention(java.time.Duration.parse(history));
    }

    /**
     * lifecycle: namespaces each created without a policy (drift, finding), given three policies
     * (drift, closing finding) and losing one: 5 events per namespace, 40% of them drift.
     * churn: a tenth of the records create namespaces with one policy, the rest update those
     * policies (a new resourceVersion, same verdict): steady state, 10% drift.
     */
    String produceThroughputInput(int records, boolean churn) throws Exception {
        String topic = "bench-input-" + (++runs);
        broker.createTopic(topic, PARTITIONS);
        AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
        long epoch = System.currentTimeMillis();
        long[] seq = {0};
        Instant created = Instant.now().minus(Duration.ofDays(1));
        try (KafkaProducer<byte[], byte[]> producer = producer(false)) {
            for (int p = 0; p < PARTITIONS; p++) {
                producer.send(new ProducerRecord<>(topic, p, key(Keys.marker(CLUSTER)),
                        serde.serialize(topic, marker(Op.SYNC_START, epoch, seq[0]))));
            }
            seq[0]++;
            int n = 0;
            if (churn) {
                int namespaces = Math.max(1, records / 20);
                for (int ns = 0; ns < namespaces; ns++) {
                    String name = "ns-" + ns;
                    byte[] k = key(Keys.of(CLUSTER, name));
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            namespace(name, epoch, seq[0]++, created))));
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            policy(name, "p0", Op.UPSERT, epoch, seq[0]++))));
                    n += 2;
                }
                java.util.Random random = new java.util.Random(1);
                for (; n < records; n++) {
                    String name = "ns-" + random.nextInt(namespaces);
                    producer.send(new ProducerRecord<>(topic, key(Keys.of(CLUSTER, name)), serde.serialize(topic,
                            policy(name, "p0", Op.UPSERT, epoch, seq[0]++))));
                }
                producer.flush();
                return topic;
            }
            for (int ns = 0; n < records; ns++) {
                String name = "ns-" + ns;
                byte[] k = key(Keys.of(CLUSTER, name));
                producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic, namespace(name, epoch, seq[0]++, created))));
                n++;
                for (int i = 0; i < 3 && n < records; i++, n++) {
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            policy(name, "p" + i, Op.UPSERT, epoch, seq[0]++))));
                }
                if (n < records) {
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            policy(name, "p0", Op.DELETE, epoch, seq[0]++))));
                    n++;
                }
            }
            producer.flush();
        }
        return topic;
    }

    /**
     * One throughput run: records per second between 10 % and 90 % of the input committed;
     * the stream thread's CPU time per record (ThreadMXBean) and its share of the run's wall
     * time (below 1: it waited for a core or for its commits); the thread's commit latency (ms, Kafka
     * Streams' own metric, the transaction under EOS); the records the run wrote to its sinks; and
     * the whole JVM's CPU time per record (broker, clients, harness and all: one JVM on the machine's
     * cores, so this, not the stream thread alone, is what bounds the rate when the cores are busy).
     */
    record Run(double eventsPerS, double cpuMicrosPerEvent, double busyShare, double commitLatencyMs, long written,
            double jvmCpuMicrosPerEvent, Map<String, Double> cpuByPart) {
        /** "part 12.3, part 4.5, ..." (us of CPU per record), largest first. */
        String parts() {
            StringBuilder b = new StringBuilder();
            cpuByPart.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).forEach(e ->
                    b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(BenchMain.Figures.fmt(e.getValue())));
            return b.toString();
        }
    }

    static final String STREAM_THREAD = "stream thread";

    /** Where a thread's CPU counts: the JVM holds the broker, the clients and the harness together. */
    static String partOf(String thread, String prefix) {
        if (thread.startsWith(prefix) && thread.contains("StreamThread")) {
            return STREAM_THREAD;
        }
        if (thread.startsWith("kafka-producer-network-thread") && thread.contains(prefix)) {
            return "its producer's network thread";
        }
        if (thread.startsWith("data-plane-kafka-request-handler")) {
            return "broker request handlers";
        }
        if (thread.startsWith("data-plane-kafka-network-thread")) {
            return "broker network threads";
        }
        if (thread.startsWith("kafka-") || thread.startsWith("group-coordinator") || thread.startsWith("quorum-controller")
                || thread.startsWith("raft") || thread.startsWith("ExpirationReaper") || thread.startsWith("transaction-")) {
            return "broker other";
        }
        return "other Java threads (harness, JFR, ...)";
    }

    /** CPU so far (ns) of every live Java thread, by {@link #partOf}. */
    static Map<String, Long> cpuByPart(java.lang.management.ThreadMXBean threads, String prefix) {
        Map<String, Long> parts = new HashMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                if (t > 0) {
                    parts.merge(partOf(info.getThreadName(), prefix), t, Long::sum);
                }
            }
        }
        return parts;
    }

    /** CPU time of this whole JVM so far (ns): the broker, the clients and the stream threads together; -1 if unknown. */
    static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    Run run(Setting setting, TopologyFactory factory, String what) throws Exception {
        String prefix = "bench-" + what + "-" + (++runs);
        Topology topology = factory.create(prefix);
        String input = topology.describe().subtopologies().iterator().next().nodes().stream()
                .filter(n -> n instanceof org.apache.kafka.streams.TopologyDescription.Source)
                .map(n -> ((org.apache.kafka.streams.TopologyDescription.Source) n).topicSet().iterator().next())
                .findFirst().orElseThrow();
        for (String t : List.of(".coverage", ".drift", ".findings", ".dlq", ".count")) {
            broker.createTopic(prefix + t, PARTITIONS);
        }
        long total = endOffsets(input);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        try (KafkaStreams streams = new KafkaStreams(topology, props(setting, prefix))) {
            streams.start();
            Wait.until(() -> streams.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(1));
            // Steady state only: from 10 % of the input processed to 90 % (the stream thread's own
            // process-total, polled every 10 ms), so that neither the first fetch nor the last commit's
            // wait is in the rate: they are a fixed cost, a large share of a short run (the bare count
            // takes 150,000 records in under a second). Committed offsets, which move once per commit
            // interval, were too coarse for that. The run still ends when every offset is committed.
            long low = total / 10;
            long high = total - total / 10;
            long[] atLow = new long[3]; // nanos, records processed and the JVM's CPU (ns) at the low mark
            long[] processedAtHigh = new long[1];
            Map<String, Long> partsAtLow = new HashMap<>();
            Map<String, Long> parts = new HashMap<>(); // CPU (ns) between the marks, by part
            long wall;
            long jvmCpu;
            try (Admin admin = broker.admin()) {
                Wait.until(() -> {
                    long c = (long) streamsMetric(streams, "process-total");
                    if (atLow[0] == 0 && c >= low) {
                        atLow[0] = System.nanoTime();
                        atLow[1] = c;
                        atLow[2] = processCpuNanos();
                        partsAtLow.putAll(cpuByPart(threads, prefix));
                    }
                    processedAtHigh[0] = c;
                    return atLow[0] != 0 && c >= high;
                }, Duration.ofMinutes(5), Duration.ofMillis(10));
                wall = System.nanoTime() - atLow[0];
                jvmCpu = atLow[2] < 0 ? -1 : processCpuNanos() - atLow[2];
                // A thread that ended inside the window is lost from both sums; one started inside it counts whole.
                cpuByPart(threads, prefix).forEach((part, ns) ->
                        parts.put(part, Math.max(0, ns - partsAtLow.getOrDefault(part, 0L))));
                Wait.until(() -> BenchKafka.committed(admin, prefix, input) >= total, Duration.ofMinutes(5));
            }
            long counted = processedAtHigh[0] - atLow[1];
            long streamCpu = parts.getOrDefault(STREAM_THREAD, 0L);
            Map<String, Double> perRecord = new HashMap<>();
            parts.forEach((part, ns) -> perRecord.put(part, ns / 1e3 / counted));
            if (jvmCpu >= 0) {
                long javaThreads = parts.values().stream().mapToLong(Long::longValue).sum();
                perRecord.put("GC, JIT and VM threads (JVM minus Java threads)", Math.max(0, jvmCpu - javaThreads) / 1e3 / counted);
            }
            double commitMs = streamsMetric(streams, "commit-latency-avg");
            streams.close(Duration.ofSeconds(30));
            long written = 0;
            for (String t : List.of(".coverage", ".drift", ".findings", ".dlq", ".count")) {
                written += endOffsets(prefix + t);
            }
            return new Run(counted / (wall / 1e9), streamCpu / 1e3 / counted, (double) streamCpu / wall, commitMs, written,
                    jvmCpu < 0 ? Double.NaN : jvmCpu / 1e3 / counted, perRecord);
        }
    }

    /** A stream-thread metric of Kafka Streams (the largest over threads); NaN when absent. */
    static double streamsMetric(KafkaStreams streams, String name) {
        double v = Double.NaN;
        for (var e : streams.metrics().entrySet()) {
            if (e.getKey().group().equals("stream-thread-metrics") && e.getKey().name().equals(name)
                    && e.getValue().metricValue() instanceof Double d && !d.isNaN()) {
                v = Double.isNaN(v) ? d : Math.max(v, d);
            }
        }
        return v;
    }

    /** Records in the topic: the sum of its partitions' end offsets. */
    private long endOffsets(String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long sum = 0;
            for (var info : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
                sum += info.offset();
            }
            return sum;
        }
    }


    private Properties props(Setting setting, String appId) {
        Map<String, String> flags = new HashMap<>(setting.props());
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("application-id", appId);
        flags.put("state-dir", stateRoot.resolve(appId).toString());
        return ProcessorConfig.fromMap(flags).streamsProperties();
    }

    KafkaProducer<byte[], byte[]> producer(boolean lowLatency) {
        return producer(broker, lowLatency);
    }

    /** An idempotent byte producer of the inventory, batching ({@code lowLatency}: linger 0) or not. */
    static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker broker, boolean lowLatency) {
        Properties p = broker.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, lowLatency ? "0" : "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, lowLatency ? "16384" : "262144");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    static Source source(long epoch, long seq) {
        return new Source(CLUSTER, "bench-collector", epoch, seq, Instant.now());
    }

    static InventoryEvent marker(Op op, long epoch, long seq) {
        return InventoryEvent.newBuilder().setSource(source(epoch, seq)).setOp(op).build();
    }

    static InventoryEvent namespace(String name, long epoch, long seq, Instant created) {
        return InventoryEvent.newBuilder().setSource(source(epoch, seq)).setOp(Op.UPSERT).setKind(Kind.NAMESPACE)
                .setNamespace(name).setName(name).setUid("uid-" + name).setResourceVersion(Long.toString(seq))
                .setNamespaceFacts(new NamespaceFacts("Active", Map.of("team", "bench"), Map.of(), created, null))
                .build();
    }

    static InventoryEvent policy(String ns, String name, Op op, long epoch, long seq) {
        PolicyFacts facts = new PolicyFacts(new LabelSelector(Map.of("app", name), List.of()), null,
                List.of(new PolicyRule(List.of(new PolicyPeer(new LabelSelector(Map.of("app", "web"), List.of()), null,
                        null)), null)), null);
        return InventoryEvent.newBuilder().setSource(source(epoch, seq)).setOp(op).setKind(Kind.NETWORK_POLICY)
                .setNamespace(ns).setName(name).setUid("uid-" + ns + "-" + name).setResourceVersion(Long.toString(seq))
                .setPolicyFacts(op == Op.DELETE ? null : facts).build();
    }
}
