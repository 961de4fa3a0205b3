package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * RBAC for real: {@code k8s/}'s collector ServiceAccount, ClusterRole and binding, and the
 * leader-election Role and binding, applied to a real API server; the collector runs with a token of
 * that ServiceAccount (TokenRequest API). It works with list and watch only, a write is refused, and
 * leader election works on the one Lease it may touch and on no other.
 */
@ExtendWith({KafkaBrokerExtension.class, KubeControlPlaneExtension.class})
class CollectorRbacRealApiServerIT {
    private static final Path K8S = Path.of("..", "k8s");
    private static final List<String> MANIFESTS = List.of("01-namespace.yaml", "02-serviceaccount-collector.yaml",
            "03-clusterrole-collector.yaml", "04-clusterrolebinding-collector.yaml",
            "05-role-collector-leader-election.yaml", "06-rolebinding-collector-leader-election.yaml",
            "08-role-collector-policy-engines.yaml", "09-rolebinding-collector-policy-engines.yaml");

    private static KubeControlPlane controlPlane;
    private final TestAgents agents = new TestAgents();
    private RealCluster cluster;
    private KubernetesClient asCollector;

    @BeforeAll
    static void controlPlane(KubeControlPlane cp) {
        controlPlane = cp;
    }

    @BeforeEach
    void applyManifestsAndLogInAsTheCollector() throws IOException {
        cluster = new RealCluster(controlPlane);
        for (String m : MANIFESTS) {
            try (InputStream in = new FileInputStream(K8S.resolve(m).toFile())) {
                for (HasMetadata o : cluster.api().load(in).items()) {
                    cluster.api().resource(o).forceConflicts().serverSideApply();
                }
            }
        }
        String token = cluster.api().serviceAccounts().inNamespace("fencewatch").withName("fencewatch-collector")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        asCollector = RealCluster.client(controlPlane.tokenKubeconfig("fencewatch-collector", token));
    }

    @AfterEach
    void tearDown() {
        agents.closeAll();
        if (asCollector != null) {
            asCollector.close();
        }
        // What lives outside the fencewatch namespace (cluster-scoped, or in kube-system) goes by hand.
        for (String m : List.of("03-clusterrole-collector.yaml", "04-clusterrolebinding-collector.yaml",
                "08-role-collector-policy-engines.yaml", "09-rolebinding-collector-policy-engines.yaml")) {
            try (InputStream in = new FileInputStream(K8S.resolve(m).toFile())) {
                cluster.api().load(in).delete();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        cluster.close(); // also deletes the fencewatch namespace, its Role and Lease
    }

    @Test
    void shouldPublishWithListAndWatchOnlyAndBeRefusedAnyWriteWhenRunWithTheCollectorsServiceAccount(
            EmbeddedKafkaBroker broker) {
        cluster.createNamespace("shop");
        cluster.createDefaultDeny("shop", "deny");
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 2);
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), "rbac", prefix,
                Map.of("list-page-size", "500"));
        ClusterAgent agent = agents.agent(config, asCollector);
        agent.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.readinessProblem() == null);
        cluster.createNamespace("created-later");
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            List<InventoryEvent> events = TestAgents.readUntil(reader, es -> es.stream()
                    .anyMatch(e -> e.getOp() == Op.UPSERT && "created-later".equals(e.getName())));
            assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT).extracting(InventoryEvent::getName)
                    .contains("shop", "deny", "fencewatch");
        }
        assertThat(agent.healthProblem()).isNull();
        assertThat(agents.fatalReasons).isEmpty();

        // Least privilege, enforced by the server: no write, no get, nothing else.
        assertForbidden(() -> asCollector.namespaces().resource(new NamespaceBuilder().withNewMetadata()
                .withName("by-the-collector").endMetadata().build()).create());
        assertForbidden(() -> asCollector.network().v1().networkPolicies().inNamespace("shop").withName("deny").delete());
        assertForbidden(() -> asCollector.namespaces().withName("shop").get());
        assertForbidden(() -> asCollector.secrets().inNamespace("fencewatch").list());
        assertForbidden(() -> asCollector.pods().inAnyNamespace().list());
    }

    @Test
    void shouldHoldItsOwnLeaseAndBeRefusedAnyOtherWhenLeaderElectionRunsWithTheCollectorsServiceAccount(
            EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 2);
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), "rbac", prefix, Map.of(
                "leader-election", "true", "lease-namespace", "fencewatch", "lease-name", "fencewatch-collector",
                "collector-id", "replica-a", "lease-duration", "3s", "lease-renew-deadline", "2s",
                "lease-retry-period", "200ms"));
        ClusterAgent agent = agents.agent(config, asCollector);
        agent.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.isLeader() && agent.readinessProblem() == null);
        Lease lease = cluster.api().leases().inNamespace("fencewatch").withName("fencewatch-collector").get();
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("replica-a");
        // Renewals go through (fabric8 renews with PATCH): renewTime moves on.
        java.time.ZonedDateTime first = lease.getSpec().getRenewTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.api().leases().inNamespace("fencewatch")
                .withName("fencewatch-collector").get().getSpec().getRenewTime().isAfter(first));

        // Another Lease, in the same namespace: the Role names only fencewatch-collector.
        cluster.api().leases().inNamespace("fencewatch").resource(new LeaseBuilder().withNewMetadata()
                .withName("someone-else").endMetadata().withNewSpec().withHolderIdentity("x").endSpec().build()).create();
        assertForbidden(() -> asCollector.leases().inNamespace("fencewatch").withName("someone-else").get());
        assertForbidden(() -> asCollector.leases().inNamespace("fencewatch").withName("someone-else")
                .edit(l -> new LeaseBuilder(l).editSpec().withHolderIdentity("replica-a").endSpec().build()));
        assertForbidden(() -> asCollector.leases().inNamespace("fencewatch").withName("fencewatch-collector").delete());
        assertForbidden(() -> asCollector.leases().inNamespace("default").withName("fencewatch-collector").get());
        assertThat(agents.fatalReasons).isEmpty();
    }

    /**
     * Issue 15 with k8s/'s ClusterRole: a Calico GlobalNetworkPolicy (cluster-scoped) and a
     * CiliumNetworkPolicy (namespaced) are discovered, watched and published; the CRDs are listed and
     * watched; nothing of them can be written or got.
     */
    @Test
    void shouldWatchThePolicyKindsBeyondNetworkPolicyWithListAndWatchOnly(EmbeddedKafkaBroker broker) {
        List<io.fencewatch.collector.kube.PolicyKind> kinds = List.of(
                io.fencewatch.collector.kube.PolicyKind.CALICO_GLOBAL_NETWORK_POLICY,
                io.fencewatch.collector.kube.PolicyKind.CILIUM_NETWORK_POLICY);
        var crds = cluster.api().apiextensions().v1().customResourceDefinitions();
        try {
            cluster.createNamespace("shop");
            for (var k : kinds) {
                crds.resource(PolicyKindsRealApiServerIT.crd(k)).create();
            }
            var gnp = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                    .withApiVersion("projectcalico.org/v3").withKind("GlobalNetworkPolicy").withNewMetadata()
                    .withName("default-deny").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("selector", "all()", "types", List.of("Ingress"))).build();
            var cnp = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder().withApiVersion("cilium.io/v2")
                    .withKind("CiliumNetworkPolicy").withNewMetadata().withName("deny").withNamespace("shop").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("endpointSelector", Map.of(), "ingress", List.of(Map.of())))
                    .build();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> cluster.api()
                    .genericKubernetesResources(kinds.get(0).context()).resource(gnp).create());
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> cluster.api()
                    .genericKubernetesResources(kinds.get(1).context()).inNamespace("shop").resource(cnp).create());

            String prefix = TestAgents.uniquePrefix();
            broker.createTopic(prefix + ".inventory", 2);
            ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "rbac", prefix,
                    Map.of("policy-engine-namespaces", "")), asCollector);
            agent.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> agent.readinessProblem() == null);
            assertThat(agent.policyKindsWatched()).containsExactlyInAnyOrderElementsOf(kinds);
            try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                List<InventoryEvent> events = TestAgents.readUntil(reader, es -> es.stream()
                        .filter(e -> e.getOp() == Op.SYNC_END).count() == 2);
                assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT && e.getFenceFacts() != null)
                        .extracting(InventoryEvent::getName).containsExactlyInAnyOrder("default-deny", "default-deny", "deny");
            }
            assertThat(agent.informerStates()).filteredOn(s -> s.resource().endsWith(".cilium.io")
                    || s.resource().endsWith(".projectcalico.org")).allMatch(s -> s.watching() && s.synced()).hasSize(2);
            assertThat(agents.fatalReasons).isEmpty();

            assertForbidden(() -> asCollector.genericKubernetesResources(kinds.get(0).context()).withName("default-deny").get());
            assertForbidden(() -> asCollector.genericKubernetesResources(kinds.get(1).context()).inNamespace("shop")
                    .withName("deny").delete());
            assertForbidden(() -> asCollector.genericKubernetesResources(kinds.get(1).context()).inNamespace("shop")
                    .resource(new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder(cnp)
                            .editMetadata().withName("by-the-collector").endMetadata().build()).create());
            assertForbidden(() -> asCollector.apiextensions().v1().customResourceDefinitions()
                    .withName(kinds.get(0).resource()).delete());
        } finally {
            for (var k : kinds) {
                crds.withName(k.resource()).delete();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> kinds.stream().allMatch(k -> crds.withName(k.resource()).get() == null));
        }
    }

    /**
     * Calico without its API server: k8s/'s ClusterRole lets the collector list and watch Calico's
     * policy CRDs (crd.projectcalico.org globalnetworkpolicies, networkpolicies) and nothing else of
     * that group, and never write them.
     */
    @Test
    void shouldReadCalicosPolicyCrdsWithListAndWatchOnlyAndNothingElseOfTheirGroup(EmbeddedKafkaBroker broker) {
        io.fencewatch.collector.kube.PolicyKind kind = io.fencewatch.collector.kube.PolicyKind.CALICO_GLOBAL_NETWORK_POLICY;
        io.fencewatch.collector.kube.PolicyKind.Served stored = kind.servedAs().get(1);
        assertThat(stored.apiVersion()).isEqualTo("crd.projectcalico.org/v1");
        var crds = cluster.api().apiextensions().v1().customResourceDefinitions();
        try {
            crds.resource(PolicyKindsRealApiServerIT.crd(stored, "v1", null)).create();
            var gnp = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                    .withApiVersion(stored.apiVersion()).withKind("GlobalNetworkPolicy").withNewMetadata()
                    .withName("default.default-deny").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("selector", "all()", "types", List.of("Ingress"))).build();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> cluster.api()
                    .genericKubernetesResources(stored.context()).resource(gnp).create());

            String prefix = TestAgents.uniquePrefix();
            broker.createTopic(prefix + ".inventory", 2);
            ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "rbac-crd", prefix,
                    Map.of("policy-engine-namespaces", "", "policy-kinds", "calico-global-network-policy")), asCollector);
            agent.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> agent.readinessProblem() == null);
            try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                List<InventoryEvent> events = TestAgents.readUntil(reader, es -> es.stream()
                        .anyMatch(e -> e.getFenceFacts() != null));
                assertThat(events).filteredOn(e -> e.getFenceFacts() != null).first().satisfies(e -> {
                    assertThat(e.getName()).as("the name as users know it").isEqualTo("default-deny");
                    assertThat(e.getFenceFacts().getApiVersion()).isEqualTo("crd.projectcalico.org/v1");
                });
            }
            assertThat(agents.fatalReasons).isEmpty();
            assertForbidden(() -> asCollector.genericKubernetesResources(stored.context()).withName("default.default-deny")
                    .get());
            assertForbidden(() -> asCollector.genericKubernetesResources(stored.context()).resource(
                    new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder(gnp).editMetadata()
                            .withName("default.by-the-collector").endMetadata().build()).create());
            assertForbidden(() -> asCollector.genericKubernetesResources(stored.context()).withName("default.default-deny")
                    .delete());
            assertForbidden(() -> asCollector.genericKubernetesResources(new io.fabric8.kubernetes.client.dsl.base
                    .ResourceDefinitionContext.Builder().withGroup("crd.projectcalico.org").withVersion("v1")
                    .withPlural("ippools").withKind("IPPool").withNamespaced(false).build()).list());
        } finally {
            crds.withName(stored.resource()).delete();
            await().atMost(Duration.ofSeconds(60)).until(() -> crds.withName(stored.resource()).get() == null);
        }
    }

    /**
     * FW-NP-002 with k8s/'s Role in kube-system only: the engine there is seen; calico-system is not
     * granted, which does not matter while it does not exist, and makes enforcement unknown (with
     * the reason) once it does; reading DaemonSets anywhere else stays forbidden.
     */
    @Test
    void shouldSeePolicyEnginesWhereItsRoleGrantsAndSayWhereItCannot(EmbeddedKafkaBroker broker) throws IOException {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 1);
        ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "rbac", prefix, Map.of()),
                asCollector);
        agent.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.readinessProblem() == null);
        assertThat(agent.policyEngines().engines()).isEmpty();
        assertThat(agent.policyEngines().error()).as("calico-system does not exist: nothing to see there").isNull();
        io.fabric8.kubernetes.api.model.apps.DaemonSet calico;
        try (InputStream in = getClass().getResourceAsStream("/policy-engines/calico.yaml")) {
            calico = cluster.api().getKubernetesSerialization().unmarshal(in,
                    io.fabric8.kubernetes.api.model.apps.DaemonSet.class);
        }
        cluster.api().apps().daemonSets().inNamespace("kube-system").resource(calico).create();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.policyEngines().engines().stream()
                    .anyMatch(e -> e.getEngine().equals("calico")));
            cluster.createNamespace("calico-system");
            await().atMost(Duration.ofSeconds(60)).until(() -> agent.policyEngines().error() != null);
            assertThat(agent.policyEngines().error()).isEqualTo("forbidden: list daemonsets.apps in calico-system"
                    + " (grant the collector the fencewatch-collector-policy-engines Role there)");
            assertThat(agent.policyEngines().engines()).extracting(e -> e.getEngine()).containsExactly("calico");
        } finally {
            cluster.api().apps().daemonSets().inNamespace("kube-system").withName("calico-node").delete();
        }
        assertForbidden(() -> asCollector.apps().daemonSets().inNamespace("default").list());
        assertForbidden(() -> asCollector.apps().daemonSets().inAnyNamespace().list());
        assertForbidden(() -> asCollector.apps().deployments().inNamespace("kube-system").list());
        assertForbidden(() -> asCollector.apps().daemonSets().inNamespace("kube-system").withName("calico-node").get());
        assertThat(agents.fatalReasons).isEmpty();
    }

    private static void assertForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }
}
