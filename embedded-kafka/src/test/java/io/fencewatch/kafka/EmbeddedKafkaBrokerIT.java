package io.fencewatch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaBrokerIT {

    @Test
    void shouldKeepRecordsAndAddressAcrossARestartAndDeleteItsTemporaryData() throws Exception {
        Path dir;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startNew()) {
            dir = broker.dataDir();
            String address = broker.bootstrapServers();
            broker.createTopic("restart-test", 2);
            produce(broker, "restart-test", "k1", "before");

            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            broker.start();

            assertThat(broker.bootstrapServers()).isEqualTo(address);
            produce(broker, "restart-test", "k2", "after");
            assertThat(consumeValues(broker, "restart-test", 2)).containsExactlyInAnyOrder("before", "after");
        }
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void shouldRunTransactionsOnASingleNode() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startNew()) {
            broker.createTopic("tx-test", 1, Map.of());
            Properties p = broker.clientProperties();
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-1");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx-test", "k", "committed"));
                producer.commitTransaction();
            }
            assertThat(consumeValues(broker, "tx-test", 1)).containsExactly("committed");
        }
    }

    static void produce(EmbeddedKafkaBroker broker, String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(broker.clientProperties(),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    static List<String> consumeValues(EmbeddedKafkaBroker broker, String topic, int expected) {
        try (TopicReader<String, String> reader = new TopicReader<>(broker.bootstrapServers(), topic,
                new StringDeserializer(), new StringDeserializer())) {
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> reader.poll(Duration.ofMillis(100)).size() >= expected);
            return reader.records().stream().map(ConsumerRecord::value).toList();
        }
    }
}
