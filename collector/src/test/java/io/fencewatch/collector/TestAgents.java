package io.fencewatch.collector;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.publish.ProducerSettings;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;

/** Builds agents against the in-process broker and reads what they published. */
final class TestAgents {
    final List<String> fatalReasons = new CopyOnWriteArrayList<>();
    private final List<ClusterAgent> built = new CopyOnWriteArrayList<>();

    static String uniquePrefix() {
        return "t" + UUID.randomUUID().toString().substring(0, 8);
    }

    static CollectorConfig config(String bootstrap, String cluster, String prefix, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put("cluster-id", cluster);
        m.put("bootstrap-servers", bootstrap);
        m.put("topic-prefix", prefix);
        m.put("http-port", "-1");
        m.put("list-page-size", "0");
        m.putAll(extra);
        return CollectorConfig.fromMap(m);
    }

    /** A new agent (not started); {@link #closeAll()} closes it. */
    ClusterAgent agent(CollectorConfig config, KubernetesClient client) {
        AgentSettings settings = AgentSettings.from(config, config.targets().get(0));
        ClusterAgent agent = new ClusterAgent(settings, client,
                ProducerSettings.newProducer(ProducerSettings.producerProperties(config, settings.clusterId())),
                (cluster, reason) -> fatalReasons.add(cluster + ": " + reason), Clock.systemUTC());
        built.add(agent);
        return agent;
    }

    /** Closes every agent built here, one at a time (the mock server stalls if many watches close at once). */
    void closeAll() {
        for (ClusterAgent a : built) {
            a.close(Duration.ofSeconds(5));
        }
        built.clear();
    }

    static TopicReader<String, InventoryEvent> reader(EmbeddedKafkaBroker broker, String topic) {
        return new TopicReader<>(broker.bootstrapServers(), topic, new StringDeserializer(),
                FencewatchSerdes.inventoryEvent());
    }

    /** Polls until {@code done} holds for the values read so far (30 s at most); returns them. */
    static List<InventoryEvent> readUntil(TopicReader<String, InventoryEvent> reader,
            Predicate<List<InventoryEvent>> done) {
        return readUntil(reader, done, Duration.ofSeconds(30));
    }

    static List<InventoryEvent> readUntil(TopicReader<String, InventoryEvent> reader,
            Predicate<List<InventoryEvent>> done, Duration timeout) {
        return values(reader.pollUntil(rs -> done.test(values(rs)), timeout));
    }

    static List<InventoryEvent> values(List<ConsumerRecord<String, InventoryEvent>> recs) {
        List<InventoryEvent> out = new ArrayList<>(recs.size());
        for (ConsumerRecord<String, InventoryEvent> r : recs) {
            out.add(r.value());
        }
        return out;
    }

    static long count(List<InventoryEvent> events, Op op, long epoch) {
        return events.stream().filter(e -> e.getOp() == op && e.getSource().getEpoch() == epoch).count();
    }

    /** Events of one epoch with a given op. */
    static List<InventoryEvent> of(List<InventoryEvent> events, Op op, long epoch) {
        return events.stream().filter(e -> e.getOp() == op && e.getSource().getEpoch() == epoch).toList();
    }
}
