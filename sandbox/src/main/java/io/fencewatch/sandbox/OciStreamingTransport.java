package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.oci.OciClients;
import io.fencewatch.ocibridge.BridgeConfig;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.ocibridge.OciBridgeMain;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.TopicNames;

/**
 * {@code --transport oci-streaming}: the OCI Streaming stand-in ({@code oci-stub}'s {@link StreamingStub}, every
 * request's signature checked; not OCI) with one stream, the throw-away API key the collector and the bridge sign
 * with, and the oci-bridge forwarding the stream into the broker's inventory topic. The collector gets
 * {@code --sink=oci-streaming} on that stream ({@link #collectorFlags()}); the bridge is wired from a
 * {@link BridgeConfig} as {@code fencewatch oci-bridge} wires itself (its producer settings, its client).
 *
 * <p>The stand-in lives in memory: each start has a new stream, which the collector's new epoch fills again.
 * A watcher logs (ERROR, so the terminal shows it too) once the bridge has stopped.
 */
final class OciStreamingTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OciStreamingTransport.class);
    static final String STREAM_NAME = "fencewatch-inventory";
    static final int PARTITIONS = 4;
    static final String GROUP = "fencewatch-sandbox-bridge";
    static final String INSTANCE = "sandbox-bridge";
    private static final Duration WATCH_EVERY = Duration.ofSeconds(1);

    private final OciTestCredentials creds;
    private final StreamingStub stub;
    private final String streamId;
    private OciBridge bridge;
    private ScheduledExecutorService watcher;
    private String reported;

    /**
     * Starts the stand-in with its stream and trusts the key of {@code shared} (the OKE fleet's, whose collector
     * signs everything with one key), or of new credentials written to {@code dir} when null.
     */
    OciStreamingTransport(Path dir, OciTestCredentials shared) {
        this.creds = shared != null ? shared : OciTestCredentials.create(dir, "DEFAULT");
        ownerOnly(creds.keyFile());
        try {
            this.stub = StreamingStub.start(Clock.systemUTC());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the OCI Streaming stand-in", e);
        }
        stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        this.streamId = stub.createStream(STREAM_NAME, PARTITIONS);
        LOG.info("OCI Streaming stand-in at {}: stream {} ({}, {} partitions), requests signed with the key of {}",
                stub.endpoint(), streamId, STREAM_NAME, PARTITIONS, creds.configFile());
    }

    /** The collector's flags for the sink: the stream, its endpoint looked up with GetStream, the key. */
    Map<String, String> collectorFlags() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("sink", "oci-streaming");
        c.put("oci-stream-ocid", streamId);
        c.put("oci-admin-endpoint", stub.endpoint());
        c.put("oci-auth", OciClients.API_KEY);
        c.put("oci-config-file", creds.configFile().toString());
        c.put("oci-profile", creds.profile());
        return c;
    }

    /** Starts the bridge from the stream into {@code topics}' inventory topic on {@code bootstrapServers}. */
    synchronized void startBridge(String bootstrapServers, TopicNames topics) {
        Map<String, String> b = new LinkedHashMap<>();
        b.put("oci-stream-ocid", streamId);
        b.put("oci-messages-endpoint", stub.endpoint());
        b.put("oci-auth", OciClients.API_KEY);
        b.put("oci-config-file", creds.configFile().toString());
        b.put("oci-profile", creds.profile());
        b.put("oci-group", GROUP);
        b.put("oci-instance", INSTANCE);
        b.put("bootstrap-servers", bootstrapServers);
        b.put("topic-prefix", topics.prefix());
        b.put("http-port", "-1"); // one HTTP port in the sandbox: the dashboard's
        BridgeConfig config = BridgeConfig.fromMap(b);
        bridge = new OciBridge(OciBridge.Settings.from(config), OciClients.streamClient(config),
                OciBridgeMain.producer(config)).start();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fencewatch-sandbox-bridge-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::watch, WATCH_EVERY.toMillis(), WATCH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void watch() {
        OciBridge b;
        synchronized (this) {
            b = bridge;
        }
        if (b == null) {
            return;
        }
        String problem = b.healthProblem();
        if (problem != null && reported == null) { // a stopped bridge stays stopped: once
            LOG.error("oci-bridge stopped: {}; the collector's events no longer reach Kafka (stream {})", problem, streamId);
            reported = problem;
        }
    }

    /** Null while the bridge runs; else why not (for the sandbox's health, and logged by the watcher). */
    String healthProblem() {
        OciBridge b = bridge();
        if (b == null) {
            return "oci-bridge not started";
        }
        String why = b.healthProblem();
        return why == null ? null : "oci-bridge: " + why;
    }

    /** Null once the bridge has read the stream to its end once and OCI answers; else why not. */
    String readinessProblem() {
        OciBridge b = bridge();
        if (b == null) {
            return "oci-bridge not started";
        }
        String why = b.readinessProblem();
        return why == null ? null : "oci-bridge: " + why;
    }

    /** The banner's line (no key material: the endpoint, the stream, its partitions). */
    String bannerLine() {
        return "  Transport  collector → OCI Streaming stand-in " + stub.endpoint() + " (stream " + streamId + ", "
                + PARTITIONS + " partitions; not OCI) → oci-bridge → Kafka";
    }

    StreamingStub stub() {
        return stub;
    }

    String streamId() {
        return streamId;
    }

    synchronized OciBridge bridge() {
        return bridge;
    }

    OciTestCredentials credentials() {
        return creds;
    }

    /** Stops the bridge (flushes Kafka, commits the group's offsets), within {@code timeout}. Safe twice. */
    void closeBridge(Duration timeout) {
        OciBridge b;
        synchronized (this) {
            if (watcher != null) {
                watcher.shutdownNow();
            }
            b = bridge;
        }
        if (b != null) {
            b.close(timeout);
        }
    }

    /** Stops the stand-in (after the bridge and the collector). */
    void closeStub() {
        stub.close();
    }

    @Override
    public void close() {
        closeBridge(Duration.ofSeconds(2));
        closeStub();
    }

    /** The private key readable by its owner only, where the file system has POSIX permissions. */
    private static void ownerOnly(Path key) {
        try {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.debug("cannot restrict {}: {}", key, e.toString());
        }
    }
}
