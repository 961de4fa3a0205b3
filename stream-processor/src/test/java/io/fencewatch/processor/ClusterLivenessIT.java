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
        RealProcessors.closeAndDelete(app, stateDir);
    }

    private ProcessorConfig start(EmbeddedKafkaBroker broker, String name, Map<String, String> more) throws Exception {
        stateDir = Files.createTempDirectory("fw-liveness-");
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            httpPort = socket.getLocalPort();
        }
        Map<String, String> flags = RealProcessors.flags(broker, "it-" + name, stateDir);
        flags.put("partitions", Integer.toString(PARTITIONS));
        flags.put("grace-period", "0s");
        flags.put("http-port", Integer.toString(httpPort));
        flags.putAll(more);
        ProcessorConfig config = ProcessorConfig.fromMap(flags);
        app = new ProcessorApp(config).start();
        await().atMost(WAIT).until(() -> app.state() == KafkaStreams.State.RUNNING);
        return config;
    }

    @Test
    void shouldMoveLastSeenButNotLastChangeWhenOnlyHeartbeatsArrive(EmbeddedKafkaBroker broker) throws Exception {
        ProcessorConfig config = start(broker, "liveness", Map.of());
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

    /**
     * Issue 12 end to end: a cluster whose collector reports UNREACHABLE to every partition reads
     * UNREACHABLE with its error and facts, gets exactly one FW-CL-001 finding past --stale-after
     * (written by one task, though every task holds the cluster), closed on the next heartbeat;
     * CLUSTER_REMOVED takes it out of /api/v1/clusters.
     */
    @Test
    void shouldReportAnUnreachableClusterWithOneFindingAndForgetItWhenRemoved(EmbeddedKafkaBroker broker) throws Exception {
        ProcessorConfig config = start(broker, "unreachable", Map.of("stale-after", "3s"));
        String inventory = config.topics().inventory().name();
        Feed feed = new Feed("oke-a", System.currentTimeMillis(), Instant::now);
        var facts = Feed.oke("eu-frankfurt-1", "prod/eu").build();
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                io.fencewatch.kafka.TopicReader<String, String> findings = new io.fencewatch.kafka.TopicReader<>(
                        broker.bootstrapServers(), config.topics().findings().name(),
                        new org.apache.kafka.common.serialization.StringDeserializer(),
                        new org.apache.kafka.common.serialization.StringDeserializer())) {
            toEveryPartition(producer, inventory, feed.syncStart(feed.epoch, facts));
            send(producer, inventory, feed.namespace(Op.UPSERT, "shop", Feed.active(Instant.now())), null);
            toEveryPartition(producer, inventory, feed.syncEnd());
            JsonNode watching = await().atMost(WAIT).until(() -> summary("oke-a"),
                    s -> s != null && s.get("state").asText().equals("WATCHING") && s.get("namespaces").asInt() == 1);
            assertThat(watching.get("provider").asText()).isEqualTo("oke");
            assertThat(watching.get("region").asText()).isEqualTo("eu-frankfurt-1");
            assertThat(watching.get("compartment").asText()).isEqualTo("prod/eu");

            Instant since = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            toEveryPartition(producer, inventory, feed.unreachable("401 Unauthorized", since));
            // The summary merges what each task wrote: the cluster state of one task can read UNREACHABLE before the task
            // holding the namespace has marked its row; both must come.
            JsonNode down = await().atMost(WAIT).until(() -> summary("oke-a"),
                    s -> s != null && s.get("state").asText().equals("UNREACHABLE") && s.get("stale").asInt() == 1);
            assertThat(down.get("error").asText()).isEqualTo("401 Unauthorized");
            assertThat(down.get("unreachableSince").asText()).isEqualTo(since.toString());
            assertThat(down.get("stale").asInt()).as("its namespace is not current").isEqualTo(1);

            java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<String, String>> cluster =
                    r -> r.key().equals("oke-a/*");
            findings.pollUntil(r -> r.stream().anyMatch(cluster), WAIT);
            // Every task has the cluster; only one writes its finding.
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(
                    () -> findings.poll(Duration.ofMillis(100)).stream().filter(cluster).count() == 1);
            JsonNode open = JSON.readTree(findings.records().stream().filter(cluster).findFirst().orElseThrow().value());
            assertThat(open.at("/compliance/control").asText()).isEqualTo("FW-CL-001");
            assertThat(open.get("activity_name").asText()).isEqualTo("Create");

            toEveryPartition(producer, inventory, feed.heartbeat(facts));
            await().atMost(WAIT).until(() -> summary("oke-a"), s -> s != null && s.get("state").asText().equals("WATCHING"));
            var all = findings.pollUntil(r -> r.stream().filter(cluster).count() >= 2, WAIT);
            JsonNode close = JSON.readTree(all.stream().filter(cluster).toList().get(1).value());
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");

            toEveryPartition(producer, inventory, feed.clusterRemoved());
            await().atMost(WAIT).until(() -> clusterIds(), ids -> ids != null && !ids.contains("oke-a"));
        }
    }

    /**
     * Issue 13 end to end: a cluster whose collector finds no NetworkPolicy engine reads
     * NOT_ENFORCED on /api/v1/clusters with nothing fenced although its namespace has a policy,
     * gets exactly one FW-NP-002 finding (one writer among three tasks); a heartbeat naming Calico
     * makes it ENFORCED, fences the namespace, closes the finding and sets the metric.
     */
    @Test
    void shouldReportWhetherPoliciesAreEnforcedWithOneFindingFromThreeTasks(EmbeddedKafkaBroker broker) throws Exception {
        ProcessorConfig config = start(broker, "enforcement", Map.of());
        String inventory = config.topics().inventory().name();
        Feed feed = new Feed("oke-flat", System.currentTimeMillis(), Instant::now);
        try (KafkaProducer<byte[], byte[]> producer = producer(broker);
                io.fencewatch.kafka.TopicReader<String, String> findings = new io.fencewatch.kafka.TopicReader<>(
                        broker.bootstrapServers(), config.topics().findings().name(),
                        new org.apache.kafka.common.serialization.StringDeserializer(),
                        new org.apache.kafka.common.serialization.StringDeserializer())) {
            toEveryPartition(producer, inventory, feed.syncStart(feed.epoch, Feed.flannel().build()));
            send(producer, inventory, feed.namespace(Op.UPSERT, "shop", Feed.active(Instant.now())), null);
            send(producer, inventory, feed.policy(Op.UPSERT, "shop", "deny", Policies.denyAll()), null);
            toEveryPartition(producer, inventory, feed.syncEnd());

            JsonNode open = await().atMost(WAIT).until(() -> summary("oke-flat"),
                    s -> s != null && s.get("compliant").asInt() == 1
                            && s.at("/enforcement/state").asText().equals("NOT_ENFORCED"));
            assertThat(open.at("/enforcement/reason").asText())
                    .isEqualTo("no network policy engine found (OKE flannel overlay, no Calico)");
            assertThat(open.at("/enforcement/engines").size()).isZero();
            assertThat(open.get("fenced").asInt()).as("a policy that nothing enforces").isZero();
            assertThat(open.get("fencedShare").asDouble()).isEqualTo(0.0);
            JsonNode shop = get("/api/v1/clusters/oke-flat/namespaces/shop");
            assertThat(shop.get("status").asText()).as("FW-NP-001 keeps its meaning").isEqualTo("COMPLIANT");
            assertThat(shop.get("enforced").asBoolean(true)).isFalse();
            assertThat(shop.get("fenced").asBoolean(true)).isFalse();

            java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<String, String>> np002 =
                    r -> r.key().equals("oke-flat/*") && r.value().contains("\"control\":\"FW-NP-002\"");
            findings.pollUntil(r -> r.stream().anyMatch(np002), WAIT);
            // Every task has the cluster; only one writes its finding.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(
                    () -> findings.poll(Duration.ofMillis(100)).stream().filter(np002).count() == 1);
            JsonNode create = JSON.readTree(findings.records().stream().filter(np002).findFirst().orElseThrow().value());
            assertThat(create.get("activity_name").asText()).isEqualTo("Create");
            assertThat(create.get("severity").asText()).isEqualTo("High");
            assertThat(create.at("/finding_info/uid").asText()).isEqualTo("FW-NP-002:oke-flat");

            toEveryPartition(producer, inventory, feed.heartbeat(Feed.flannel(Feed.calico("v3.28.0", 2, 2)).build()));

            JsonNode enforced = await().atMost(WAIT).until(() -> summary("oke-flat"),
                    s -> s != null && s.at("/enforcement/state").asText().equals("ENFORCED") && s.get("fenced").asInt() == 1);
            assertThat(enforced.at("/enforcement/engines/0/name").asText()).isEqualTo("Calico");
            assertThat(enforced.at("/enforcement/engines/0/version").asText()).isEqualTo("v3.28.0");
            assertThat(enforced.get("fencedShare").asDouble()).isEqualTo(1.0);
            JsonNode fenced = get("/api/v1/clusters/oke-flat/namespaces/shop");
            assertThat(fenced.get("enforced").asBoolean(false)).isTrue();
            assertThat(fenced.get("fenced").asBoolean(false)).isTrue();
            var all = findings.pollUntil(r -> r.stream().filter(np002).count() >= 2, WAIT);
            JsonNode close = JSON.readTree(all.stream().filter(np002).toList().get(1).value());
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("fencewatch_cluster_policy_enforced{cluster=\"oke-flat\"} 1\n",
                    "fencewatch_namespaces_fenced{cluster=\"oke-flat\"} 1\n");
        }
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private void toEveryPartition(KafkaProducer<byte[], byte[]> producer, String topic, KeyValue<String, InventoryEvent> kv)
            throws Exception {
        for (int p = 0; p < PARTITIONS; p++) {
            send(producer, topic, kv, p);
        }
    }

    private java.util.List<String> clusterIds() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/v1/clusters")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return null;
        }
        java.util.List<String> ids = new java.util.ArrayList<>();
        JSON.readTree(r.body()).forEach(c -> ids.add(c.get("cluster").asText()));
        return ids;
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
