package io.fencewatch.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.ChangeType;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.kube.PolicyKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

class InventoryPublisherTest {
    private static final String TOPIC = "fw.inventory";
    private static final int PARTITIONS = 3;

    private final List<Namespace> namespaces = new CopyOnWriteArrayList<>();
    private final List<NetworkPolicy> policies = new CopyOnWriteArrayList<>();
    private final java.util.Map<PolicyKind, List<GenericKubernetesResource>> fences = new java.util.concurrent.ConcurrentHashMap<>();
    private final BlockingQueue<AgentEvent> queue = new ArrayBlockingQueue<>(10_000);
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

                @Override
                public java.util.Map<PolicyKind, List<GenericKubernetesResource>> fences() {
                    return fences.isEmpty() ? java.util.Map.of() : new java.util.EnumMap<>(fences); // ordered by kind, as FenceWatch hands them
                }
            }, new EventTranslator(List.of("fencewatch.io/*")), Duration.ofHours(1), Clock.systemUTC());

    private static Cluster cluster() {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> parts = IntStream.range(0, PARTITIONS)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node})).toList();
        return new Cluster("test", List.of(node), parts, Set.of(), Set.of());
    }

    private static Namespace ns(String name, String rv) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withResourceVersion(rv).endMetadata().build();
    }

    private static NetworkPolicy np(String namespace, String name) {
        return new NetworkPolicyBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewPodSelector().endPodSelector().endSpec().build();
    }

    private List<ProducerRecord<String, InventoryEvent>> history() {
        return producer.history();
    }

    private long opened() {
        publisher.setPublishing(true, "test");
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.syncedEpoch() > 0
                && publisher.syncedEpoch() == publisher.openEpoch());
        return publisher.openEpoch();
    }

    @AfterEach
    void tearDown() {
        publisher.close(Duration.ofSeconds(2));
    }

    private static GenericKubernetesResource fence(PolicyKind k, String namespace, String name, String rv, Object spec) {
        return new GenericKubernetesResourceBuilder().withApiVersion(k.apiVersion()).withKind(k.kubernetesKind())
                .withNewMetadata().withName(name).withNamespace(namespace).withResourceVersion(rv).endMetadata()
                .addToAdditionalProperties("spec", spec).build();
    }

    @Test
    void shouldSendClusterScopedKindsToEveryPartitionAsMarkersAreAndNamespacedOnesToTheirNamespacesPartition() {
        GenericKubernetesResource gnp = fence(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, null, "deny", "5",
                java.util.Map.of("selector", "all()", "types", List.of("Ingress")));
        GenericKubernetesResource cnp = fence(PolicyKind.CILIUM_NETWORK_POLICY, "shop", "cnp", "6",
                java.util.Map.of("endpointSelector", java.util.Map.of(), "ingress", List.of(java.util.Map.of())));
        fences.put(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, List.of(gnp));
        fences.put(PolicyKind.CILIUM_NETWORK_POLICY, List.of(cnp));
        publisher.start();
        long epoch = opened();
        List<ProducerRecord<String, InventoryEvent>> snap = history().stream()
                .filter(r -> r.value().getOp() == Op.SNAPSHOT).toList();
        assertThat(snap).filteredOn(r -> r.value().getKind() == io.fencewatch.schema.common.Kind.CALICO_GLOBAL_NETWORK_POLICY)
                .extracting(ProducerRecord::partition).containsExactly(0, 1, 2);
        assertThat(snap).filteredOn(r -> r.value().getKind() == io.fencewatch.schema.common.Kind.CALICO_GLOBAL_NETWORK_POLICY)
                .allSatisfy(r -> {
                    assertThat(r.key()).isEqualTo(Keys.marker("c1"));
                    assertThat(r.value().getNamespace()).isNull();
                    assertThat(r.value().getSource().getSequence()).isEqualTo(1L);
                });
        assertThat(snap).filteredOn(r -> r.value().getKind() == io.fencewatch.schema.common.Kind.CILIUM_NETWORK_POLICY)
                .singleElement().satisfies(r -> {
                    assertThat(r.key()).isEqualTo("c1/shop");
                    assertThat(r.partition()).isEqualTo(InventoryPublisher.partitionOf("c1/shop", PARTITIONS));
                    assertThat(r.value().getSource().getSequence()).isEqualTo(2L);
                });
        int before = history().size();

        // Live: the snapshot's own version is a duplicate; a new one goes everywhere; a delete of a namespaced one once.
        queue.add(new AgentEvent.FenceChanged(ChangeType.UPSERT, PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp, Instant.now()));
        GenericKubernetesResource gnp7 = fence(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, null, "deny", "7",
                java.util.Map.of("selector", "all()", "types", List.of("Ingress", "Egress")));
        queue.add(new AgentEvent.FenceChanged(ChangeType.UPSERT, PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp7, Instant.now()));
        queue.add(new AgentEvent.FenceChanged(ChangeType.DELETE, PolicyKind.CILIUM_NETWORK_POLICY, cnp, Instant.now()));
        // Over the processor's bound on rules: cut, flagged, and never counted as isolating.
        List<Object> many = new java.util.ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(java.util.Map.of());
        }
        queue.add(new AgentEvent.FenceChanged(ChangeType.UPSERT, PolicyKind.CILIUM_NETWORK_POLICY,
                fence(PolicyKind.CILIUM_NETWORK_POLICY, "shop", "big", "8", java.util.Map.of("endpointSelector",
                        java.util.Map.of(), "ingress", many)), Instant.now()));
        await().atMost(Duration.ofSeconds(10)).until(() -> history().size() >= before + 5);
        List<ProducerRecord<String, InventoryEvent>> live = history().subList(before, history().size());
        assertThat(live).extracting(r -> r.value().getOp() + "/" + r.value().getResourceVersion() + "@" + r.partition())
                .containsExactly("UPSERT/7@0", "UPSERT/7@1", "UPSERT/7@2",
                        "DELETE/6@" + InventoryPublisher.partitionOf("c1/shop", PARTITIONS),
                        "UPSERT/8@" + InventoryPublisher.partitionOf("c1/shop", PARTITIONS));
        assertThat(live.get(0).value().getSource().getEpoch()).isEqualTo(epoch);
        assertThat(live.get(4).value().getTruncated()).isTrue();
        assertThat(live.get(4).value().getFenceFacts().getIngress()).isNull();
        assertThat(live.get(4).value().getFenceFacts().getProblem()).startsWith("too large for the inventory's limits (1001 rules)");
        assertThat(publisher.metrics().skippedDuplicates()).isEqualTo(1);
    }

    @Test
    void shouldNumberEventsFromZeroAndCountPerPartitionWhenEpochOpens() {
        namespaces.addAll(List.of(ns("a", "1"), ns("b", "2"), ns("c", "3"), ns("d", "4")));
        policies.addAll(List.of(np("a", "p1"), np("a", "p2"), np("c", "p3")));
        // Queued before the epoch: already in the cache, so not sent again as live events.
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("a", "1"), Instant.now()));
        publisher.start();
        long epoch = opened();

        List<ProducerRecord<String, InventoryEvent>> h = history();
        assertThat(h).extracting(r -> r.value().getOp()).containsExactly(Op.SYNC_START, Op.SYNC_START, Op.SYNC_START,
                Op.SNAPSHOT, Op.SNAPSHOT, Op.SNAPSHOT, Op.SNAPSHOT, Op.SNAPSHOT, Op.SNAPSHOT, Op.SNAPSHOT,
                Op.SYNC_END, Op.SYNC_END, Op.SYNC_END);
        assertThat(h).extracting(r -> r.value().getSource().getSequence())
                .containsExactly(0L, 0L, 0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 8L, 8L);
        assertThat(h).extracting(r -> r.value().getSource().getEpoch()).containsOnly(epoch);
        assertThat(h.subList(0, 3)).extracting(ProducerRecord::partition).containsExactly(0, 1, 2);
        for (ProducerRecord<String, InventoryEvent> end : h.subList(10, 13)) {
            int p = end.partition();
            var sync = end.value().getSync();
            assertThat(sync.getPartition()).isEqualTo(p);
            assertThat(sync.getNamespaces()).isEqualTo(4);
            assertThat(sync.getPolicies()).isEqualTo(3);
            assertThat(sync.getPartitionNamespaces()).isEqualTo(h.stream().filter(r -> r.partition() == p
                    && r.value().getOp() == Op.SNAPSHOT && r.value().getNamespaceFacts() != null).count());
            assertThat(sync.getPartitionPolicies()).isEqualTo(h.stream().filter(r -> r.partition() == p
                    && r.value().getOp() == Op.SNAPSHOT && r.value().getPolicyFacts() != null).count());
        }
        // Keys and partitions agree with Kafka's default partitioner for the key.
        for (ProducerRecord<String, InventoryEvent> r : h.subList(3, 10)) {
            assertThat(r.key()).isEqualTo(Keys.of("c1", r.value().getNamespace()));
            assertThat(r.partition()).isEqualTo(org.apache.kafka.clients.producer.internals.BuiltInPartitioner
                    .partitionForKey(r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8), PARTITIONS));
        }
    }

    @Test
    void shouldPublishLiveEventsAfterSyncEndWhenObjectsChange() {
        publisher.start();
        long epoch = opened();
        int before = history().size();
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("x", "5"), Instant.now()));
        queue.add(new AgentEvent.PolicyChanged(ChangeType.UPSERT, np("x", "deny"), Instant.now()));
        queue.add(new AgentEvent.PolicyChanged(ChangeType.DELETE, np("x", "deny"), Instant.now()));
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, new Namespace(), Instant.now())); // no name
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.metrics().skippedObjects() == 1);
        List<ProducerRecord<String, InventoryEvent>> live = history().subList(before, history().size());
        assertThat(live).extracting(r -> r.value().getOp() + " " + r.value().getName() + " " + r.key())
                .containsExactly("UPSERT x c1/x", "UPSERT deny c1/x", "DELETE deny c1/x");
        assertThat(live).extracting(r -> r.value().getSource().getSequence()).isSorted().doesNotHaveDuplicates();
        assertThat(live).extracting(r -> r.value().getSource().getEpoch()).containsOnly(epoch);
    }

    @Test
    void shouldSkipLateNotificationOfSnapshottedVersionWhenItArrivesAfterSyncEnd() {
        namespaces.addAll(List.of(ns("a", "1"), ns("b", "2")));
        publisher.start();
        opened();
        int before = history().size();
        // The informer's own notifications of its initial list, arriving after the snapshot.
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("a", "1"), Instant.now()));
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("b", "3"), Instant.now()));
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("a", "1"), Instant.now()));
        await().atMost(Duration.ofSeconds(10)).until(() -> history().size() >= before + 2);
        assertThat(history().subList(before, history().size()))
                .extracting(r -> r.value().getName() + "@" + r.value().getResourceVersion())
                .containsExactly("b@3", "a@1");
        assertThat(publisher.metrics().skippedDuplicates()).isEqualTo(1);
    }

    @Test
    void shouldOpenNewEpochWithFreshSnapshotWhenSendFails() {
        namespaces.add(ns("a", "1"));
        publisher.start();
        long first = opened();
        producer.sendException = new KafkaException("broker said no");
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("b", "2"), Instant.now()));
        namespaces.add(ns("b", "2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.metrics().publishErrors() > 0);
        producer.sendException = null;
        await().atMost(Duration.ofSeconds(20)).until(() -> publisher.syncedEpoch() > first
                && publisher.syncedEpoch() == publisher.openEpoch());
        long second = publisher.openEpoch();
        assertThat(history()).filteredOn(r -> r.value().getSource().getEpoch() == second
                && r.value().getOp() == Op.SNAPSHOT).extracting(r -> r.value().getName())
                .containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void shouldStopSendingWhenPublishingTurnsOff() {
        publisher.start();
        opened();
        publisher.setPublishing(false, "lost the lease");
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.openEpoch() == -1);
        int before = history().size();
        queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("late", "9"), Instant.now()));
        await().atMost(Duration.ofSeconds(10)).until(queue::isEmpty);
        publisher.close(Duration.ofSeconds(2));
        assertThat(history()).hasSize(before);
    }

    @Test
    void shouldPublishEverythingQueuedWhenClosed() {
        publisher.start();
        opened();
        for (int i = 0; i < 2000; i++) {
            queue.add(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns("n" + i, "1"), Instant.now()));
        }
        publisher.close(Duration.ofSeconds(10));
        publisher.close(Duration.ofSeconds(10)); // safe twice
        assertThat(history()).filteredOn(r -> r.value().getOp() == Op.UPSERT).hasSize(2000);
        assertThat(producer.closed()).isTrue();
    }
}
