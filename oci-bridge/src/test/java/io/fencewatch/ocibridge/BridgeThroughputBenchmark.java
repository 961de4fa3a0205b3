package io.fencewatch.ocibridge;

import io.fencewatch.oci.OciClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

import com.oracle.bmc.streaming.StreamClient;
import com.oracle.bmc.streaming.model.PutMessagesDetails;
import com.oracle.bmc.streaming.model.PutMessagesDetailsEntry;
import com.oracle.bmc.streaming.requests.PutMessagesRequest;

import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * A benchmark, not a test (a {@code main}, never run by {@code verify}): an initial sync of
 * 10,000 namespaces (with facts) and 20,000 policy events (without facts: smaller than real ones) (one epoch, 30,002 events) already in an OCI stream
 * of the stand-in (4 partitions), forwarded by the bridge into a 3-partition inventory topic of an
 * in-process broker, start → every record acked; against the same events produced straight to Kafka
 * in the same run. Prints one table row per path and {@code name=value} lines.
 *
 * <p>Run: see oci-bridge/README.md ("Benchmark").
 */
public final class BridgeThroughputBenchmark {
    private BridgeThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int namespaces = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int policies = namespaces * 2;
        AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
        String cluster = "bench";
        long epoch = 1;
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        long seq = 0;
        Instant at = Instant.now();
        keys.add(cluster + "/*");
        values.add(serde.serialize("x", marker(cluster, epoch, seq++, Op.SYNC_START, at, null)));
        for (int i = 0; i < namespaces; i++) {
            String ns = "team-" + i;
            keys.add(cluster + "/" + ns);
            values.add(serde.serialize("x", object(cluster, epoch, seq++, ns, ns, Kind.NAMESPACE, at)));
        }
        for (int i = 0; i < policies; i++) {
            String ns = "team-" + (i % namespaces);
            keys.add(cluster + "/" + ns);
            values.add(serde.serialize("x", object(cluster, epoch, seq++, ns, "default-deny-" + i, Kind.NETWORK_POLICY, at)));
        }
        keys.add(cluster + "/*");
        values.add(serde.serialize("x", marker(cluster, epoch, seq++, Op.SYNC_END, at,
                new SyncInfo(1, 0, (long) namespaces, (long) policies, (long) namespaces, (long) policies))));
        int events = keys.size();

        Path dir = Files.createTempDirectory("fw-bridge-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startNew();
                StreamingStub stub = StreamingStub.start(Clock.systemUTC())) {
            OciTestCredentials creds = OciTestCredentials.create(dir.resolve("oci"), "DEFAULT");
            stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
            String stream = stub.createStream("bench", 4);
            var auth = OciClients.auth(OciClients.API_KEY, creds.configFile(), "DEFAULT");
            try (StreamClient put = OciClients.streamClient(auth, stub.endpoint())) {
                List<PutMessagesDetailsEntry> batch = new ArrayList<>();
                long bytes = 0;
                for (int i = 0; i < events; i++) {
                    byte[] k = keys.get(i).getBytes(StandardCharsets.UTF_8);
                    if (batch.size() == 1000 || bytes + k.length + values.get(i).length > 1_000_000) {
                        put.putMessages(PutMessagesRequest.builder().streamId(stream)
                                .putMessagesDetails(PutMessagesDetails.builder().messages(batch).build()).build());
                        batch = new ArrayList<>();
                        bytes = 0;
                    }
                    batch.add(PutMessagesDetailsEntry.builder().key(k).value(values.get(i)).build());
                    bytes += k.length + values.get(i).length;
                }
                put.putMessages(PutMessagesRequest.builder().streamId(stream)
                        .putMessagesDetails(PutMessagesDetails.builder().messages(batch).build()).build());
            }

            System.out.printf(Locale.ROOT, "| round | path | events | seconds | events/s |%n|---|---|---|---|---|%n");
            StringBuilder figures = new StringBuilder();
            for (int round = 1; round <= 2; round++) {
                // Direct: the same records, produced to explicit partitions as the Kafka-path collector does.
                String direct = "direct" + round;
                broker.createTopic(direct + ".inventory", 3);
                long t0 = System.nanoTime();
                try (KafkaProducer<String, byte[]> p = producer(broker)) {
                    for (int i = 0; i < events; i++) {
                        String k = keys.get(i);
                        if (k.endsWith("/*")) {
                            for (int part = 0; part < 3; part++) {
                                p.send(new ProducerRecord<>(direct + ".inventory", part, k, values.get(i)));
                            }
                        } else {
                            int part = Utils.toPositive(Utils.murmur2(k.getBytes(StandardCharsets.UTF_8))) % 3;
                            p.send(new ProducerRecord<>(direct + ".inventory", part, k, values.get(i)));
                        }
                    }
                    p.flush();
                }
                double directSeconds = (System.nanoTime() - t0) / 1e9;

                String bridged = "bridge" + round;
                broker.createTopic(bridged + ".inventory", 3);
                long expected = events - 2 + 2L * 3;
                long t1 = System.nanoTime();
                OciBridge bridge = new OciBridge(new OciBridge.Settings(stream, "bench-" + round, "b-0",
                        new TopicNames(bridged), Duration.ofSeconds(30), 500_000, Duration.ofSeconds(1), true),
                        OciClients.streamClient(auth, stub.endpoint()), producer(broker)).start();
                while (bridge.metrics().get("records_acked_total") < expected) {
                    if (bridge.healthProblem() != null) {
                        throw new IllegalStateException(bridge.healthProblem());
                    }
                    Thread.sleep(5); // polling a counter in a benchmark harness, not a test wait
                }
                double bridgeSeconds = (System.nanoTime() - t1) / 1e9;
                Map<String, Long> m = bridge.metrics();
                bridge.close(Duration.ofSeconds(10));
                System.out.printf(Locale.ROOT, "| %d | direct to Kafka (explicit partitions) | %d | %.2f | %.0f |%n", round,
                        events, directSeconds, events / directSeconds);
                System.out.printf(Locale.ROOT, "| %d | OCI stand-in → oci-bridge → Kafka (pre-filled stream, 4 OCI partitions) | %d | %.2f | %.0f |%n",
                        round, events, bridgeSeconds, events / bridgeSeconds);
                figures.append(String.format(Locale.ROOT, "round%d_direct_events_per_s=%.0f%nround%d_bridge_events_per_s=%.0f%n"
                        + "round%d_bridge_duplicates=%d%nround%d_bridge_gaps=%d%n", round, events / directSeconds, round,
                        events / bridgeSeconds, round, m.get("duplicates_dropped_total"), round, m.get("gaps_skipped_total")));
            }
            System.out.print(figures);
        }
    }

    private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker broker) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static InventoryEvent marker(String cluster, long epoch, long seq, Op op, Instant at, SyncInfo info) {
        return new InventoryEvent(new Source(cluster, "bench", epoch, seq, at), op, null, null, null, null, null, null, null,
                info, false, null);
    }

    private static InventoryEvent object(String cluster, long epoch, long seq, String ns, String name, Kind kind, Instant at) {
        NamespaceFacts facts = kind == Kind.NAMESPACE
                ? new NamespaceFacts("Active", Map.of("kubernetes.io/metadata.name", ns, "team", ns), Map.of(), at, null)
                : null;
        return new InventoryEvent(new Source(cluster, "bench", epoch, seq, at), Op.SNAPSHOT, kind, ns, name,
                "uid-" + name, "12345", facts, null, null, false, null);
    }
}
