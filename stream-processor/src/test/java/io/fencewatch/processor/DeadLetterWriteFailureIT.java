package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/**
 * A dead letter the broker refuses (its DLQ topic takes records of at most 2,000 bytes, so a 64 KiB
 * payload is refused): the refusal is counted, the dead letter is written again without payload,
 * and the good records around it are applied, neither lost nor dead-lettered. Under exactly-once the
 * refusal still fails the transaction (a transactional producer cannot drop one record of it): the
 * stream thread is replaced and the batch processed again, so this costs a rebalance, reported as a
 * figure. With the DLQ topic the processor creates, a bounded dead letter is never refused.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeadLetterWriteFailureIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Instant OLD = Instant.now().minus(Duration.ofDays(1));

    private ProcessorApp app;
    private Path stateDir;

    @AfterEach
    void stop() throws Exception {
        RealProcessors.closeAndDelete(app, stateDir);
    }

    @Test
    void shouldCountRetrySmallerAndKeepGoodRecordsWhenTheBrokerRefusesADeadLetter(EmbeddedKafkaBroker broker)
            throws Exception {
        String prefix = "dlqfail-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        TopicNames names = new TopicNames(prefix);
        broker.createTopic(names.inventory(), 1);
        broker.createTopic(names.dlq(), 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "2000"));
        stateDir = Files.createTempDirectory("fw-dlqfail-");
        Map<String, String> flags = RealProcessors.flags(broker, prefix, stateDir);
        flags.put("partitions", "1");
        flags.put("grace-period", "0s");
        flags.put("http-port", "-1");
        flags.put("kafka.session.timeout.ms", "6000");
        flags.put("kafka.heartbeat.interval.ms", "1500");
        List<String> transitions = new CopyOnWriteArrayList<>();
        app = new ProcessorApp(ProcessorConfig.fromMap(flags)).onStateChange((now, before) -> transitions.add(before + "->" + now));
        app.start();
        await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
        int before = transitions.size();

        Feed feed = new Feed("prod", System.currentTimeMillis(), Instant::now);
        Properties p = broker.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
                TopicReader<byte[], byte[]> dlq = new TopicReader<>(broker.bootstrapServers(), names.dlq(),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            send(producer, names.inventory(), feed.syncStart(feed.epoch));
            send(producer, names.inventory(), feed.namespace(Op.UPSERT, "before", Feed.active(OLD)));
            byte[] garbage = new byte[200_000];
            new java.util.Random(7).nextBytes(garbage);
            producer.send(new ProducerRecord<>(names.inventory(), "prod/x".getBytes(StandardCharsets.UTF_8), garbage)).get();
            send(producer, names.inventory(), feed.namespace(Op.UPSERT, "after", Feed.active(OLD)));

            List<ConsumerRecord<byte[], byte[]>> dead = dlq.pollUntil(r -> !r.isEmpty(), WAIT);
            assertThat(dead).hasSize(1);
            ConsumerRecord<byte[], byte[]> d = dead.get(0);
            assertThat(d.value()).as("written again without payload").isEmpty();
            assertThat(new String(d.headers().lastHeader(DeadLetters.ORIGINAL_SIZE).value(), StandardCharsets.UTF_8))
                    .isEqualTo("200000");
            assertThat(app.dlqFailures().failures()).isGreaterThanOrEqualTo(1);
            var table = new io.fencewatch.kafka.TopicReader<>(broker.bootstrapServers(), names.coverage(),
                    new org.apache.kafka.common.serialization.StringDeserializer(),
                    FencewatchSerdes.namespaceCoverage().deserializer());
            try (table) {
                var rows = table.pollUntil(r -> r.stream().map(ConsumerRecord::key).distinct().count() >= 2, WAIT);
                assertThat(rows).extracting(ConsumerRecord::key).contains("prod/before", "prod/after");
                assertThat(rows).allMatch(r -> r.value().getStatus() == Status.NON_COMPLIANT);
            }
            assertThat(dlq.poll(Duration.ofSeconds(2))).as("the good records are not dead letters").hasSize(1);
            await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
            org.slf4j.LoggerFactory.getLogger(DeadLetterWriteFailureIT.class).info(
                    "figure: DLQ write failures {}, Kafka Streams transitions after the refusal {}",
                    app.dlqFailures().failures(), transitions.subList(before, transitions.size()));
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic,
            org.apache.kafka.streams.KeyValue<String, io.fencewatch.schema.inventory.InventoryEvent> kv) throws Exception {
        producer.send(new ProducerRecord<>(topic, kv.key.getBytes(StandardCharsets.UTF_8),
                FencewatchSerdes.inventoryEvent().serialize(topic, kv.value))).get();
    }
}
