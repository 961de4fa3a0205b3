package io.fencewatch.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fencewatch.bench.BenchMain.Figures;
import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.collector.Collector;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.oci.OciClients;
import io.fencewatch.ocibridge.BridgeConfig;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.ocibridge.OciBridgeMain;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.processor.ClusterState;
import io.fencewatch.processor.CoverageTopology;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.schema.TopicNames;

/**
 * Section 9 {@code oci} (issue 14): OCI Streaming as the transport, against the direct Kafka path in the
 * same run, on oci-stub's {@link StreamingStub} (a local stand-in of the Streaming API, <b>not OCI</b>)
 * and the real {@link OciBridge}:
 *
 * <ol>
 *   <li>Initial sync end to end: fabric8's CRUD mock API server with N namespaces and 2N policies (as
 *       {@link InitialSyncBenchmark}), a real {@link Collector} started, → ({@code --sink=oci-streaming}
 *       → stand-in → bridge →) the inventory topic → the real processor, until the coverage table is
 *       complete: the processor has applied the epoch's SYNC_END on every inventory partition and holds
 *       all N namespaces ({@link #tableComplete}). One processor, stream and bridge, running and idle
 *       before the first run; each run is a new cluster's sync (its own cluster id), alternating order
 *       after an unreported warm-up (both paths, full size; --quick: the bridged path, 200 namespaces),
 *       median of the rounds. {@link InitialSyncBenchmark}'s own criterion (collector start → SYNC_END
 *       acked, here by OCI or by Kafka) is reported beside it.</li>
 *   <li>The bridge alone (moved from oci-bridge's {@code BridgeThroughputBenchmark}): that stream, as the
 *       collectors wrote it, read by a new bridge group into a fresh topic until every record is acked,
 *       against the same messages produced straight to Kafka with the bridge's partitioning (objects by
 *       murmur2, markers to every partition) and producer settings, alternating.</li>
 *   <li>Drift latency through the bridge with {@link DriftLatencyBenchmark} (EOS defaults, 100/s, its
 *       default mode), the direct path beside it; warm-up runs first, not reported.</li>
 * </ol>
 */
final class OciBenchmark {
    static final String CLUSTER = "bench";
    /** As reliability's OciPath. */
    static final int OCI_PARTITIONS = 4;
    /** As {@link DriftLatencyBenchmark}: the processor's inventory partitions. */
    static final int KAFKA_PARTITIONS = 3;
    /** OciBridge.IDLE_POLL (private there): the pause after a GetMessages that returned nothing. */
    static final int BRIDGE_IDLE_POLL_MS = 100;
    private static final int DRIFT_RATE = 100;

    /** The stand-in with API-key credentials it trusts; one stream per use. */
    static final class Oci implements AutoCloseable {
        final StreamingStub stub;
        final OciTestCredentials creds;
        private int streams;
        private int bridges;

        Oci(Path dir) throws IOException {
            stub = StreamingStub.start(Clock.systemUTC());
            creds = OciTestCredentials.create(dir, "FENCEWATCH");
            stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        }

        String newStream() {
            return stub.createStream("fencewatch-inventory-" + (++streams), OCI_PARTITIONS);
        }

        /** A collector's flags for {@code --sink=oci-streaming} on {@code stream} (messages endpoint looked up with GetStream). */
        Map<String, String> collectorFlags(String stream) {
            return Map.of("sink", "oci-streaming", "oci-stream-ocid", stream, "oci-admin-endpoint", stub.endpoint(),
                    "oci-config-file", creds.configFile().toString(), "oci-profile", creds.profile());
        }

        /**
         * {@code fencewatch oci-bridge}'s own wiring ({@link BridgeConfig} defaults: gap timeout 30 s,
         * 500,000 held, commit every 1 s; {@link OciBridgeMain#producer}: idempotent, acks=all, lz4,
         * linger 2 ms) from {@code stream} into {@code <prefix>.inventory}, a new instance name each time.
         */
        OciBridge startBridge(String stream, String group, EmbeddedKafkaBroker broker, String prefix) {
            BridgeConfig c = BridgeConfig.fromMap(Map.of("oci-stream-ocid", stream, "oci-messages-endpoint",
                    stub.endpoint(), "oci-config-file", creds.configFile().toString(), "oci-profile", creds.profile(),
                    "oci-group", group, "oci-instance", "bench-bridge-" + (++bridges), "bootstrap-servers",
                    broker.bootstrapServers(), "topic-prefix", prefix, "http-port", "-1"));
            return new OciBridge(OciBridge.Settings.from(c), OciClients.streamClient(c), OciBridgeMain.producer(c)).start();
        }

        /** Key + value bytes per OCI partition of {@code stream}, of {@code cluster}'s messages. */
        long[] bytesPerPartition(String stream, String cluster) {
            long[] out = new long[OCI_PARTITIONS];
            for (int p = 0; p < OCI_PARTITIONS; p++) {
                for (StreamingStub.StoredMessage m : stub.messages(stream, p)) {
                    if (m.key() != null && m.keyString().startsWith(cluster + "/")) {
                        out[p] += m.value().length + m.key().length;
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            stub.close();
        }
    }

    /** One initial sync: ms until the coverage table is complete, until the collector's SYNC_END acked; the bridge's metrics. */
    record SyncRun(boolean viaOci, String cluster, double tableMs, double ackedMs, Map<String, Long> bridge) {
    }

    private final EmbeddedKafkaBroker broker;
    private final Path stateRoot;
    private final Figures figures;
    private final boolean quick;
    private final Oci oci;
    private int runs;

    private OciBenchmark(EmbeddedKafkaBroker broker, Path stateRoot, Figures figures, boolean quick, Oci oci) {
        this.broker = broker;
        this.stateRoot = stateRoot;
        this.figures = figures;
        this.quick = quick;
        this.oci = oci;
    }

    static void run(EmbeddedKafkaBroker broker, Path stateRoot, Figures figures, boolean quick) throws Exception {
        try (Oci oci = new Oci(stateRoot.resolve("oci-credentials"))) {
            OciBenchmark b = new OciBenchmark(broker, stateRoot, figures, quick, oci);
            String stream = b.initialSync();
            b.bridgeAlone(stream);
            b.driftLatency();
            figures.notes.add("9 OCI bridge: on oci-stub's StreamingStub, a local stand-in of the Streaming API (not OCI),"
                    + " signed requests, " + OCI_PARTITIONS + " OCI partitions, " + KAFKA_PARTITIONS + " inventory partitions,"
                    + " everything in this JVM on the same cores; limits in force: the stand-in's defaults, i.e. no byte"
                    + " throttle (bytesPerSecond unlimited; OCI's real limits, 1 MB/s write and 2 MB/s read per partition,"
                    + " are not modelled) and GetMessages capped at 10,000 messages / 1 MiB per call as OCI caps it");
        }
    }

    // ------------------------------------------------------------------ initial sync

    /**
     * One processor, one stream and one bridge for every run, started first and idle, as a deployment
     * waiting for its collectors; each run is a new cluster's initial sync (cluster id per run) from one
     * seeded mock API server, so that both paths meet the same warm processor. Returns the stream.
     */
    private String initialSync() throws Exception {
        int namespaces = quick ? 2_000 : 10_000;
        int policies = 2 * namespaces;
        int rounds = quick ? 1 : 3;
        String prefix = "bench-oci-sync";
        BenchKafka.createTopics(broker, new TopicNames(prefix), KAFKA_PARTITIONS);
        String stream = oci.newStream();
        List<SyncRun> bridged = new ArrayList<>();
        List<SyncRun> direct = new ArrayList<>();
        try (ProcessorApp processor = new ProcessorApp(processorConfig(prefix)).start()) {
            Wait.until(() -> processor.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(2));
            OciBridge bridge = oci.startBridge(stream, "fencewatch-bridge", broker, prefix);
            try {
                Wait.until(bridge::caughtUp, Duration.ofMinutes(1));
                // Unreported warm-up: a first run would also time the JIT of the collector, the OCI sink and
                // SDK, the stand-in, the bridge and the processor. Full size in the full run: with a warm-up of
                // 2,000 namespaces the first full-size bridged run still took 1.8 times the other two. --quick
                // warms on 200 namespaces and the bridged path only, to stay short: that path runs every part
                // the direct one has too (collector, a Kafka producer, the processor).
                if (quick) {
                    KubernetesMockServer small = InitialSyncBenchmark.seededServer(InitialSyncBenchmark.objects(200, 400));
                    try {
                        warmUp(small, 200, new boolean[] {true}, processor, bridge, prefix, stream);
                    } finally {
                        InitialSyncBenchmark.destroy(small);
                    }
                }
                KubernetesMockServer server = InitialSyncBenchmark.seededServer(
                        InitialSyncBenchmark.objects(namespaces, policies));
                try {
                    if (!quick) {
                        warmUp(server, namespaces, new boolean[] {true, false}, processor, bridge, prefix, stream);
                    }
                    for (int r = 0; r < rounds; r++) {
                        // Alternating: bridge first in even rounds, direct first in odd ones.
                        for (boolean viaOci : r % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                            SyncRun s = sync(viaOci, server, namespaces, processor, bridge, prefix, stream);
                            (viaOci ? bridged : direct).add(s);
                            BenchMain.progress(String.format(Locale.ROOT, "oci sync round %d, %s: coverage table complete"
                                    + " after %.0f ms (collector's SYNC_END acked after %.0f ms)%s", r + 1,
                                    viaOci ? "via OCI bridge" : "direct Kafka", s.tableMs(), s.ackedMs(),
                                    viaOci ? "; bridge " + s.bridge() : ""));
                        }
                    }
                } finally {
                    InitialSyncBenchmark.destroy(server);
                }
            } finally {
                bridge.close(Duration.ofSeconds(10));
            }
        }
        double bridgeS = Stats.median(bridged.stream().map(s -> s.tableMs() / 1000).toList());
        double directS = Stats.median(direct.stream().map(s -> s.tableMs() / 1000).toList());
        double bridgeAckS = Stats.median(bridged.stream().map(s -> s.ackedMs() / 1000).toList());
        double directAckS = Stats.median(direct.stream().map(s -> s.ackedMs() / 1000).toList());
        long events = (long) namespaces + policies;
        String scale = String.format(Locale.ROOT, "%,d ns + %,d policies%s, median of %d", namespaces, policies,
                quick ? " (quick: scaled down from 10,000 + 20,000)" : "", rounds);
        figures.row("9 OCI bridge", "initial sync via OCI bridge: collector start -> coverage table complete, " + scale
                + "; stand-in's default limits: no byte throttle (OCI: 1 MB/s write, 2 MB/s read per partition)",
                String.format(Locale.ROOT, "%.2f s (%s events/s)", bridgeS, Figures.fmt(events / bridgeS)), "", "");
        figures.row("9 OCI bridge", "initial sync direct Kafka: the same, same run and processor"
                + (rounds > 1 ? ", alternating" : ", after the bridged run"),
                String.format(Locale.ROOT, "%.2f s (%s events/s)", directS, Figures.fmt(events / directS)), "", "");
        figures.row("9 OCI bridge", "initial sync ratio bridge / direct (medians)", Figures.fmt(bridgeS / directS), "", "");
        figures.row("9 OCI bridge", "  collector start -> SYNC_END acked (by OCI / by Kafka; InitialSyncBenchmark's criterion)",
                String.format(Locale.ROOT, "%.2f s / %.2f s", bridgeAckS, directAckS), "", "");
        figures.row("9 OCI bridge", "  each run in order, bridge / direct", each(bridged) + " / " + each(direct), "", "");
        SyncRun mid = medianRun(bridged);
        Map<String, Long> m = mid.bridge();
        long[] bytes = oci.bytesPerPartition(stream, mid.cluster());
        long total = 0;
        long busiest = 0;
        for (long b : bytes) {
            total += b;
            busiest = Math.max(busiest, b);
        }
        figures.row("9 OCI bridge", "  bridge's own figures (median bridged run)", String.format(Locale.ROOT,
                "%,d messages read, %,d events forwarded, %,d markers fanned out, %,d records acked, %d duplicates,"
                        + " %d gaps skipped, %d OCI errors", m.get("messages_read_total"), m.get("events_forwarded_total"),
                m.get("markers_fanned_out_total"), m.get("records_acked_total"), m.get("duplicates_dropped_total"),
                m.get("gaps_skipped_total"), m.get("oci_errors_total")), "", "");
        figures.row("9 OCI bridge", "  one sync as the collector wrote it to the stream (keys + values)",
                String.format(Locale.ROOT,
                "%.1f MiB, busiest partition %.1f MiB: >= %.1f s at OCI's 1 MB/s write per partition (derived, not measured)",
                total / 1048576.0, busiest / 1048576.0, busiest / 1e6), "", "");
        figures.put("oci_sync_namespaces", Integer.toString(namespaces));
        figures.put("oci_sync_policies", Integer.toString(policies));
        figures.put("oci_sync_bridge_s", bridgeS);
        figures.put("oci_sync_direct_s", directS);
        figures.put("oci_sync_ratio", bridgeS / directS);
        figures.put("oci_sync_bridge_eps", events / bridgeS);
        figures.put("oci_sync_direct_eps", events / directS);
        figures.put("oci_sync_bridge_acked_s", bridgeAckS);
        figures.put("oci_sync_direct_acked_s", directAckS);
        figures.put("oci_sync_bridge_events_forwarded", Long.toString(m.get("events_forwarded_total")));
        figures.put("oci_sync_bridge_markers_fanned_out", Long.toString(m.get("markers_fanned_out_total")));
        figures.put("oci_sync_bridge_records_acked", Long.toString(m.get("records_acked_total")));
        figures.put("oci_sync_bridge_duplicates", Long.toString(m.get("duplicates_dropped_total")));
        figures.put("oci_sync_bridge_gaps", Long.toString(m.get("gaps_skipped_total")));
        figures.put("oci_sync_stream_mib", total / 1048576.0);
        return stream;
    }

    private void warmUp(KubernetesMockServer server, int namespaces, boolean[] paths, ProcessorApp processor,
            OciBridge bridge, String prefix, String stream) throws Exception {
        for (boolean viaOci : paths) {
            SyncRun w = sync(viaOci, server, namespaces, processor, bridge, prefix, stream);
            BenchMain.progress(String.format(Locale.ROOT, "oci sync warm-up %s, %,d namespaces (not reported): %.0f ms",
                    viaOci ? "via OCI bridge" : "direct Kafka", namespaces, w.tableMs()));
        }
    }

    private static String each(List<SyncRun> runs) {
        StringBuilder b = new StringBuilder();
        for (SyncRun s : runs) {
            b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", s.tableMs() / 1000));
        }
        return b.append(" s").toString();
    }

    private static SyncRun medianRun(List<SyncRun> runs) {
        List<SyncRun> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.tableMs(), b.tableMs()));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** A new cluster's initial sync from {@code server} through the bridge or straight to Kafka, until its table is complete. */
    private SyncRun sync(boolean viaOci, KubernetesMockServer server, int namespaces, ProcessorApp processor,
            OciBridge bridge, String prefix, String stream) throws Exception {
        String cluster = "bench-" + (++runs) + (viaOci ? "-oci" : "-kafka");
        List<String> fatal = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<String, String> flags = new HashMap<>(Map.of("cluster-id", cluster, "topic-prefix", prefix,
                "http-port", "-1", "heartbeat-interval", "1h", "list-page-size", "0", "queue-capacity", "200000",
                "shutdown-timeout", "10s"));
        flags.putAll(viaOci ? oci.collectorFlags(stream) : Map.of("bootstrap-servers", broker.bootstrapServers()));
        Map<String, Long> before = bridge.metrics();
        Collector collector = new Collector(CollectorConfig.fromMap(flags), target -> server.createClient(),
                (id, reason) -> fatal.add(id + ": " + reason));
        try {
            long t0 = System.nanoTime();
            collector.start();
            ClusterAgent agent = collector.agents().get(0);
            long[] ackedAt = {0};
            Wait.until(() -> {
                if (!fatal.isEmpty()) {
                    throw new IllegalStateException("collector fatal: " + fatal);
                }
                if (bridge.healthProblem() != null) {
                    throw new IllegalStateException("bridge: " + bridge.healthProblem());
                }
                if (ackedAt[0] == 0 && agent.publisher().openEpoch() > 0
                        && agent.publisher().syncedEpoch() == agent.publisher().openEpoch()) {
                    ackedAt[0] = System.nanoTime();
                }
                return tableComplete(processor, cluster, namespaces);
            }, Duration.ofMinutes(10), Duration.ofMillis(10));
            long t1 = System.nanoTime();
            if (ackedAt[0] == 0) {
                ackedAt[0] = t1; // the table was complete first: the ack reached the collector later than that
            }
            Map<String, Long> delta = new LinkedHashMap<>();
            if (viaOci) {
                // The bridge may still be counting the last acks; settled, they are this run's alone.
                Wait.holdsFor(() -> bridge.metrics().get("held_events") == 0
                        && bridge.metrics().get("records_acked_total").equals(bridge.metrics().get("records_produced_total")),
                        Duration.ofMillis(200), Duration.ofMinutes(1));
                bridge.metrics().forEach((k, v) -> delta.put(k, k.startsWith("held_") ? v : v - before.getOrDefault(k, 0L)));
            }
            return new SyncRun(viaOci, cluster, (t1 - t0) / 1e6, (ackedAt[0] - t0) / 1e6, delta);
        } finally {
            collector.close(Duration.ofSeconds(10));
        }
    }

    /**
     * The coverage table of {@code cluster} is complete: on every inventory partition the processor
     * has applied the epoch's SYNC_END (so every event before it in that partition), and its tasks
     * hold all {@code namespaces} of the cluster. Read through interactive queries, as {@code /api/v1/clusters}.
     */
    static boolean tableComplete(ProcessorApp processor, String cluster, long namespaces) {
        long held = 0;
        try {
            for (int p = 0; p < KAFKA_PARTITIONS; p++) {
                ReadOnlyKeyValueStore<String, ClusterState> store = processor.streams().store(StoreQueryParameters
                        .fromNameAndType(CoverageTopology.CLUSTER_STORE, QueryableStoreTypes.<String, ClusterState>keyValueStore())
                        .withPartition(p));
                ClusterState s = store.get(cluster);
                if (s == null || !s.synced()) {
                    return false;
                }
                held += s.namespaces();
            }
        } catch (InvalidStateStoreException e) {
            return false; // not queryable yet (starting, rebalancing): asked again
        }
        return held == namespaces;
    }

    private ProcessorConfig processorConfig(String prefix) {
        return ProcessorConfig.fromMap(BenchKafka.processorFlags(broker, prefix, stateRoot.resolve(prefix),
                CoverageBenchmark.SETTINGS.get(0).props()));
    }

    // ------------------------------------------------------------------ the bridge alone

    /**
     * {@code stream} (every bridged sync of this section, warm-up included, as the collectors wrote it)
     * forwarded by a new bridge group into a fresh topic, against the same messages produced straight.
     */
    private void bridgeAlone(String stream) throws Exception {
        List<StreamingStub.StoredMessage> messages = oci.stub.allMessages(stream);
        long markers = messages.stream().filter(m -> m.keyString().endsWith("/*")).count();
        long expected = messages.size() - markers + markers * KAFKA_PARTITIONS;
        int rounds = quick ? 1 : 3;
        List<Double> bridged = new ArrayList<>();
        List<Double> direct = new ArrayList<>();
        Map<String, Long> last = Map.of();
        for (int r = 0; r < rounds; r++) {
            for (boolean viaOci : r % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                String prefix = "bench-oci-fwd-" + (++runs) + (viaOci ? "-bridge" : "-direct");
                broker.createTopic(new TopicNames(prefix).inventory(), KAFKA_PARTITIONS);
                broker.createTopic(new TopicNames(prefix).dlq(), KAFKA_PARTITIONS);
                double s;
                if (viaOci) {
                    long t0 = System.nanoTime();
                    OciBridge bridge = oci.startBridge(stream, "bench-forward-" + runs, broker, prefix);
                    try {
                        Wait.until(() -> {
                            if (bridge.healthProblem() != null) {
                                throw new IllegalStateException("bridge: " + bridge.healthProblem());
                            }
                            return bridge.metrics().get("records_acked_total") >= expected;
                        }, Duration.ofMinutes(5), Duration.ofMillis(2));
                        s = (System.nanoTime() - t0) / 1e9;
                        last = new LinkedHashMap<>(bridge.metrics());
                    } finally {
                        bridge.close(Duration.ofSeconds(10));
                    }
                    bridged.add(s);
                } else {
                    s = produceStraight(stream, messages, new TopicNames(prefix).inventory());
                    direct.add(s);
                }
                BenchMain.progress(String.format(Locale.ROOT, "oci forward round %d, %s: %,d records acked in %.2f s", r + 1,
                        viaOci ? "bridge" : "direct", expected, s));
            }
        }
        double b = Stats.median(bridged);
        double d = Stats.median(direct);
        figures.row("9 OCI bridge", String.format(Locale.ROOT, "bridge alone: the syncs' stream (%,d messages) read by a new group"
                + " -> %,d records acked, median of %d", messages.size(), expected, rounds),
                String.format(Locale.ROOT, "%.2f s (%s messages/s)", b, Figures.fmt(messages.size() / b)), "", "");
        figures.row("9 OCI bridge", "  the same messages produced straight to Kafka (bridge's partitioning and producer settings)",
                String.format(Locale.ROOT, "%.2f s (%s messages/s); ratio bridge / direct %s", d,
                        Figures.fmt(messages.size() / d), Figures.fmt(b / d)), "", "");
        figures.put("oci_forward_bridge_eps", messages.size() / b);
        figures.put("oci_forward_direct_eps", messages.size() / d);
        figures.put("oci_forward_ratio", b / d);
        figures.put("oci_forward_bridge_duplicates", Long.toString(last.getOrDefault("duplicates_dropped_total", -1L)));
    }

    /** As the bridge forwards: objects to murmur2(key) % partitions, markers to every partition; same producer settings. */
    private double produceStraight(String stream, List<StreamingStub.StoredMessage> messages, String topic) {
        BridgeConfig c = BridgeConfig.fromMap(Map.of("oci-stream-ocid", stream, "oci-messages-endpoint", oci.stub.endpoint(),
                "oci-config-file", oci.creds.configFile().toString(), "oci-profile", oci.creds.profile(),
                "bootstrap-servers", broker.bootstrapServers(), "oci-instance", "bench-direct", "http-port", "-1"));
        Properties p = OciBridgeMain.producerProperties(c);
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (StreamingStub.StoredMessage m : messages) {
                String k = m.keyString();
                if (k.endsWith("/*")) {
                    for (int part = 0; part < KAFKA_PARTITIONS; part++) {
                        producer.send(new ProducerRecord<>(topic, part, k, m.value()));
                    }
                } else {
                    int part = Utils.toPositive(Utils.murmur2(k.getBytes(StandardCharsets.UTF_8))) % KAFKA_PARTITIONS;
                    producer.send(new ProducerRecord<>(topic, part, k, m.value()));
                }
            }
            producer.flush();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    // ------------------------------------------------------------------ drift latency

    private void driftLatency() throws Exception {
        DriftLatencyBenchmark bench = new DriftLatencyBenchmark(broker, stateRoot);
        CoverageBenchmark.Setting setting = CoverageBenchmark.SETTINGS.get(0);
        int samples = quick ? 200 : 1500;
        if (!quick) {
            // Unreported warm-up of each path (JIT of the collector's OCI sink, the stand-in, the bridge).
            for (boolean viaOci : new boolean[] {true, false}) {
                DriftLatencyBenchmark.Result w = bench.run(setting, DRIFT_RATE, 300, null, viaOci ? oci : null);
                BenchMain.progress(String.format(Locale.ROOT, "oci drift warm-up %s (not reported): p50 %.1f p99 %.1f ms",
                        viaOci ? "bridge" : "direct", w.latency().p50(), w.latency().p99()));
            }
        }
        DriftLatencyBenchmark.Result viaBridge = bench.run(setting, DRIFT_RATE, samples, null, oci);
        DriftLatencyBenchmark.Result direct = bench.run(setting, DRIFT_RATE, samples, null, null);
        for (DriftLatencyBenchmark.Result r : List.of(viaBridge, direct)) {
            boolean b = r == viaBridge;
            Stats.Summary l = r.latency();
            String split = split(r);
            BenchMain.progress(String.format(Locale.ROOT, "oci drift %s at %d/s (achieved %.0f/s): n=%d p50 %.1f p99 %.1f"
                    + " max %.1f ms, %d unmatched; %s", b ? "via bridge" : "direct", DRIFT_RATE, r.achievedRate(), l.n(),
                    l.p50(), l.p99(), l.max(), r.lost(), split));
            figures.breakdown.add("OCI bridge drift, " + (b ? "via bridge" : "direct Kafka") + ", " + setting.name() + " at "
                    + DRIFT_RATE + "/s: " + split + "; " + r.streamsMetrics());
            figures.row("9 OCI bridge", String.format(Locale.ROOT, "%s: API write -> drift readable (read_committed), %s,"
                    + " %d/s (achieved %.0f/s), n=%d%s",
                    b ? "drift latency via OCI bridge" : "drift latency direct Kafka, same run",
                    setting.name(), DRIFT_RATE, r.achievedRate(), l.n(), b ? "; floor: the bridge's 100 ms idle poll" : ""),
                    BenchRun.summary(l), "", "");
            if (r.lost() > 0) {
                figures.notes.add(String.format(Locale.ROOT, "OCI drift %s: %d of %d drift records not seen within 30 s",
                        b ? "via bridge" : "direct", r.lost(), samples));
            }
        }
        figures.row("9 OCI bridge", "drift latency ratio bridge / direct, p50 / p99", Figures.fmt(viaBridge.latency().p50()
                / direct.latency().p50()) + " / " + Figures.fmt(viaBridge.latency().p99() / direct.latency().p99()), "", "");
        figures.row("9 OCI bridge", "  via bridge: write -> collector observed / -> processor detected / -> readable, p50/p99",
                split(viaBridge), "", "");
        figures.row("9 OCI bridge", "    of which observed -> appended to the stand-in's stream / appended -> detected, p50/p99",
                String.format(Locale.ROOT, "%s/%s; %s/%s ms", Figures.fmt(viaBridge.toAppended().p50()),
                        Figures.fmt(viaBridge.toAppended().p99()), Figures.fmt(viaBridge.appendedToDetected().p50()),
                        Figures.fmt(viaBridge.appendedToDetected().p99())), "", "");
        figures.row("9 OCI bridge", "  direct: write -> collector observed / -> processor detected / -> readable, p50/p99",
                split(direct), "", "");
        figures.put("oci_drift_p50_ms", viaBridge.latency().p50());
        figures.put("oci_drift_p99_ms", viaBridge.latency().p99());
        figures.put("oci_drift_max_ms", viaBridge.latency().max());
        figures.put("oci_drift_direct_p50_ms", direct.latency().p50());
        figures.put("oci_drift_direct_p99_ms", direct.latency().p99());
        figures.put("oci_drift_appended_to_detected_p50_ms", viaBridge.appendedToDetected().p50());
        figures.put("oci_drift_appended_to_detected_p99_ms", viaBridge.appendedToDetected().p99());
        figures.put("oci_drift_p50_ratio", viaBridge.latency().p50() / direct.latency().p50());
        figures.put("oci_drift_p99_ratio", viaBridge.latency().p99() / direct.latency().p99());
        figures.notes.add("9 OCI bridge drift latency: the bridge pauses " + BRIDGE_IDLE_POLL_MS + " ms (OciBridge.IDLE_POLL)"
                + " after a GetMessages that returned nothing, so an event appended while it is idle waits 0-"
                + BRIDGE_IDLE_POLL_MS + " ms plus one GetMessages round trip before it is read: at " + DRIFT_RATE + "/s that"
                + " alone adds about " + BRIDGE_IDLE_POLL_MS / 2 + " ms at the median and up to " + BRIDGE_IDLE_POLL_MS
                + " ms at the tail over the direct path; the warm-up runs (and, in --quick, the syncs before) are not reported,"
                + " and each run drops its first writes (two seconds' worth, at least a tenth) as DriftLatencyBenchmark does");
    }

    private static String split(DriftLatencyBenchmark.Result r) {
        return String.format(Locale.ROOT, "%s/%s; %s/%s; %s/%s ms", Figures.fmt(r.toObserved().p50()),
                Figures.fmt(r.toObserved().p99()), Figures.fmt(r.toDetected().p50()), Figures.fmt(r.toDetected().p99()),
                Figures.fmt(r.toReadable().p50()), Figures.fmt(r.toReadable().p99()));
    }
}
