package io.fencewatch.bench;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fencewatch.collector.AgentSettings;
import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.publish.InventoryPublisher;
import io.fencewatch.collector.publish.ProducerSettings;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;

/**
 * Collector figures (moved here from the collector's tests): run by {@link BenchMain}.
 *
 * <ol>
 *   <li>Initial sync, end to end: fabric8's CRUD mock API server holds N namespaces and 2N
 *       policies (seeded in bulk straight into its store); a fresh agent starts; we time
 *       start → SYNC_END acked on every partition (informer list + snapshot + publish + acks).</li>
 *   <li>Initial sync, publish path only: the same objects handed to an
 *       {@link InventoryPublisher} as an already-synced cache (translate, serialize, send, ack).</li>
 *   <li>Live change: a namespace create returns from the API server → the record is appended by
 *       the broker (topic with {@code message.timestamp.type=LogAppendTime}; with acks=all on one
 *       broker the ack follows the append at once). p50 and p99 over many sequential writes.</li>
 * </ol>
 */
final class InitialSyncBenchmark {
    private static final int PARTITIONS = 6;

    /** Medians over the runs: end-to-end sync (ms, events/s, informer ms), publish-only (ms, events/s), live p50/p99/max. */
    record Result(int namespaces, int policies, int runs, double syncMs, double syncEventsPerS, double informerMs,
            double publishMs, double publishEventsPerS, double liveP50, double liveP99, double liveMax, int liveN,
            List<String> table) {
    }

    private int namespaceCount;
    private int policyCount;

    static Result run(EmbeddedKafkaBroker broker, int namespaces, int policies, int runs, int liveWrites)
            throws Exception {
        InitialSyncBenchmark b = new InitialSyncBenchmark();
        b.namespaceCount = namespaces;
        b.policyCount = policies;
        return b.measure(broker, runs, liveWrites);
    }

    private Result measure(EmbeddedKafkaBroker broker, int runs, int liveWrites) throws Exception {
        List<String> rows = new ArrayList<>();
        List<HasMetadata> objects = objects(namespaceCount, policyCount);
        List<double[]> endToEnd = new ArrayList<>();
        // Warm-up, not reported (in --quick as in the full run): one sync of a small cluster and one
        // publish of the whole set, so that the first measured run is not the JIT's and the informers'
        // first (a cold first sync took 3 to 5 times as long as the next).
        KubernetesMockServer warm = seededServer(objects(Math.min(namespaceCount, 2_000), Math.min(policyCount, 4_000)));
        endToEndSync(broker, warm, WARMUP_RUN);
        destroyInBackground(warm);
        publishPathOnly(broker, objects, WARMUP_RUN);
        for (int run = 0; run < runs; run++) {
            // A fresh mock API server per run: its store and event loop start clean each time.
            KubernetesMockServer server = seededServer(objects);
            endToEnd.add(endToEndSync(broker, server, run));
            destroyInBackground(server);
        }
        List<double[]> publishOnly = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            publishOnly.add(publishPathOnly(broker, objects, run));
        }
        objects = null;
        // Live latency on a small cluster: what is measured is the collector's path, not the mock's store.
        KubernetesMockServer server = seededServer(objects(100, 100));
        KubernetesClient api = server.createClient();
        List<double[]> lives = new ArrayList<>();
        liveLatency(broker, server, api, WARMUP_RUN, liveWrites); // not reported: the first live run is the JIT's
        for (int run = 0; run < runs; run++) {
            lives.add(liveLatency(broker, server, api, run, liveWrites));
        }
        api.close();
        destroyInBackground(server);

        rows.add(String.format(Locale.ROOT, "| %-48s | %10s | %12s | %s |", "measure", "median", "events/s", "runs"));
        rows.add("|" + "-".repeat(50) + "|" + "-".repeat(12) + "|" + "-".repeat(14) + "|" + "-".repeat(30) + "|");
        rows.add(row("initial sync, end to end (start→SYNC_END acked)", endToEnd));
        rows.add(row("  of which informer list until synced", endToEnd.stream().map(r -> new double[] {r[2], 0})
                .toList()));
        rows.add(row("initial sync, publish path only", publishOnly));
        List<Double> p50s = lives.stream().map(l -> l[0]).sorted().toList();
        List<Double> p99s = lives.stream().map(l -> l[1]).sorted().toList();
        List<Double> maxs = lives.stream().map(l -> l[2]).sorted().toList();
        StringBuilder each = new StringBuilder();
        for (double[] l : lives) {
            each.append(String.format(Locale.ROOT, "%.0f/%.0f/%.0f ", l[0], l[1], l[2]));
        }
        rows.add(String.format(Locale.ROOT, "| %-48s | %7.1f ms | %12s | p50/p99/max ms: %s|",
                "live change: write returned→append, p50", median(p50s), "", each));
        rows.add(String.format(Locale.ROOT, "| %-48s | %7.1f ms | %12s | n=%d writes per run |",
                "live change: write returned→append, p99", median(p99s), "", (int) lives.get(0)[3]));
        return new Result(namespaceCount, policyCount, runs, median(sortedCol(endToEnd, 0)), median(sortedCol(endToEnd, 1)),
                median(sortedCol(endToEnd, 2)), median(sortedCol(publishOnly, 0)), median(sortedCol(publishOnly, 1)),
                median(p50s), median(p99s), median(maxs), (int) lives.get(0)[3], rows);
    }

    private static List<Double> sortedCol(List<double[]> runs, int col) {
        return runs.stream().map(r -> r[col]).sorted().toList();
    }

    private static String row(String name, List<double[]> runs) {
        List<Double> ms = runs.stream().map(r -> r[0]).sorted().toList();
        List<Double> rates = runs.stream().map(r -> r[1]).sorted().toList();
        StringBuilder all = new StringBuilder();
        for (double[] r : runs) {
            all.append(String.format(Locale.ROOT, "%.0f ", r[0]));
        }
        return String.format(Locale.ROOT, "| %-44s | %7.0f ms | %12s | %-28s |", name, median(ms),
                rates.get(0) == 0 ? "" : String.format(Locale.ROOT, "%.0f", median(rates)), all.toString().strip() + " ms");
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** The mock server can time out closing after big watches; that says nothing about the collector. */
    static void destroy(KubernetesMockServer server) {
        long t0 = System.nanoTime();
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            BenchMain.progress(String.format(Locale.ROOT, "(mock server did not close cleanly in %.0f ms: %s)",
                    ms(System.nanoTime() - t0), e.getMessage()));
        }
    }

    /**
     * {@link #destroy} on a daemon thread of its own: after a big sync (and often after the live
     * runs' watches) the mock cannot close and gives up after 10 s, waiting, not working (0.2 of a
     * core for the whole process meanwhile, broker included): up to 30 s of --quick spent waiting.
     */
    private static void destroyInBackground(KubernetesMockServer server) {
        Thread t = new Thread(() -> destroy(server), "bench-mock-close");
        t.setDaemon(true);
        t.start();
    }

    static KubernetesMockServer seededServer(List<HasMetadata> objects) {
        KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher(List.of());
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init();
        long seedStart = System.nanoTime();
        seed(dispatcher, objects);
        try (KubernetesClient api = server.createClient()) {
            int listed = api.namespaces().list().getItems().size();
            int listedPolicies = api.network().v1().networkPolicies().inAnyNamespace().list().getItems().size();
            BenchMain.progress(String.format(Locale.ROOT, "seeded %d objects into a mock store in %.0f ms (API lists %d namespaces, %d policies)%n",
                    objects.size(), ms(System.nanoTime() - seedStart), listed, listedPolicies));
            if (listed + listedPolicies != objects.size()) {
                throw new IllegalStateException("seeding failed");
            }
        }
        return server;
    }

    static List<HasMetadata> objects(int namespaceCount, int policyCount) {
        List<HasMetadata> out = new ArrayList<>(namespaceCount + policyCount);
        String created = Instant.parse("2026-01-01T00:00:00Z").toString();
        for (int i = 0; i < namespaceCount; i++) {
            String name = "team-" + i;
            out.add(new NamespaceBuilder().withNewMetadata().withName(name).withUid("uid-ns-" + i)
                    .withResourceVersion(Integer.toString(i + 1)).withCreationTimestamp(created)
                    .addToLabels("kubernetes.io/metadata.name", name).addToLabels("team", "t" + (i % 50))
                    .addToAnnotations("fencewatch.io/owner", "sec").endMetadata()
                    .withNewStatus().withPhase("Active").endStatus().build());
        }
        for (int i = 0; i < policyCount; i++) {
            String ns = "team-" + (i % namespaceCount);
            NetworkPolicyBuilder b = new NetworkPolicyBuilder().withNewMetadata().withName("policy-" + i)
                    .withNamespace(ns).withUid("uid-np-" + i).withResourceVersion(Integer.toString(namespaceCount + i + 1))
                    .withCreationTimestamp(created).endMetadata();
            if (i % 2 == 0) {
                b.withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec();
            } else {
                b.withNewSpec().withNewPodSelector().addToMatchLabels("app", "web").endPodSelector()
                        .addNewIngress().addNewFrom().withNewNamespaceSelector().addToMatchLabels("team", "t1")
                        .endNamespaceSelector().endFrom().addNewPort().withProtocol("TCP").withNewPort(8080).endPort()
                        .endIngress().addNewEgress().addNewTo().withNewNamespaceSelector()
                        .addToMatchLabels("kubernetes.io/metadata.name", "kube-system").endNamespaceSelector().endTo()
                        .addNewPort().withProtocol("UDP").withNewPort(53).endPort().endEgress().endSpec();
            }
            out.add(b.build());
        }
        return out;
    }

    /**
     * Straight into the CRUD store through the same call its POST handler ends with
     * ({@code processEvent} with the path's key plus the name); no HTTP round trip per object.
     */
    private static void seed(KubernetesCrudDispatcher dispatcher, List<HasMetadata> objects) {
        KubernetesSerialization json = new KubernetesSerialization();
        for (HasMetadata o : objects) {
            String path = o instanceof Namespace ? "/api/v1/namespaces"
                    : "/apis/networking.k8s.io/v1/namespaces/" + o.getMetadata().getNamespace() + "/networkpolicies";
            String body = json.asJson(o);
            AttributeSet key = dispatcher.getKey(path).add(new Attribute("name", o.getMetadata().getName()));
            dispatcher.processEvent(path, key, null, json.unmarshal(body, GenericKubernetesResource.class), body);
        }
    }

    private static CollectorConfig config(EmbeddedKafkaBroker broker, String prefix) {
        return CollectorConfig.fromMap(Map.of("cluster-id", "bench", "bootstrap-servers", broker.bootstrapServers(),
                "topic-prefix", prefix, "http-port", "-1", "heartbeat-interval", "1h", "list-page-size", "0",
                "queue-capacity", "200000"));
    }

    /** [ms start→SYNC_END acked, events/s, ms until informers synced]. */
    /** The run number of the unreported warm-up (its topics' names; its progress line says so). */
    private static final int WARMUP_RUN = 99;

    private double[] endToEndSync(EmbeddedKafkaBroker broker, KubernetesMockServer server, int run) throws Exception {
        String prefix = "bench-e2e-" + run;
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        CollectorConfig config = config(broker, prefix);
        KubernetesClient client = server.createClient();
        ClusterAgent agent = new ClusterAgent(AgentSettings.from(config, config.targets().get(0)), client,
                ProducerSettings.newProducer(ProducerSettings.producerProperties(config, "bench")),
                (c, r) -> System.err.println("FATAL " + r), Clock.systemUTC());
        long t0 = System.nanoTime();
        agent.start();
        long[] syncedAt = new long[1];
        Wait.until(() -> {
            if (syncedAt[0] == 0 && agent.informersSynced()) {
                syncedAt[0] = System.nanoTime();
            }
            return agent.publisher().openEpoch() > 0 && agent.publisher().syncedEpoch() == agent.publisher().openEpoch();
        }, Duration.ofMinutes(10), Duration.ofMillis(5));
        long t1 = System.nanoTime();
        agent.close(Duration.ofSeconds(10));
        client.close();
        double elapsed = ms(t1 - t0);
        long records = namespaceCount + policyCount + 2L * PARTITIONS;
        BenchMain.progress(String.format(Locale.ROOT, "initial sync run %s: %.0f ms (informers synced after %.0f ms)",
                run == WARMUP_RUN ? "warm-up (not reported)" : Integer.toString(run), elapsed, ms(syncedAt[0] - t0)));
        return new double[] {elapsed, records / (elapsed / 1000), ms(syncedAt[0] - t0)};
    }

    /** [ms epoch open→SYNC_END acked, events/s]. */
    private double[] publishPathOnly(EmbeddedKafkaBroker broker, List<HasMetadata> objects, int run) throws Exception {
        String prefix = "bench-pub-" + run;
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        CollectorConfig config = config(broker, prefix);
        List<Namespace> namespaces = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        for (HasMetadata o : objects) {
            if (o instanceof Namespace ns) {
                namespaces.add(ns);
            } else {
                policies.add((NetworkPolicy) o);
            }
        }
        Properties props = ProducerSettings.producerProperties(config, "bench");
        Producer<String, InventoryEvent> producer = ProducerSettings.newProducer(props);
        producer.partitionsFor(prefix + ".inventory"); // warm metadata, as a running agent has it
        InventoryPublisher publisher = new InventoryPublisher("bench", "bench-1", prefix + ".inventory", producer,
                new ArrayBlockingQueue<AgentEvent>(16), new InventoryPublisher.SnapshotSource() {
                    @Override
                    public boolean synced() {
                        return true;
                    }

                    @Override
                    public List<Namespace> namespaces() {
                        return Collections.unmodifiableList(namespaces);
                    }

                    @Override
                    public List<NetworkPolicy> policies() {
                        return Collections.unmodifiableList(policies);
                    }
                }, new EventTranslator(config.annotationPatterns()), Duration.ofHours(1), Clock.systemUTC());
        publisher.start();
        long t0 = System.nanoTime();
        publisher.setPublishing(true, "benchmark");
        Wait.until(() -> publisher.openEpoch() > 0 && publisher.syncedEpoch() == publisher.openEpoch(),
                Duration.ofMinutes(10), Duration.ofMillis(2));
        long t1 = System.nanoTime();
        publisher.close(Duration.ofSeconds(10));
        double elapsed = ms(t1 - t0);
        BenchMain.progress(String.format(Locale.ROOT, "publish-only run %d: %.0f ms", run, elapsed));
        return new double[] {elapsed, (objects.size() + 2.0 * PARTITIONS) / (elapsed / 1000)};
    }

    /** [p50 ms, p99 ms, max ms, n]. */
    private static double[] liveLatency(EmbeddedKafkaBroker broker, KubernetesMockServer server, KubernetesClient api,
            int run, int liveWrites) throws Exception {
        String prefix = "bench-live-" + run;
        String topic = prefix + ".inventory";
        broker.createTopic(topic, PARTITIONS, Map.of("message.timestamp.type", "LogAppendTime"));
        CollectorConfig config = config(broker, prefix);
        KubernetesClient client = server.createClient();
        ClusterAgent agent = new ClusterAgent(AgentSettings.from(config, config.targets().get(0)), client,
                ProducerSettings.newProducer(ProducerSettings.producerProperties(config, "bench")),
                (c, r) -> System.err.println("FATAL " + r), Clock.systemUTC());
        agent.start();
        Wait.until(() -> agent.readinessProblem() == null, Duration.ofMinutes(10), Duration.ofMillis(20));
        // Let the informers finish handing over their initial list (skipped as duplicates) first.
        Wait.holdsFor(() -> agent.publisher().queueDepth() == 0, Duration.ofSeconds(1), Duration.ofMinutes(2));
        Map<String, Long> writtenAt = new HashMap<>();
        int warmup = 200;
        for (int i = 0; i < warmup + liveWrites; i++) {
            String name = "live-" + i + "-r" + run;
            api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                    .create();
            writtenAt.put(name, System.currentTimeMillis());
        }
        List<Long> latencies = new ArrayList<>();
        try (TopicReader<String, InventoryEvent> reader = new TopicReader<>(broker.bootstrapServers(), topic,
                new StringDeserializer(), FencewatchSerdes.inventoryEvent())) {
            List<ConsumerRecord<String, InventoryEvent>> recs = reader.pollUntil(rs -> rs.stream()
                    .filter(r -> r.value().getOp() == Op.UPSERT && writtenAt.containsKey(r.value().getName())).count()
                    >= warmup + liveWrites, Duration.ofMinutes(2));
            for (ConsumerRecord<String, InventoryEvent> r : recs) {
                String name = r.value().getName();
                if (r.value().getOp() == Op.UPSERT && writtenAt.containsKey(name)
                        && Integer.parseInt(name.substring(5, name.indexOf("-r"))) >= warmup) {
                    latencies.add(r.timestamp() - writtenAt.get(name));
                }
            }
        }
        agent.close(Duration.ofSeconds(10));
        client.close();
        Collections.sort(latencies);
        int n = latencies.size();
        return new double[] {latencies.get(n / 2), latencies.get(Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)),
            latencies.get(n - 1), n};
    }
}
