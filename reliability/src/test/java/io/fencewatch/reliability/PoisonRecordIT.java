package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.processor.DeadLetters;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/**
 * Scenario 7 (issue 19): poison records mixed into a live stream. A gzip producer sends compressible
 * records of 1.5 MB, 5 MB and the topic's maximum (the broker checks the compressed batch, so it
 * takes them); a plain producer sends a 1,048,400-byte random record (it fits the broker's limit,
 * but not the processor's producer once dead-letter headers are added, as the whole payload once
 * did); then a heartbeat with a far-future epoch to every partition, events whose names are not DNS
 * labels, a namespace with a 100,000-entry label map, and 10,000 records of a cluster not listed in
 * {@code --clusters}. Meanwhile a real collector reports namespaces and policies created on the mock
 * API server, one change after another.
 *
 * <p>The processor must stay RUNNING (every Kafka Streams state transition is recorded: none, so no
 * rebalance), {@code /readyz} must answer 200 at every probe, each bad record must be in the DLQ
 * exactly once with a bounded payload, the table must equal the audit of the cluster, and drift of
 * the real changes must keep flowing: its latency (API write to drift readable) is reported as a
 * figure, never asserted on.
 */
@ExtendWith(KafkaBrokerExtension.class)
class PoisonRecordIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String CLUSTER = "sandbox";
    private static final int MAX_MESSAGE_BYTES = 1_048_576;
    private static final int UNLISTED = 10_000;

    private Pipeline pipeline;
    private long poisonEnd;
    private final List<String> transitions = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void shouldStayRunningAndDeadLetterEachPoisonRecordOnceWhenTheyArriveInALiveStream(EmbeddedKafkaBroker broker)
            throws Exception {
        Figures figures = new Figures("scenario7-poison-records");
        int port = Processors.freePort();
        pipeline = Pipeline.start(broker, "poison", CLUSTER, port, Map.of("clusters", CLUSTER),
                Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES)),
                (now, before) -> transitions.add(before + "->" + now));
        MockCluster cluster = pipeline.cluster;
        String inventory = pipeline.prefix + ".inventory";
        cluster.createNamespace("before");
        pipeline.startCollector();
        await().atMost(WAIT).until(() -> ready(port) == 200);
        int transitionsBefore = transitions.size();

        Probe readyz = new Probe(port);
        LiveChanges live = new LiveChanges(pipeline);
        Thread probeThread = new Thread(readyz, "readyz-probe");
        Thread liveThread = new Thread(live, "live-changes");
        Map<String, String> sentKinds = new TreeMap<>();
        try (CoverageView table = pipeline.coverage();
                KafkaProducer<byte[], byte[]> gzip = producer(pipeline.bootstrap, "gzip");
                KafkaProducer<byte[], byte[]> plain = producer(pipeline.bootstrap, "none")) {
            probeThread.start();
            liveThread.start();
            await().atMost(WAIT).until(() -> live.latencies.size() >= 3);

            long epoch = pipeline.openEpoch();
            long poisonStart = System.nanoTime();
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            Random random = new Random(19);
            // Compressible: the broker checks the gzip batch, a few kilobytes.
            for (int size : new int[] {1_500_000, 5_000_000, MAX_MESSAGE_BYTES}) {
                acks.add(gzip.send(new ProducerRecord<>(inventory, key(CLUSTER + "/big-" + size), compressible(size))));
                kinds.add("compressible-" + size);
            }
            // Incompressible, just under the broker's limit.
            byte[] noise = new byte[1_048_400];
            random.nextBytes(noise);
            acks.add(plain.send(new ProducerRecord<>(inventory, key(CLUSTER + "/noise"), noise)));
            kinds.add("incompressible-1048400");
            // A forged heartbeat far in the future, to every partition (as a collector sends it).
            for (int p = 0; p < Processors.PARTITIONS; p++) {
                InventoryEvent hb = InventoryEvent.newBuilder()
                        .setSource(new Source(CLUSTER, "intruder", 9_000_000_000_000_000_000L, 0L, Instant.now()))
                        .setOp(Op.HEARTBEAT).build();
                acks.add(plain.send(new ProducerRecord<>(inventory, p, key(Keys.marker(CLUSTER)), encode(inventory, hb))));
                kinds.add("far-future-heartbeat");
            }
            // Names that are not DNS labels, each with a key that agrees with its event.
            for (String ns : List.of("<img src=x onerror=alert(1)>", "../../etc/passwd", "evil\r\nkind: Secret")) {
                acks.add(plain.send(new ProducerRecord<>(inventory, key(CLUSTER + "/" + ns),
                        encode(inventory, namespace(CLUSTER, ns, epoch, Map.of())))));
                kinds.add("non-dns-name");
            }
            // A label map of 100,000 entries (about 700 KB: under the size limit, over the map bound).
            Map<String, String> labels = new HashMap<>();
            for (int i = 0; i < 100_000; i++) {
                labels.put("l" + Integer.toString(i, 36), "");
            }
            acks.add(plain.send(new ProducerRecord<>(inventory, key(CLUSTER + "/label-bomb"),
                    encode(inventory, namespace(CLUSTER, "label-bomb", epoch, labels)))));
            kinds.add("label-map-100000");
            // 10,000 records of a cluster nobody runs.
            for (int i = 0; i < UNLISTED; i++) {
                acks.add(plain.send(new ProducerRecord<>(inventory, key("victim/ns-" + i),
                        encode(inventory, namespace("victim", "ns-" + i, epoch, Map.of())))));
                kinds.add("unlisted-cluster");
            }
            long sendStart = System.nanoTime();
            Map<String, String> produced = new HashMap<>();
            for (int i = 0; i < acks.size(); i++) {
                RecordMetadata m = acks.get(i).get();
                produced.put(m.partition() + "@" + m.offset(), kinds.get(i));
            }
            kinds.forEach(k -> sentKinds.merge(k, "1", (a, b) -> Integer.toString(Integer.parseInt(a) + 1)));
            figures.put("poison_records", produced.size()).put("poison_kinds", sentKinds);

            try (TopicReader<byte[], byte[]> dlq = new TopicReader<>(pipeline.bootstrap, pipeline.prefix + ".dlq",
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<ConsumerRecord<byte[], byte[]>> dead = dlq.pollUntil(rs -> rs.size() >= produced.size(), WAIT);
                poisonEnd = System.nanoTime();
                figures.put("send_to_all_dead_lettered_ms", Figures.millisSince(sendStart));
                Map<String, Integer> where = new HashMap<>();
                Map<String, Integer> reasons = new TreeMap<>();
                int largestValue = 0;
                int largestRecord = 0;
                for (ConsumerRecord<byte[], byte[]> r : dead) {
                    assertThat(header(r, DeadLetters.TOPIC)).isEqualTo(inventory);
                    where.merge(header(r, DeadLetters.PARTITION) + "@" + header(r, DeadLetters.OFFSET), 1, Integer::sum);
                    reasons.merge(header(r, DeadLetters.REASON), 1, Integer::sum);
                    int value = r.value() == null ? 0 : r.value().length;
                    assertThat(value).as("bounded payload").isLessThanOrEqualTo(64 * 1024);
                    largestValue = Math.max(largestValue, value);
                    int size = value + (r.key() == null ? 0 : r.key().length);
                    for (Header h : r.headers()) {
                        size += h.key().length() + (h.value() == null ? 0 : h.value().length);
                    }
                    largestRecord = Math.max(largestRecord, size);
                }
                assertThat(where.keySet()).as("each poison record dead-lettered, naming where it was")
                        .isEqualTo(produced.keySet());
                assertThat(where.values()).as("each exactly once").containsOnly(1);
                assertThat(dlq.poll(Duration.ofSeconds(2))).as("nothing more").hasSize(produced.size());
                figures.put("dlq_reasons", reasons).put("dlq_largest_value_bytes", largestValue)
                        .put("dlq_largest_record_bytes", largestRecord);
                assertThat(reasons).containsEntry("too-large", 3).containsEntry("unreadable", 1)
                        .containsEntry("epoch-skew", Processors.PARTITIONS).containsEntry("invalid-name", 3)
                        .containsEntry("facts-too-large", 1).containsEntry("unlisted-cluster", UNLISTED);
            }

            // Real changes keep flowing after the poison, then the run stops.
            int seen = live.latencies.size();
            await().atMost(WAIT).until(() -> live.latencies.size() >= seen + 5);
            live.stop.set(true);
            readyz.stop.set(true);
            liveThread.join(WAIT.toMillis());
            probeThread.join(WAIT.toMillis());
            assertThat(live.failure).as("live changes").isNull();

            Oracle.ClusterState audit = cluster.audit();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, audit));
            Map<String, NamespaceCoverage> rows = table.tableAll();
            assertThat(rows.keySet()).as("only the listed cluster, only DNS names")
                    .allMatch(k -> k.matches(CLUSTER + "/[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
            assertThat(transitions.subList(transitionsBefore, transitions.size()))
                    .as("no state transition while the poison was processed (no rebalance)").isEmpty();
            assertThat(pipeline.processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(readyz.non200.get()).as("/readyz answered 200 to every probe of " + readyz.probes.get())
                    .isZero();
            assertThat(pipeline.processor.dlqFailures().failures()).isZero();
            assertThat(Processors.get(port, "/metrics").body()).contains("fencewatch_dlq_write_failures_total 0");
            assertThat(pipeline.fatal).isEmpty();

            // Latency of changes written before, while and after the poison was processed.
            Map<String, Long> maxByPhase = new TreeMap<>();
            for (int i = 0; i < live.latencies.size(); i++) {
                long t = live.startedAt.get(i);
                long end = t + live.latencies.get(i) * 1_000_000;
                String phase = end < poisonStart ? "1-before" : t > poisonEnd ? "3-after" : "2-overlapping";
                maxByPhase.merge(phase + "-max-ms", live.latencies.get(i), Math::max);
                maxByPhase.merge(phase + "-count", 1L, Long::sum);
            }
            figures.put("drift_latency_by_phase", maxByPhase);
            List<Long> sorted = new ArrayList<>(live.latencies);
            Collections.sort(sorted);
            figures.put("live_changes", sorted.size())
                    .put("drift_latency_p50_ms", sorted.get(sorted.size() / 2))
                    .put("drift_latency_p99_ms", sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))))
                    .put("drift_latency_max_ms", sorted.get(sorted.size() - 1))
                    .put("readyz_probes", readyz.probes.get()).put("readyz_non_200", readyz.non200.get())
                    .put("streams_transitions_during_scenario", transitions.size() - transitionsBefore)
                    .put("namespaces_final", audit.namespaces().size());
        } finally {
            live.stop.set(true);
            readyz.stop.set(true);
            figures.write();
        }
    }

    private static int ready(int port) {
        HttpResponse<String> r = Processors.get(port, "/readyz");
        return r == null ? -1 : r.statusCode();
    }

    /** Probes /readyz every 100 ms and counts what was not 200. */
    private static final class Probe implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger probes = new AtomicInteger();
        final AtomicInteger non200 = new AtomicInteger();
        private final int port;

        Probe(int port) {
            this.port = port;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                probes.incrementAndGet();
                if (ready(port) != 200) {
                    non200.incrementAndGet();
                }
                await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> true);
            }
        }
    }

    /**
     * One real change after another on the mock API server: a namespace created without a policy,
     * then a default-deny policy in it; each time the latency from the API write to its drift.
     */
    private static final class LiveChanges implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Long> latencies = new CopyOnWriteArrayList<>();
        /** When each measured change was written (nanoTime), beside its latency. */
        final List<Long> startedAt = new CopyOnWriteArrayList<>();
        volatile Throwable failure;
        private final Pipeline pipeline;

        LiveChanges(Pipeline pipeline) {
            this.pipeline = pipeline;
        }

        @Override
        public void run() {
            try (DriftLog drift = pipeline.drift()) {
                for (int i = 0; !stop.get(); i++) {
                    String ns = "live-" + i;
                    long t0 = System.nanoTime();
                    pipeline.cluster.createNamespace(ns);
                    await().atMost(WAIT).until(() -> has(drift.read(), ns, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY));
                    startedAt.add(t0);
                    latencies.add(Figures.millisSince(t0));
                    t0 = System.nanoTime();
                    pipeline.cluster.createDefaultDeny(ns, "default-deny");
                    await().atMost(WAIT).until(() -> has(drift.read(), ns, DriftReason.POLICY_ADDED));
                    startedAt.add(t0);
                    latencies.add(Figures.millisSince(t0));
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        private static boolean has(List<DriftEvent> drift, String ns, DriftReason reason) {
            return drift.stream().anyMatch(d -> d.getNamespace().equals(ns) && d.getReason() == reason);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap, String compression) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        // The client checks the uncompressed size; an adversary simply raises it.
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(16 * 1024 * 1024));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static byte[] compressible(int size) {
        byte[] b = new byte[size];
        byte[] pattern = "{\"kind\":\"NetworkPolicy\",\"spec\":{}}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            b[i] = pattern[i % pattern.length];
        }
        return b;
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] encode(String topic, InventoryEvent e) {
        return FencewatchSerdes.inventoryEvent().serialize(topic, e);
    }

    private static InventoryEvent namespace(String cluster, String ns, long epoch, Map<String, String> labels) {
        return InventoryEvent.newBuilder()
                .setSource(new Source(cluster, "forger", epoch, 1_000_000L, Instant.now()))
                .setOp(Op.UPSERT).setKind(Kind.NAMESPACE).setNamespace(ns).setName(ns)
                .setNamespaceFacts(new NamespaceFacts("Active", labels, Map.of(), Instant.now(), null)).build();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
