package io.fencewatch.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.kube.WorkloadShapes;
import io.fencewatch.schema.FactLimits;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Workload shapes through the publisher's epoch protocol: SNAPSHOT before SYNC_END on the namespace's
 * partition, {@code watchesPods} on the markers, then a namespace's changes as UPSERT/DELETE when its
 * WorkloadsChanged is taken; the same limits as a namespace's labels.
 */
class InventoryPublisherWorkloadsTest {
    private static final String TOPIC = "fw.inventory";
    private static final int PARTITIONS = 3;

    private final WorkloadShapes shapes = new WorkloadShapes();
    private volatile boolean podsKnown = true;
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
                    return List.of(new NamespaceBuilder().withNewMetadata().withName("shop").withResourceVersion("1")
                            .endMetadata().build());
                }

                @Override
                public List<NetworkPolicy> policies() {
                    return List.of();
                }

                @Override
                public boolean watchesPods() {
                    return podsKnown;
                }

                @Override
                public List<WorkloadShapes.Change> workloads() {
                    return shapes.snapshot();
                }

                @Override
                public List<WorkloadShapes.Change> workloadChanges(String namespace) {
                    return shapes.drain(namespace);
                }
            }, new EventTranslator(List.of("fencewatch.io/*")), Duration.ofHours(1), Clock.systemUTC());

    private static Cluster cluster() {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> parts = IntStream.range(0, PARTITIONS)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node})).toList();
        return new Cluster("test", List.of(node), parts, Set.of(), Set.of());
    }

    private static Pod pod(String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withNamespace("shop").withName(name).withResourceVersion("1")
                .withLabels(labels).withOwnerReferences(new OwnerReference("apps/v1", true, true, "ReplicaSet",
                        "web-7d4b9c", "u"))
                .endMetadata().withNewStatus().withPhase("Running").endStatus().build();
    }

    private long opened() {
        publisher.start();
        publisher.setPublishing(true, "test");
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.syncedEpoch() > 0
                && publisher.syncedEpoch() == publisher.openEpoch());
        return publisher.openEpoch();
    }

    @AfterEach
    void tearDown() {
        publisher.close(Duration.ofSeconds(2));
    }

    @Test
    void shouldSnapshotShapesBeforeSyncEndAndPublishAChangedNamespaceAsUpsertsThenDeletes() {
        Pod a = pod("web-7d4b9c-a", Map.of("app", "web", "pod-template-hash", "7d4b9c"));
        Pod b = pod("web-7d4b9c-b", Map.of("app", "web", "pod-template-hash", "7d4b9c"));
        shapes.update(null, a);
        shapes.update(null, b);
        long epoch = opened();
        int partition = InventoryPublisher.partitionOf("c1/shop", PARTITIONS);

        List<ProducerRecord<String, InventoryEvent>> sync = producer.history();
        assertThat(sync).filteredOn(r -> r.value().getOp() == Op.SYNC_START).hasSize(PARTITIONS)
                .allSatisfy(r -> assertThat(r.value().getCluster().getWatchesPods()).isTrue());
        ProducerRecord<String, InventoryEvent> shape = sync.stream()
                .filter(r -> r.value().getKind() == Kind.WORKLOAD).findFirst().orElseThrow();
        assertThat(shape.key()).isEqualTo("c1/shop");
        assertThat(shape.partition()).isEqualTo(partition);
        assertThat(shape.value().getOp()).isEqualTo(Op.SNAPSHOT);
        assertThat(shape.value().getNamespace()).isEqualTo("shop");
        assertThat(shape.value().getName()).matches("Deployment/web/[0-9a-f]{8}")
                .isEqualTo(WorkloadShapes.shapeOf(a).id());
        assertThat(shape.value().getUid()).isNull();
        assertThat(shape.value().getResourceVersion()).isNull();
        assertThat(shape.value().getWorkloadFacts().getPods()).isEqualTo(2);
        assertThat(shape.value().getWorkloadFacts().getOwnerKind()).isEqualTo("Deployment");
        assertThat(shape.value().getWorkloadFacts().getLabels()).isEqualTo(Map.of("app", "web"));
        assertThat(shape.value().getWorkloadFacts().getUnknownLabels()).containsExactly("pod-template-hash");
        assertThat(shape.value().getWorkloadFacts().getHostNetwork()).isFalse();
        List<Op> onItsPartition = sync.stream().filter(r -> r.partition() == partition).map(r -> r.value().getOp())
                .toList();
        assertThat(onItsPartition).containsSubsequence(Op.SYNC_START, Op.SNAPSHOT, Op.SYNC_END);
        assertThat(onItsPartition.lastIndexOf(Op.SNAPSHOT)).isLessThan(onItsPartition.indexOf(Op.SYNC_END));
        assertThat(sync).filteredOn(r -> r.value().getOp() == Op.SYNC_END)
                .allSatisfy(r -> assertThat(r.value().getSync().getNamespaces()).as("shapes are not counted")
                        .isEqualTo(1L));

        // A rollout that changes the labels: the new shape comes first, then the old one goes.
        int before = producer.history().size();
        Pod c = pod("web-5f6a-c", Map.of("app", "web", "version", "2", "pod-template-hash", "5f6a"));
        shapes.update(null, c);
        shapes.update(a, null);
        shapes.update(b, null);
        queue.add(new AgentEvent.WorkloadsChanged("shop", Instant.ofEpochMilli(1234)));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() >= before + 2);
        List<InventoryEvent> live = producer.history().subList(before, producer.history().size()).stream()
                .map(ProducerRecord::value).toList();
        assertThat(live).extracting(InventoryEvent::getOp).containsExactly(Op.UPSERT, Op.DELETE);
        assertThat(live.get(0).getWorkloadFacts().getLabels()).containsEntry("version", "2");
        assertThat(live.get(0).getWorkloadFacts().getPods()).isEqualTo(1);
        assertThat(live.get(1).getName()).isEqualTo(shape.value().getName());
        assertThat(live.get(1).getWorkloadFacts().getPods()).isZero();
        assertThat(live.get(1).getWorkloadFacts().getLabels()).as("its last facts").isEqualTo(Map.of("app", "web"));
        assertThat(live).allSatisfy(e -> {
            assertThat(e.getSource().getEpoch()).isEqualTo(epoch);
            assertThat(e.getSource().getObservedAt()).isEqualTo(Instant.ofEpochMilli(1234));
        });
        assertThat(live.get(1).getSource().getSequence()).isEqualTo(live.get(0).getSource().getSequence() + 1);

        // Nothing changed since: a second WorkloadsChanged publishes nothing.
        int after = producer.history().size();
        queue.add(new AgentEvent.WorkloadsChanged("shop", Instant.now()));
        queue.add(new AgentEvent.NamespaceChanged(io.fencewatch.collector.kube.ChangeType.UPSERT,
                new NamespaceBuilder().withNewMetadata().withName("later").withResourceVersion("9").endMetadata().build(),
                Instant.now()));
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() > after);
        assertThat(producer.history().subList(after, producer.history().size()))
                .extracting(r -> r.value().getKind()).containsExactly(Kind.NAMESPACE);
    }

    @Test
    void shouldSendNoShapesAndSayPodsAreNotWatchedWhenTheyAreNotKnown() {
        podsKnown = false;
        shapes.update(null, pod("web-7d4b9c-a", Map.of("app", "web")));
        opened();
        assertThat(producer.history()).noneMatch(r -> r.value().getKind() == Kind.WORKLOAD);
        assertThat(producer.history()).filteredOn(r -> r.value().getOp() == Op.SYNC_START)
                .allSatisfy(r -> assertThat(r.value().getCluster() == null || !r.value().getCluster().getWatchesPods())
                        .isTrue());
    }

    @Test
    void shouldCutAShapesLabelsToTheNamespaceBoundsAndFlagItTruncated() {
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < FactLimits.MAX_MAP_ENTRIES + 500; i++) {
            many.put("team.example.com/label-" + i, "v" + i);
        }
        many.put("app.kubernetes.io/name", "web");
        shapes.update(null, pod("web-7d4b9c-a", many));
        opened();
        InventoryEvent shape = producer.history().stream().map(ProducerRecord::value)
                .filter(e -> e.getKind() == Kind.WORKLOAD).findFirst().orElseThrow();
        assertThat(shape.getTruncated()).isTrue();
        assertThat(shape.getWorkloadFacts().getLabels()).hasSizeLessThanOrEqualTo(FactLimits.MAX_MAP_ENTRIES)
                .containsEntry("app.kubernetes.io/name", "web");
        assertThat(shape.getName()).as("the id still hashes every label")
                .isEqualTo(WorkloadShapes.shapeOf(pod("x", many)).id());
    }
}
