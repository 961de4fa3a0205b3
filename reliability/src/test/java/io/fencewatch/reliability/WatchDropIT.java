package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.collector.Collector;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.testing.EmbeddedKafkaBroker;
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

    private final List<String> fatal = new CopyOnWriteArrayList<>();
    private MockCluster cluster;
    private Collector collector;
    private ProcessorApp processor;
    private Path stateDir;

    @AfterEach
    void tearDown() {
        if (collector != null) {
            collector.close();
        }
        if (processor != null) {
            processor.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        Processors.deleteQuietly(stateDir);
    }

    @Test
    void shouldMissNoChangeWhenWatchesAreDroppedAndAnswered410Gone(EmbeddedKafkaBroker broker) {
        Figures figures = new Figures("scenario5-watch-drop");
        String bootstrap = broker.bootstrapServers();
        String prefix = Processors.uniquePrefix("relist");
        broker.createTopic(prefix + ".inventory", Processors.PARTITIONS);
        stateDir = Processors.tempDir("relist");
        processor = Processors.startInProcess(Processors.flags(bootstrap, prefix, prefix + "-app", stateDir, -1));
        await().atMost(WAIT).until(() -> processor.state() == KafkaStreams.State.RUNNING);

        cluster = new MockCluster();
        Churn churn = new Churn(cluster, 5, "ns").seed(40);
        collector = Collectors.start(bootstrap, prefix, CLUSTER, cluster, fatal);
        await().atMost(WAIT).until(() -> Collectors.ready(collector));
        try (CoverageView table = new CoverageView(bootstrap, prefix + ".coverage")) {
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, cluster.audit()));
            long firstEpoch = Collectors.agent(collector).publisher().openEpoch();
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
            assertThat(Collectors.agent(collector).publisher().openEpoch())
                    .as("a relist opens a new epoch").isGreaterThan(firstEpoch);
            assertThat(Oracle.nonCompliant(Oracle.actual(table.tableAll(), CLUSTER))).isEqualTo(Oracle.nonCompliant(after));
            assertThat(fatal).isEmpty();
        } finally {
            figures.write();
        }
    }
}
