package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Scenario 1: the processor (a child JVM) is killed with SIGKILL while inventory events stream in,
 * and restarted on the same state directory. A reference processor in this JVM reads the very same
 * stream (copied to its own topics) without interruption. Under exactly-once the killed run's
 * committed drift must be the reference's, id for id, each exactly once; and both tables must be
 * the rule's audit of the final cluster.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ProcessorKillIT {
    private static final int EVENTS = 4000;
    private static final int BATCH = 20;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /**
     * Control: {@code -Dfencewatch.kill.guarantee=at_least_once} runs the killed processor without
     * exactly-once; the test is then expected to find drift committed twice: it shows that it can.
     */
    private static final String GUARANTEE = System.getProperty("fencewatch.kill.guarantee", "exactly_once_v2");

    private Processors.Child child;
    private ProcessorApp reference;
    private ScheduledExecutorService feeder;
    private Path stateDir;
    private Path referenceDir;

    @AfterEach
    void tearDown() {
        if (feeder != null) {
            feeder.shutdownNow();
        }
        if (child != null) {
            child.close();
        }
        if (reference != null) {
            reference.close();
        }
        Processors.deleteQuietly(stateDir);
        Processors.deleteQuietly(referenceDir);
    }

    @Test
    void shouldNeitherLoseNorDuplicateDriftWhenProcessorIsKilledMidStream(EmbeddedKafkaBroker broker) {
        Figures figures = new Figures("scenario1-processor-kill");
        String bootstrap = broker.bootstrapServers();
        String prefix = Processors.uniquePrefix("kill");
        String refPrefix = prefix + "-ref";
        broker.createTopic(prefix + ".inventory", Processors.PARTITIONS);
        broker.createTopic(refPrefix + ".inventory", Processors.PARTITIONS);
        // Creates and deletes, then a collector restart that missed some deletes (SYNC_END sweeps), then more.
        InventoryScript script = new InventoryScript("prod", 1).begin(Processors.PARTITIONS).churn(EVENTS / 2, 300)
                .resync(Processors.PARTITIONS, 15, 20).churn(EVENTS / 2, 300);
        List<InventoryScript.Item> items = script.items;
        Oracle.ClusterState finalState = script.state();
        figures.put("inventory_events", items.size());

        stateDir = Processors.tempDir("kill");
        referenceDir = Processors.tempDir("kill-ref");
        int port = Processors.freePort();
        Map<String, String> childFlags = Processors.flags(bootstrap, prefix, prefix + "-app", stateDir, port);
        childFlags.put("processing-guarantee", GUARANTEE);
        child = new Processors.Child("scenario1-processor", childFlags).start();
        reference = Processors.startInProcess(Processors.flags(bootstrap, refPrefix, refPrefix + "-app", referenceDir, -1));
        await().atMost(WAIT).until(() -> ready(port) && reference.state() == KafkaStreams.State.RUNNING);

        AtomicInteger sent = new AtomicInteger();
        try (KafkaProducer<byte[], byte[]> producer = InventoryScript.producer(bootstrap);
                DriftLog drift = new DriftLog(bootstrap, prefix + ".drift");
                DriftLog referenceDrift = new DriftLog(bootstrap, refPrefix + ".drift");
                CoverageView table = new CoverageView(bootstrap, prefix + ".coverage");
                CoverageView referenceTable = new CoverageView(bootstrap, refPrefix + ".coverage")) {
            // A steady stream (about 1,000 events/s) to both inventories, so the kill lands mid-stream.
            List<String> topics = List.of(prefix + ".inventory", refPrefix + ".inventory");
            feeder = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "scenario1-feeder"));
            feeder.scheduleAtFixedRate(() -> {
                int from = sent.get();
                if (from < items.size()) {
                    int to = Math.min(items.size(), from + BATCH);
                    InventoryScript.send(producer, topics, items, from, to);
                    sent.set(to);
                }
            }, 0, 20, TimeUnit.MILLISECONDS);

            // Kill once some drift is committed, well before the stream ends.
            await().atMost(WAIT).until(() -> drift.read().size() >= 300);
            int sentAtKill = sent.get();
            child.kill();
            long killedAt = System.nanoTime();
            int committedAtKill = drift.readAll().size();
            figures.put("events_sent_at_kill", sentAtKill).put("drift_committed_at_kill", committedAtKill);
            assertThat(sentAtKill).as("the kill must land mid-stream").isLessThan(items.size());

            child = new Processors.Child("scenario1-processor-restarted", childFlags).start();
            await().atMost(WAIT).until(() -> ready(port));
            figures.put("restart_to_ready_ms", Figures.millisSince(killedAt));
            await().atMost(WAIT).until(() -> sent.get() == items.size());

            // Both runs have read everything: the reference's table is the audit, and its drift is complete.
            Map<String, ?> expected = Oracle.expected(finalState);
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(referenceTable.tableAll(), "prod", finalState));
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), "prod", finalState));
            figures.put("kill_to_table_equal_ms", Figures.millisSince(killedAt));
            Set<String> referenceIds = ids(referenceDrift.readAll());
            await().atMost(WAIT).until(() -> ids(drift.readAll()).containsAll(referenceIds));
            figures.put("kill_to_all_drift_committed_ms", Figures.millisSince(killedAt));

            List<DriftEvent> got = drift.readAll();
            List<DriftEvent> want = referenceDrift.readAll();
            figures.put("drift_records", got.size()).put("reference_drift_records", want.size());
            assertThat(DriftLog.duplicates(got)).as("drift ids committed more than once").isEmpty();
            assertThat(ids(got)).as("drift of the killed run vs. an uninterrupted run").isEqualTo(ids(want));
            assertThat(got).hasSameSizeAs(want);
            assertThat(DriftLog.chainProblems(got, table.tableAll())).isEmpty();
            long swept = got.stream().filter(d -> d.getCause() != null && d.getCause().getOp() == Op.SYNC_END).count();
            figures.put("drift_caused_by_sync_end_sweep", swept);
            assertThat(swept).as("the resync's sweep removed what vanished").isPositive();
            assertThat(Oracle.nonCompliant(Oracle.actual(table.tableAll(), "prod")))
                    .isEqualTo(Oracle.nonCompliant(finalState)).isNotEmpty();
            figures.put("namespaces_final", finalState.namespaces().size())
                    .put("non_compliant_final", Oracle.nonCompliant(finalState).size());

            // The REST surface of the restarted instance agrees with the compacted topic.
            HttpResponse<String> list = Processors.get(port, "/api/v1/clusters/prod/namespaces");
            assertThat(list).isNotNull();
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(Json.statuses(list.body())).isEqualTo(expected);
        } finally {
            feeder.shutdownNow();
            figures.write();
        }
    }

    private static boolean ready(int port) {
        HttpResponse<String> r = Processors.get(port, "/readyz");
        return r != null && r.statusCode() == 200;
    }

    private static Set<String> ids(List<DriftEvent> drift) {
        return drift.stream().map(DriftEvent::getId).collect(Collectors.toSet());
    }
}
