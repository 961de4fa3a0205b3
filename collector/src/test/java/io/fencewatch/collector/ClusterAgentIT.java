package io.fencewatch.collector;

import static io.fencewatch.collector.TestAgents.count;
import static io.fencewatch.collector.TestAgents.of;
import static io.fencewatch.collector.TestAgents.readUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/**
 * One agent against fabric8's CRUD mock API server and a real broker. {@link ClusterAgentRealApiServerIT}
 * runs the same tests against a real kube-apiserver ({@link #newCluster()}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ClusterAgentIT {
    private static final int PARTITIONS = 3;
    private static final String CLUSTER = "prod-eu";

    final TestAgents agents = new TestAgents();
    TestCluster cluster;
    String topic;
    CollectorConfig config;

    /** The API server under test. */
    TestCluster newCluster() {
        return new MockCluster();
    }

    /** False for the snapshot's namespaces that the test did not create (a real server's system namespaces). */
    boolean ours(InventoryEvent e) {
        return e.getNamespace() == null || !cluster.baseline().contains(e.getNamespace());
    }

    @BeforeEach
    void setUp(EmbeddedKafkaBroker broker) {
        cluster = newCluster();
        String prefix = TestAgents.uniquePrefix();
        topic = prefix + ".inventory";
        broker.createTopic(topic, PARTITIONS);
        config = TestAgents.config(broker.bootstrapServers(), CLUSTER, prefix,
                Map.of("heartbeat-interval", "1h", "forward-annotations", "team.example.com/owner"));
    }

    @AfterEach
    void tearDown() {
        agents.closeAll();
        cluster.close();
    }

    private ClusterAgent start() {
        ClusterAgent agent = agents.agent(config, cluster.newClient());
        agent.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.readinessProblem() == null);
        return agent;
    }

    @Test
    void shouldSendSyncStartSnapshotAndSyncEndWithCountsToEveryPartitionWhenAgentStarts(EmbeddedKafkaBroker broker) {
        cluster.createNamespace("team-a");
        cluster.createNamespace("team-b");
        cluster.createDefaultDeny("team-a", "deny-all");

        ClusterAgent agent = start();
        long epoch = agent.publisher().openEpoch();

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<ConsumerRecord<String, InventoryEvent>> recs = reader.pollUntil(
                    rs -> rs.stream().filter(r -> r.value().getOp() == Op.SYNC_END).count() == PARTITIONS,
                    Duration.ofSeconds(30));
            List<InventoryEvent> events = TestAgents.values(recs);

            // SYNC_START and SYNC_END: one per partition, keyed <cluster>/*, sent explicitly there.
            for (Op marker : List.of(Op.SYNC_START, Op.SYNC_END)) {
                assertThat(recs.stream().filter(r -> r.value().getOp() == marker).map(ConsumerRecord::partition)
                        .collect(Collectors.toSet())).containsExactlyInAnyOrder(0, 1, 2);
                assertThat(recs.stream().filter(r -> r.value().getOp() == marker).map(ConsumerRecord::key))
                        .containsOnly(Keys.marker(CLUSTER));
            }
            assertThat(of(events, Op.SYNC_START, epoch)).allSatisfy(e -> {
                assertThat(e.getSource().getSequence()).isZero();
                assertThat(e.getKind()).isNull();
            });
            // The snapshot: exactly the cluster's objects, keyed <cluster>/<namespace>.
            assertThat(of(events, Op.SNAPSHOT, epoch)).filteredOn(e -> !ours(e))
                    .extracting(InventoryEvent::getName).containsExactlyInAnyOrderElementsOf(cluster.baseline());
            assertThat(of(events, Op.SNAPSHOT, epoch)).filteredOn(this::ours)
                    .extracting(e -> e.getKind() + ":" + e.getNamespace() + "/" + e.getName())
                    .containsExactlyInAnyOrder("NAMESPACE:team-a/team-a", "NAMESPACE:team-b/team-b",
                            "NETWORK_POLICY:team-a/deny-all");
            for (ConsumerRecord<String, InventoryEvent> r : recs) {
                if (r.value().getOp() == Op.SNAPSHOT) {
                    assertThat(r.key()).isEqualTo(CLUSTER + "/" + r.value().getNamespace());
                    assertThat(r.value().getSource().getSequence()).isPositive();
                }
            }
            // Counts: whole cluster on every marker, and per partition what that partition got.
            List<ConsumerRecord<String, InventoryEvent>> ends = recs.stream()
                    .filter(r -> r.value().getOp() == Op.SYNC_END).toList();
            for (ConsumerRecord<String, InventoryEvent> end : ends) {
                SyncInfo s = end.value().getSync();
                assertThat(s.getPartitions()).isEqualTo(PARTITIONS);
                assertThat(s.getPartition()).isEqualTo(end.partition());
                assertThat(s.getNamespaces()).isEqualTo(2 + cluster.baseline().size());
                assertThat(s.getPolicies()).isEqualTo(1);
                long nsHere = recs.stream().filter(r -> r.partition() == end.partition()
                        && r.value().getOp() == Op.SNAPSHOT && r.value().getKind() == Kind.NAMESPACE).count();
                long npHere = recs.stream().filter(r -> r.partition() == end.partition()
                        && r.value().getOp() == Op.SNAPSHOT && r.value().getKind() == Kind.NETWORK_POLICY).count();
                assertThat(s.getPartitionNamespaces()).isEqualTo(nsHere);
                assertThat(s.getPartitionPolicies()).isEqualTo(npHere);
            }
            // A namespace and its policies share a partition.
            assertThat(recs.stream().filter(r -> "team-a".equals(r.value().getNamespace()))
                    .map(ConsumerRecord::partition).distinct().count()).isEqualTo(1);
        }
    }

    @Test
    void shouldPublishExactEventsInOrderPerKeyWhenNamespacesAndPoliciesChange(EmbeddedKafkaBroker broker) {
        ClusterAgent agent = start();
        long epoch = agent.publisher().openEpoch();

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            cluster.api().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop")
                    .addToLabels("env", "prod").addToAnnotations("team.example.com/owner", "payments")
                    .addToAnnotations("fencewatch.io/exempt-reason", "none").addToAnnotations("secret.example.com/x", "no")
                    .endMetadata().withNewStatus().withPhase("Active").endStatus().build()).create();
            // Namespaces and policies arrive on two watches with no order between them (a loaded machine
            // delivers the policies' events first): what the collector promises is order per object. So
            // each kind's change waits until the other's is out: the policies once the namespace is, and
            // the namespace's delete once the last policy's delete is.
            reader.pollUntil(rs -> rs.stream().anyMatch(r -> r.value().getOp() == Op.UPSERT
                    && r.value().getKind() == Kind.NAMESPACE && "shop".equals(r.value().getName())),
                    Duration.ofSeconds(30));

            cluster.createDefaultDeny("shop", "deny-all");
            NetworkPolicy allowDns = cluster.api().network().v1().networkPolicies().inNamespace("shop")
                    .resource(new NetworkPolicyBuilder().withNewMetadata().withName("allow-dns").withNamespace("shop")
                            .endMetadata().withNewSpec().withNewPodSelector().endPodSelector()
                            .addNewEgress().addNewTo().withNewNamespaceSelector()
                            .addToMatchLabels("kubernetes.io/metadata.name", "kube-system").endNamespaceSelector().endTo()
                            .addNewPort().withProtocol("UDP").withNewPort(53).endPort().endEgress()
                            .withPolicyTypes("Egress").endSpec().build())
                    .create();
            cluster.api().network().v1().networkPolicies().inNamespace("shop").withName("allow-dns")
                    .edit(np -> new NetworkPolicyBuilder(np).editSpec().editFirstEgress().addNewPort().withProtocol("TCP")
                            .withNewPort(53).endPort().endEgress().endSpec().build());
            cluster.deletePolicy("shop", "deny-all");
            cluster.deletePolicy("shop", "allow-dns");

            reader.pollUntil(rs -> rs.stream().anyMatch(r -> r.value().getOp() == Op.DELETE
                    && r.value().getKind() == Kind.NETWORK_POLICY && "allow-dns".equals(r.value().getName())),
                    Duration.ofSeconds(30));
            cluster.deleteNamespace("shop");
            List<ConsumerRecord<String, InventoryEvent>> recs = reader.pollUntil(rs -> rs.stream()
                    .anyMatch(r -> r.value().getOp() == Op.DELETE && r.value().getKind() == Kind.NAMESPACE),
                    Duration.ofSeconds(30));
            List<ConsumerRecord<String, InventoryEvent>> shop = recs.stream()
                    .filter(r -> r.key().equals(Keys.of(CLUSTER, "shop"))).toList();
            List<String> expected = new java.util.ArrayList<>(List.of(
                    "UPSERT NAMESPACE shop",
                    "UPSERT NETWORK_POLICY deny-all",
                    "UPSERT NETWORK_POLICY allow-dns",
                    "UPSERT NETWORK_POLICY allow-dns",
                    "DELETE NETWORK_POLICY deny-all",
                    "DELETE NETWORK_POLICY allow-dns",
                    "DELETE NAMESPACE shop"));
            List<String> seen = new java.util.ArrayList<>(shop.stream()
                    .map(r -> r.value().getOp() + " " + r.value().getKind() + " " + r.value().getName()).toList());
            if (cluster.terminatesNamespaces()) {
                // Terminating first, then gone; in between a real namespace controller updates the namespace
                // again (status conditions, the finalizer), each one more UPSERT while Terminating.
                expected.add(6, "UPSERT NAMESPACE shop");
                while (seen.size() > expected.size() && seen.get(7).equals("UPSERT NAMESPACE shop")) {
                    assertThat(shop.get(7).value().getNamespaceFacts().getPhase()).isEqualTo("Terminating");
                    seen.remove(7);
                    shop = new java.util.ArrayList<>(shop);
                    shop.remove(7);
                }
            }
            assertThat(seen).containsExactlyElementsOf(expected);
            assertThat(shop).extracting(r -> r.value().getSource().getEpoch()).containsOnly(epoch);
            assertThat(shop).extracting(r -> r.value().getSource().getCluster()).containsOnly(CLUSTER);
            List<Long> seqs = shop.stream().map(r -> r.value().getSource().getSequence()).toList();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(shop.stream().map(ConsumerRecord::partition).distinct()).hasSize(1);

            InventoryEvent ns = shop.get(0).value();
            assertThat(ns.getNamespaceFacts().getLabels()).containsEntry("env", "prod");
            assertThat(ns.getNamespaceFacts().getAnnotations())
                    .containsOnlyKeys("team.example.com/owner", "fencewatch.io/exempt-reason");
            assertThat(ns.getNamespaceFacts().getPhase()).isEqualTo("Active");
            assertThat(ns.getUid()).isNotBlank();
            assertThat(ns.getResourceVersion()).isNotBlank();

            PolicyFacts deny = shop.get(1).value().getPolicyFacts();
            assertThat(deny.getPodSelector().getMatchLabels()).isEmpty();
            assertThat(deny.getPolicyTypes()).containsExactly("Ingress", "Egress");
            assertThat(deny.getIngress()).isNullOrEmpty();
            assertThat(deny.getEgress()).isNullOrEmpty();

            PolicyFacts dnsV2 = shop.get(3).value().getPolicyFacts();
            assertThat(dnsV2.getEgress()).hasSize(1);
            assertThat(dnsV2.getEgress().get(0).getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort())
                    .containsExactly("UDP/53", "TCP/53");
            assertThat(dnsV2.getEgress().get(0).getPeers().get(0).getNamespaceSelector().getMatchLabels())
                    .containsEntry("kubernetes.io/metadata.name", "kube-system");
            // A delete carries the last known state.
            assertThat(shop.get(shop.size() - 1).value().getNamespaceFacts()).isNotNull();
            if (cluster.terminatesNamespaces()) {
                assertThat(shop.get(6).value().getNamespaceFacts().getPhase()).isEqualTo("Terminating");
            }
            assertThat(allowDns.getMetadata().getResourceVersion())
                    .isEqualTo(shop.get(2).value().getResourceVersion());
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    @Test
    void shouldShowChangesMadeWhileDownInNextEpochWhenAgentRestarts(EmbeddedKafkaBroker broker) {
        cluster.createNamespace("stays");
        cluster.createNamespace("goes-away");
        cluster.createDefaultDeny("goes-away", "deny");
        ClusterAgent first = start();
        long firstEpoch = first.publisher().openEpoch();
        first.close(Duration.ofSeconds(5));

        // While no agent runs: deletions and creations it never sees as events.
        cluster.deletePolicy("goes-away", "deny");
        cluster.deleteNamespace("goes-away");
        cluster.createNamespace("new-one");
        cluster.createDefaultDeny("stays", "deny");

        ClusterAgent second = start();
        long secondEpoch = second.publisher().openEpoch();
        assertThat(secondEpoch).isGreaterThan(firstEpoch);

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<InventoryEvent> events = readUntil(reader, es -> count(es, Op.SYNC_END, secondEpoch) == PARTITIONS);
            assertThat(of(events, Op.SNAPSHOT, secondEpoch)).filteredOn(this::ours)
                    .extracting(e -> e.getKind() + ":" + e.getNamespace() + "/" + e.getName())
                    .containsExactlyInAnyOrder("NAMESPACE:stays/stays", "NAMESPACE:new-one/new-one",
                            "NETWORK_POLICY:stays/deny");
            List<InventoryEvent> ends = of(events, Op.SYNC_END, secondEpoch);
            assertThat(ends).allSatisfy(e -> {
                assertThat(e.getSync().getNamespaces()).isEqualTo(cluster.api().namespaces().list().getItems().size());
                assertThat(e.getSync().getPolicies()).isEqualTo(
                        cluster.api().network().v1().networkPolicies().inAnyNamespace().list().getItems().size());
            });
            assertThat(ends.stream().mapToLong(e -> e.getSync().getPartitionNamespaces()).sum())
                    .isEqualTo(2 + cluster.baseline().size());
            assertThat(ends.stream().mapToLong(e -> e.getSync().getPartitionPolicies()).sum()).isEqualTo(1);
        }
    }

    @Test
    void shouldRestartInformerAndOpenNewEpochWhenAnInformerStops(EmbeddedKafkaBroker broker) {
        ClusterAgent agent = start();
        long firstEpoch = agent.publisher().openEpoch();

        agent.namespaceInformer().stop(); // as if the watch had died for good
        cluster.createNamespace("seen-after-restart");

        await().atMost(Duration.ofSeconds(30)).until(() -> agent.publisher().openEpoch() > firstEpoch
                && agent.readinessProblem() == null);
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            long epoch = agent.publisher().openEpoch();
            List<InventoryEvent> events = readUntil(reader, es -> es.stream().anyMatch(
                    e -> "seen-after-restart".equals(e.getName()) && e.getSource().getEpoch() >= epoch));
            assertThat(events).anyMatch(e -> "seen-after-restart".equals(e.getName()) && e.getSource().getEpoch() >= epoch);
        }
        assertThat(agent.healthProblem()).isNull();
        assertThat(agents.fatalReasons).isEmpty();
    }

    @Test
    void shouldKeepRunningAndPublishWhenObjectsAreOdd(EmbeddedKafkaBroker broker) {
        ClusterAgent agent = start();
        String longUnicode = "ns-" + "ü".repeat(60) + "-名前";
        Map<String, String> manyLabels = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            manyLabels.put("label-" + i + ".example.com/key", "value-" + i);
        }
        cluster.createNamespace(longUnicode, manyLabels);
        cluster.createNamespace("odd-ns");
        // Null and empty selectors, empty rules, named ports, unknown fields (a future API version's).
        String odd = """
                {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
                 "metadata":{"name":"odd","namespace":"%s","labels":{"x":"y"}},
                 "spec":{"podSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},
                         "policyTypes":[],
                         "ingress":[{}, {"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}, {}],
                                     "ports":[{"port":"http"},{"port":8000,"endPort":9000}]}],
                         "egress":[{"to":[],"ports":[]}],
                         "futureField":{"nested":[1,2,3]}},
                 "status":{"whatever":true}}
                """.formatted("odd-ns");
        cluster.api().network().v1().networkPolicies().inNamespace("odd-ns")
                .resource(cluster.api().getKubernetesSerialization().unmarshal(odd, NetworkPolicy.class)).create();
        cluster.api().network().v1().networkPolicies().inNamespace("odd-ns").resource(new NetworkPolicyBuilder()
                .withNewMetadata().withName("no-spec").withNamespace("odd-ns").endMetadata().build()).create();

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<InventoryEvent> events = readUntil(reader, es -> es.stream()
                    .filter(e -> e.getOp() == Op.UPSERT).count() >= 4);
            InventoryEvent ns = events.stream().filter(e -> e.getKind() == Kind.NAMESPACE && e.getOp() == Op.UPSERT
                    && longUnicode.equals(e.getName())).findFirst().orElseThrow();
            assertThat(ns.getName()).isEqualTo(longUnicode);
            assertThat(ns.getNamespaceFacts().getLabels()).hasSize(300);
            PolicyFacts oddFacts = events.stream().filter(e -> "odd".equals(e.getName())).findFirst().orElseThrow()
                    .getPolicyFacts();
            assertThat(oddFacts.getPolicyTypes()).isNull();
            assertThat(oddFacts.getPodSelector().getMatchExpressions()).hasSize(1);
            assertThat(oddFacts.getIngress()).hasSize(2);
            assertThat(oddFacts.getIngress().get(1).getPorts()).extracting(p -> p.getPort() + ":" + p.getEndPort())
                    .containsExactly("http:null", "8000:9000");
            PolicyFacts noSpec = events.stream().filter(e -> "no-spec".equals(e.getName())).findFirst().orElseThrow()
                    .getPolicyFacts();
            assertThat(noSpec.getPodSelector().getMatchLabels()).isEmpty();
        }
        assertThat(agent.healthProblem()).isNull();
        assertThat(agent.publisher().metrics().publishErrors()).isZero();
        assertThat(agents.fatalReasons).isEmpty();
    }

    @Test
    void shouldSendHeartbeatsToEveryPartitionWhenIdle(EmbeddedKafkaBroker broker) {
        config = TestAgents.config(broker.bootstrapServers(), CLUSTER, topic.replace(".inventory", ""),
                Map.of("heartbeat-interval", "300ms"));
        ClusterAgent agent = start();
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<ConsumerRecord<String, InventoryEvent>> recs = reader.pollUntil(rs -> rs.stream()
                    .filter(r -> r.value().getOp() == Op.HEARTBEAT).count() >= 2L * PARTITIONS, Duration.ofSeconds(30));
            List<ConsumerRecord<String, InventoryEvent>> beats = recs.stream()
                    .filter(r -> r.value().getOp() == Op.HEARTBEAT).toList();
            Set<Integer> partitions = new HashSet<>();
            beats.forEach(r -> partitions.add(r.partition()));
            assertThat(partitions).containsExactlyInAnyOrder(0, 1, 2);
            assertThat(beats).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo(Keys.marker(CLUSTER));
                assertThat(r.value().getSource().getEpoch()).isEqualTo(agent.publisher().openEpoch());
            });
        }
    }
}
