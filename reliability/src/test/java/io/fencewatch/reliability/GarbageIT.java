package io.fencewatch.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.processor.DeadLetters;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/**
 * Scenario 4: 10,000 unreadable or invalid records on the inventory topic, aimed at the keys of
 * live namespaces: seeded random bytes, truncated Avro, other record types, tombstones, records
 * without a key, and well-formed events that contradict their key. Every one must land in the DLQ
 * (counted, each naming its source topic, partition and offset and its error), the table must not
 * move, and the processor must stay RUNNING and keep applying valid input.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GarbageIT {
    private static final int GARBAGE = 10_000;
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String CLUSTER = "edge";

    private ProcessorApp processor;
    private Path stateDir;

    @AfterEach
    void tearDown() {
        if (processor != null) {
            processor.close();
        }
        Processors.deleteQuietly(stateDir);
    }

    @Test
    void shouldDeadLetterAll10000AndKeepTheTableWhenInventoryHoldsGarbage(EmbeddedKafkaBroker broker) throws Exception {
        Figures figures = new Figures("scenario4-garbage");
        String bootstrap = broker.bootstrapServers();
        String prefix = Processors.uniquePrefix("garbage");
        String inventory = prefix + ".inventory";
        broker.createTopic(inventory, Processors.PARTITIONS);
        stateDir = Processors.tempDir("garbage");
        processor = Processors.startInProcess(Processors.flags(bootstrap, prefix, prefix + "-app", stateDir, -1));
        await().atMost(WAIT).until(() -> processor.state() == KafkaStreams.State.RUNNING);

        InventoryScript script = new InventoryScript(CLUSTER, 4).begin(Processors.PARTITIONS).churn(200, 40);
        try (KafkaProducer<byte[], byte[]> producer = InventoryScript.producer(bootstrap);
                CoverageView table = new CoverageView(bootstrap, prefix + ".coverage");
                DriftLog drift = new DriftLog(bootstrap, prefix + ".drift")) {
            InventoryScript.send(producer, List.of(inventory), script.items, 0, script.items.size());
            Oracle.ClusterState valid = script.state();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, valid));
            Map<String, NamespaceCoverage> before = new TreeMap<>(table.tableAll());
            int coverageRecordsBefore = table.recordsRead();
            int driftBefore = drift.readAll().size();
            List<String> keys = new ArrayList<>(before.keySet());

            // The garbage, from a seed; remember where each record landed.
            Random random = new Random(44);
            byte[] good = FencewatchSerdes.inventoryEvent().serialize(inventory, script.items.get(script.items.size() - 1).event());
            Map<String, Integer> kinds = new TreeMap<>();
            List<Future<RecordMetadata>> acks = new ArrayList<>(GARBAGE);
            long sendStart = System.nanoTime();
            for (int i = 0; i < GARBAGE; i++) {
                String key = keys.get(random.nextInt(keys.size()));
                ProducerRecord<byte[], byte[]> r = garbage(random, inventory, key, good, kinds);
                acks.add(producer.send(r));
            }
            Set<String> produced = new HashSet<>();
            for (Future<RecordMetadata> f : acks) {
                RecordMetadata m = f.get();
                produced.add(m.partition() + "@" + m.offset());
            }
            figures.put("garbage_records", GARBAGE).put("garbage_kinds", kinds);

            try (TopicReader<byte[], byte[]> dlq = new TopicReader<>(bootstrap, prefix + ".dlq",
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<ConsumerRecord<byte[], byte[]>> dead = dlq.pollUntil(rs -> rs.size() >= GARBAGE, WAIT);
                figures.put("send_to_all_dead_lettered_ms", Figures.millisSince(sendStart));
                assertThat(dead).hasSize(GARBAGE);
                Set<String> where = new HashSet<>();
                Map<String, Integer> stages = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> r : dead) {
                    assertThat(header(r, DeadLetters.TOPIC)).isEqualTo(inventory);
                    assertThat(header(r, DeadLetters.ERROR)).isNotBlank();
                    assertThat(header(r, DeadLetters.ERROR_CLASS)).isNotBlank();
                    where.add(Integer.parseInt(header(r, DeadLetters.PARTITION)) + "@"
                            + Long.parseLong(header(r, DeadLetters.OFFSET)));
                    stages.merge(header(r, DeadLetters.STAGE), 1, Integer::sum);
                }
                assertThat(where).as("each garbage record dead-lettered once, naming where it was")
                        .isEqualTo(produced);
                figures.put("dlq_stages", stages);
                // Nothing more arrives: a short read finds no 10,001st dead letter.
                assertThat(dlq.poll(Duration.ofSeconds(1))).hasSize(GARBAGE);
            }

            assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(table.tableAll()).as("the table is unchanged, record for record").isEqualTo(before);
            assertThat(table.recordsRead()).as("no coverage record written").isEqualTo(coverageRecordsBefore);
            assertThat(drift.readAll()).as("no drift").hasSize(driftBefore);

            // Still processing: valid changes after the garbage are applied.
            int from = script.items.size();
            script.churn(60, 40);
            InventoryScript.send(producer, List.of(inventory), script.items, from, script.items.size());
            Oracle.ClusterState later = script.state();
            await().atMost(WAIT).untilAsserted(() -> Oracle.assertTable(table.tableAll(), CLUSTER, later));
            assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            figures.write();
        }
    }

    /** One garbage record of a random kind, keyed like a live namespace. */
    private static ProducerRecord<byte[], byte[]> garbage(Random random, String topic, String key, byte[] good,
            Map<String, Integer> kinds) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int kind = random.nextInt(7);
        byte[] value;
        String name;
        switch (kind) {
            case 0 -> {
                name = "random-bytes";
                value = new byte[random.nextInt(200)];
                random.nextBytes(value);
            }
            case 1 -> {
                name = "truncated-avro";
                value = Arrays.copyOf(good, random.nextInt(good.length));
            }
            case 2 -> {
                name = "avro-header-random-body";
                value = Arrays.copyOf(good, 10 + random.nextInt(100));
                byte[] tail = new byte[value.length - 10];
                random.nextBytes(tail);
                System.arraycopy(tail, 0, value, 10, tail.length);
            }
            case 3 -> {
                name = "other-record-type";
                value = random.nextBoolean()
                        ? FencewatchSerdes.driftEvent().serialize("x", DriftEvent.newBuilder().setId("d" + random.nextInt())
                                .setCluster(CLUSTER).setNamespace("ns").setReason(DriftReason.POLICY_ADDED)
                                .setDetectedAt(Instant.now()).build())
                        : FencewatchSerdes.namespaceCoverage().serialize("x", NamespaceCoverage.newBuilder()
                                .setCluster(CLUSTER).setNamespace("ns").setStatus(Status.COMPLIANT).setReason("r")
                                .setSince(Instant.now()).setIngress(Grade.NONE).setEgress(Grade.NONE)
                                .setUpdatedAt(Instant.now()).build());
            }
            case 4 -> {
                name = "tombstone";
                value = null;
            }
            case 5 -> {
                name = "no-key";
                k = null;
                value = new byte[1 + random.nextInt(50)];
                random.nextBytes(value);
            }
            default -> {
                // Well-formed Avro whose content contradicts the key: a namespace of another cluster.
                name = "event-contradicting-its-key";
                value = FencewatchSerdes.inventoryEvent().serialize(topic, InventoryEvent.newBuilder()
                        .setSource(new Source("elsewhere", "garbage", 1L, (long) random.nextInt(1000), Instant.now()))
                        .setOp(Op.DELETE).setKind(Kind.NAMESPACE).setNamespace("x").setName("x").build());
            }
        }
        kinds.merge(name, 1, Integer::sum);
        return new ProducerRecord<>(topic, k, value);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
