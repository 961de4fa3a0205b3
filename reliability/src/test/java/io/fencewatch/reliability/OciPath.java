package io.fencewatch.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.fencewatch.collector.Collector;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.oci.OciClients;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.TopicNames;

/**
 * The OCI Streaming path of a {@link Pipeline}: the Streaming stand-in (not OCI: see oci-stub's
 * README) with a stream, a collector publishing to it with {@code --sink=oci-streaming}, and the
 * oci-bridge forwarding it into the pipeline's inventory topic.
 */
final class OciPath implements AutoCloseable {
    static final int OCI_PARTITIONS = 4;
    static final String GROUP = "fencewatch-bridge";
    static final String INSTANCE = "bridge-0";

    final StreamingStub stub;
    final String stream;
    final OciTestCredentials creds;
    private final Pipeline pipeline;
    private OciBridge bridge;

    OciPath(Pipeline pipeline) {
        this.pipeline = pipeline;
        try {
            this.stub = StreamingStub.start(Clock.systemUTC());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path dir = Processors.tempDir("oci");
        this.creds = OciTestCredentials.create(dir, "FENCEWATCH");
        stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        this.stream = stub.createStream("fencewatch-inventory", OCI_PARTITIONS);
    }

    /** A collector on the pipeline's mock cluster writing to the stream (endpoint looked up with GetStream). */
    Collector startCollector() {
        CollectorConfig config = CollectorConfig.fromMap(Map.ofEntries(Map.entry("cluster-id", pipeline.clusterId),
                Map.entry("sink", "oci-streaming"), Map.entry("oci-stream-ocid", stream),
                Map.entry("oci-admin-endpoint", stub.endpoint()), Map.entry("oci-config-file", creds.configFile().toString()),
                Map.entry("oci-profile", creds.profile()), Map.entry("topic-prefix", pipeline.prefix),
                Map.entry("http-port", "-1"), Map.entry("list-page-size", "0"), Map.entry("heartbeat-interval", "5s"),
                Map.entry("shutdown-timeout", "5s")));
        Collector c = new Collector(config, target -> pipeline.cluster.newClient(),
                (id, reason) -> pipeline.fatal.add(id + ": " + reason));
        try {
            return c.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    OciBridge startBridge(boolean ordered) {
        OciBridge.Settings s = new OciBridge.Settings(stream, GROUP, INSTANCE, new TopicNames(pipeline.prefix),
                Duration.ofSeconds(30), 500_000, Duration.ofMillis(200), true);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, pipeline.bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        var client = OciClients.streamClient(OciClients.auth(OciClients.API_KEY, creds.configFile(), creds.profile()),
                stub.endpoint());
        bridge = new OciBridge(ordered ? s : s.unordered(), client,
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())).start();
        return bridge;
    }

    /**
     * {@code fencewatch oci-bridge}'s real entry point in a child JVM (so that it can be SIGKILLed),
     * on this stream, the pipeline's Kafka and prefix, with a stable instance name.
     */
    Process startBridgeProcess(Path log) {
        return startBridgeProcess(log, -1);
    }

    /** As {@link #startBridgeProcess(Path)}, serving {@code /readyz} and {@code /metrics} on {@code httpPort}. */
    Process startBridgeProcess(Path log, int httpPort) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "io.fencewatch.ocibridge.OciBridgeMain",
                "--oci-stream-ocid=" + stream, "--oci-messages-endpoint=" + stub.endpoint(),
                "--oci-config-file=" + creds.configFile(), "--oci-profile=" + creds.profile(),
                "--oci-group=" + GROUP, "--oci-instance=" + INSTANCE, "--bootstrap-servers=" + pipeline.bootstrap,
                "--topic-prefix=" + pipeline.prefix, "--commit-interval=200ms", "--http-port=" + httpPort, "--http-bind=127.0.0.1"));
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    OciBridge bridge() {
        return bridge;
    }

    /**
     * Appends items {@code [from, to)} of a script to the stream with PutMessages, as a collector would:
     * markers once, keyed {@code <cluster>/*} (their script partition is ignored: OCI picks it from the
     * key). An entry that fails comes back inside the 200 answer: the batch is retried from the first
     * failed entry on, so each key's order holds (entries after it may be appended twice: duplicates
     * the bridge drops).
     */
    void put(List<InventoryScript.Item> items, int from, int to) {
        var serde = io.fencewatch.schema.serde.FencewatchSerdes.inventoryEvent();
        List<com.oracle.bmc.streaming.model.PutMessagesDetailsEntry> entries = new java.util.ArrayList<>();
        for (int i = from; i < to; i++) {
            InventoryScript.Item item = items.get(i);
            entries.add(com.oracle.bmc.streaming.model.PutMessagesDetailsEntry.builder()
                    .key(item.key().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .value(serde.serialize("oci", item.event())).build());
        }
        for (int attempt = 0; !entries.isEmpty(); attempt++) {
            if (attempt > 50) {
                throw new IllegalStateException("PutMessages kept failing");
            }
            var result = messagesClient().putMessages(com.oracle.bmc.streaming.requests.PutMessagesRequest.builder()
                    .streamId(stream).putMessagesDetails(com.oracle.bmc.streaming.model.PutMessagesDetails.builder()
                            .messages(entries).build())
                    .build()).getPutMessagesResult();
            int firstFailed = -1;
            for (int i = 0; i < result.getEntries().size() && firstFailed < 0; i++) {
                if (result.getEntries().get(i).getError() != null) {
                    firstFailed = i;
                }
            }
            entries = firstFailed < 0 ? List.of() : List.copyOf(entries.subList(firstFailed, entries.size()));
        }
    }

    private com.oracle.bmc.streaming.StreamClient messages;

    private synchronized com.oracle.bmc.streaming.StreamClient messagesClient() {
        if (messages == null) {
            messages = OciClients.streamClient(OciClients.auth(OciClients.API_KEY, creds.configFile(), creds.profile()),
                    stub.endpoint());
        }
        return messages;
    }

    /** An OCI partition that holds some namespaces of {@code names} but not the cluster's markers. */
    int partitionWithoutMarkers(List<String> names) {
        int marker = StreamingStub.partitionOf((pipeline.clusterId + "/*").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                OCI_PARTITIONS);
        for (String n : names) {
            int p = StreamingStub.partitionOf((pipeline.clusterId + "/" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    OCI_PARTITIONS);
            if (p != marker) {
                return p;
            }
        }
        throw new IllegalStateException("every namespace shares the markers' partition");
    }

    /** Namespaces of {@code names} whose key lands on OCI partition {@code p}. */
    List<String> namespacesOn(int p, java.util.Collection<String> names) {
        return names.stream().filter(n -> StreamingStub.partitionOf((pipeline.clusterId + "/" + n)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), OCI_PARTITIONS) == p).toList();
    }

    @Override
    public void close() {
        if (bridge != null) {
            bridge.close(Duration.ofSeconds(5));
        }
        if (messages != null) {
            messages.close();
        }
        stub.close();
    }
}
