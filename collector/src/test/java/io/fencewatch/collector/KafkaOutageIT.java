package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/** The broker goes away and comes back; the collector loses nothing. */
class KafkaOutageIT {
    /** How long the broker stays down mid-run (the figure is 30 s; -Dfencewatch.outage.seconds=30). */
    private static final int OUTAGE_SECONDS = Integer.getInteger("fencewatch.outage.seconds", 30);

    @RegisterExtension
    static KafkaBrokerExtension kafka = KafkaBrokerExtension.perClass();

    private final TestAgents agents = new TestAgents();
    private final MockCluster cluster = new MockCluster();

    @AfterEach
    void tearDown() {
        agents.closeAll();
        cluster.close();
    }

    @Test
    void shouldDeliverEveryEventOnceWhenBrokerStopsAndRestartsMidRun() {
        EmbeddedKafkaBroker broker = kafka.broker();
        String prefix = TestAgents.uniquePrefix();
        String topic = prefix + ".inventory";
        broker.createTopic(topic, 2);
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), "outage", prefix,
                Map.of("heartbeat-interval", "1s"));
        ClusterAgent agent = agents.agent(config, cluster.newClient());
        agent.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.readinessProblem() == null);
        long epoch = agent.publisher().openEpoch();
        cluster.createNamespace("before");

        broker.stop();
        long downSince = System.nanoTime();
        List<String> during = IntStream.range(0, 40).mapToObj(i -> "during-" + i).toList();
        for (String ns : during) {
            cluster.createNamespace(ns);
            cluster.createDefaultDeny(ns, "deny");
        }
        cluster.deletePolicy("during-0", "deny");
        await().atMost(Duration.ofSeconds(OUTAGE_SECONDS + 5)).pollDelay(Duration.ofSeconds(OUTAGE_SECONDS))
                .until(() -> System.nanoTime() - downSince >= Duration.ofSeconds(OUTAGE_SECONDS).toNanos());
        assertThat(agents.fatalReasons).isEmpty();
        broker.start();
        cluster.createNamespace("after");

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<InventoryEvent> events = TestAgents.readUntil(reader,
                    es -> es.stream().anyMatch(e -> "after".equals(e.getName())));
            // Same epoch throughout: no resync was needed, every live event arrived, in order, once.
            List<InventoryEvent> live = events.stream().filter(e -> e.getOp() == Op.UPSERT || e.getOp() == Op.DELETE)
                    .toList();
            assertThat(live).extracting(e -> e.getSource().getEpoch()).containsOnly(epoch);
            Set<String> upsertedNamespaces = live.stream()
                    .filter(e -> e.getOp() == Op.UPSERT && e.getKind() == Kind.NAMESPACE).map(InventoryEvent::getName)
                    .collect(Collectors.toSet());
            assertThat(upsertedNamespaces).containsAll(during).contains("before", "after");
            assertThat(live.stream().filter(e -> e.getKind() == Kind.NETWORK_POLICY && e.getOp() == Op.UPSERT))
                    .hasSize(during.size());
            assertThat(live).filteredOn(e -> e.getOp() == Op.DELETE).extracting(InventoryEvent::getNamespace)
                    .containsExactly("during-0");
            List<Long> sequences = live.stream().map(e -> e.getSource().getSequence()).toList();
            assertThat(sequences).doesNotHaveDuplicates();
            List<InventoryEvent> during0 = live.stream().filter(e -> "during-0".equals(e.getNamespace())).toList();
            assertThat(during0).extracting(e -> e.getOp() + " " + e.getKind())
                    .containsExactly("UPSERT NAMESPACE", "UPSERT NETWORK_POLICY", "DELETE NETWORK_POLICY");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.readinessProblem() == null);
        assertThat(agent.publisher().openEpoch()).isEqualTo(epoch);
    }

    @Test
    void shouldRetryAndStayNotReadyWhenKafkaIsUnreachableAtStart() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        String prefix = TestAgents.uniquePrefix();
        CollectorConfig config = TestAgents.config("127.0.0.1:" + port, "late-kafka", prefix,
                Map.of("heartbeat-interval", "1h"));
        cluster.createNamespace("waiting");
        ClusterAgent agent = agents.agent(config, cluster.newClient());
        agent.start();

        await().atMost(Duration.ofSeconds(20)).until(agent::informersSynced);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> "Kafka not reachable".equals(agent.readinessProblem()));
        assertThat(agent.healthProblem()).isNull();

        try (EmbeddedKafkaBroker late = EmbeddedKafkaBroker.builder().brokerPort(port).build().start()) {
            // One partition: the producer's metadata request may auto-create the topic before we do.
            late.createTopic(prefix + ".inventory", 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> agent.readinessProblem() == null);
            try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(late, prefix + ".inventory")) {
                List<InventoryEvent> events = TestAgents.readUntil(reader,
                        es -> es.stream().filter(e -> e.getOp() == Op.SYNC_END).count() == 1);
                assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT).extracting(InventoryEvent::getName)
                        .containsExactly("waiting");
            }
            agent.close(Duration.ofSeconds(5));
        }
    }
}
