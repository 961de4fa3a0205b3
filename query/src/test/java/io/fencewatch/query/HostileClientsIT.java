package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Issue 20's probe, as a test: 500 half-open connections and 200 SSE streams held open while
 * {@code /healthz} answers every probe and 1,000 REST requests (32 at a time) all succeed. Before
 * the switch to Vert.x, 73 half-open connections silenced {@code /healthz}. The figures (probe
 * latency, REST throughput) are printed and written to {@code target/hostile-clients.txt}; only
 * correctness is asserted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HostileClientsIT {
    private static final int HALF_OPEN = 500;
    private static final int SSE = 200;
    private static final int REQUESTS = 1000;
    private static final int CONCURRENCY = 32;

    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance app;

    @BeforeAll
    static void start(EmbeddedKafkaBroker kafka) {
        broker = kafka;
        topics = new TopicNames(QueryTestApp.uniquePrefix("load"));
        QueryTestApp.createTopics(broker, topics, 2);
        QueryTestApp.produceCoverage(broker, topics, List.of(QueryTestApp.coverage("alpha", "web", Status.NON_COMPLIANT),
                QueryTestApp.coverage("alpha", "db", Status.COMPLIANT)));
        // Defaults but two: more SSE streams than the default 64, and a header deadline long enough
        // that the half-open connections stay held for the whole test (by default they go after 10 s).
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(
                QueryConfig.SSE_CLIENTS.name(), "256",
                QueryConfig.HEADER_TIMEOUT.name(), "120000"), Map.of());
        await().atMost(Duration.ofSeconds(60)).until(() ->
                QueryTestApp.get(app.uri("/api/v1/clusters/alpha/namespaces/web")).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldAnswerEveryProbeAndEveryRequestWhenHalfOpenConnectionsAndSseStreamsAreHeld() throws Exception {
        List<Socket> halfOpen = new ArrayList<>();
        List<Socket> streams = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CONCURRENCY);
        try {
            for (int i = 0; i < HALF_OPEN; i++) {
                Socket s = RawHttp.connect(app.port);
                // Half a request head, as in the issue: never finished.
                String head = i % 2 == 0 ? "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                        : "GET /api/v1/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
                s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                halfOpen.add(s);
            }
            for (int i = 0; i < SSE; i++) {
                Socket s = RawHttp.connect(app.port);
                s.getOutputStream().write(("GET /api/v1/drift/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                RawHttp.Response r = RawHttp.read(s.getInputStream());
                assertThat(r.status()).as("SSE stream %d", i).isEqualTo(200);
                streams.add(s);
            }
            assertThat(QueryTestApp.get(app.uri("/metrics")).body()).contains("fencewatch_sse_clients " + SSE);

            // Probes on fresh connections (as the kubelet does) for as long as the REST load runs.
            ConcurrentLinkedQueue<Long> probeNanos = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> probeStatus = new ConcurrentLinkedQueue<>();
            AtomicBoolean loading = new AtomicBoolean(true);
            Thread prober = new Thread(() -> {
                while (loading.get() || probeStatus.size() < 50) {
                    long t0 = System.nanoTime();
                    int status;
                    try {
                        status = RawHttp.get(app.port, "/healthz").status();
                    } catch (UncheckedIOException e) {
                        status = -1;
                    }
                    probeNanos.add(System.nanoTime() - t0);
                    probeStatus.add(status);
                }
            }, "healthz-prober");
            prober.start();

            long t0 = System.nanoTime();
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String path = i % 2 == 0 ? "/api/v1/clusters/alpha/namespaces/web" : "/api/v1/clusters/alpha/namespaces";
                calls.add(clients.submit(() -> {
                    HttpResponse<String> r = QueryTestApp.get(app.uri(path));
                    return r.statusCode();
                }));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : calls) {
                statuses.add(f.get());
            }
            double restSeconds = (System.nanoTime() - t0) / 1e9;
            loading.set(false);
            prober.join(60_000);

            assertThat(statuses).as("every REST request").hasSize(REQUESTS).containsOnly(200);
            assertThat(probeStatus).as("every /healthz probe").isNotEmpty().containsOnly(200);
            // Still held: the server neither dropped the half-open connections nor the streams.
            assertThat(halfOpen.stream().filter(s -> RawHttp.closedByServer(s, 5)).count()).isZero();
            String id = "load-" + System.nanoTime();
            QueryTestApp.produceDrift(broker, topics, List.of(QueryTestApp.drift(id, "alpha", "web", Status.COMPLIANT,
                    Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
            for (Socket s : streams) {
                assertThat(readUntil(s, "id: " + id, 20_000)).as("every SSE stream gets the live drift").isTrue();
            }

            List<Long> sorted = new ArrayList<>(probeNanos);
            Collections.sort(sorted);
            String figures = String.format(Locale.ROOT,
                    "hostile clients: %d half-open connections + %d SSE streams held%n"
                            + "  /healthz probes (new connection each): n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n"
                            + "  REST: %d requests, %d concurrent, in %.2f s = %.0f req/s (all 200)%n",
                    HALF_OPEN, SSE, sorted.size(), ms(sorted, 0.50), ms(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6,
                    REQUESTS, CONCURRENCY, restSeconds, REQUESTS / restSeconds);
            System.out.print(figures);
            Files.writeString(Path.of("target", "hostile-clients.txt"), figures);
        } finally {
            clients.shutdownNow();
            for (Socket s : halfOpen) {
                s.close();
            }
            for (Socket s : streams) {
                s.close();
            }
        }
        // Disconnected streams release their slots.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(QueryTestApp.get(app.uri("/metrics")).body()).contains("fencewatch_sse_clients 0"));
    }

    private static double ms(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }

    /** Reads from {@code s} until {@code text} has arrived (true) or the time is up (false). */
    private static boolean readUntil(Socket s, String text, int timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        while (System.nanoTime() < deadline) {
            s.setSoTimeout(500);
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return false;
                }
                got.write(buf, 0, n);
                if (got.toString(StandardCharsets.UTF_8).contains(text)) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting
            }
        }
        return false;
    }
}
