package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.collector.Collector;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Collector → OCI Streaming (the stand-in: no OCI is reachable here) → oci-bridge → a real in-process
 * Kafka → the real processor: the table equals the rule's audit, and the faults of that path
 * (throttling, failed entries, a lagging partition during a new epoch, the bridge killed mid-stream)
 * lose nothing, reorder nothing and sweep nothing that still exists.
 */
@ExtendWith(KafkaBrokerExtension.class)
class OciStreamingPathIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String CLUSTER = "oke-c";

    private Pipeline pipeline;
    private OciPath oci;
    private Collector collector;

    @AfterEach
    void tearDown() {
        if (collector != null) {
            collector.close();
        }
        if (oci != null) {
            oci.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private void start(EmbeddedKafkaBroker broker, String name, boolean ordered) {
        pipeline = Pipeline.start(broker, name, CLUSTER);
        oci = new OciPath(pipeline);
        oci.startBridge(ordered);
    }

    private Collector startCollector() {
        collector = oci.startCollector();
        await().atMost(WAIT).until(() -> Collectors.ready(collector));
        return collector;
    }

    private List<InventoryEvent> streamEvents() {
        var serde = FencewatchSerdes.inventoryEvent();
        return oci.stub.allMessages(oci.stream).stream().map(m -> serde.deserialize("x", m.value())).toList();
    }

    private static List<DriftEvent> removedByResync(List<DriftEvent> drift) {
        return drift.stream().filter(d -> d.getReason() == DriftReason.REMOVED_BY_RESYNC).toList();
    }

    @Test
    void shouldEqualTheAuditThroughTheBridgeWhenTheCollectorWritesToOciStreaming(EmbeddedKafkaBroker broker) {
        start(broker, "oci-audit", true);
        Churn churn = new Churn(pipeline.cluster, 14, "ns").seed(60);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            startCollector();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            churn.run(200, 80);
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));

            assertThat(removedByResync(drift.readAll())).isEmpty();
            assertThat(DriftLog.duplicates(drift.readAll())).isEmpty();
            // Markers went to OCI once each, keyed <cluster>/*; the bridge fanned them out.
            List<StreamingStub.StoredMessage> markers = oci.stub.allMessages(oci.stream).stream()
                    .filter(m -> m.keyString().equals(CLUSTER + "/*")).toList();
            assertThat(streamEvents().stream().filter(e -> e.getOp() == Op.SYNC_START)).hasSize(1);
            assertThat(streamEvents().stream().filter(e -> e.getOp() == Op.SYNC_END)).hasSize(1)
                    .allSatisfy(e -> assertThat(e.getSync().getPartitions()).isEqualTo(1));
            assertThat(markers).isNotEmpty().allSatisfy(m -> assertThat(m.partition()).isEqualTo(markers.get(0).partition()));
            assertThat(oci.bridge().metrics().get("markers_fanned_out_total")).isGreaterThanOrEqualTo(2);
            assertThat(oci.bridge().healthProblem()).isNull();
            assertThat(pipeline.fatal).isEmpty();
        }
    }

    @Test
    void shouldSweepNothingThatExistsWhenAPartitionLagsWhileTheCollectorRestarts(EmbeddedKafkaBroker broker) {
        start(broker, "oci-lag", true);
        List<String> lagging = lagScenario(true);
        assertThat(lagging).isNotEmpty();
    }

    /** The same scenario without the gate: the processor sweeps namespaces whose snapshot is still in flight. */
    @Test
    void shouldShowAFalseSweepWhenTheBridgeForwardsMarkersUnordered(EmbeddedKafkaBroker broker) {
        start(broker, "oci-lag-unordered", true);
        lagScenario(false);
    }

    private List<String> lagScenario(boolean ordered) {
        Churn churn = new Churn(pipeline.cluster, 15, "ns").seed(40);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            startCollector();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            Oracle.ClusterState state = pipeline.cluster.audit();
            if (!ordered) {
                // Epoch 1 went through the gate; the bridge that reads epoch 2 forwards as it reads.
                oci.bridge().close(Duration.ofSeconds(5));
                oci.startBridge(false);
            }
            Set<String> user = new TreeSet<>(state.namespaces());
            user.removeAll(Oracle.SYSTEM);
            int p = oci.partitionWithoutMarkers(List.copyOf(user));
            List<String> onLaggingPartition = oci.namespacesOn(p, user);

            // The collector restarts (a new epoch) while OCI partition p lags behind the others.
            collector.close();
            collector = null;
            oci.stub.holdPartition(oci.stream, p);
            startCollector();
            if (ordered) {
                // The new epoch's SYNC_END has been read, and is held: snapshots before it are still unread on p.
                await().atMost(WAIT).until(() -> oci.bridge().metrics().get("held_markers") >= 1);
                assertThat(removedByResync(drift.readAll())).isEmpty();
                Oracle.assertTable(table.tableAll(), CLUSTER, state);
                oci.stub.releasePartition(oci.stream, p);
                await().atMost(WAIT).until(() -> oci.bridge().metrics().get("held_events") == 0
                        && oci.bridge().metrics().get("held_markers") == 0);
                await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, state));
                assertThat(removedByResync(drift.readAll())).as("no namespace that exists is swept").isEmpty();
                assertThat(pipeline.fatal).isEmpty();
            } else {
                // Unordered, SYNC_END reaches the processor before the snapshots on p: they are swept though they exist.
                await().atMost(WAIT).untilAsserted(() -> assertThat(removedByResync(drift.readAll()))
                        .extracting(DriftEvent::getNamespace).containsAnyElementsOf(onLaggingPartition));
                assertThat(removedByResync(drift.readAll())).allSatisfy(
                        d -> assertThat(state.namespaces()).contains(d.getNamespace()));
                oci.stub.releasePartition(oci.stream, p);
            }
            return onLaggingPartition;
        }
    }

    @Test
    void shouldDeliverEverythingInOrderWhenHalfTheRequestsAreThrottledAndEntriesFail(EmbeddedKafkaBroker broker) {
        start(broker, "oci-throttle", true);
        oci.stub.throttleRequests(0.5);
        oci.stub.throttleHint(Duration.ofMillis(20));
        oci.stub.failEntries(5);
        Churn churn = new Churn(pipeline.cluster, 16, "ns").seed(60);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            startCollector();
            churn.run(300, 80);
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            assertThat(oci.stub.throttledEntries()).isPositive();
            var counters = Collectors.agent(collector).publisher().sinkCounters();
            assertThat(counters.get("oci_throttled_total")).isPositive();
            assertThat(counters.get("oci_retried_total")).isGreaterThanOrEqualTo(counters.get("oci_throttled_total"));
            assertThat(removedByResync(drift.readAll())).isEmpty();
            assertThat(DriftLog.duplicates(drift.readAll())).isEmpty();
            assertThat(Collectors.agent(collector).publisher().metrics().epochsOpened()).as("no record was lost").isEqualTo(1);
            assertThat(pipeline.fatal).isEmpty();
        }
    }

    @Test
    void shouldEqualTheAuditWithoutDuplicateDriftWhenTheBridgeIsKilledMidStream(EmbeddedKafkaBroker broker) {
        start(broker, "oci-kill", true);
        Churn churn = new Churn(pipeline.cluster, 17, "ns").seed(60);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            startCollector();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            churn.run(150, 80);
            oci.bridge().kill(); // no flush, no commit: what a SIGKILL leaves
            long readBefore = oci.bridge().metrics().get("messages_read_total");
            churn.run(150, 80);
            OciBridge second = oci.startBridge(true);
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            assertThat(readBefore).isPositive();
            assertThat(second.metrics().get("messages_read_total")).isPositive();
            List<DriftEvent> all = drift.readAll();
            assertThat(removedByResync(all)).isEmpty();
            assertThat(DriftLog.duplicates(all)).as("no committed drift twice").isEmpty();
            assertThat(DriftLog.chainProblems(all, table.tableAll())).isEmpty();
            assertThat(pipeline.fatal).isEmpty();
        }
    }

    @Test
    void shouldEqualTheAuditWithoutDuplicateDriftWhenTheBridgeProcessIsSigkilledMidStream(EmbeddedKafkaBroker broker)
            throws Exception {
        pipeline = Pipeline.start(broker, "oci-sigkill", CLUSTER);
        oci = new OciPath(pipeline);
        java.nio.file.Path log = Processors.tempDir("bridge-log").resolve("bridge.log");
        Process bridge = oci.startBridgeProcess(log);
        Process second = null;
        Churn churn = new Churn(pipeline.cluster, 18, "ns").seed(60);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            startCollector();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            // Mid-stream: the cluster changes while the bridge forwards; SIGKILL (no flush, no commit) once
            // some of the changes reached the table, while the rest are still being written.
            table.tableAll();
            int before = table.recordsRead();
            java.util.concurrent.CompletableFuture<Void> changes = java.util.concurrent.CompletableFuture
                    .runAsync(() -> churn.run(300, 80));
            await().atMost(WAIT).until(() -> {
                table.table();
                return table.recordsRead() > before;
            });
            bridge.destroyForcibly().waitFor();
            assertThat(bridge.exitValue()).isNotZero();
            assertThat(changes).as("the kill came mid-stream").isNotDone();
            changes.get(2, java.util.concurrent.TimeUnit.MINUTES);
            second = oci.startBridgeProcess(log);
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, pipeline.cluster.audit()));
            List<DriftEvent> all = drift.readAll();
            assertThat(removedByResync(all)).isEmpty();
            assertThat(DriftLog.duplicates(all)).as("no committed drift twice").isEmpty();
            assertThat(DriftLog.chainProblems(all, table.tableAll())).isEmpty();
            assertThat(oci.stub.committed(oci.stream, OciPath.GROUP, 0)).isNotNull();
            assertThat(pipeline.fatal).isEmpty();
        } finally {
            bridge.destroyForcibly();
            if (second != null) {
                second.destroy();
                second.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                second.destroyForcibly();
            }
        }
    }

    static String key(StreamingStub.StoredMessage m) {
        return new String(m.key(), StandardCharsets.UTF_8);
    }
}
