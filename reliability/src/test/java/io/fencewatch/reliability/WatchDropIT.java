package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Scenario 5: the API server drops the collector's watches while the cluster changes, and answers
 * the reconnecting watches as a real API server does once its watch cache has moved on: 410 Gone
 * (an ERROR event with a Status of code 410). fabric8 then relists, and the collector must report
 * what changed meanwhile (deletes included) and open a new epoch: no change may be missed.
 */
@ExtendWith(KafkaBrokerExtension.class)
class WatchDropIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String CLUSTER = "relist";
    private static final int ROUNDS = 3;
    /**
     * Control: with {@code -Dfencewatch.expire.stale.watches=false} the mock server keeps its plain
     * behaviour (a reconnecting watch silently skips what happened meanwhile, which no real API
     * server does), and this test is expected to fail: it shows that it can.
     */
    private static final boolean EXPIRE_STALE_WATCHES = Boolean.parseBoolean(
            System.getProperty("fencewatch.expire.stale.watches", "true"));

    private Pipeline pipeline;

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void shouldMissNoChangeWhenWatchesAreDroppedAndAnswered410Gone(EmbeddedKafkaBroker broker) {
        Figures figures = new Figures("scenario5-watch-drop");
        pipeline = Pipeline.start(broker, "relist", CLUSTER);
        MockCluster cluster = pipeline.cluster;
        Churn churn = new Churn(cluster, 5, "ns").seed(40);
        pipeline.startCollector();
        try (CoverageView table = pipeline.coverage()) {
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, cluster.audit()));
            long firstEpoch = pipeline.openEpoch();
            MockCluster.WatchControl watches = cluster.watches;
            cluster.expireStaleWatches(EXPIRE_STALE_WATCHES);
            churn.resetCounts();

            long start = System.nanoTime();
            for (int round = 0; round < ROUNDS; round++) {
                churn.run(20, 60);
                int started = watches.watchesStarted.get();
                int dropped = cluster.dropWatches();
                assertThat(dropped).as("the collector's two watches were open").isGreaterThanOrEqualTo(2);
                // Changes while the watches are down or reconnecting behind the newest version.
                churn.run(40, 60);
                // The informers come back: relisted (after a 410) and watching again.
                await().atMost(WAIT).until(() -> watches.watchesStarted.get() >= started + 2);
            }
            Oracle.ClusterState after = cluster.audit();
            await().atMost(EXPIRE_STALE_WATCHES ? WAIT : Duration.ofSeconds(20))
                    .untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, after));
            figures.put("first_round_to_table_equal_ms", Figures.millisSince(start))
                    .put("changes", churn.summary())
                    .put("watches_dropped", watches.dropped.get())
                    .put("gone_410_sent", watches.goneSent.get())
                    .put("namespaces_final", after.namespaces().size())
                    .put("non_compliant_final", Oracle.nonCompliant(after).size());
            assertThat(watches.goneSent.get()).as("stale watches were refused with 410 Gone").isPositive();
            assertThat(pipeline.openEpoch())
                    .as("a relist opens a new epoch").isGreaterThan(firstEpoch);
            assertThat(Oracle.nonCompliant(Oracle.actual(table.tableAll(), CLUSTER))).isEqualTo(Oracle.nonCompliant(after));
            assertThat(pipeline.fatal).isEmpty();
        } finally {
            figures.write();
        }
    }
}
