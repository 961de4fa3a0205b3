package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * Issue 15 on a real kube-apiserver: the CRDs of a cluster-scoped kind (Calico's GlobalNetworkPolicy)
 * and a namespaced one (CiliumNetworkPolicy) appear after the collector started, are found through the
 * CRD watch and discovery, and their objects are published in the inventory contract (a cluster-scoped
 * one keyed {@code <cluster>/*} to every partition, a namespaced one keyed {@code <cluster>/<namespace>}
 * to its partition); the CRDs go and their objects are published as deleted. Kinds already served at
 * start are part of the epoch's snapshot, before its SYNC_END.
 */
@ExtendWith({KafkaBrokerExtension.class, KubeControlPlaneExtension.class})
class PolicyKindsRealApiServerIT {
    private static final int PARTITIONS = 3;
    /** Calico's GlobalNetworkPolicy as stored without its API server: globalnetworkpolicies.crd.projectcalico.org/v1. */
    static final PolicyKind.Served STORED_GNP = PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.servedAs().get(1);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static KubeControlPlane controlPlane;
    private final TestAgents agents = new TestAgents();
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
        List<String> crds = List.of(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.resource(),
                PolicyKind.CILIUM_NETWORK_POLICY.resource(), STORED_GNP.resource());
        for (String name : crds) {
            cluster.api().apiextensions().v1().customResourceDefinitions().withName(name).delete();
        }
        await().atMost(WAIT).until(() -> crds.stream().allMatch(name -> cluster.api().apiextensions().v1()
                .customResourceDefinitions().withName(name).get() == null));
        cluster.close();
    }

    @Test
    void shouldWatchKindsWhoseCrdsAppearAndPublishDeletesWhenTheyGo(EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "kinds", prefix, Map.of(
                "heartbeat-interval", "1h", "policy-engine-namespaces", "",
                "policy-kinds", "calico-global-network-policy,cilium-network-policy")), cluster.newClient());
        agent.start();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            reader.pollUntil(rs -> count(rs, r -> r.value().getOp() == Op.SYNC_END) == PARTITIONS, WAIT);
            assertThat(agent.policyKindsWatched()).as("nothing served yet").isEmpty();
            cluster.createNamespace("shop");

            createCrds();
            await().atMost(WAIT).until(() -> agent.policyKindsWatched().equals(
                    Set.of(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, PolicyKind.CILIUM_NETWORK_POLICY)));
            assertThat(agent.informerStates()).extracting(ClusterAgent.InformerState::resource)
                    .contains("globalnetworkpolicies.projectcalico.org", "ciliumnetworkpolicies.cilium.io");
            createObjects();

            List<ConsumerRecord<String, InventoryEvent>> upserts = reader.pollUntil(rs -> count(rs,
                    r -> r.value().getOp() == Op.UPSERT && r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY) == PARTITIONS
                    && count(rs, r -> r.value().getOp() == Op.UPSERT && r.value().getKind() == Kind.CILIUM_NETWORK_POLICY) == 1,
                    WAIT);
            assertGlobalOnEveryPartition(upserts, Op.UPSERT);
            assertCiliumOnItsPartition(upserts, Op.UPSERT);

            // The CRDs go: their objects go with them, and each is published as deleted.
            for (PolicyKind k : List.of(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, PolicyKind.CILIUM_NETWORK_POLICY)) {
                cluster.api().apiextensions().v1().customResourceDefinitions().withName(k.resource()).delete();
            }
            List<ConsumerRecord<String, InventoryEvent>> deletes = reader.pollUntil(rs -> count(rs,
                    r -> r.value().getOp() == Op.DELETE && r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY) >= PARTITIONS
                    && count(rs, r -> r.value().getOp() == Op.DELETE && r.value().getKind() == Kind.CILIUM_NETWORK_POLICY) >= 1,
                    WAIT);
            assertGlobalOnEveryPartition(deletes, Op.DELETE);
            assertCiliumOnItsPartition(deletes, Op.DELETE);
            await().atMost(WAIT).until(() -> agent.policyKindsWatched().isEmpty());
            assertThat(count(reader.poll(Duration.ofSeconds(2)), r -> r.value().getOp() == Op.DELETE
                    && r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY)).as("each copy once").isEqualTo(PARTITIONS);
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    @Test
    void shouldPutKindsServedAtStartInTheEpochsSnapshot(EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        cluster.createNamespace("shop");
        createCrds();
        createObjects();
        ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "kinds", prefix, Map.of(
                "heartbeat-interval", "1h", "policy-engine-namespaces", "")), cluster.newClient());
        agent.start();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            List<ConsumerRecord<String, InventoryEvent>> sync = reader.pollUntil(
                    rs -> count(rs, r -> r.value().getOp() == Op.SYNC_END) == PARTITIONS, WAIT);
            assertGlobalOnEveryPartition(sync, Op.SNAPSHOT);
            assertCiliumOnItsPartition(sync, Op.SNAPSHOT);
            // On every partition, the snapshot of the cluster-scoped policy comes before that partition's SYNC_END.
            for (int p = 0; p < PARTITIONS; p++) {
                int partition = p;
                List<Op> ops = sync.stream().filter(r -> r.partition() == partition).map(r -> r.value().getOp()).toList();
                assertThat(ops.indexOf(Op.SNAPSHOT)).isGreaterThanOrEqualTo(0).isLessThan(ops.indexOf(Op.SYNC_END));
            }
            assertThat(agent.policyKindsWatched()).as("--policy-kinds=auto: the two served ones")
                    .containsExactlyInAnyOrder(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, PolicyKind.CILIUM_NETWORK_POLICY);
        }
    }

    /**
     * A collector that may not list CRDs (a ClusterRole without them) finds the kinds by discovery at
     * start and on its timer only: the CRD's objects are published, and when the CRD goes the timer
     * notices and its objects are published as deleted.
     */
    @Test
    void shouldFallBackToTheTimerWhenCrdsCannotBeListed(EmbeddedKafkaBroker broker) {
        var rbac = cluster.api().rbac();
        cluster.createNamespace("kinds-sa");
        cluster.api().serviceAccounts().inNamespace("kinds-sa").resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata().withName("no-crds").endMetadata().build()).create();
        rbac.clusterRoles().resource(new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder().withNewMetadata()
                .withName("fencewatch-it-no-crds").endMetadata()
                .addNewRule().withApiGroups("").withResources("namespaces").withVerbs("list", "watch").endRule()
                .addNewRule().withApiGroups("networking.k8s.io").withResources("networkpolicies").withVerbs("list", "watch").endRule()
                .addNewRule().withApiGroups("projectcalico.org", "cilium.io").withResources("globalnetworkpolicies",
                        "ciliumnetworkpolicies").withVerbs("list", "watch").endRule()
                .build()).create();
        rbac.clusterRoleBindings().resource(new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder()
                .withNewMetadata().withName("fencewatch-it-no-crds").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
                .withName("fencewatch-it-no-crds").endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName("no-crds").withNamespace("kinds-sa").endSubject()
                .build()).create();
        try {
            String token = cluster.api().serviceAccounts().inNamespace("kinds-sa").withName("no-crds")
                    .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder().withNewSpec()
                            .withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
            cluster.createNamespace("shop");
            createCrds();
            createObjects();
            String prefix = TestAgents.uniquePrefix();
            broker.createTopic(prefix + ".inventory", PARTITIONS);
            try (var asSa = RealCluster.client(controlPlane.tokenKubeconfig("no-crds", token))) {
                ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "kinds", prefix, Map.of(
                        "heartbeat-interval", "1h", "policy-engine-namespaces", "",
                        "policy-kinds", "calico-global-network-policy,cilium-network-policy")), asSa);
                agent.policyKindsRediscovery(Duration.ofSeconds(2));
                agent.start();
                try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                    List<ConsumerRecord<String, InventoryEvent>> sync = reader.pollUntil(
                            rs -> count(rs, r -> r.value().getOp() == Op.SYNC_END) == PARTITIONS, WAIT);
                    assertGlobalOnEveryPartition(sync, Op.SNAPSHOT);
                    assertCiliumOnItsPartition(sync, Op.SNAPSHOT);
                    cluster.api().apiextensions().v1().customResourceDefinitions()
                            .withName(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.resource()).delete();
                    List<ConsumerRecord<String, InventoryEvent>> deletes = reader.pollUntil(rs -> count(rs,
                            r -> r.value().getOp() == Op.DELETE) >= PARTITIONS, WAIT);
                    assertGlobalOnEveryPartition(deletes, Op.DELETE);
                    await().atMost(WAIT).until(() -> agent.policyKindsWatched()
                            .equals(Set.of(PolicyKind.CILIUM_NETWORK_POLICY)));
                }
                assertThat(agent.readinessProblem()).isNull();
            }
            assertThat(agents.fatalReasons).isEmpty();
        } finally {
            agents.closeAll();
            rbac.clusterRoleBindings().withName("fencewatch-it-no-crds").delete();
            rbac.clusterRoles().withName("fencewatch-it-no-crds").delete();
        }
    }

    /**
     * A cluster without the Calico API server (OKE with Calico from manifests): Calico's policies exist
     * only in the CRDs crd.projectcalico.org/v1, named {@code default.<name>}; the collector reads them
     * there and publishes the name users know. Then projectcalico.org/v3 comes to be served (on a real
     * cluster the Calico API server, serving those same objects; here a CRD of that group holding the same
     * policy, whose v3 version is turned on once the policy is in it): the collector reads v3 instead,
     * never both, and the policy is republished under the same key, never deleted in between; when v3
     * goes again, back to the CRDs, again without a DELETE.
     */
    @Test
    void shouldReadCalicosCrdsWithoutItsApiServerAndSwitchToV3WithoutCountingTwice(EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        ClusterAgent agent = agents.agent(TestAgents.config(broker.bootstrapServers(), "kinds", prefix, Map.of(
                "heartbeat-interval", "1h", "policy-engine-namespaces", "",
                "policy-kinds", "calico-global-network-policy")), cluster.newClient());
        agent.policyKindsRediscovery(Duration.ofSeconds(2));
        agent.start();
        var crds = cluster.api().apiextensions().v1().customResourceDefinitions();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            reader.pollUntil(rs -> count(rs, r -> r.value().getOp() == Op.SYNC_END) == PARTITIONS, WAIT);

            crds.resource(crd(STORED_GNP, STORED_GNP.version(), null)).create();
            await().atMost(WAIT).until(() -> agent.informerStates().stream()
                    .anyMatch(st -> st.resource().equals("globalnetworkpolicies.crd.projectcalico.org") && st.synced()));
            assertThat(agent.policyKindsWatched()).containsExactly(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY);
            GenericKubernetesResource stored = new GenericKubernetesResourceBuilder()
                    .withApiVersion("crd.projectcalico.org/v1").withKind("GlobalNetworkPolicy").withNewMetadata()
                    .withName("default.default-deny").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("selector", "all()", "order", 1000,
                            "types", List.of("Ingress", "Egress")))
                    .build();
            int mark = reader.records().size();
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> cluster.api()
                    .genericKubernetesResources(STORED_GNP.context()).resource(stored).create());
            List<ConsumerRecord<String, InventoryEvent>> fromCrds = upserts(reader, mark);
            assertGlobalOnEveryPartition(fromCrds, Op.UPSERT, "crd.projectcalico.org/v1");

            // projectcalico.org/v3 comes to be served, holding the same policy.
            PolicyKind.Served v3 = PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.api();
            crds.resource(crd(v3, "v3beta1", "v3")).create();
            GenericKubernetesResource same = new GenericKubernetesResourceBuilder()
                    .withApiVersion("projectcalico.org/v3beta1").withKind("GlobalNetworkPolicy").withNewMetadata()
                    .withName("default-deny").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("selector", "all()", "order", 1000,
                            "types", List.of("Ingress", "Egress")))
                    .build();
            var beta = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
                    .withGroup("projectcalico.org").withVersion("v3beta1").withPlural(v3.plural())
                    .withKind("GlobalNetworkPolicy").withNamespaced(false).build();
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> cluster.api().genericKubernetesResources(beta)
                    .resource(same).create());
            assertThat(calicoResources(agent)).as("v3 not served yet: still the CRDs")
                    .containsExactly("globalnetworkpolicies.crd.projectcalico.org");
            int beforeSwitch = reader.records().size();
            crds.withName(v3.resource()).edit(c -> {
                c.getSpec().getVersions().forEach(v -> v.setServed(true));
                return c;
            });
            List<ConsumerRecord<String, InventoryEvent>> fromV3 = upserts(reader, beforeSwitch);
            assertGlobalOnEveryPartition(fromV3, Op.UPSERT, "projectcalico.org/v3");
            await().atMost(WAIT).until(() -> calicoResources(agent).equals(List.of("globalnetworkpolicies.projectcalico.org")));
            reader.poll(Duration.ofSeconds(4));
            List<ConsumerRecord<String, InventoryEvent>> switched = since(reader, beforeSwitch);
            assertThat(count(switched, r -> r.value().getOp() == Op.DELETE)).as("the switch deletes nothing both sources hold")
                    .isZero();
            assertThat(count(switched, r -> r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY))
                    .as("one UPSERT per partition: not counted twice").isEqualTo(PARTITIONS);
            assertOneLiveOnEveryPartition(reader.records());

            // v3 goes again (the Calico API server removed): back to the CRDs, again without a DELETE.
            int beforeBack = reader.records().size();
            crds.withName(v3.resource()).edit(c -> {
                c.getSpec().getVersions().stream().filter(v -> v.getName().equals("v3")).forEach(v -> v.setServed(false));
                return c;
            });
            List<ConsumerRecord<String, InventoryEvent>> back = upserts(reader, beforeBack);
            assertGlobalOnEveryPartition(back, Op.UPSERT, "crd.projectcalico.org/v1");
            reader.poll(Duration.ofSeconds(4));
            List<ConsumerRecord<String, InventoryEvent>> switchedBack = since(reader, beforeBack);
            assertThat(count(switchedBack, r -> r.value().getOp() == Op.DELETE)).isZero();
            assertThat(count(switchedBack, r -> r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY)).isEqualTo(PARTITIONS);
            assertOneLiveOnEveryPartition(reader.records());
            assertThat(calicoResources(agent)).containsExactly("globalnetworkpolicies.crd.projectcalico.org");
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    /** The resources of Calico's kinds the agent has an informer on. */
    private static List<String> calicoResources(ClusterAgent agent) {
        return agent.informerStates().stream().map(ClusterAgent.InformerState::resource)
                .filter(r -> r.contains("projectcalico.org")).toList();
    }

    /** The records read since {@code mark}. */
    private static List<ConsumerRecord<String, InventoryEvent>> since(TopicReader<String, InventoryEvent> reader, int mark) {
        List<ConsumerRecord<String, InventoryEvent>> all = reader.records();
        return all.subList(mark, all.size());
    }

    /** Polls until a Calico GlobalNetworkPolicy UPSERT arrived on every partition since {@code mark}; those since. */
    private static List<ConsumerRecord<String, InventoryEvent>> upserts(TopicReader<String, InventoryEvent> reader, int mark) {
        reader.pollUntil(rs -> count(rs.subList(mark, rs.size()), r -> r.value().getOp() == Op.UPSERT
                && r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY) >= PARTITIONS, WAIT);
        return since(reader, mark);
    }

    /** Folding the events in order, each partition holds exactly one live Calico GlobalNetworkPolicy, default-deny. */
    private static void assertOneLiveOnEveryPartition(List<ConsumerRecord<String, InventoryEvent>> records) {
        Map<Integer, Map<String, Op>> live = new java.util.TreeMap<>();
        for (ConsumerRecord<String, InventoryEvent> r : records) {
            if (r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY) {
                live.computeIfAbsent(r.partition(), p -> new java.util.TreeMap<>()).put(r.value().getName(), r.value().getOp());
            }
        }
        assertThat(live).hasSize(PARTITIONS);
        live.values().forEach(byName -> assertThat(byName).containsExactly(Map.entry("default-deny", Op.UPSERT)));
    }

    // ------------------------------------------------------------------ the cluster's side

    private void createCrds() {
        for (PolicyKind k : List.of(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, PolicyKind.CILIUM_NETWORK_POLICY)) {
            cluster.api().apiextensions().v1().customResourceDefinitions().resource(crd(k)).create();
        }
    }

    /** A CRD of the kind's group, version, plural and scope; the schema keeps every field (as the projects' do for spec). */
    static CustomResourceDefinition crd(PolicyKind k) {
        return crd(k.api(), k.version(), null);
    }

    /**
     * A CRD of a place the kind is served ({@code s}: group, plural), served and stored in
     * {@code version}; with {@code unservedVersion}, a second version not served (yet).
     */
    static CustomResourceDefinition crd(PolicyKind.Served s, String version, String unservedVersion) {
        PolicyKind k = s.kind();
        var spec = new CustomResourceDefinitionBuilder().withNewMetadata().withName(s.resource()).endMetadata()
                .withNewSpec().withGroup(s.group()).withScope(k.clusterScoped() ? "Cluster" : "Namespaced")
                .withNewNames().withKind(k.kubernetesKind()).withPlural(s.plural())
                .withListKind(k.kubernetesKind() + "List").withSingular(k.kubernetesKind().toLowerCase()).endNames()
                .addNewVersion().withName(version).withServed(true).withStorage(true)
                .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
                        .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
                .endVersion();
        if (unservedVersion != null) {
            spec = spec.addNewVersion().withName(unservedVersion).withServed(false).withStorage(false)
                    .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
                            .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
                    .endVersion();
        }
        return spec.endSpec().build();
    }

    private void createObjects() {
        GenericKubernetesResource gnp = new GenericKubernetesResourceBuilder().withApiVersion("projectcalico.org/v3")
                .withKind("GlobalNetworkPolicy").withNewMetadata().withName("default-deny").endMetadata()
                .addToAdditionalProperties("spec", Map.of("selector", "all()", "order", 1000,
                        "types", List.of("Ingress", "Egress")))
                .build();
        GenericKubernetesResource cnp = new GenericKubernetesResourceBuilder().withApiVersion("cilium.io/v2")
                .withKind("CiliumNetworkPolicy").withNewMetadata().withName("deny-all-ingress").withNamespace("shop")
                .endMetadata().addToAdditionalProperties("spec", Map.of("endpointSelector", Map.of(),
                        "ingress", List.of(Map.of())))
                .build();
        // A new CRD is served once it is Established: retry until then.
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> cluster.api()
                .genericKubernetesResources(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.context()).resource(gnp).create());
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> cluster.api()
                .genericKubernetesResources(PolicyKind.CILIUM_NETWORK_POLICY.context()).inNamespace("shop").resource(cnp)
                .create());
    }

    // ------------------------------------------------------------------ the inventory's side

    private static void assertGlobalOnEveryPartition(List<ConsumerRecord<String, InventoryEvent>> records, Op op) {
        assertGlobalOnEveryPartition(records, op, "projectcalico.org/v3");
    }

    private static void assertGlobalOnEveryPartition(List<ConsumerRecord<String, InventoryEvent>> records, Op op,
            String apiVersion) {
        List<ConsumerRecord<String, InventoryEvent>> global = records.stream()
                .filter(r -> r.value().getOp() == op && r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY).toList();
        assertThat(global).extracting(ConsumerRecord::partition).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, PARTITIONS).boxed().toList());
        assertThat(global).extracting(ConsumerRecord::key).containsOnly(Keys.marker("kinds"));
        assertThat(global.stream().map(r -> r.value().getSource().getSequence()).collect(Collectors.toSet()))
                .as("one logical event: one sequence number").hasSize(1);
        for (ConsumerRecord<String, InventoryEvent> r : global) {
            InventoryEvent e = r.value();
            assertThat(e.getNamespace()).isNull();
            assertThat(e.getName()).isEqualTo("default-deny");
            assertThat(e.getUid()).isNotNull();
            assertThat(e.getResourceVersion()).isNotNull();
            assertThat(e.getFenceFacts()).isEqualTo(FenceFacts.newBuilder().setApiVersion(apiVersion)
                    .setTier(null).setOrder(1000.0).setPodSelector(null).setNamespaceSelector(null)
                    .setPodExpression("all()").setNamespaceExpression(null).setTypes(List.of("Ingress", "Egress"))
                    .setIngress(null).setEgress(null).setDefaultDenyIngress(null).setDefaultDenyEgress(null)
                    .setProblem(null).build());
        }
    }

    private static void assertCiliumOnItsPartition(List<ConsumerRecord<String, InventoryEvent>> records, Op op) {
        List<ConsumerRecord<String, InventoryEvent>> cilium = records.stream()
                .filter(r -> r.value().getOp() == op && r.value().getKind() == Kind.CILIUM_NETWORK_POLICY).toList();
        assertThat(cilium).hasSize(1);
        ConsumerRecord<String, InventoryEvent> r = cilium.get(0);
        assertThat(r.key()).isEqualTo("kinds/shop");
        // The namespace's own records share the partition: Kafka's default murmur2 of the key.
        List<Integer> nsPartitions = records.stream().filter(x -> x.value().getKind() == Kind.NAMESPACE
                && "shop".equals(x.value().getName())).map(ConsumerRecord::partition).distinct().toList();
        if (!nsPartitions.isEmpty()) {
            assertThat(nsPartitions).containsExactly(r.partition());
        }
        assertThat(r.value().getNamespace()).isEqualTo("shop");
        assertThat(r.value().getName()).isEqualTo("deny-all-ingress");
        assertThat(r.value().getFenceFacts().getApiVersion()).isEqualTo("cilium.io/v2");
        assertThat(r.value().getFenceFacts().getPodSelector()).isEqualTo(new LabelSelector(Map.of(), List.of()));
        assertThat(r.value().getFenceFacts().getIngress()).containsExactly(new FenceRule("Allow", "none", "all"));
        assertThat(r.value().getFenceFacts().getProblem()).isNull();
    }

    private static long count(List<ConsumerRecord<String, InventoryEvent>> rs,
            Predicate<ConsumerRecord<String, InventoryEvent>> p) {
        return rs.stream().filter(p).count();
    }
}
