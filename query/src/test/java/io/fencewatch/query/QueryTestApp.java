package io.fencewatch.query;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * A small stand-in for the processor: a Kafka Streams app that materializes {@code <prefix>.coverage}
 * into a persistent key-value store, plus a {@link QueryServer} per instance; and helpers to
 * produce coverage and drift records and to call the API over real HTTP.
 */
final class QueryTestApp {
    static final String STORE = QueryServer.DEFAULT_STORE;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private QueryTestApp() {
    }

    /** The topology under test: the coverage topic as a table in a named persistent store. */
    static Topology topology(TopicNames topics, String store) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.table(topics.coverage(), Consumed.with(Serdes.String(), FencewatchSerdes.namespaceCoverage()),
                Materialized.<String, NamespaceCoverage, KeyValueStore<Bytes, byte[]>>as(store)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(FencewatchSerdes.namespaceCoverage()));
        return builder.build();
    }

    /** The stand-in of the processor's cluster-state store: cluster id to when it was last heard from. */
    static final String CLUSTER_STORE = "test-cluster-state";

    /** A cluster's liveness as the processor's ClusterState carries it (epoch millis, processor clock). */
    record Liveness(long lastSeen) implements ClusterLiveness {
    }

    static final org.apache.kafka.common.serialization.Serde<Liveness> LIVENESS = Serdes.serdeFrom(
            (topic, v) -> v == null ? null : java.nio.ByteBuffer.allocate(8).putLong(v.lastSeen()).array(),
            (topic, b) -> b == null ? null : new Liveness(java.nio.ByteBuffer.wrap(b).getLong()));

    static String clusterStateTopic(TopicNames topics) {
        return topics.prefix() + ".test-cluster-state";
    }

    /** As {@link #topology}, plus the cluster-state topic as a table in {@link #CLUSTER_STORE}. */
    static Topology topologyWithClusterState(TopicNames topics, String store) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.table(topics.coverage(), Consumed.with(Serdes.String(), FencewatchSerdes.namespaceCoverage()),
                Materialized.<String, NamespaceCoverage, KeyValueStore<Bytes, byte[]>>as(store)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(FencewatchSerdes.namespaceCoverage()));
        builder.table(clusterStateTopic(topics), Consumed.with(Serdes.String(), LIVENESS),
                Materialized.<String, Liveness, KeyValueStore<Bytes, byte[]>>as(CLUSTER_STORE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(LIVENESS));
        return builder.build();
    }

    /** A heartbeat of {@code cluster} at {@code at}, in every partition (the processor keeps one per task). */
    static void produceHeartbeat(EmbeddedKafkaBroker broker, TopicNames topics, String cluster, Instant at, int partitions) {
        try (KafkaProducer<String, Liveness> p = new KafkaProducer<>(producerProps(broker, false), new StringSerializer(),
                LIVENESS.serializer())) {
            for (int i = 0; i < partitions; i++) {
                p.send(new ProducerRecord<>(clusterStateTopic(topics), i, cluster, new Liveness(at.toEpochMilli())));
            }
            p.flush();
        }
    }

    static String uniquePrefix(String name) {
        return "t" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static void createTopics(EmbeddedKafkaBroker broker, TopicNames topics, int partitions) {
        broker.createTopic(topics.coverage(), partitions, Map.of("cleanup.policy", "compact"));
        broker.createTopic(topics.drift(), partitions);
    }

    /** One instance: Kafka Streams and its query server. */
    static final class Instance implements AutoCloseable {
        final KafkaStreams streams;
        final QueryServer server;
        final int port;
        final Path stateDir;

        Instance(KafkaStreams streams, QueryServer server, int port, Path stateDir) {
            this.streams = streams;
            this.server = server;
            this.port = port;
            this.stateDir = stateDir;
        }

        URI uri(String pathAndQuery) {
            return URI.create("http://127.0.0.1:" + port + pathAndQuery);
        }

        /** Closes without leaving the group, like a crashed or killed pod. */
        @Override
        public void close() {
            server.close();
            streams.close(CloseOptions.timeout(Duration.ofSeconds(20)));
            deleteRecursively(stateDir);
        }
    }

    static Instance start(EmbeddedKafkaBroker broker, String appId, TopicNames topics, Map<String, String> queryOverrides,
            Map<String, Object> streamsOverrides) {
        return start(broker, appId, topics, queryOverrides, streamsOverrides, false);
    }

    static Instance start(EmbeddedKafkaBroker broker, String appId, TopicNames topics, Map<String, String> queryOverrides,
            Map<String, Object> streamsOverrides, boolean clusterState) {
        return start(broker, appId, topics, queryOverrides, streamsOverrides,
                clusterState ? topologyWithClusterState(topics, STORE) : topology(topics, STORE),
                clusterState ? CLUSTER_STORE : null);
    }

    /** An instance of {@code topology}, whose coverage store is {@link #STORE} and cluster store {@code clusterStore}. */
    static Instance start(EmbeddedKafkaBroker broker, String appId, TopicNames topics, Map<String, String> queryOverrides,
            Map<String, Object> streamsOverrides, Topology topology, String clusterStore) {
        int port = freePort();
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("fencewatch-query-state-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> q = new HashMap<>();
        q.put(QueryConfig.PORT.name(), String.valueOf(port));
        q.put(QueryConfig.BIND.name(), "127.0.0.1");
        q.put(QueryConfig.ADVERTISED.name(), "127.0.0.1:" + port);
        q.put(QueryConfig.PREFIX.name(), topics.prefix());
        q.put(QueryConfig.RETRY_AFTER.name(), "1");
        q.putAll(queryOverrides);
        QueryConfig config = QueryConfig.fromMap(q, Map.of());

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, config.applicationServer());
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
        p.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 500);
        p.put(StreamsConfig.consumerPrefix("max.poll.interval.ms"), 60000);
        streamsOverrides.forEach(p::put);
        KafkaStreams streams = new KafkaStreams(topology, p);
        QueryServer server = new QueryServer(config, streams, STORE, clusterStore,
                Map.of("bootstrap.servers", broker.bootstrapServers())).start();
        streams.start();
        return new Instance(streams, server, server.port(), stateDir);
    }

    // ------------------------------------------------------------------ records

    static NamespaceCoverage coverage(String cluster, String namespace, Status status) {
        Instant now = Instant.now();
        boolean fenced = status == Status.COMPLIANT;
        return NamespaceCoverage.newBuilder()
                .setCluster(cluster)
                .setNamespace(namespace)
                .setUid("uid-" + namespace)
                .setStatus(status)
                .setReason(fenced ? "1 NetworkPolicy" : status == Status.EXEMPT ? "system namespace" : "no NetworkPolicy")
                .setSince(now.minusSeconds(90))
                .setPolicies(fenced ? List.of("default-deny") : List.of())
                .setIngress(fenced ? Grade.DEFAULT_DENY : Grade.NONE)
                .setEgress(fenced ? Grade.PARTIAL : Grade.NONE)
                .setIngressAllowsAll(false)
                .setEgressAllowsAll(false)
                .setExemption(null)
                .setStale(false)
                .setProfile("baseline")
                .setCreatedAt(now.minusSeconds(3600))
                .setUpdatedAt(now)
                .setLastEvent(eventRef(namespace, now.minusMillis(200)))
                .build();
    }

    static EventRef eventRef(String name, Instant observedAt) {
        return EventRef.newBuilder().setKind(Kind.NAMESPACE).setName(name).setOp(Op.UPSERT).setResourceVersion("42")
                .setObservedAt(observedAt).setCollector("collector-1").setEpoch(1).setSequence(7).build();
    }

    static DriftEvent drift(String id, String cluster, String namespace, Status before, Status after, DriftReason reason) {
        Instant now = Instant.now();
        return DriftEvent.newBuilder()
                .setId(id)
                .setCluster(cluster)
                .setNamespace(namespace)
                .setBefore(before == null ? null : state(before))
                .setAfter(after == null ? null : state(after))
                .setReason(reason)
                .setCause(eventRef(namespace, now.minusMillis(300)))
                .setDetectedAt(now)
                .setProfile("baseline")
                .build();
    }

    private static CoverageState state(Status s) {
        boolean fenced = s == Status.COMPLIANT;
        return CoverageState.newBuilder().setStatus(s).setIngress(fenced ? Grade.ALL_PODS : Grade.NONE)
                .setEgress(Grade.NONE).setIngressAllowsAll(false).setEgressAllowsAll(false).setStale(false)
                .setPolicyCount(fenced ? 1 : 0).build();
    }

    /** Produces coverage records (null value: tombstone), flushed. */
    static void produceCoverage(EmbeddedKafkaBroker broker, TopicNames topics, List<NamespaceCoverage> records) {
        try (KafkaProducer<String, NamespaceCoverage> p = new KafkaProducer<>(producerProps(broker, false),
                new StringSerializer(), FencewatchSerdes.namespaceCoverage())) {
            for (NamespaceCoverage c : records) {
                p.send(new ProducerRecord<>(topics.coverage(), Keys.of(c.getCluster(), c.getNamespace()), c));
            }
            p.flush();
        }
    }

    /** Produces drift records in a transaction, as the processor does (exactly-once). */
    static void produceDrift(EmbeddedKafkaBroker broker, TopicNames topics, List<DriftEvent> drifts) {
        try (KafkaProducer<String, DriftEvent> p = new KafkaProducer<>(producerProps(broker, true),
                new StringSerializer(), FencewatchSerdes.driftEvent())) {
            p.initTransactions();
            p.beginTransaction();
            for (DriftEvent d : drifts) {
                ProducerRecord<String, DriftEvent> r = new ProducerRecord<>(topics.drift(), Keys.of(d.getCluster(), d.getNamespace()), d);
                r.headers().add("ce_id", d.getId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                p.send(r);
            }
            p.commitTransaction();
        }
    }

    private static Properties producerProps(EmbeddedKafkaBroker broker, boolean transactional) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        if (transactional) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-drift-" + UUID.randomUUID());
        }
        return p;
    }

    // ------------------------------------------------------------------ HTTP

    static HttpResponse<String> get(URI uri, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> namespaces(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + "-" + i);
        }
        return out;
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
