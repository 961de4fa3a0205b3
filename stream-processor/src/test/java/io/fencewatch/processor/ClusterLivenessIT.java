package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * The real processor serves a cluster's {@code lastSeen} from its cluster state, so a heartbeat
 * moves it while {@code lastChange} (the last namespace event) stays (issue 20: a quiet, healthy
 * cluster read as silent).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ClusterLivenessIT {
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProcessorApp app;
    private Path stateDir;
    private int httpPort;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (stateDir != null) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void shouldMoveLastSeenButNotLastChangeWhenOnlyHeartbeatsArrive(EmbeddedKafkaBroker broker) throws Exception {
        stateDir = Files.createTempDirectory("fw-liveness-");
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            httpPort = socket.getLocalPort();
        }
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("topic-prefix", "it-liveness");
        flags.put("application-id", "it-liveness-processor");
        flags.put("state-dir", stateDir.toString());
        flags.put("partitions", Integer.toString(PARTITIONS));
        flags.put("grace-period", "0s");
        flags.put("http-port", Integer.toString(httpPort));
        ProcessorConfig config = ProcessorConfig.fromMap(flags);
        app = new ProcessorApp(config).start();
        await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
        String inventory = config.topics().inventory().name();
        Feed feed = new Feed("quiet", System.currentTimeMillis(), Instant::now);
        try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            var start = feed.syncStart(feed.epoch);
            for (int p = 0; p < PARTITIONS; p++) {
                send(producer, inventory, start, p);
            }
            send(producer, inventory, feed.namespace(Op.UPSERT, "shop", Feed.active(Instant.now())), null);
            JsonNode first = await().atMost(WAIT).until(() -> summary("quiet"), s -> s != null && s.hasNonNull("lastChange"));
            Instant lastChange = Instant.parse(first.get("lastChange").asText());
            Instant lastSeen = Instant.parse(first.get("lastSeen").asText());

            var heartbeat = feed.heartbeat();
            for (int p = 0; p < PARTITIONS; p++) {
                send(producer, inventory, heartbeat, p);
            }
            JsonNode after = await().atMost(WAIT).until(() -> summary("quiet"),
                    s -> s != null && Instant.parse(s.get("lastSeen").asText()).isAfter(lastSeen));
            assertThat(Instant.parse(after.get("lastChange").asText())).as("a heartbeat is no change").isEqualTo(lastChange);
            assertThat(after.get("namespaces").asInt()).isEqualTo(1);
        }
    }

    private JsonNode summary(String cluster) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/v1/clusters")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return null;
        }
        for (JsonNode c : JSON.readTree(r.body())) {
            if (c.get("cluster").asText().equals(cluster)) {
                return c;
            }
        }
        return null;
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
}
