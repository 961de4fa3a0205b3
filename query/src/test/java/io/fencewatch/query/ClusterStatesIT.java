package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.fencewatch.query.ClusterLiveness.PolicyEngine;
import io.fencewatch.query.ClusterLiveness.PolicyEnforcement;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * The cluster objects of {@code /api/v1/clusters} (issue 12): their field names, and the merge of
 * per-partition cluster states across two instances (4 partitions, so the peer JSON takes part):
 * facts from the partition heard from most recently among those that know any, state the worst of
 * UNREACHABLE > STALE > SYNCING > WATCHING, and a store value knowing only lastSeen read through
 * {@link ClusterLiveness}'s defaults; FW-NP-002's enforcement (of the latest partition that knows it)
 * and the fenced counts. Also the cluster metrics of each instance.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ClusterStatesIT {
    private static final int PARTITIONS = 4;
    static final String CLUSTER_STORE = "it-cluster-state";
    /** Ahead of the rows' updatedAt (now), so lastSeen is the cluster state's. */
    private static final Instant T = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
    private static final Instant OUTAGE = T.minus(10, ChronoUnit.MINUTES);

    /** A cluster-state value as the processor's ClusterState carries it. */
    record View(long lastSeen, boolean stale, boolean synced, String unreachable, long unreachableSince, String provider,
            String region, String compartment, String compartmentId, String ocid, String kubernetesVersion,
            String endpointType, PolicyEnforcement enforcement) implements ClusterLiveness {

        View(long lastSeen, boolean stale, boolean synced, String unreachable, long unreachableSince, String provider,
                String region, String compartment, String compartmentId, String ocid, String kubernetesVersion,
                String endpointType) {
            this(lastSeen, stale, synced, unreachable, unreachableSince, provider, region, compartment, compartmentId,
                    ocid, kubernetesVersion, endpointType, null);
        }

        static View oke(Instant seen, String version) {
            return new View(seen.toEpochMilli(), false, true, null, 0L, "oke", "eu-frankfurt-1", "prod/eu",
                    "ocid1.compartment.oc1..prod-eu", "ocid1.cluster.oc1.eu-frankfurt-1.a", version, "PRIVATE_ENDPOINT");
        }

        View withSynced(boolean value) {
            return new View(lastSeen, stale, value, unreachable, unreachableSince, provider, region, compartment,
                    compartmentId, ocid, kubernetesVersion, endpointType, enforcement);
        }

        View withStale() {
            return new View(lastSeen, true, synced, unreachable, unreachableSince, provider, region, compartment,
                    compartmentId, ocid, kubernetesVersion, endpointType, enforcement);
        }

        View withUnreachable(String error, Instant since) {
            return new View(lastSeen, stale, synced, error, since.toEpochMilli(), provider, region, compartment,
                    compartmentId, ocid, kubernetesVersion, endpointType, enforcement);
        }

        /** FW-NP-002's verdict as the processor's ClusterState derives it from the facts. */
        View withEnforcement(PolicyEnforcement value) {
            return new View(lastSeen, stale, synced, unreachable, unreachableSince, provider, region, compartment,
                    compartmentId, ocid, kubernetesVersion, endpointType, value);
        }

        static View bare(Instant seen) {
            return new View(seen.toEpochMilli(), false, true, null, 0L, null, null, null, null, null, null, null);
        }
    }

    static final PolicyEnforcement CALICO = new PolicyEnforcement(PolicyEnforcement.ENFORCED,
            List.of(new PolicyEngine("Calico", "v3.28.0", "kube-system", "calico-node", 3, 3)),
            "enforced by Calico v3.28.0 (kube-system/calico-node)");
    static final PolicyEnforcement FLANNEL = new PolicyEnforcement(PolicyEnforcement.NOT_ENFORCED, List.of(),
            "no network policy engine found (OKE flannel overlay, no Calico)");

    /** A value that knows only when it last heard of the cluster (8 bytes): every other method is a default. */
    record OnlyLastSeen(long lastSeen) implements ClusterLiveness {
    }

    static final Serde<ClusterLiveness> VALUES = Serdes.serdeFrom(
            (topic, v) -> {
                if (v == null) {
                    return null;
                }
                if (v instanceof OnlyLastSeen o) {
                    return ByteBuffer.allocate(8).putLong(o.lastSeen()).array();
                }
                try {
                    return JsonViews.MAPPER.writeValueAsBytes(v);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            },
            (topic, b) -> {
                if (b == null) {
                    return null;
                }
                if (b.length == 8) {
                    return new OnlyLastSeen(ByteBuffer.wrap(b).getLong());
                }
                try {
                    return JsonViews.MAPPER.readValue(b, View.class);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });

    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance a;
    private static QueryTestApp.Instance b;

    static String clusterTopic(TopicNames topics) {
        return topics.prefix() + ".it-cluster-state";
    }

    private static String clusterTopic() {
        return clusterTopic(topics);
    }

    /**
     * As the processor: one source over the coverage and cluster-state topics, so a task holds one
     * partition of both stores ({@link QueryTestApp#STORE} and {@link #CLUSTER_STORE}).
     */
    static Topology topology(TopicNames topics) {
        String clusterTopic = clusterTopic(topics);
        Topology t = new Topology();
        t.addSource("src", new StringDeserializer(), new ByteArrayDeserializer(), topics.coverage(), clusterTopic);
        t.addProcessor("put", () -> new Processor<String, byte[], Void, Void>() {
            private ProcessorContext<Void, Void> context;
            private KeyValueStore<String, NamespaceCoverage> coverage;
            private KeyValueStore<String, ClusterLiveness> clusters;

            @Override
            public void init(ProcessorContext<Void, Void> c) {
                context = c;
                coverage = c.getStateStore(QueryTestApp.STORE);
                clusters = c.getStateStore(CLUSTER_STORE);
            }

            @Override
            public void process(Record<String, byte[]> r) {
                String topic = context.recordMetadata().orElseThrow().topic();
                if (topic.equals(clusterTopic)) {
                    clusters.put(r.key(), VALUES.deserializer().deserialize(topic, r.value()));
                } else {
                    coverage.put(r.key(), FencewatchSerdes.namespaceCoverage().deserializer().deserialize(topic, r.value()));
                }
            }
        }, "src");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueryTestApp.STORE), Serdes.String(),
                FencewatchSerdes.namespaceCoverage()), "put");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLUSTER_STORE), Serdes.String(),
                VALUES), "put");
        return t;
    }

    @BeforeAll
    static void startTwoInstances(EmbeddedKafkaBroker kafka) {
        broker = kafka;
        topics = new TopicNames(QueryTestApp.uniquePrefix("clusters"));
        QueryTestApp.createTopics(broker, topics, PARTITIONS);
        broker.createTopic(clusterTopic(), PARTITIONS);
        FencewatchSerdes.namespaceCoverage(); // Avro 1.12 copies records only of trusted classes; a serde adds ours.
        List<NamespaceCoverage> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rows.add(NamespaceCoverage.newBuilder(QueryTestApp.coverage("oke-a", "team-" + i,
                    i % 2 == 0 ? Status.COMPLIANT : Status.NON_COMPLIANT)).setEnforced(true).build());
        }
        QueryTestApp.produceCoverage(broker, topics, rows);
        // oke-a: the most recently heard partition with facts is 1 (v1.31.1, syncing, Calico found); 2 is
        // unreachable; 3 knows no facts (nor enforcement); 0 and 2 found no engine, earlier.
        produce("oke-a", 0, View.oke(T.plusMillis(1), "v1.29.0").withEnforcement(FLANNEL));
        produce("oke-a", 1, View.oke(T.plusMillis(5), "v1.31.1").withSynced(false).withEnforcement(CALICO));
        produce("oke-a", 2, View.oke(T.plusMillis(3), "v1.30.9").withUnreachable("401 Unauthorized", OUTAGE)
                .withEnforcement(FLANNEL));
        produce("oke-a", 3, View.bare(T.plusMillis(9)));
        for (int p = 0; p < PARTITIONS; p++) {
            produce("ctx-b", p, new OnlyLastSeen(T.toEpochMilli()));
            produce("sync-c", p, p == 3 ? View.bare(T).withSynced(false) : View.bare(T));
            produce("stale-d", p, p == 0 ? View.bare(T).withStale() : p == 1 ? View.bare(T).withSynced(false) : View.bare(T));
        }
        String appId = topics.prefix() + "-app";
        a = QueryTestApp.start(broker, appId, topics, Map.of(), Map.of(), topology(topics), CLUSTER_STORE);
        b = QueryTestApp.start(broker, appId, topics, Map.of(), Map.of(), topology(topics), CLUSTER_STORE);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(a.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(b.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(a.streams.streamsMetadataForStore(QueryTestApp.STORE)).hasSize(2)
                    .allSatisfy(m -> assertThat(m.topicPartitions()).isNotEmpty());
        });
    }

    @AfterAll
    static void stop() {
        for (QueryTestApp.Instance i : new QueryTestApp.Instance[] {a, b}) {
            if (i != null) {
                i.close();
            }
        }
    }

    private static void produce(String cluster, int partition, ClusterLiveness value) {
        produce(broker, topics, cluster, partition, value);
    }

    /** One partition's cluster-state value of {@code cluster}. */
    static void produce(EmbeddedKafkaBroker broker, TopicNames topics, String cluster, int partition, ClusterLiveness value) {
        String topic = clusterTopic(topics);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, partition, cluster, VALUES.serializer().serialize(topic, value)));
            producer.flush();
        }
    }

    private static JsonNode clusters(QueryTestApp.Instance i) {
        return InteractiveQueriesIT.json(QueryTestApp.get(i.uri("/api/v1/clusters")), 200);
    }

    private static JsonNode find(JsonNode clusters, String name) {
        for (JsonNode c : clusters) {
            if (c.get("cluster").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name + " in " + clusters);
    }

    @Test
    void shouldPinTheClusterFieldNamesAndMergeFactsAndStateAcrossPartitionsAndInstances() {
        for (QueryTestApp.Instance i : List.of(a, b)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode all = clusters(i);
                assertThat(all).hasSize(4);
                JsonNode oke = find(all, "oke-a");
                assertThat(oke.fieldNames()).toIterable().containsExactlyInAnyOrder("cluster", "namespaces", "compliant",
                        "nonCompliant", "pending", "exempt", "terminating", "stale", "lastSeen", "lastChange",
                        "provider", "region", "compartment", "compartmentId", "ocid", "kubernetesVersion",
                        "endpointType", "state", "error", "unreachableSince", "enforcement", "fenced", "workloads",
                        "fencedShare");
                assertThat(oke.get("namespaces").asInt()).isEqualTo(8);
                assertThat(oke.get("state").asText()).isEqualTo("UNREACHABLE");
                assertThat(oke.get("error").asText()).isEqualTo("401 Unauthorized");
                assertThat(oke.get("unreachableSince").asText()).isEqualTo(OUTAGE.toString());
                assertThat(oke.get("provider").asText()).isEqualTo("oke");
                assertThat(oke.get("kubernetesVersion").asText()).as("facts of the latest partition that has any")
                        .isEqualTo("v1.31.1");
                assertThat(oke.get("region").asText()).isEqualTo("eu-frankfurt-1");
                assertThat(oke.get("compartment").asText()).isEqualTo("prod/eu");
                assertThat(oke.get("compartmentId").asText()).isEqualTo("ocid1.compartment.oc1..prod-eu");
                assertThat(oke.get("ocid").asText()).isEqualTo("ocid1.cluster.oc1.eu-frankfurt-1.a");
                assertThat(oke.get("endpointType").asText()).isEqualTo("PRIVATE_ENDPOINT");
                assertThat(oke.get("lastSeen").asText()).isEqualTo(T.plusMillis(9).toString());
                JsonNode enforcement = oke.get("enforcement");
                assertThat(enforcement.fieldNames()).toIterable().containsExactly("state", "engines", "reason");
                assertThat(enforcement.get("state").asText()).as("of the latest partition that knows it")
                        .isEqualTo("ENFORCED");
                assertThat(enforcement.get("reason").asText()).isEqualTo("enforced by Calico v3.28.0 (kube-system/calico-node)");
                JsonNode engine = enforcement.get("engines").get(0);
                assertThat(engine.fieldNames()).toIterable().containsExactly("name", "version", "namespace", "workload",
                        "desired", "ready");
                assertThat(engine.get("name").asText()).isEqualTo("Calico");
                assertThat(engine.get("version").asText()).isEqualTo("v3.28.0");
                assertThat(engine.get("workload").asText()).isEqualTo("calico-node");
                assertThat(oke.get("fenced").asInt()).isEqualTo(4);
                assertThat(oke.get("fencedShare").asDouble()).isEqualTo(0.5);

                JsonNode ctx = find(all, "ctx-b");
                assertThat(ctx.get("provider").asText()).isEqualTo("kubernetes");
                assertThat(ctx.get("state").asText()).isEqualTo("WATCHING");
                for (String field : List.of("region", "compartment", "compartmentId", "ocid", "kubernetesVersion",
                        "endpointType", "error", "unreachableSince")) {
                    assertThat(ctx.get(field).isNull()).as(field).isTrue();
                }
                assertThat(ctx.at("/enforcement/state").asText()).isEqualTo("UNKNOWN");
                assertThat(ctx.at("/enforcement/engines").size()).isZero();
                assertThat(ctx.get("fenced").asInt()).isZero();
                assertThat(ctx.get("fencedShare").isNull()).as("no user namespaces").isTrue();
                assertThat(find(all, "sync-c").get("state").asText()).isEqualTo("SYNCING");
                assertThat(find(all, "stale-d").get("state").asText()).isEqualTo("STALE");
            });
        }
    }

    @Test
    void shouldWriteEveryClusterStateCountAndOneStateLinePerClusterOnEachInstance() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<String> both = new ArrayList<>();
            for (QueryTestApp.Instance i : List.of(a, b)) {
                String metrics = QueryTestApp.get(i.uri("/metrics")).body();
                both.add(metrics);
                assertThat(metrics).contains("# TYPE fencewatch_clusters gauge", "# TYPE fencewatch_cluster_state gauge");
                for (String state : List.of("WATCHING", "SYNCING", "UNREACHABLE", "STALE")) {
                    assertThat(metrics).containsPattern("(?m)^fencewatch_clusters\\{state=\"" + state + "\"} \\d+$");
                }
                assertThat(metrics).contains("fencewatch_cluster_state{cluster=\"ctx-b\",state=\"WATCHING\"} 1\n");
                assertThat(metrics.lines().filter(l -> l.startsWith("fencewatch_cluster_state{cluster=\"oke-a\""))).hasSize(1);
            }
            // Each instance sees its own partitions: the one holding partition 2 sees the outage.
            assertThat(both).anySatisfy(m ->
                    assertThat(m).contains("fencewatch_cluster_state{cluster=\"oke-a\",state=\"UNREACHABLE\"} 1\n"));
            // The one holding partition 1 sees Calico; no instance writes a line for a cluster of unknown enforcement.
            assertThat(both).anySatisfy(m ->
                    assertThat(m).contains("fencewatch_cluster_policy_enforced{cluster=\"oke-a\"} 1\n"));
            assertThat(both).allSatisfy(m -> assertThat(m)
                    .contains("# TYPE fencewatch_cluster_policy_enforced gauge", "# TYPE fencewatch_namespaces_fenced gauge")
                    .doesNotContain("fencewatch_cluster_policy_enforced{cluster=\"ctx-b\"}"));
            long fenced = both.stream().flatMap(String::lines)
                    .filter(l -> l.startsWith("fencewatch_namespaces_fenced{cluster=\"oke-a\"} "))
                    .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertThat(fenced).as("sum over instances").isEqualTo(4);
        });
    }
}
