package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Scenario 3: the broker stops for 30 s while the cluster changes, with the collector and the
 * processor running; then it comes back (same ports, same data). Nothing may be lost: the table
 * must equal the rule's audit of the cluster, and both components keep running.
 */
class BrokerOutageIT {
    /** How long the broker stays down (the figure is 30 s). */
    private static final int OUTAGE_SECONDS = Integer.getInteger("fencewatch.outage.seconds", 30);
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String CLUSTER = "outage";

    @RegisterExtension
    static KafkaBrokerExtension kafka = KafkaBrokerExtension.perClass();

    private final List<String> streamStates = new CopyOnWriteArrayList<>();
    private Pipeline pipeline;
    private ScheduledExecutorService sampler;

    @AfterEach
    void tearDown() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void shouldLoseNothingWhenBrokerStopsFor30sWhileClusterChanges() {
        Figures figures = new Figures("scenario3-broker-outage");
        EmbeddedKafkaBroker broker = kafka.broker();
        pipeline = Pipeline.start(broker, "outage", CLUSTER);
        ProcessorApp processor = pipeline.processor;
        List<String> fatal = pipeline.fatal;
        // ProcessorApp owns the state listener: sample the state instead, keeping each change.
        sampler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "scenario3-state-sampler"));
        sampler.scheduleAtFixedRate(() -> {
            String now = processor.state().toString();
            if (streamStates.isEmpty() || !streamStates.get(streamStates.size() - 1).equals(now)) {
                streamStates.add(now);
            }
        }, 0, 100, TimeUnit.MILLISECONDS);

        MockCluster cluster = pipeline.cluster;
        Churn churn = new Churn(cluster, 3, "ns").seed(40);
        pipeline.startCollector();
        try (CoverageView before = pipeline.coverage()) {
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(before.tableAll(), CLUSTER, cluster.audit()));
        }
        long epochBefore = pipeline.openEpoch();

        broker.stop();
        long downSince = System.nanoTime();
        churn.resetCounts();
        // Changes spread over the outage: a burst at once, another half-way.
        churn.run(60, 80);
        await().atMost(Duration.ofSeconds(OUTAGE_SECONDS)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() - downSince >= Duration.ofSeconds(OUTAGE_SECONDS).toNanos() / 2);
        churn.run(60, 80);
        await().atMost(Duration.ofSeconds(OUTAGE_SECONDS + 5)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() - downSince >= Duration.ofSeconds(OUTAGE_SECONDS).toNanos());
        figures.put("outage_s", Figures.millisSince(downSince) / 1000.0).put("changes_during_outage", churn.summary());
        assertThat(fatal).as("the collector must ride out the outage").isEmpty();

        broker.start();
        long upSince = System.nanoTime();
        churn.run(20, 80);
        Oracle.ClusterState after = cluster.audit();
        try (CoverageView table = pipeline.coverage()) {
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, after));
            figures.put("broker_up_to_table_equal_ms", Figures.millisSince(upSince));
            assertThat(Oracle.nonCompliant(Oracle.actual(table.tableAll(), CLUSTER))).isEqualTo(Oracle.nonCompliant(after));
        }
        await().atMost(WAIT).until(() -> processor.state() == KafkaStreams.State.RUNNING
                && Collectors.ready(pipeline.collector()));
        long epochAfter = pipeline.openEpoch();
        figures.put("collector_resynced", epochAfter != epochBefore)
                .put("processor_states_seen", String.join(" -> ", streamStates))
                .put("namespaces_final", after.namespaces().size())
                .put("non_compliant_final", Oracle.nonCompliant(after).size());
        figures.write();
        assertThat(fatal).isEmpty();
    }
}
