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

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * The coverage topic as the store's cache flushes it ({@link CoverageFold}), on the real
 * application and broker: the changes of a namespace inside one commit interval give one coverage
 * record, its latest (drift and findings stay one per change); without a store cache every change
 * gives its own, as before; a deleted namespace's tombstone still reaches the topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CoverageFoldIT {
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Instant OLD = Instant.now().minus(Duration.ofDays(1));
    private static final int POLICIES = 4;

    private ProcessorApp app;
    private Path stateDir;

    @AfterEach
    void stop() throws Exception {
        RealProcessors.closeAndDelete(app, stateDir);
    }

    @Test
    void shouldWriteOneCoverageRecordPerNamespaceAndCommitButEveryDrift(EmbeddedKafkaBroker broker) throws Exception {
        // A long commit interval: the five changes below land in one interval (at most two, if a
        // commit falls between two of the sends, milliseconds apart).
        Topics topics = start(broker, "it-fold", Map.of("commit-interval", "5s"));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                TopicReader<String, DriftEvent> drift = new TopicReader<>(broker.bootstrapServers(),
                        topics.drift().name(), new StringDeserializer(), FencewatchSerdes.driftEvent());
                TopicReader<String, NamespaceCoverage> coverage = new TopicReader<>(broker.bootstrapServers(),
                        topics.coverage().name(), new StringDeserializer(), FencewatchSerdes.namespaceCoverage())) {
            sendChanges(producer, topics);
            List<ConsumerRecord<String, DriftEvent>> drifts = drift.pollUntil(r -> r.size() >= 2, WAIT);
            assertThat(drifts).extracting(r -> r.value().getReason())
                    .containsExactly(DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY, DriftReason.POLICY_ADDED);
            List<ConsumerRecord<String, NamespaceCoverage>> rows = coverage.pollUntil(r -> !r.isEmpty()
                    && r.get(r.size() - 1).value().getPolicies().size() == POLICIES, WAIT);
            assertThat(rows).allSatisfy(r -> assertThat(r.key()).isEqualTo("prod/shop"));
            assertThat(rows).hasSizeLessThanOrEqualTo(2);
            NamespaceCoverage last = rows.get(rows.size() - 1).value();
            assertThat(last.getStatus()).isEqualTo(Status.COMPLIANT);
            // The topic's record is the store's: the same bytes, decoded.
            await().atMost(WAIT).untilAsserted(() -> assertThat(coverageStore().get("prod/shop")).isEqualTo(last));

            Feed feed = feed();
            send(producer, topics.inventory().name(), feed.namespace(Op.DELETE, "shop", Feed.active(OLD)));
            List<ConsumerRecord<String, NamespaceCoverage>> after = coverage.pollUntil(
                    r -> r.size() > rows.size() && r.get(r.size() - 1).value() == null, WAIT);
            assertThat(after.get(after.size() - 1).key()).isEqualTo("prod/shop");
            assertThat(coverageStore().get("prod/shop")).isNull();
        }
    }

    @Test
    void shouldWriteEveryChangeWhenTheStoreHasNoCache(EmbeddedKafkaBroker broker) throws Exception {
        Topics topics = start(broker, "it-nofold", Map.of("commit-interval", "5s",
                "kafka.statestore.cache.max.bytes", "0"));
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                TopicReader<String, NamespaceCoverage> coverage = new TopicReader<>(broker.bootstrapServers(),
                        topics.coverage().name(), new StringDeserializer(), FencewatchSerdes.namespaceCoverage())) {
            sendChanges(producer, topics);
            List<ConsumerRecord<String, NamespaceCoverage>> rows = coverage.pollUntil(r -> r.size() >= 1 + POLICIES,
                    WAIT);
            assertThat(rows).extracting(r -> r.value().getPolicies().size()).containsExactly(0, 1, 2, 3, 4);
            assertThat(rows).extracting(r -> r.value().getStatus()).containsExactly(Status.NON_COMPLIANT,
                    Status.COMPLIANT, Status.COMPLIANT, Status.COMPLIANT, Status.COMPLIANT);
        }
    }

    /** The epoch opened on every partition, then one namespace and four policies, back to back. */
    private void sendChanges(KafkaProducer<byte[], byte[]> producer, Topics topics) throws Exception {
        Feed feed = feed();
        var syncStart = feed.syncStart(feed.epoch);
        for (int p = 0; p < PARTITIONS; p++) {
            producer.send(record(topics.inventory().name(), syncStart, p)).get();
        }
        send(producer, topics.inventory().name(), feed.namespace(Op.UPSERT, "shop", Feed.active(OLD)));
        for (int i = 0; i < POLICIES; i++) {
            send(producer, topics.inventory().name(), feed.policy(Op.UPSERT, "shop", "p" + i, Policies.remediation()));
        }
    }

    private Feed feed;

    private Feed feed() {
        if (feed == null) {
            feed = new Feed("prod", System.currentTimeMillis(), Instant::now);
        }
        return feed;
    }

    private Topics start(EmbeddedKafkaBroker broker, String prefix, Map<String, String> extra) throws Exception {
        stateDir = Files.createTempDirectory("fw-fold-it-");
        Map<String, String> flags = RealProcessors.flags(broker, prefix, stateDir);
        flags.putAll(extra);
        flags.put("partitions", Integer.toString(PARTITIONS));
        flags.put("grace-period", "0s");
        flags.put("http-port", "-1");
        ProcessorConfig config = ProcessorConfig.fromMap(flags);
        app = new ProcessorApp(config).start();
        await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
        return config.topics();
    }

    private ReadOnlyKeyValueStore<String, NamespaceCoverage> coverageStore() {
        return app.streams().store(StoreQueryParameters.fromNameAndType(CoverageTopology.COVERAGE_STORE,
                QueryableStoreTypes.<String, NamespaceCoverage>keyValueStore()));
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker broker) {
        Properties p = broker.clientProperties();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, KeyValue<String, InventoryEvent> kv) {
        // Not waited on one by one: the changes go out back to back, inside one commit interval.
        producer.send(record(topic, kv, null));
        producer.flush();
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, KeyValue<String, InventoryEvent> kv, Integer partition) {
        return new ProducerRecord<>(topic, partition, kv.key.getBytes(StandardCharsets.UTF_8),
                FencewatchSerdes.inventoryEvent().serialize(topic, kv.value));
    }
}
