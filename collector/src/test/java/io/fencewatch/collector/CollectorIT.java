package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/** The whole collector: several clusters in one process, HTTP endpoints, fatal conditions. */
@ExtendWith(KafkaBrokerExtension.class)
class CollectorIT {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldRunOneAgentPerContextAndServeHealthReadinessAndMetricsWhenStarted(EmbeddedKafkaBroker broker)
            throws Exception {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 2);
        try (MockCluster east = new MockCluster(); MockCluster west = new MockCluster()) {
            east.createNamespace("shop");
            west.createNamespace("billing");
            west.createDefaultDeny("billing", "deny");
            CollectorConfig config = CollectorConfig.fromMap(Map.of("contexts", "east=ctx-east,west=ctx-west",
                    "bootstrap-servers", broker.bootstrapServers(), "topic-prefix", prefix, "http-port", "0",
                    "http-bind", "127.0.0.1", "list-page-size", "0"));
            List<String> fatal = new CopyOnWriteArrayList<>();
            Collector collector = new Collector(config,
                    target -> (target.context().equals("ctx-east") ? east : west).newClient(),
                    (c, r) -> fatal.add(r));
            try {
                collector.start();
                int port = collector.httpPort();
                assertThat(get(port, "/healthz").statusCode()).isIn(200, 503);
                await().atMost(Duration.ofSeconds(30)).until(() -> get(port, "/readyz").statusCode() == 200);
                assertThat(get(port, "/readyz").body()).isEqualTo("east: ok\nwest: ok\n");
                assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
                String metrics = get(port, "/metrics").body();
                assertThat(metrics)
                        .contains("fencewatch_collector_events_published_total{cluster=\"east\",kind=\"NAMESPACE\",op=\"SNAPSHOT\"} 1")
                        .contains("fencewatch_collector_events_published_total{cluster=\"west\",kind=\"NETWORK_POLICY\",op=\"SNAPSHOT\"} 1")
                        .contains("fencewatch_collector_events_published_total{cluster=\"west\",kind=\"MARKER\",op=\"SYNC_END\"} 2")
                        .contains("fencewatch_collector_queue_depth{cluster=\"east\"} 0")
                        .contains("fencewatch_collector_publish_errors_total{cluster=\"west\"} 0")
                        .contains("fencewatch_collector_informer_state{cluster=\"east\",resource=\"namespaces\",state=\"watching\"} 1")
                        .containsPattern("fencewatch_collector_last_event_age_seconds\\{cluster=\"west\"} \\d+\\.\\d{3}")
                        .contains("# TYPE fencewatch_collector_events_published_total counter");

                try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                    List<InventoryEvent> events = TestAgents.readUntil(reader,
                            es -> es.stream().filter(e -> e.getOp() == Op.SYNC_END).count() == 4);
                    assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT)
                            .extracting(e -> e.getSource().getCluster() + ":" + e.getName())
                            .containsExactlyInAnyOrder("east:shop", "west:billing", "west:deny");
                }
            } finally {
                collector.close();
                collector.close(); // safe twice
            }
            assertThat(fatal).isEmpty();
        }
    }

    @Test
    void shouldRaiseFatalInsteadOfDroppingWhenQueueIsFull() {
        try (MockCluster cluster = new MockCluster()) {
            CollectorConfig config = TestAgents.config("127.0.0.1:1", "full", "fw", Map.of("queue-capacity", "16"));
            // A producer whose sends are never acknowledged: the publisher waits on SYNC_START forever.
            Node node = new Node(0, "localhost", 1);
            Cluster kafka = new Cluster("k", List.of(node), List.of(new PartitionInfo("fw.inventory", 0, node,
                    new Node[] {node}, new Node[] {node})), Set.of(), Set.of());
            MockProducer<String, InventoryEvent> stuck = new MockProducer<>(kafka, false, null, new StringSerializer(),
                    FencewatchSerdes.inventoryEvent());
            List<String> fatal = new CopyOnWriteArrayList<>();
            ClusterAgent agent = new ClusterAgent(AgentSettings.from(config, config.targets().get(0)), cluster.newClient(),
                    stuck, (c, reason) -> fatal.add(reason), Clock.systemUTC());
            try {
                agent.start();
                await().atMost(Duration.ofSeconds(30)).until(agent::informersSynced);
                for (int i = 0; i < 40 && fatal.isEmpty(); i++) {
                    cluster.createNamespace("ns-" + i); // live events, while the publisher is stuck
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> !fatal.isEmpty());
                assertThat(fatal).singleElement().asString().contains("event queue is full (capacity 16)");
                assertThat(agent.healthProblem()).isEqualTo("failed");
            } finally {
                agent.close(Duration.ofSeconds(1));
            }
        }
    }
}
