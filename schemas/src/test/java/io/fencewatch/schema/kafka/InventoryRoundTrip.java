package io.fencewatch.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.TopicReader;

/** Produces inventory events with the contract's serde and reads them back: same records, same order per key. */
final class InventoryRoundTrip {
    private InventoryRoundTrip() {
    }

    static void run(String bootstrapServers, String topic) throws Exception {
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        List<InventoryEvent> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String ns = "team-" + (i % 7);
            sent.add(InventoryEvent.newBuilder()
                    .setSource(Source.newBuilder().setCluster("it").setCollector("c-1").setEpoch(42).setSequence(i)
                            .setObservedAt(Instant.ofEpochMilli(1_700_000_000_000L + i)).build())
                    .setOp(i < 7 ? Op.SNAPSHOT : Op.UPSERT).setKind(Kind.NAMESPACE).setNamespace(ns).setName(ns)
                    .setResourceVersion(Integer.toString(1000 + i))
                    .setNamespaceFacts(NamespaceFacts.newBuilder().setPhase("Active").setLabels(Map.of("i", "" + i)).build())
                    .build());
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, InventoryEvent> producer = new KafkaProducer<>(p, new StringSerializer(),
                FencewatchSerdes.inventoryEvent())) {
            for (InventoryEvent e : sent) {
                producer.send(new ProducerRecord<>(topic, Keys.of("it", e.getNamespace()), e));
            }
            producer.flush();
        }
        try (TopicReader<String, InventoryEvent> reader = new TopicReader<>(bootstrapServers, topic,
                new StringDeserializer(), FencewatchSerdes.inventoryEvent())) {
            List<ConsumerRecord<String, InventoryEvent>> got = reader.pollUntil(r -> r.size() >= sent.size(),
                    Duration.ofSeconds(60));
            assertThat(got).hasSize(sent.size());
            assertThat(got).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(sent);
            for (int k = 0; k < 7; k++) {
                String key = Keys.of("it", "team-" + k);
                List<Long> sequences = got.stream().filter(r -> r.key().equals(key))
                        .map(r -> r.value().getSource().getSequence()).toList();
                assertThat(sequences).as("order within key %s", key).isSorted();
                assertThat(got.stream().filter(r -> r.key().equals(key)).map(ConsumerRecord::partition).distinct())
                        .as("one partition per key").hasSize(1);
            }
        }
    }
}
