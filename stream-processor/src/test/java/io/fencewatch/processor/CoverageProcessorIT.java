package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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

import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/** The real application, exactly-once, on the in-process KRaft broker. */
@ExtendWith(KafkaBrokerExtension.class)
class CoverageProcessorIT {
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Instant OLD = Instant.now().minus(Duration.ofDays(1));

    private ProcessorApp app;
    private Path stateDir;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close(); // a second close (below) must be harmless
        }
        RealProcessors.closeAndDelete(app, stateDir);
    }

    private int httpPort;

    /** GET on this instance's query surface; returns status code and body. */
    private java.net.http.HttpResponse<String> get(String path) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + httpPort + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private ProcessorConfig start(EmbeddedKafkaBroker broker, String prefix) throws Exception {
        stateDir = Files.createTempDirectory("fw-it-");
        Map<String, String> flags = RealProcessors.flags(broker, prefix, stateDir);
        flags.put("partitions", Integer.toString(PARTITIONS));
        flags.put("grace-period", "0s");
        flags.put("tick-interval", "200ms");
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            httpPort = socket.getLocalPort();
        }
        flags.put("http-port", Integer.toString(httpPort));
        ProcessorConfig config = ProcessorConfig.fromMap(flags);
        assertThat(config.streamsProperties().getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
        app = new ProcessorApp(config).start();
        await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
        return config;
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker broker) {
        Properties p = broker.clientProperties();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, KeyValue<String, InventoryEvent> kv,
            Integer partition) throws Exception {
        producer.send(new ProducerRecord<>(topic, partition, kv.key.getBytes(StandardCharsets.UTF_8),
                FencewatchSerdes.inventoryEvent().serialize(topic, kv.value))).get();
    }

    @Test
    void shouldPublishCoverageDriftAndFindingsWhenNamespaceAppearsThenGetsAPolicy(EmbeddedKafkaBroker broker)
            throws Exception {
        ProcessorConfig config = start(broker, "it-happy");
        Topics topics = config.topics();
        Feed feed = new Feed("prod", System.currentTimeMillis(), Instant::now);
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                TopicReader<String, DriftEvent> drift = new TopicReader<>(broker.bootstrapServers(),
                        topics.drift().name(), new StringDeserializer(), FencewatchSerdes.driftEvent());
                TopicReader<String, String> findings = new TopicReader<>(broker.bootstrapServers(),
                        topics.findings().name(), new StringDeserializer(), new StringDeserializer());
                TopicReader<String, NamespaceCoverage> coverage = new TopicReader<>(broker.bootstrapServers(),
                        topics.coverage().name(), new StringDeserializer(), FencewatchSerdes.namespaceCoverage())) {
            var syncStart = feed.syncStart(feed.epoch);
            for (int p = 0; p < PARTITIONS; p++) {
                send(producer, topics.inventory().name(), syncStart, p);
            }
            send(producer, topics.inventory().name(), feed.namespace(Op.UPSERT, "shop", Feed.active(OLD)), null);

            var driftSeen = drift.pollUntil(r -> r.size() >= 1, WAIT);
            assertThat(driftSeen).hasSize(1);
            assertThat(driftSeen.get(0).key()).isEqualTo("prod/shop");
            assertThat(driftSeen.get(0).value().getReason()).isEqualTo(DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY);
            assertThat(driftSeen.get(0).headers().lastHeader("ce_id").value())
                    .isEqualTo(driftSeen.get(0).value().getId().getBytes(StandardCharsets.UTF_8));
            var findingSeen = findings.pollUntil(r -> r.size() >= 1, WAIT);
            assertThat(findingSeen.get(0).value()).contains("\"class_uid\":2003", "\"activity_id\":1");

            send(producer, topics.inventory().name(), feed.policy(Op.UPSERT, "shop", "default-deny",
                    Policies.remediation()), null);
            driftSeen = drift.pollUntil(r -> r.size() >= 2, WAIT);
            assertThat(driftSeen).extracting(r -> r.value().getReason())
                    .containsExactly(DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY, DriftReason.POLICY_ADDED);

            // The processor serves the table over REST from its own store, on its own port.
            await().atMost(WAIT).untilAsserted(() -> {
                var response = get("/api/v1/clusters/prod/namespaces/shop");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).contains("\"status\":\"COMPLIANT\"", "\"policies\":[\"default-deny\"]");
            });
            assertThat(get("/api/v1/clusters/prod/namespaces/absent").statusCode()).isEqualTo(404);
            findingSeen = findings.pollUntil(r -> r.size() >= 2, WAIT);
            assertThat(findingSeen.get(1).value()).contains("\"activity_id\":3");
            var rows = coverage.pollUntil(r -> !r.isEmpty() && r.get(r.size() - 1).value().getStatus() == Status.COMPLIANT,
                    WAIT);
            assertThat(rows.get(rows.size() - 1).value().getPolicies()).containsExactly("default-deny");

            await().atMost(WAIT).untilAsserted(() -> assertThat(coverageStore(app).get("prod/shop").getStatus())
                    .isEqualTo(Status.COMPLIANT));

            // The collector restarts and its snapshot lacks the policy: SYNC_END sweeps it (RocksDB prefix scan).
            var restart = feed.syncStart(feed.epoch + 1);
            for (int p = 0; p < PARTITIONS; p++) {
                send(producer, topics.inventory().name(), restart, p);
            }
            send(producer, topics.inventory().name(), feed.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)), null);
            var end = feed.syncEnd();
            for (int p = 0; p < PARTITIONS; p++) {
                send(producer, topics.inventory().name(), end, p);
            }
            driftSeen = drift.pollUntil(r -> r.size() >= 3, WAIT);
            assertThat(driftSeen).extracting(r -> r.value().getReason()).containsExactly(
                    DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY, DriftReason.POLICY_ADDED,
                    DriftReason.LAST_POLICY_DELETED);
            assertThat(driftSeen.get(2).value().getCause().getOp()).isEqualTo(Op.SYNC_END);
            await().atMost(WAIT).untilAsserted(() -> assertThat(coverageStore(app).get("prod/shop").getStatus())
                    .isEqualTo(Status.NON_COMPLIANT));
        }
    }

    @Test
    void shouldDeadLetterGarbageAndKeepRunningWhenInputIsUnreadable(EmbeddedKafkaBroker broker) throws Exception {
        ProcessorConfig config = start(broker, "it-garbage");
        Topics topics = config.topics();
        String inventory = topics.inventory().name();
        Feed feed = new Feed("edge", System.currentTimeMillis(), Instant::now);
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                TopicReader<byte[], byte[]> dlq = new TopicReader<>(broker.bootstrapServers(), topics.dlq().name(),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            send(producer, inventory, feed.namespace(Op.UPSERT, "web", Feed.active(OLD)), null);
            await().atMost(WAIT).untilAsserted(() -> assertThat(coverageStore(app).get("edge/web")).isNotNull());
            NamespaceCoverage before = coverageStore(app).get("edge/web");

            byte[] random = new byte[64];
            new Random(7).nextBytes(random);
            byte[] good = FencewatchSerdes.inventoryEvent().serialize(inventory,
                    feed.policy(Op.UPSERT, "web", "p", Policies.denyAll()).value);
            byte[] truncated = Arrays.copyOf(good, good.length - 5);
            byte[] otherSchema = FencewatchSerdes.driftEvent().serialize("x", DriftEvent.newBuilder().setId("d")
                    .setCluster("edge").setNamespace("web").setReason(DriftReason.POLICY_ADDED)
                    .setDetectedAt(Instant.now()).build());
            byte[] key = "edge/web".getBytes(StandardCharsets.UTF_8);
            for (byte[] garbage : List.of(random, truncated, otherSchema)) {
                producer.send(new ProducerRecord<>(inventory, key, garbage)).get();
            }

            List<ConsumerRecord<byte[], byte[]>> dead = dlq.pollUntil(r -> r.size() >= 3, WAIT);
            assertThat(dead).hasSize(3);
            assertThat(dead).extracting(r -> r.value()).containsExactly(random, truncated, otherSchema);
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                assertThat(header(r, DeadLetters.TOPIC)).isEqualTo(inventory);
                assertThat(Integer.parseInt(header(r, DeadLetters.PARTITION))).isBetween(0, PARTITIONS - 1);
                assertThat(Long.parseLong(header(r, DeadLetters.OFFSET))).isPositive();
                assertThat(header(r, DeadLetters.ERROR)).isNotBlank();
            }
            assertThat(header(dead.get(2), DeadLetters.ERROR)).contains("DriftEvent");

            assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(coverageStore(app).get("edge/web")).isEqualTo(before);

            // Still processing: the good record after the garbage is applied.
            producer.send(new ProducerRecord<>(inventory, key, good)).get();
            await().atMost(WAIT).untilAsserted(() -> assertThat(coverageStore(app).get("edge/web").getStatus())
                    .isEqualTo(Status.COMPLIANT));
            assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private static ReadOnlyKeyValueStore<String, NamespaceCoverage> coverageStore(ProcessorApp app) {
        return app.streams().store(StoreQueryParameters.fromNameAndType(CoverageTopology.COVERAGE_STORE,
                QueryableStoreTypes.<String, NamespaceCoverage>keyValueStore()));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
