package io.fencewatch.reliability;

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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;

/** Starts stream processors: in this JVM ({@link ProcessorApp}) or as a child JVM ({@code ProcessorMain}). */
final class Processors {
    private static final Logger LOG = LoggerFactory.getLogger(Processors.class);
    static final int PARTITIONS = 3;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Processors() {
    }

    static String uniquePrefix(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path tempDir(String what) {
        try {
            return Files.createTempDirectory("fw-rel-" + what + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    /**
     * The flags every scenario uses: exactly-once (the default), 3 partitions, no grace period (a
     * namespace without policy is NON_COMPLIANT at once, as the oracle says), and staleness far
     * beyond a test's length (so no time-driven drift).
     */
    static Map<String, String> flags(String bootstrap, String prefix, String appId, Path stateDir, int httpPort) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("bootstrap-servers", bootstrap);
        f.put("topic-prefix", prefix);
        f.put("application-id", appId);
        f.put("state-dir", stateDir.toString());
        f.put("partitions", Integer.toString(PARTITIONS));
        f.put("grace-period", "0s");
        f.put("stale-after", "30m");
        f.put("tick-interval", "500ms");
        f.put("http-port", Integer.toString(httpPort));
        // A member that vanishes without leaving (SIGKILL) is noticed after the session timeout:
        // Kafka's 45 s default would only make the scenarios slower; the broker's minimum is 6 s.
        f.put("kafka.session.timeout.ms", "6000");
        f.put("kafka.heartbeat.interval.ms", "1500");
        if (httpPort > 0) {
            f.put("application-server", "127.0.0.1:" + httpPort);
            f.put("query.http.bind", "127.0.0.1");
        }
        return f;
    }

    static ProcessorApp startInProcess(Map<String, String> flags) {
        return new ProcessorApp(ProcessorConfig.fromMap(flags)).start();
    }

    /** GET on a processor's query surface; null when nothing answers (connection refused, timeout). */
    static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A processor in its own JVM ({@code ProcessorMain}), killable with SIGKILL. */
    static final class Child implements AutoCloseable {
        final String name;
        final Map<String, String> flags;
        final Path log;
        private Process process;

        Child(String name, Map<String, String> flags) {
            this.name = name;
            this.flags = Map.copyOf(flags);
            Path dir = Path.of(System.getProperty("fencewatch.logs.dir", System.getProperty("java.io.tmpdir")));
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.log = dir.resolve(name + ".log");
        }

        synchronized Child start() {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx512m");
            cmd.add("-XX:+UseSerialGC");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.fencewatch.processor.ProcessorMain");
            flags.forEach((k, v) -> cmd.add("--" + k + "=" + v));
            try {
                process = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start a child processor", e);
            }
            LOG.info("child processor {} started: pid {} (log {})", name, process.pid(), log);
            return this;
        }

        synchronized long pid() {
            return process.pid();
        }

        synchronized boolean alive() {
            return process != null && process.isAlive();
        }

        /** SIGKILL: no shutdown hook, no transaction abort, no leave-group. */
        synchronized void kill() {
            if (process != null && process.isAlive()) {
                long pid = process.pid();
                process.destroyForcibly();
                try {
                    process.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LOG.info("child processor {} (pid {}) killed with SIGKILL", name, pid);
            }
        }

        @Override
        public synchronized void close() {
            if (process == null || !process.isAlive()) {
                return;
            }
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
