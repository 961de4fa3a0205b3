package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.processor.CoverageTopology;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Status;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Scenario 6: two processor instances with {@code num.standby.replicas=1}, each with its own
 * query port and {@code application.server}; one (a child JVM) is killed with SIGKILL. Point
 * queries to the survivor for keys the dead instance owned keep answering: from the survivor's
 * standby copy ({@code X-Fencewatch-Replica: standby}) until the rebalance, then as their new
 * active owner; a 503 is allowed only while the group rebalances, a wrong answer never; and the
 * survivor's list is the whole table, equal to the rule's audit, and keeps following changes.
 */
@ExtendWith(KafkaBrokerExtension.class)
class StandbyFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String CLUSTER = "prod";
    /**
     * Control: {@code -Dfencewatch.standby.replicas=0} runs both instances without standbys; the
     * test is then expected to fail (no point read can be answered until the rebalance): it shows
     * that it can.
     */
    private static final String STANDBYS = System.getProperty("fencewatch.standby.replicas", "1");

    private ProcessorApp survivor;
    private Processors.Child victim;
    private Path survivorDir;
    private Path victimDir;

    @AfterEach
    void tearDown() {
        if (victim != null) {
            victim.close();
        }
        if (survivor != null) {
            survivor.close();
        }
        Processors.deleteQuietly(survivorDir);
        Processors.deleteQuietly(victimDir);
    }

    @Test
    void shouldKeepAnsweringFromStandbyAndStayWholeWhenOneOfTwoInstancesIsKilled(EmbeddedKafkaBroker broker) {
        Figures figures = new Figures("scenario6-instance-killed");
        String bootstrap = broker.bootstrapServers();
        String prefix = Processors.uniquePrefix("standby");
        String inventory = prefix + ".inventory";
        broker.createTopic(inventory, Processors.PARTITIONS);
        survivorDir = Processors.tempDir("survivor");
        victimDir = Processors.tempDir("victim");
        int survivorPort = Processors.freePort();
        int victimPort = Processors.freePort();
        Map<String, String> survivorFlags = Processors.flags(bootstrap, prefix, prefix + "-app", survivorDir, survivorPort);
        Map<String, String> victimFlags = Processors.flags(bootstrap, prefix, prefix + "-app", victimDir, victimPort);
        survivorFlags.put("kafka.num.standby.replicas", STANDBYS);
        victimFlags.put("kafka.num.standby.replicas", STANDBYS);

        InventoryScript script = new InventoryScript(CLUSTER, 6).begin(Processors.PARTITIONS).churn(400, 80);
        try (KafkaProducer<byte[], byte[]> producer = InventoryScript.producer(bootstrap)) {
            InventoryScript.send(producer, List.of(inventory), script.items, 0, script.items.size());
            Map<String, Status> expected = Oracle.expected(script.state());

            survivor = Processors.startInProcess(survivorFlags);
            victim = new Processors.Child("scenario6-victim", victimFlags).start();
            await().atMost(WAIT).until(() -> ready(survivorPort) && ready(victimPort));
            // Both instances host the store, each with standby partitions, and the list is whole.
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(survivor.state()).isEqualTo(KafkaStreams.State.RUNNING);
                List<StreamsMetadata> hosts = new ArrayList<>(
                        survivor.streams().streamsMetadataForStore(CoverageTopology.COVERAGE_STORE));
                assertThat(hosts).hasSize(2);
                if (!STANDBYS.equals("0")) {
                    assertThat(hosts).allSatisfy(m -> assertThat(m.standbyTopicPartitions()).isNotEmpty());
                }
                HttpResponse<String> list = Processors.get(survivorPort, "/api/v1/clusters/" + CLUSTER + "/namespaces");
                assertThat(list).isNotNull();
                assertThat(list.statusCode()).isEqualTo(200);
                assertThat(Json.statuses(list.body())).isEqualTo(expected);
            });
            List<String> victimOwned = expected.keySet().stream().filter(ns -> {
                KeyQueryMetadata md = survivor.streams().queryMetadataForKey(CoverageTopology.COVERAGE_STORE,
                        Keys.of(CLUSTER, ns), new StringSerializer());
                return md.activeHost().port() == victimPort;
            }).limit(12).toList();
            assertThat(victimOwned).as("namespaces whose active owner is the instance to be killed").isNotEmpty();
            HttpResponse<String> forwarded = point(survivorPort, victimOwned.get(0));
            assertThat(forwarded.headers().firstValue("X-Fencewatch-Served-By")).contains("127.0.0.1:" + victimPort);

            victim.kill();
            long killedAt = System.nanoTime();
            Tally tally = new Tally(expected);
            // Ask the survivor over and over until the rebalance is over and everything is answered actively.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
                boolean allActive = true;
                for (String ns : victimOwned) {
                    allActive &= tally.point(ns, point(survivorPort, ns), killedAt);
                }
                return tally.list(Processors.get(survivorPort, "/api/v1/clusters/" + CLUSTER + "/namespaces"), killedAt)
                        && allActive;
            });
            figures.put("kill_to_rebalanced_ms", Figures.millisSince(killedAt))
                    .put("victim_owned_keys_probed", victimOwned.size())
                    .put("point_answers", tally.points)
                    .put("kill_to_first_standby_answer_ms", tally.firstStandbyMs)
                    .put("last_point_503_after_kill_ms", tally.lastPoint503Ms)
                    .put("list_answers", tally.lists)
                    .put("kill_to_first_whole_list_ms", tally.firstWholeListMs);
            assertThat(tally.problems).as("wrong or failed answers").isEmpty();
            assertThat(tally.points.getOrDefault("200 standby", 0)).as("point reads served by the standby").isPositive();

            // The survivor now owns every partition: the table stays whole and follows new changes.
            int from = script.items.size();
            script.churn(100, 80);
            InventoryScript.send(producer, List.of(inventory), script.items, from, script.items.size());
            Map<String, Status> later = Oracle.expected(script.state());
            await().atMost(WAIT).untilAsserted(() -> {
                HttpResponse<String> list = Processors.get(survivorPort, "/api/v1/clusters/" + CLUSTER + "/namespaces");
                assertThat(list).isNotNull();
                assertThat(list.statusCode()).isEqualTo(200);
                assertThat(Json.statuses(list.body())).isEqualTo(later);
            });
            assertThat(Oracle.nonCompliant(later)).isEqualTo(Oracle.nonCompliant(script.state()));
            figures.put("namespaces_final", later.size()).put("non_compliant_final", Oracle.nonCompliant(later).size());
        } finally {
            figures.write();
        }
    }

    private static HttpResponse<String> point(int port, String ns) {
        return Processors.get(port, "/api/v1/clusters/" + CLUSTER + "/namespaces/" + ns);
    }

    private static boolean ready(int port) {
        HttpResponse<String> r = Processors.get(port, "/readyz");
        return r != null && r.statusCode() == 200;
    }

    /** What the survivor answered after the kill. */
    private static final class Tally {
        final Map<String, Status> expected;
        final Map<String, Integer> points = new TreeMap<>();
        final Map<String, Integer> lists = new TreeMap<>();
        final List<String> problems = new CopyOnWriteArrayList<>();
        long firstStandbyMs = -1;
        long lastPoint503Ms = -1;
        long firstWholeListMs = -1;

        Tally(Map<String, Status> expected) {
            this.expected = expected;
        }

        /** True if answered 200 by the active owner. */
        boolean point(String ns, HttpResponse<String> r, long since) {
            if (r == null) {
                problems.add("no answer for " + ns);
                return false;
            }
            String replica = r.headers().firstValue("X-Fencewatch-Replica").orElse("-");
            points.merge(r.statusCode() + (r.statusCode() == 200 ? " " + replica : ""), 1, Integer::sum);
            if (r.statusCode() == 503) {
                if (r.headers().firstValue("Retry-After").isEmpty()) {
                    problems.add("503 without Retry-After for " + ns);
                }
                lastPoint503Ms = Figures.millisSince(since);
                return false;
            }
            if (r.statusCode() != 200) {
                problems.add(ns + ": " + r.statusCode() + " " + r.body());
                return false;
            }
            Status status = Status.valueOf(Json.parse(r.body()).get("status").asText());
            if (status != expected.get(ns)) {
                problems.add(ns + ": answered " + status + ", the audit says " + expected.get(ns));
            }
            if (replica.equals("standby") && firstStandbyMs < 0) {
                firstStandbyMs = Figures.millisSince(since);
            }
            return replica.equals("active");
        }

        /** True if the list was answered whole; a 200 list must always be whole. */
        boolean list(HttpResponse<String> r, long since) {
            if (r == null) {
                problems.add("no answer for the list");
                return false;
            }
            lists.merge(Integer.toString(r.statusCode()), 1, Integer::sum);
            if (r.statusCode() == 503) {
                return false;
            }
            if (r.statusCode() != 200) {
                problems.add("list: " + r.statusCode() + " " + r.body());
                return false;
            }
            if (!Json.statuses(r.body()).equals(expected)) {
                problems.add("a 200 list that is not the whole table: " + Json.statuses(r.body()).size() + " of "
                        + expected.size());
                return false;
            }
            if (firstWholeListMs < 0) {
                firstWholeListMs = Figures.millisSince(since);
            }
            return true;
        }
    }
}
