package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Scenario 2: the collector is stopped while 500 changes (creates and deletes of namespaces and
 * policies) happen in the cluster, then started again. Its new epoch (SYNC_START, snapshot,
 * SYNC_END) must leave the table equal to the rule's audit of the cluster: objects created while
 * it was away appear, and objects deleted while it was away are swept by SYNC_END.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CollectorRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String CLUSTER = "restart";

    private Pipeline pipeline;

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void shouldEqualTheAuditAfterSyncEndWhenCollectorMissed500Changes(EmbeddedKafkaBroker broker) {
        Figures figures = new Figures("scenario2-collector-restart");
        pipeline = Pipeline.start(broker, "restart", CLUSTER);
        MockCluster cluster = pipeline.cluster;
        Churn churn = new Churn(cluster, 2, "ns").seed(100);
        try (CoverageView table = pipeline.coverage(); DriftLog drift = pipeline.drift()) {
            long start = System.nanoTime();
            pipeline.startCollector();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, cluster.audit()));
            figures.put("initial_namespaces", cluster.audit().namespaces().size())
                    .put("initial_sync_to_table_equal_ms", Figures.millisSince(start));
            long firstEpoch = pipeline.openEpoch();

            pipeline.stopCollector();
            churn.resetCounts();
            churn.run(500, 150);
            Oracle.ClusterState after = cluster.audit();
            figures.put("changes_while_away", churn.summary());
            assertThat(churn.changes).isEqualTo(500);
            assertThat(churn.namespacesDeleted).isPositive();
            assertThat(Oracle.actual(table.tableAll(), CLUSTER)).as("the table cannot know yet")
                    .isNotEqualTo(Oracle.expected(after));

            long restart = System.nanoTime();
            pipeline.startCollector();
            long secondEpoch = pipeline.openEpoch();
            assertThat(secondEpoch).isGreaterThan(firstEpoch);
            figures.put("restart_to_sync_end_acked_ms", Figures.millisSince(restart));
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, after));
            figures.put("restart_to_table_equal_ms", Figures.millisSince(restart));

            assertThat(Oracle.nonCompliant(Oracle.actual(table.tableAll(), CLUSTER))).isEqualTo(Oracle.nonCompliant(after));
            // Namespaces deleted while the collector was away left through the sweep of SYNC_END.
            List<DriftEvent> swept = drift.read().stream()
                    .filter(d -> d.getReason() == DriftReason.REMOVED_BY_RESYNC).toList();
            figures.put("namespaces_final", after.namespaces().size())
                    .put("non_compliant_final", Oracle.nonCompliant(after).size())
                    .put("removed_by_resync_drift", swept.size());
            assertThat(swept).isNotEmpty().allSatisfy(d -> assertThat(after.namespaces()).doesNotContain(d.getNamespace()));
            assertThat(pipeline.fatal).isEmpty();
        } finally {
            figures.write();
        }
    }
}
