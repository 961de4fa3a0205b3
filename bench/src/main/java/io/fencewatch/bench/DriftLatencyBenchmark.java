package io.fencewatch.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.streams.KafkaStreams;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fencewatch.collector.AgentSettings;
import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.publish.ProducerSettings;
import io.fencewatch.collector.publish.oci.OciSinks;
import io.fencewatch.collector.publish.oci.OciStreamingSink;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.controlplane.KubeControlPlane;

/**
 * End-to-end drift latency: a namespace created through fabric8's CRUD mock API server (the write
 * has returned) → the collector's informer sees it → the inventory record → the processor's drift
 * record ({@code NAMESPACE_CREATED_WITHOUT_POLICY}) readable by a {@code read_committed} consumer.
 * Writes are paced open-loop at a target rate by a few writer threads; each setting runs on fresh
 * topics, a fresh mock server, collector and processor. {@link #run(CoverageBenchmark.Setting, int, int, KubeControlPlane)}
 * measures the same path against a real kube-apiserver and etcd instead of the mock.
 */
final class DriftLatencyBenchmark {
    private static final String CLUSTER = "bench";
    private static final int PARTITIONS = 3;
    private static final int WRITERS = 4;
    /** A real API server answers a create in milliseconds (etcd commit): more writers keep 1,000/s open-loop. */
    private static final int REAL_WRITERS = 32;

    /**
     * One measured run. Through the OCI bridge, {@code toAppended} (collector observed -> appended to the
     * stand-in's stream, its timestamp) and {@code appendedToDetected} (-> processor detected) split
     * {@code toDetected}; both are null on the direct path.
     */
    record Result(String setting, int rate, double achievedRate, Stats.Summary latency, int lost,
            Stats.Summary toObserved, Stats.Summary toDetected, Stats.Summary toReadable, String streamsMetrics,
            Stats.Summary writeCall, Stats.Summary toAppended, Stats.Summary appendedToDetected) {
    }

    private final EmbeddedKafkaBroker broker;
    private final Path stateRoot;
    private int runs;

    DriftLatencyBenchmark(EmbeddedKafkaBroker broker, Path stateRoot) {
        this.broker = broker;
        this.stateRoot = stateRoot;
    }

    Result run(CoverageBenchmark.Setting setting, int rate, int samples) throws Exception {
        return run(setting, rate, samples, null);
    }

    /** As {@link #run(CoverageBenchmark.Setting, int, int)}, against {@code real} when it is not null. */
    Result run(CoverageBenchmark.Setting setting, int rate, int samples, KubeControlPlane real) throws Exception {
        return run(setting, rate, samples, real, null);
    }

    /**
     * As {@link #run(CoverageBenchmark.Setting, int, int, KubeControlPlane)}; with {@code oci} not null the
     * collector publishes with {@code --sink=oci-streaming} to a new stream of the stand-in, and an
     * {@link OciBridge} (started first, idle at the stream's end) forwards it into the inventory topic.
     */
    Result run(CoverageBenchmark.Setting setting, int rate, int samples, KubeControlPlane real, OciBenchmark.Oci oci)
            throws Exception {
        String prefix = "bench-e2e-drift-" + (++runs) + (oci == null ? "" : "-oci");
        TopicNames topics = new TopicNames(prefix);
        BenchKafka.createTopics(broker, topics, PARTITIONS);

        Map<String, String> flags = BenchKafka.processorFlags(broker, prefix, stateRoot.resolve(prefix), setting.props());
        ProcessorConfig processorConfig = ProcessorConfig.fromMap(flags);

        KubernetesMockServer server = real != null ? null
                : InitialSyncBenchmark.seededServer(InitialSyncBenchmark.objects(20, 20));
        // fabric8 allows 5 concurrent requests per host by default: that, not the API server, would cap
        // the open-loop writers (5 / create latency); the writers get as many slots as there are of them.
        Config realConfig = real == null ? null : new io.fabric8.kubernetes.client.ConfigBuilder(
                Config.fromKubeconfig(Files.readString(real.kubeconfig())))
                .withMaxConcurrentRequestsPerHost(REAL_WRITERS).withMaxConcurrentRequests(2 * REAL_WRITERS).build();
        java.util.function.Supplier<KubernetesClient> clients = real == null ? server::createClient
                : () -> new KubernetesClientBuilder().withConfig(realConfig).build();
        List<Double> writeCalls = Collections.synchronizedList(new ArrayList<>());
        Map<String, long[]> writtenAt = new ConcurrentHashMap<>();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        // Where the time goes (wall clock, ms): write returned -> collector observed -> processor detected -> readable.
        List<Double> toObserved = Collections.synchronizedList(new ArrayList<>());
        List<Double> toDetected = Collections.synchronizedList(new ArrayList<>());
        List<Double> toReadable = Collections.synchronizedList(new ArrayList<>());
        // Per drift key: [observed, detected] (epoch ms), to split the OCI path at the stream's append time.
        Map<String, long[]> observedDetected = new ConcurrentHashMap<>();
        AvroSerde<DriftEvent> drifts = FencewatchSerdes.driftEvent();
        AtomicBoolean reading = new AtomicBoolean(true);
        double achieved;
        String metrics;
        // Each run's first writes are not measured: for about a second after a processor and a collector
        // start, drift waits behind their first commits, fetches and rebalance (a quick run showed
        // the first 150 writes at 100/s at 1.2 s down to 0.2 s, steady after). Two seconds' worth of
        // writes (at least a tenth of the samples) are excluded, in --quick and in the full run alike.
        int warmup = warmupWrites(rate, samples);
        String stream = oci == null ? null : oci.newStream();
        try (ProcessorApp processor = new ProcessorApp(processorConfig).start();
                KubernetesClient api = clients.get();
                KubernetesClient agentClient = clients.get();
                KafkaConsumer<String, byte[]> consumer = readCommitted(topics.drift())) {
            Wait.until(() -> processor.state() == KafkaStreams.State.RUNNING, Duration.ofMinutes(2));
            Map<String, String> collectorFlags = new HashMap<>(Map.of("cluster-id", CLUSTER, "topic-prefix", prefix,
                    "http-port", "-1", "heartbeat-interval", "1h"));
            collectorFlags.putAll(oci == null ? Map.of("bootstrap-servers", broker.bootstrapServers())
                    : oci.collectorFlags(stream));
            CollectorConfig cc = CollectorConfig.fromMap(collectorFlags);
            ClusterAgent agent;
            if (oci == null) {
                Properties producerProps = ProducerSettings.producerProperties(cc, CLUSTER);
                agent = new ClusterAgent(AgentSettings.from(cc, cc.targets().get(0)), agentClient,
                        ProducerSettings.newProducer(producerProps), (c, r) -> BenchMain.progress("collector fatal: " + r),
                        Clock.systemUTC());
            } else {
                // As Collector builds an agent for --sink=oci-streaming.
                agent = new ClusterAgent(AgentSettings.from(cc, cc.targets().get(0)), agentClient, OciSinks.create(cc, CLUSTER),
                        (c, r) -> BenchMain.progress("collector fatal: " + r), Clock.systemUTC());
                agent.publisher().maxRecordBytes(OciStreamingSink.MAX_MESSAGE_BYTES);
            }
            OciBridge bridge = null;
            try {
                if (oci != null) {
                    OciBridge b = bridge = oci.startBridge(stream, "fencewatch-bridge", broker, prefix);
                    Wait.until(b::caughtUp, Duration.ofMinutes(1));
                }
                agent.start();
                Wait.until(() -> agent.readinessProblem() == null, Duration.ofMinutes(2));
                Thread reader = new Thread(() -> {
                    while (reading.get()) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(5))) {
                            long[] t0 = writtenAt.remove(r.key());
                            if (t0 != null) {
                                long nowNanos = System.nanoTime();
                                long nowMs = System.currentTimeMillis();
                                latencies.add((nowNanos - t0[0]) / 1e6);
                                DriftEvent d = drifts.deserialize(r.topic(), r.value());
                                if (d == null || d.getCause() == null) {
                                    continue;
                                }
                                long observed = d.getCause().getObservedAt().toEpochMilli();
                                long detected = d.getDetectedAt().toEpochMilli();
                                toObserved.add((double) (observed - t0[1]));
                                toDetected.add((double) (detected - observed));
                                toReadable.add((double) (nowMs - detected));
                                observedDetected.put(r.key(), new long[] {observed, detected});
                            }
                        }
                    }
                }, "bench-drift-reader");
                reader.setDaemon(true);
                reader.start();
                achieved = write(api, prefix, rate, warmup, samples, writtenAt, real == null ? WRITERS : REAL_WRITERS,
                        writeCalls);
                long deadline = System.currentTimeMillis() + 30_000;
                while (latencies.size() < samples && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                reading.set(false);
                reader.join(5_000);
                metrics = streamsMetrics(processor.streams());
            } finally {
                agent.close(Duration.ofSeconds(10));
                if (bridge != null) {
                    bridge.close(Duration.ofSeconds(10));
                }
            }
        } finally {
            if (server != null) {
                InitialSyncBenchmark.destroy(server);
            }
        }
        List<Double> copy;
        synchronized (latencies) {
            copy = new ArrayList<>(latencies);
        }
        int lost = Math.max(0, samples - copy.size());
        Stats.Summary toAppended = null;
        Stats.Summary appendedToDetected = null;
        if (oci != null) {
            Map<String, Long> appended = new HashMap<>();
            for (StreamingStub.StoredMessage m : oci.stub.allMessages(stream)) {
                if (m.key() != null) {
                    appended.putIfAbsent(m.keyString(), m.timestamp().toEpochMilli());
                }
            }
            List<Double> a = new ArrayList<>();
            List<Double> d = new ArrayList<>();
            observedDetected.forEach((key, t) -> {
                Long at = appended.get(key);
                if (at != null) {
                    a.add((double) (at - t[0]));
                    d.add((double) (t[1] - at));
                }
            });
            toAppended = Stats.summary(a);
            appendedToDetected = Stats.summary(d);
        }
        return new Result(setting.name(), rate, achieved, Stats.summary(copy), lost, Stats.summary(copy(toObserved)),
                Stats.summary(copy(toDetected)), Stats.summary(copy(toReadable)), metrics, Stats.summary(copy(writeCalls)),
                toAppended, appendedToDetected);
    }

    /** Writes not measured at the start of a run: two seconds' worth at {@code rate}, at least a tenth of {@code samples}. */
    static int warmupWrites(int rate, int samples) {
        return Math.max(Math.max(20, samples / 10), 2 * rate);
    }

    /** The stream thread's own timings: where its loop spends time (commit is the transaction under EOS). */
    static String streamsMetrics(KafkaStreams streams) {
        Map<String, Double> m = new java.util.TreeMap<>();
        streams.metrics().forEach((name, metric) -> {
            if (name.group().equals("stream-thread-metrics") && List.of("commit-latency-avg", "commit-latency-max",
                    "poll-latency-avg", "process-latency-avg", "punctuate-latency-avg", "commit-rate")
                    .contains(name.name()) && metric.metricValue() instanceof Double d && !d.isNaN()) {
                m.merge(name.name(), d, Math::max);
            }
        });
        StringBuilder b = new StringBuilder("stream thread:");
        m.forEach((k, v) -> b.append(' ').append(k).append('=').append(BenchMain.Figures.fmt(v)));
        return b.toString();
    }

    private static List<Double> copy(List<Double> synced) {
        synchronized (synced) {
            return new ArrayList<>(synced);
        }
    }

    /**
     * Creates {@code warmup + samples} namespaces, write i due at start + i/rate; the measured ones
     * record when their write returned. Returns the achieved rate of writes per second.
     */
    private static double write(KubernetesClient api, String prefix, int rate, int warmup, int samples,
            Map<String, long[]> writtenAt, int writers, List<Double> writeCalls) throws InterruptedException {
        int total = warmup + samples;
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        long periodNanos = 1_000_000_000L / rate;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        for (int w = 0; w < writers; w++) {
            pool.execute(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    long due = start + i * periodNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    String name = prefix.replace('.', '-') + "-ns-" + i;
                    long callStart = System.nanoTime();
                    api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata()
                            .build()).create();
                    if (i >= warmup) {
                        writeCalls.add((System.nanoTime() - callStart) / 1e6);
                        writtenAt.put(Keys.of(CLUSTER, name), new long[] {System.nanoTime(), System.currentTimeMillis()});
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        return total / seconds;
    }

    private KafkaConsumer<String, byte[]> readCommitted(String topic) {
        return BenchKafka.readCommitted(broker, topic);
    }
}
