package io.fencewatch.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.schema.FactLimits;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/** An object too large for the inventory is published as a truncated fact, never dropped and never over-stated. */
class OversizedObjectPublishTest {
    private static final String TOPIC = "fw.inventory";

    private final List<Namespace> namespaces = new CopyOnWriteArrayList<>();
    private final List<NetworkPolicy> policies = new CopyOnWriteArrayList<>();
    private final BlockingQueue<AgentEvent> queue = new ArrayBlockingQueue<>(100);
    private final MockProducer<String, InventoryEvent> producer = new MockProducer<>(cluster(), true, null,
            new StringSerializer(), FencewatchSerdes.inventoryEvent());
    private final InventoryPublisher publisher = new InventoryPublisher("c1", "me", TOPIC, producer, queue,
            new InventoryPublisher.SnapshotSource() {
                @Override
                public boolean synced() {
                    return true;
                }

                @Override
                public List<Namespace> namespaces() {
                    return List.copyOf(namespaces);
                }

                @Override
                public List<NetworkPolicy> policies() {
                    return List.copyOf(policies);
                }
            }, new EventTranslator(List.of("fencewatch.io/*")), Duration.ofHours(1), Clock.systemUTC());

    private static Cluster cluster() {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> parts = IntStream.range(0, 1)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node})).toList();
        return new Cluster("test", List.of(node), parts, Set.of(), Set.of());
    }

    private static NetworkPolicy policy(String name, int rules, int valueLength) {
        List<NetworkPolicyIngressRule> ingress = IntStream.range(0, rules)
                .mapToObj(i -> new NetworkPolicyIngressRuleBuilder().addNewFrom().withNewPodSelector()
                        .addToMatchLabels("app", "x".repeat(valueLength) + i).endPodSelector().endFrom()
                        .addNewPort().withProtocol("TCP").withNewPort(8080).endPort().build())
                .toList();
        return new NetworkPolicyBuilder().withNewMetadata().withName(name).withNamespace("team").endMetadata()
                .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").withIngress(ingress)
                .endSpec().build();
    }

    @AfterEach
    void tearDown() {
        publisher.close(Duration.ofSeconds(2));
    }

    @Test
    void shouldPublishTruncatedFactsWhenObjectsExceedTheLimits() {
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < 5_000; i++) {
            labels.put("team.example.com/l" + i, "v");
        }
        labels.put("fencewatch.io/exempt", "legacy");
        labels.put("kubernetes.io/metadata.name", "team");
        namespaces.add(new NamespaceBuilder().withNewMetadata().withName("team").withLabels(labels).endMetadata().build());
        policies.add(policy("many-rules", 20_000, 4));
        policies.add(policy("large", 900, 150));
        policies.add(policy("small", 3, 4));
        // About 45 KB encoded, estimated (3 bytes per character) over the 100,000-byte limit: sent whole.
        policies.add(policy("near", 400, 60));
        publisher.maxRecordBytes(100_000);
        publisher.start();
        publisher.setPublishing(true, "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> publisher.syncedEpoch() > 0
                && publisher.syncedEpoch() == publisher.openEpoch());

        Map<String, InventoryEvent> sent = new HashMap<>();
        for (ProducerRecord<String, InventoryEvent> r : producer.history()) {
            if (r.value().getName() != null) {
                sent.put(r.value().getKind() + "/" + r.value().getName(), r.value());
                assertThat(FencewatchSerdes.inventoryEvent().serialize(TOPIC, r.value()).length).isLessThan(100_000);
            }
        }
        InventoryEvent ns = sent.get(Kind.NAMESPACE + "/team");
        assertThat(ns.getTruncated()).isTrue();
        assertThat(ns.getNamespaceFacts().getLabels()).hasSizeLessThanOrEqualTo(FactLimits.MAX_MAP_ENTRIES)
                .containsEntry("fencewatch.io/exempt", "legacy").containsEntry("kubernetes.io/metadata.name", "team");
        for (String name : List.of("many-rules", "large")) {
            InventoryEvent p = sent.get(Kind.NETWORK_POLICY + "/" + name);
            assertThat(p.getTruncated()).as(name).isTrue();
            assertThat(p.getPolicyFacts().getPolicyTypes()).containsExactly("Ingress");
            // One allow-all rule: the policy still counts, its isolation is not over-stated.
            assertThat(p.getPolicyFacts().getIngress()).hasSize(1);
            assertThat(p.getPolicyFacts().getIngress().get(0).getPeers()).isNull();
            assertThat(p.getPolicyFacts().getIngress().get(0).getPorts()).isNull();
        }
        InventoryEvent small = sent.get(Kind.NETWORK_POLICY + "/small");
        assertThat(small.getTruncated()).isFalse();
        assertThat(small.getPolicyFacts().getIngress()).hasSize(3);
        InventoryEvent near = sent.get(Kind.NETWORK_POLICY + "/near");
        assertThat(near.getTruncated()).isFalse();
        assertThat(near.getPolicyFacts().getIngress()).hasSize(400);
        assertThat(io.fencewatch.collector.kube.EventTranslator.estimatedBytes(near)).isGreaterThan(100_000);
        assertThat(publisher.metrics().truncatedObjects()).isEqualTo(3);
    }
}
