package io.fencewatch.collector;

import static io.fencewatch.collector.TestAgents.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/** Two replicas of one cluster's agent elect a leader on a Lease: only the leader publishes. */
@ExtendWith(KafkaBrokerExtension.class)
class LeaderElectionIT {
    private static final String CLUSTER = "ha";
    private final TestAgents agents = new TestAgents();
    private final MockCluster cluster = new MockCluster();

    @AfterEach
    void tearDown() {
        agents.closeAll();
        cluster.close();
    }

    private ClusterAgent replica(EmbeddedKafkaBroker broker, String prefix, String id) {
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), CLUSTER, prefix, Map.of(
                "leader-election", "true", "lease-namespace", "fencewatch", "collector-id", id,
                "lease-duration", "3s", "lease-renew-deadline", "2s", "lease-retry-period", "200ms",
                "heartbeat-interval", "500ms"));
        ClusterAgent a = agents.agent(config, cluster.newClient());
        a.start();
        return a;
    }

    @Test
    void shouldPublishOnlyFromLeaderAndOpenNewEpochOnFailoverWhenTwoReplicasRun(EmbeddedKafkaBroker broker) {
        String prefix = TestAgents.uniquePrefix();
        String topic = prefix + ".inventory";
        broker.createTopic(topic, 2);
        cluster.createNamespace("team-a");

        ClusterAgent a = replica(broker, prefix, "replica-a");
        ClusterAgent b = replica(broker, prefix, "replica-b");
        await().atMost(Duration.ofSeconds(30)).until(() -> (a.isLeader() ^ b.isLeader())
                && a.readinessProblem() == null && b.readinessProblem() == null);
        ClusterAgent leader = a.isLeader() ? a : b;
        ClusterAgent standby = leader == a ? b : a;
        String leaderId = leader == a ? "replica-a" : "replica-b";
        String standbyId = leader == a ? "replica-b" : "replica-a";
        long firstEpoch = leader.publisher().openEpoch();
        assertThat(standby.publisher().openEpoch()).isEqualTo(-1);

        cluster.createNamespace("team-b");
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            // Live events and a few heartbeats come from the leader only.
            List<InventoryEvent> events = TestAgents.readUntil(reader, es -> es.stream()
                    .anyMatch(e -> "team-b".equals(e.getName())) && count(es, Op.HEARTBEAT, firstEpoch) >= 4);
            assertThat(events).extracting(e -> e.getSource().getCollector()).containsOnly(leaderId);
            assertThat(events).filteredOn(e -> "team-b".equals(e.getName()))
                    .extracting(InventoryEvent::getOp).containsExactly(Op.UPSERT);

            // Failover: the leader goes away (and gives up its Lease); the standby opens a new epoch.
            leader.close(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(30)).until(() -> standby.isLeader()
                    && standby.publisher().syncedEpoch() > firstEpoch);
            long secondEpoch = standby.publisher().openEpoch();
            cluster.createNamespace("team-c");
            List<InventoryEvent> after = TestAgents.readUntil(reader, es -> count(es, Op.SYNC_END, secondEpoch) == 2
                    && es.stream().anyMatch(e -> "team-c".equals(e.getName())));
            List<InventoryEvent> ofSecond = after.stream().filter(e -> e.getSource().getEpoch() == secondEpoch).toList();
            assertThat(ofSecond).extracting(e -> e.getSource().getCollector()).containsOnly(standbyId);
            assertThat(ofSecond).filteredOn(e -> e.getOp() == Op.SNAPSHOT).extracting(InventoryEvent::getName)
                    .containsExactlyInAnyOrder("team-a", "team-b");
            assertThat(ofSecond).filteredOn(e -> "team-c".equals(e.getName())).extracting(InventoryEvent::getOp)
                    .containsExactly(Op.UPSERT);
            assertThat(ofSecond.get(0).getOp()).isEqualTo(Op.SYNC_START);
            assertThat(after).filteredOn(e -> e.getSource().getEpoch() == firstEpoch)
                    .extracting(e -> e.getSource().getCollector()).containsOnly(leaderId);
        }
    }
}
