package io.fencewatch.collector;

import static io.fencewatch.collector.TestAgents.count;
import static io.fencewatch.collector.TestAgents.of;
import static io.fencewatch.collector.TestAgents.readUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * What only a real API server does, and the collector must cope with: lists paged with {@code continue},
 * a watch resumed from a compacted resourceVersion ({@code 410 Gone}) and the relist that follows, and
 * watch bookmarks. A control plane of this class's own: it is filled and restarted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CollectorRealApiServerIT {
    @RegisterExtension
    static final KubeControlPlaneExtension KUBE = KubeControlPlaneExtension.perClass();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    private static final String CLUSTER = "real";
    /** The bookmark test's watch: its BOOKMARK is due 2 s before this timeout. */
    private static final int BOOKMARK_WATCH_SECONDS = 10;

    private final TestAgents agents = new TestAgents();
    private RealCluster cluster;
    private String topic;
    private String prefix;

    @BeforeEach
    void setUp(EmbeddedKafkaBroker broker) {
        cluster = new RealCluster(KUBE.controlPlane(), false);
        prefix = TestAgents.uniquePrefix();
        topic = prefix + ".inventory";
        broker.createTopic(topic, PARTITIONS);
    }

    @AfterEach
    void tearDown() {
        agents.closeAll();
        cluster.close();
    }

    private ClusterAgent start(EmbeddedKafkaBroker broker, Map<String, String> extra) {
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), CLUSTER, prefix, extra);
        ClusterAgent agent = agents.agent(config, cluster.newClient());
        agent.start();
        await().atMost(Duration.ofSeconds(120)).until(() -> agent.readinessProblem() == null);
        return agent;
    }

    @Test
    void shouldSnapshotEveryNamespaceWhenTenThousandAreListedInPagesOfFiveHundred(EmbeddedKafkaBroker broker)
            throws Exception {
        int n = 10_000;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int i = first; i < n; i += 8) {
                        cluster.createNamespace(String.format("team-%05d", i));
                        if (i % 100 == 0) {
                            cluster.createDefaultDeny(String.format("team-%05d", i), "deny");
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        int total = cluster.api().namespaces().list().getItems().size(); // ours, the system ones, any earlier test's
        int policies = cluster.api().network().v1().networkPolicies().inAnyNamespace().list().getItems().size();
        assertThat(total).isGreaterThanOrEqualTo(n + RealCluster.SYSTEM_NAMESPACES.size());
        // The server pages: 500 items, a continue token, and how many remain.
        JsonNode page = JSON.readTree(KUBE.controlPlane().request("GET", "/api/v1/namespaces?limit=500", null).body());
        assertThat(page.path("items").size()).isEqualTo(500);
        assertThat(page.path("metadata").path("continue").asText()).isNotEmpty();
        assertThat(page.path("metadata").path("remainingItemCount").asLong()).isEqualTo(total - 500L);

        ClusterAgent agent = start(broker, Map.of("list-page-size", "500", "heartbeat-interval", "1h"));
        long epoch = agent.publisher().openEpoch();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<InventoryEvent> events = readUntil(reader, es -> count(es, Op.SYNC_END, epoch) == PARTITIONS);
            assertThat(of(events, Op.SNAPSHOT, epoch)).filteredOn(e -> e.getKind() == Kind.NAMESPACE)
                    .extracting(InventoryEvent::getName).doesNotHaveDuplicates().hasSize(total);
            assertThat(of(events, Op.SNAPSHOT, epoch)).filteredOn(e -> e.getKind() == Kind.NETWORK_POLICY)
                    .hasSize(policies);
            assertThat(of(events, Op.SYNC_END, epoch)).allSatisfy(e -> {
                assertThat(e.getSync().getNamespaces()).isEqualTo(total);
                assertThat(e.getSync().getPolicies()).isEqualTo(policies);
            });
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    // Two informers relist one after the other after the restart. The policy that vanished reaches
    // the topic one of two ways, depending on which comes first, and both are right:
    //  - the policies' relist runs inside an open epoch: fabric8 reports the vanished policy as a
    //    delete, and it is published as a DELETE;
    //  - the policies' relist runs while the namespaces' relist is opening an epoch: that epoch drops
    //    the queued events (the caches already hold them), the DELETE with them, and its snapshot,
    //    taken from the relisted cache, lacks the policy, so SYNC_END sweeps it in the processor.
    // (This test once demanded the DELETE and failed in two of three full runs: the second order.)
    // What must hold either way: the newest synced epoch's snapshot lacks the vanished policy and
    // keeps the other one, and a DELETE, if any, names the right namespace.
    @Test
    void shouldForgetThePolicyThatVanishedWhileItsWatchResumedFromACompactedVersion(EmbeddedKafkaBroker broker) {
        cluster.createNamespace("shop");
        cluster.createDefaultDeny("shop", "deny");
        cluster.createDefaultDeny("shop", "vanishes");
        ClusterAgent agent = start(broker, Map.of("heartbeat-interval", "1h"));
        long firstEpoch = agent.publisher().openEpoch();
        KubeControlPlane cp = KUBE.controlPlane();

        // While the API server is down, the policy goes from etcd and etcd's history is compacted:
        // the informer's watch resumes from a resourceVersion that no longer exists.
        cp.restartApiServer(() -> {
            cp.etcdDelete("/registry/networkpolicies/shop/vanishes");
            cp.etcdCompact();
        });
        HttpResponse<String> expired = cp.request("GET", "/apis/networking.k8s.io/v1/networkpolicies?watch=true&resourceVersion=1"
                + "&timeoutSeconds=1", null);
        assertThat(expired.body()).contains("\"code\":410").contains("Expired");

        // Each informer relists (namespaces, then networkpolicies) and each relist opens an epoch.
        await().atMost(Duration.ofSeconds(120)).until(() -> agent.publisher().syncedEpoch() > firstEpoch);
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            // The two relists come one after the other, each after its own reconnect backoff (which
            // grew while the API server was down): wait for an epoch whose snapshot has no 'vanishes'.
            List<InventoryEvent> events = readUntil(reader, es -> {
                long last = lastSynced(es);
                return last > firstEpoch && of(es, Op.SNAPSHOT, last).stream()
                        .anyMatch(e -> e.getKind() == Kind.NETWORK_POLICY && "deny".equals(e.getName()))
                        && of(es, Op.SNAPSHOT, last).stream().noneMatch(e -> "vanishes".equals(e.getName()));
            }, Duration.ofSeconds(120));
            long last = lastSynced(events);
            assertThat(last).isGreaterThan(firstEpoch);
            assertThat(of(events, Op.SNAPSHOT, last))
                    .filteredOn(e -> e.getKind() == Kind.NETWORK_POLICY && "shop".equals(e.getNamespace()))
                    .extracting(InventoryEvent::getName).containsExactly("deny");
            assertThat(events).filteredOn(e -> e.getOp() == Op.DELETE)
                    .allSatisfy(e -> assertThat(e.getName()).isEqualTo("vanishes"))
                    .allSatisfy(e -> assertThat(e.getNamespace()).isEqualTo("shop"));
        }
        assertThat(agent.healthProblem()).isNull();
        assertThat(agents.fatalReasons).isEmpty();
    }

    /** The newest epoch whose SYNC_END reached every partition. */
    private static long lastSynced(List<InventoryEvent> events) {
        return events.stream().filter(e -> e.getOp() == Op.SYNC_END).mapToLong(e -> e.getSource().getEpoch()).distinct()
                .filter(ep -> count(events, Op.SYNC_END, ep) == PARTITIONS).max().orElse(-1);
    }

    @Test
    void shouldReceiveABookmarkBeforeTheWatchTimesOutWhenBookmarksAreAllowed(EmbeddedKafkaBroker broker) throws Exception {
        ClusterAgent agent = start(broker, Map.of("heartbeat-interval", "1h"));
        KubeControlPlane cp = KUBE.controlPlane();
        String rv = JSON.readTree(cp.request("GET", "/api/v1/namespaces?limit=1", null).body())
                .path("metadata").path("resourceVersion").asText();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(cp.adminSslContext()).build();
        // The watch cache sends a watcher a BOOKMARK 2 s before its deadline (and at most a minute apart), provided
        // it has seen a resourceVersion newer than the watcher's: a 10 s watch and one namespace created while it
        // is open (its ADDED comes first) make that the 8th second, where a 90 s watch waited 88 s.
        HttpResponse<java.io.InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(cp.url()
                + "/api/v1/namespaces?watch=true&allowWatchBookmarks=true&timeoutSeconds=" + BOOKMARK_WATCH_SECONDS
                + "&resourceVersion=" + rv)).build(), HttpResponse.BodyHandlers.ofInputStream());
        cluster.createNamespace("bookmark-" + prefix);
        List<JsonNode> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(JSON.readTree(line));
                if (line.contains("\"BOOKMARK\"")) {
                    break;
                }
            }
        }
        // A BOOKMARK: an object with only its resourceVersion, before the watch timed out.
        assertThat(lines).filteredOn(l -> "BOOKMARK".equals(l.path("type").asText())).isNotEmpty()
                .allSatisfy(l -> assertThat(l.path("object").path("metadata").path("resourceVersion").asText())
                        .isNotEmpty());
        // The collector's own informers ask for bookmarks too and are still watching.
        assertThat(agent.healthProblem()).isNull();
    }
}
