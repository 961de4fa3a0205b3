package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Issue 14's kill scenario, id for id: one collector stream, fixed in advance (creates, deletes, a
 * collector restart that missed some deletes, more changes), is appended at a steady pace to two
 * OCI streams of the stand-in. Run A: an uninterrupted bridge forwards it to a processor. Run B:
 * {@code fencewatch oci-bridge} in a child JVM is SIGKILLed mid-stream (no flush, no commit) and
 * restarted. Run B's committed drift must be run A's, id for id, none twice, and both tables the
 * rule's audit; duplicates in B's inventory are allowed (the processor drops them by sequence).
 *
 * <p>The stream's new epoch is where the bridge must be careful: its {@code SYNC_START} is often read
 * before the older epoch's last events on other OCI partitions. A bridge that switched epochs at once
 * dropped those as stale, and run B's drift differed (seen before the fix in {@code SequenceGate}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class BridgeKillIT {
    private static final String CLUSTER = "oke-k";
    private static final int BATCH = 20;
    private static final Duration WAIT = Duration.ofSeconds(120);

    private Pipeline pipelineA;
    private Pipeline pipelineB;
    private OciPath ociA;
    private OciPath ociB;
    private Process bridgeB;
    private ScheduledExecutorService feeder;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (feeder != null) {
            feeder.shutdownNow();
        }
        if (bridgeB != null) {
            bridgeB.destroy();
            if (!bridgeB.waitFor(10, TimeUnit.SECONDS)) {
                bridgeB.destroyForcibly();
            }
        }
        for (AutoCloseable c : new AutoCloseable[] {ociA, ociB, pipelineA, pipelineB}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // best effort
                }
            }
        }
    }

    @Test
    void shouldCommitTheUninterruptedRunsDriftIdForIdWhenTheBridgeProcessIsSigkilledMidStream(EmbeddedKafkaBroker broker)
            throws Exception {
        Figures figures = new Figures("scenario-oci-bridge-kill");
        InventoryScript script = new InventoryScript(CLUSTER, 14).begin(1).churn(500, 250).resync(1, 12, 15)
                .churn(500, 250);
        List<InventoryScript.Item> items = script.items;
        Oracle.ClusterState finalState = script.state();
        figures.put("inventory_events", items.size());

        pipelineA = Pipeline.start(broker, "oci-kill-a", CLUSTER);
        pipelineB = Pipeline.start(broker, "oci-kill-b", CLUSTER);
        ociA = new OciPath(pipelineA);
        ociB = new OciPath(pipelineB);
        ociA.startBridge(true);
        Path log = Processors.tempDir("bridge-kill-log").resolve("bridge.log");
        int port = Processors.freePort();
        bridgeB = ociB.startBridgeProcess(log, port);
        // Both bridges read the (empty) stream before the feed starts, so that the kill lands mid-stream.
        await().atMost(WAIT).until(() -> ready(port) && ociA.bridge().caughtUp());

        AtomicInteger sent = new AtomicInteger();
        try (CoverageView tableA = pipelineA.coverage(); CoverageView tableB = pipelineB.coverage();
                DriftLog driftA = pipelineA.drift(); DriftLog driftB = pipelineB.drift()) {
            // About 500 events/s to both streams, so that the kill lands mid-stream.
            feeder = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "oci-kill-feeder"));
            feeder.scheduleAtFixedRate(() -> {
                int from = sent.get();
                if (from < items.size()) {
                    int to = Math.min(items.size(), from + BATCH);
                    ociA.put(items, from, to);
                    ociB.put(items, from, to);
                    sent.set(to);
                }
            }, 0, 40, TimeUnit.MILLISECONDS);

            await().atMost(WAIT).until(() -> driftB.read().size() >= 150);
            int sentAtKill = sent.get();
            bridgeB.destroyForcibly().waitFor();
            long killedAt = System.nanoTime();
            figures.put("events_sent_at_kill", sentAtKill).put("drift_committed_at_kill", driftB.readAll().size());
            assertThat(bridgeB.exitValue()).as("SIGKILL").isNotZero();
            assertThat(sentAtKill).as("the kill must land mid-stream").isLessThan(items.size());

            bridgeB = ociB.startBridgeProcess(log, port);
            await().atMost(WAIT).until(() -> sent.get() == items.size());
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(tableA.tableAll(), CLUSTER, finalState));
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(tableB.tableAll(), CLUSTER, finalState));
            figures.put("kill_to_table_equal_ms", Figures.millisSince(killedAt));
            Set<String> idsA = ids(driftA.readAll());
            await().atMost(WAIT).until(() -> ids(driftB.readAll()).containsAll(idsA));
            figures.put("kill_to_all_drift_committed_ms", Figures.millisSince(killedAt));

            List<DriftEvent> a = driftA.readAll();
            List<DriftEvent> b = driftB.readAll();
            figures.put("drift_records", b.size()).put("reference_drift_records", a.size());
            assertThat(DriftLog.duplicates(b)).as("drift ids committed more than once").isEmpty();
            assertThat(ids(b)).as("drift of the killed run vs. an uninterrupted run").isEqualTo(ids(a));
            assertThat(b).hasSameSizeAs(a);
            assertThat(DriftLog.chainProblems(b, tableB.tableAll())).isEmpty();
            // The resync's sweep removed exactly what vanished while the collector was away, in both runs.
            Set<String> swept = a.stream().filter(d -> d.getReason() == DriftReason.REMOVED_BY_RESYNC)
                    .map(DriftEvent::getNamespace).collect(Collectors.toSet());
            assertThat(swept).isNotEmpty().doesNotContainAnyElementsOf(finalState.namespaces());
            long sweptBySyncEnd = b.stream().filter(d -> d.getCause() != null && d.getCause().getOp() == Op.SYNC_END).count();
            figures.put("drift_caused_by_sync_end_sweep", sweptBySyncEnd);
            assertThat(ociB.stub.committed(ociB.stream, OciPath.GROUP, 0)).as("the restarted bridge commits").isNotNull();
            assertThat(pipelineA.fatal).isEmpty();
            assertThat(pipelineB.fatal).isEmpty();
        } finally {
            feeder.shutdownNow();
            figures.write();
        }
    }

    private static boolean ready(int port) {
        java.net.http.HttpResponse<String> r = Processors.get(port, "/readyz");
        return r != null && r.statusCode() == 200;
    }

    private static Set<String> ids(List<DriftEvent> drift) {
        return drift.stream().map(DriftEvent::getId).collect(Collectors.toSet());
    }
}
