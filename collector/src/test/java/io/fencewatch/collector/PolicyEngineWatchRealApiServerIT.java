package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.collector.kube.PolicyEngineWatch;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyEngineFacts;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * FW-NP-002's facts on a real kube-apiserver: one DaemonSet per row of the detection table, shaped
 * as that engine's published manifest installs it (test resources policy-engines/, each citing its
 * source), created, seen as that engine with its version, deleted, gone; and the agent's markers
 * carrying what it found, at once when it changes.
 */
@ExtendWith({KafkaBrokerExtension.class, KubeControlPlaneExtension.class})
class PolicyEngineWatchRealApiServerIT {
    private static final List<String> WHERE = List.of("kube-system", "calico-system");
    private static KubeControlPlane controlPlane;
    private final TestAgents agents = new TestAgents();
    private final List<DaemonSet> created = new CopyOnWriteArrayList<>();
    private RealCluster cluster;

    @BeforeAll
    static void controlPlane(KubeControlPlane cp) {
        controlPlane = cp;
    }

    @BeforeEach
    void cluster() {
        cluster = new RealCluster(controlPlane);
    }

    @AfterEach
    void tearDown() {
        agents.closeAll();
        for (DaemonSet ds : created) {
            cluster.api().apps().daemonSets().inNamespace(ds.getMetadata().getNamespace())
                    .withName(ds.getMetadata().getName()).delete();
        }
        cluster.close();
    }

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("calico", "calico", "v3.28.0"),
                Arguments.of("calico-operator", "calico", "v3.29.1"),
                Arguments.of("cilium", "cilium", "v1.16.1"),
                Arguments.of("gke-dataplane-v2", "gke-dataplane-v2", "v1.14.6-gke3.0"),
                Arguments.of("antrea", "antrea", "v2.1.0"),
                Arguments.of("kube-router", "kube-router", "v2.2.0"),
                Arguments.of("weave-net", "weave-net", "2.8.1"),
                Arguments.of("aws-network-policy-agent", "aws-network-policy-agent", "v1.1.2"),
                Arguments.of("azure-npm", "azure-npm", "v1.6.5"),
                Arguments.of("kube-network-policies", "kube-network-policies", "v0.6.0"));
    }

    @Test
    void everyRowOfTheTableHasAnInstallHere() {
        assertThat(engines().map(a -> (String) a.get()[1]).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(PolicyEngines.rows().stream().map(PolicyEngines.Row::engine).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void shouldFindEachEngineAsItsManifestInstallsItAndLoseItWhenItIsDeleted(String fixture, String engine,
            String version) {
        DaemonSet ds = fixture(fixture);
        String ns = ds.getMetadata().getNamespace();
        if (!ns.equals("kube-system")) {
            cluster.createNamespace(ns);
        }
        KubernetesClient client = cluster.newClient();
        List<PolicyEngineWatch.Facts> reported = new CopyOnWriteArrayList<>();
        // The namespaces that exist, as the agent's namespace informer would tell (no call from inside the watch).
        Set<String> existing = new java.util.HashSet<>(List.of("kube-system", ns));
        try (PolicyEngineWatch watch = new PolicyEngineWatch("it", client, WHERE, () -> existing, reported::add)) {
            watch.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> watch.looked() && watch.current().engines() != null);
            assertThat(watch.current().engines()).as("nothing installed yet").isEmpty();
            assertThat(watch.current().error()).isNull();

            create(ds);
            await().atMost(Duration.ofSeconds(30)).until(() -> !watch.current().engines().isEmpty());
            PolicyEngineFacts found = watch.current().engines().get(0);
            assertThat(found.getEngine()).isEqualTo(engine);
            assertThat(found.getNamespace()).isEqualTo(ns);
            assertThat(found.getName()).isEqualTo(ds.getMetadata().getName());
            assertThat(PolicyEngines.versionOf(found.getImage())).isEqualTo(version);
            // current() reads the informer's store, which holds the DaemonSet a moment before the informer's
            // handler has reported it: the report is awaited, not assumed to be there already.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(reported).last()
                    .satisfies(f -> assertThat(f.engines()).containsExactly(found)));

            client.apps().daemonSets().inNamespace(ns).withName(ds.getMetadata().getName()).delete();
            await().atMost(Duration.ofSeconds(30)).until(() -> watch.current().engines().isEmpty());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(reported).last()
                    .satisfies(f -> assertThat(f.engines()).isEmpty()));
        }
    }

    @Test
    void shouldNotTakeTheAwsAgentSwitchedOffForAnEngine() {
        KubernetesClient client = cluster.newClient();
        try (PolicyEngineWatch watch = new PolicyEngineWatch("it", client, WHERE, () -> Set.of("kube-system"), f -> { })) {
            watch.start();
            create(fixture("aws-node-policy-off"));
            create(fixture("cilium"));
            // Both are in the cache once Cilium is: the switched-off agent is not among the engines.
            await().atMost(Duration.ofSeconds(30)).until(() -> watch.current().engines() != null
                    && !watch.current().engines().isEmpty());
            assertThat(watch.current().engines()).extracting(PolicyEngineFacts::getEngine).containsExactly("cilium");
        }
    }

    @Test
    void shouldCarryTheEnginesOnSyncStartAndAHeartbeatAtOnceWhenTheyChange(EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 2);
        // A heartbeat interval far beyond the test: a heartbeat with engines can only be the change's own.
        ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "engines", prefix,
                Map.of("heartbeat-interval", "1h")), cluster.newClient());
        agent.start();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            List<InventoryEvent> start = TestAgents.readUntil(reader, es -> es.stream().anyMatch(e -> e.getOp() == Op.SYNC_END));
            InventoryEvent syncStart = start.stream().filter(e -> e.getOp() == Op.SYNC_START).findFirst().orElseThrow();
            assertThat(syncStart.getCluster().getPolicyEngines()).as("looked before the epoch opened").isEmpty();
            assertThat(syncStart.getCluster().getPolicyEngineNamespaces()).containsExactlyElementsOf(WHERE);
            assertThat(syncStart.getCluster().getProvider()).isEqualTo("kubernetes");

            create(fixture("calico"));
            java.util.function.Predicate<InventoryEvent> withCalico = e -> e.getOp() == Op.HEARTBEAT
                    && e.getCluster().getPolicyEngines().stream().anyMatch(x -> x.getEngine().equals("calico"));
            List<InventoryEvent> added = TestAgents.readUntil(reader, es -> es.stream().filter(withCalico).count() >= 2);
            assertThat(added).filteredOn(withCalico).hasSize(2).allSatisfy(h -> {
                assertThat(h.getSource().getEpoch()).isEqualTo(syncStart.getSource().getEpoch());
                assertThat(h.getCluster().getPolicyEngines()).singleElement()
                        .satisfies(x -> assertThat(x.getImage()).isEqualTo("docker.io/calico/node:v3.28.0"));
            });
            assertThat(added.stream().filter(withCalico).map(e -> e.getSource().getSequence()).distinct())
                    .as("one heartbeat, to each partition").hasSize(1);
            assertThat(added).filteredOn(e -> e.getOp() == Op.HEARTBEAT).as("no heartbeat without a change").hasSize(2);

            cluster.api().apps().daemonSets().inNamespace("kube-system").withName("calico-node").delete();
            List<InventoryEvent> removed = TestAgents.readUntil(reader, es -> es.stream()
                    .filter(e -> e.getOp() == Op.HEARTBEAT).count() >= 4);
            assertThat(removed).filteredOn(e -> e.getOp() == Op.HEARTBEAT).hasSize(4).last()
                    .satisfies(h -> assertThat(h.getCluster().getPolicyEngines()).isEmpty());
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    private void create(DaemonSet ds) {
        cluster.api().apps().daemonSets().inNamespace(ds.getMetadata().getNamespace()).resource(ds).create();
        created.add(ds);
    }

    private DaemonSet fixture(String name) {
        try (InputStream in = getClass().getResourceAsStream("/policy-engines/" + name + ".yaml")) {
            return cluster.api().getKubernetesSerialization().unmarshal(in, DaemonSet.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
