package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * Requests an adversarial client sends, against the real server on loopback: each answered with
 * our JSON and the right status; the Host check; the request-head deadline; the connection cap
 * with the probes-only port still answering; lastSeen and lastChange apart.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HostileRequestsIT {
    private static final int PARTITIONS = 2;
    private static final int MAX_CONNECTIONS = 40;
    private static final Instant OLD_CHANGE = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);

    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance app;

    @BeforeAll
    static void start(EmbeddedKafkaBroker kafka) {
        broker = kafka;
        topics = new TopicNames(QueryTestApp.uniquePrefix("hostile"));
        QueryTestApp.createTopics(broker, topics, PARTITIONS);
        broker.createTopic(QueryTestApp.clusterStateTopic(topics), PARTITIONS);
        NamespaceCoverage web = QueryTestApp.coverage("alpha", "web", Status.NON_COMPLIANT);
        web.setUpdatedAt(OLD_CHANGE);
        web.setLastEvent(QueryTestApp.eventRef("web", OLD_CHANGE));
        QueryTestApp.produceCoverage(broker, topics, List.of(web));
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(
                QueryConfig.HEADER_TIMEOUT.name(), "3000",
                QueryConfig.MAX_CONNECTIONS.name(), String.valueOf(MAX_CONNECTIONS),
                QueryConfig.HEALTH_PORT.name(), "0",
                QueryConfig.ALLOWED_HOSTS.name(), "fencewatch.example.test,*.svc.cluster.local"), Map.of(), true);
        await().atMost(Duration.ofSeconds(60)).until(() ->
                QueryTestApp.get(app.uri("/api/v1/clusters/alpha/namespaces/web")).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    static Stream<Arguments> badRequests() {
        String mib = "a".repeat(1 << 20);
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            manyHeaders.append("X-H").append(i).append(": v\r\n");
        }
        return Stream.of(
                bad("malformed percent-encoding in the path", get("/api/v1/clusters/alpha/namespaces/%"),
                        400, "malformed percent-encoding in the URL"),
                bad("percent-encoding with non-hex digits", get("/api/v1/clusters/alpha/namespaces/%zz"),
                        400, "malformed percent-encoding in the URL"),
                bad("malformed percent-encoding in the query", get("/api/v1/drift?x=%"),
                        400, "malformed percent-encoding in the URL"),
                bad("negative Content-Length", "GET /api/v1/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
                        400, "invalid Content-Length"),
                bad("1 MiB path", get("/api/v1/clusters/alpha/namespaces/" + mib), 414,
                        "request line too long (limit 8192 bytes)"),
                bad("100 kB namespace name", get("/api/v1/clusters/alpha/namespaces/" + "n".repeat(100_000)), 414,
                        "request line too long (limit 8192 bytes)"),
                bad("1 MiB header", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + mib + "\r\n\r\n", 431,
                        "request headers too large (limit 16384 bytes)"),
                bad("20,000 headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + manyHeaders + "\r\n", 431,
                        "request headers too large (limit 16384 bytes)"),
                bad("garbage instead of a request line", "HELLO\r\n\r\n", 400, "malformed HTTP request"),
                bad("unknown cluster", get("/api/v1/clusters/nope/namespaces"), 404, "cluster not found"),
                bad("unknown cluster with a status filter", get("/api/v1/clusters/nope/namespaces?status=COMPLIANT"), 404,
                        "cluster not found"),
                bad("limit beyond any integer", get("/api/v1/drift?limit=1000000000000"), 400,
                        "limit is out of range (1 to 1000000)"),
                bad("limit zero", get("/api/v1/drift?limit=0"), 400, "limit is out of range (1 to 1000000)"),
                bad("limit not a number", get("/api/v1/drift?limit=abc"), 400, "limit must be a whole number"),
                bad("duplicate parameter", get("/api/v1/drift?limit=1&limit=2"), 400,
                        "parameter 'limit' is given more than once"),
                bad("duplicate status", get("/api/v1/clusters/alpha/namespaces?status=PENDING&status=COMPLIANT"), 400,
                        "parameter 'status' is given more than once"),
                bad("unknown status", get("/api/v1/clusters/alpha/namespaces?status=BOGUS"), 400,
                        "status must be one of COMPLIANT, NON_COMPLIANT, PENDING, EXEMPT, TERMINATING"),
                bad("unknown workloadStatus", get("/api/v1/clusters/alpha/namespaces?workloadStatus=SOMETIMES"), 400,
                        "workloadStatus must be one of COMPLIANT, NON_COMPLIANT, PENDING, EXEMPT, TERMINATING"),
                bad("duplicate workloadStatus",
                        get("/api/v1/clusters/alpha/namespaces?workloadStatus=COMPLIANT&workloadStatus=NON_COMPLIANT"), 400,
                        "parameter 'workloadStatus' is given more than once"),
                bad("unknown cluster with a workloadStatus filter",
                        get("/api/v1/clusters/nope/namespaces?workloadStatus=NON_COMPLIANT"), 404, "cluster not found"),
                bad("internal: unknown workloadStatus",
                        get("/api/v1/internal/local/namespaces?cluster=alpha&partitions=0&workloadStatus=x"), 400,
                        "workloadStatus must be one of COMPLIANT, NON_COMPLIANT, PENDING, EXEMPT, TERMINATING"),
                bad("invalid cluster id", get("/api/v1/clusters/bad%20cluster!/namespaces"), 400,
                        "cluster id may only hold lower-case letters, digits and '-' (a DNS-1123 label; found ' ')"),
                bad("invalid UTF-8", get("/api/v1/clusters/%C3%28/namespaces"), 400,
                        "cluster id must start with a lower-case ASCII letter or digit"),
                bad("internal: partition that does not exist", get("/api/v1/internal/local/namespaces?cluster=alpha&partitions=99"),
                        400, "partitions: 99 is out of range (0 to 1)"),
                bad("internal: partition beyond any integer",
                        get("/api/v1/internal/local/clusters?partitions=99999999999999999999"), 400,
                        "partitions: a number is out of range"),
                bad("internal: partitions not numbers", get("/api/v1/internal/local/namespaces?cluster=alpha&partitions=x"),
                        400, "partitions must be a comma-separated list of numbers"),
                bad("internal: cluster missing", get("/api/v1/internal/local/namespaces?partitions=0"), 400,
                        "cluster is required"),
                bad("path traversal", get("/assets/../../pom.xml"), 404, "not found"),
                bad("unknown API version", get("/api/v2/nothing"), 404, "not found"),
                bad("unknown namespace", get("/api/v1/clusters/alpha/namespaces/none"), 404, "namespace not found"),
                bad("a write method", "DELETE /api/v1/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 405,
                        "method not allowed: this API is read-only"),
                bad("a foreign Host header (DNS rebinding)",
                        "GET /api/v1/clusters HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n", 421,
                        "Host header does not name this server"),
                bad("no Host header", "GET /api/v1/clusters HTTP/1.1\r\nConnection: close\r\n\r\n", 421,
                        "Host header does not name this server"));
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    }

    private static Arguments bad(String what, String request, int status, String error) {
        return Arguments.of(what, request, status, error);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void shouldAnswerOurJsonWithTheRightStatusWhenTheRequestIsBad(String what, String request, int status, String error)
            throws Exception {
        RawHttp.Response r = exchangeWhileWriting(request);
        assertThat(r.status()).as(what).isEqualTo(status);
        assertThat(r.header("Content-Type")).as(what).isEqualTo("application/json; charset=utf-8");
        assertThat(r.body()).as(what).isEqualTo("{\"error\":" + JsonViews.MAPPER.writeValueAsString(error) + "}");
    }

    /** Writes in the background (a server may answer before a 1 MiB request is sent) while reading the answer. */
    private static RawHttp.Response exchangeWhileWriting(String request) throws IOException {
        try (Socket s = RawHttp.connect(app.port)) {
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (IOException e) {
                    // the server answered and stopped reading: the answer is what counts
                }
            });
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            writing.join();
            return r;
        }
    }

    @Test
    void shouldAnswerAtOnceAndCloseWhenABodyIsAnnouncedButNeverSent() throws Exception {
        try (Socket s = RawHttp.connect(app.port)) {
            s.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(RawHttp.closedByServer(s, 10_000)).as("closed after the answer, not held for the body").isTrue();
        }
    }

    @Test
    void shouldAcceptOnlyOurOwnNamesWhenTheHostHeaderIsChecked() {
        for (String host : List.of("127.0.0.1:" + app.port, "localhost", "LOCALHOST:" + app.port, "[::1]:" + app.port,
                "fencewatch.example.test", "processor-0.processor-headless.fencewatch.svc.cluster.local:8080")) {
            assertThat(hostStatus("/api/v1/clusters", host)).as(host).isEqualTo(200);
        }
        for (String host : List.of("evil.example", "fencewatch.example.test.evil.example", "svc.cluster.local.evil",
                "10.0.0.1", "")) {
            assertThat(hostStatus("/api/v1/clusters", host)).as(host).isEqualTo(421);
        }
        // kubelet probes send the pod IP as Host: the probes hold no data and answer any Host.
        assertThat(hostStatus("/healthz", "10.0.0.1:8080")).isEqualTo(200);
        assertThat(hostStatus("/readyz", "evil.example")).isEqualTo(200);
    }

    private static int hostStatus(String path, String host) {
        return RawHttp.exchange(app.port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", null)
                .status();
    }

    @Test
    void shouldCloseAHalfSentRequestWhenTheHeaderDeadlinePasses() {
        try (Socket slow = RawHttp.connect(app.port)) {
            slow.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
            // Trickling a byte now and then does not extend the deadline.
            for (int i = 0; i < 4; i++) {
                slow.getOutputStream().write('X');
                assertThat(RawHttp.get(app.port, "/healthz").status()).isEqualTo(200);
            }
            assertThat(RawHttp.closedByServer(slow, 15_000)).as("closed by query.http.header.timeout.ms (3 s)").isTrue();
        } catch (IOException e) {
            // a reset while trickling: closed by the server as well
            assertThat(e).hasMessageContaining("reset");
        }
    }

    @Test
    void shouldRefuseConnectionsBeyondTheCapWhileTheHealthPortAnswers() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS + 10; i++) {
                Socket s = RawHttp.connect(app.port);
                s.getOutputStream().write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
                held.add(s);
            }
            long refused = held.stream().filter(s -> RawHttp.closedByServer(s, 300)).count();
            assertThat(refused).as("connections beyond query.http.max.connections=%d", MAX_CONNECTIONS).isGreaterThanOrEqualTo(10);
            // The probes-only port has its own connections and threads.
            int healthPort = app.server.healthPort();
            assertThat(healthPort).isPositive().isNotEqualTo(app.port);
            assertThat(RawHttp.get(healthPort, "/healthz").status()).isEqualTo(200);
            assertThat(RawHttp.get(healthPort, "/readyz").status()).isEqualTo(200);
            assertThat(RawHttp.get(healthPort, "/api/v1/clusters").status()).as("probes only").isEqualTo(404);
            // The held ones are closed by the header deadline; then the main port answers again.
            for (Socket s : held) {
                assertThat(RawHttp.closedByServer(s, 15_000)).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> RawHttp.get(app.port, "/healthz").status() == 200);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void shouldReportLastSeenFromHeartbeatsAndLastChangeFromEventsWhenAClusterIsQuiet() throws Exception {
        Instant heartbeat = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        QueryTestApp.produceHeartbeat(broker, topics, "alpha", heartbeat, PARTITIONS);
        QueryTestApp.produceHeartbeat(broker, topics, "empty", heartbeat, PARTITIONS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode clusters = InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/clusters")), 200);
            JsonNode alpha = find(clusters, "alpha");
            assertThat(alpha.get("lastSeen").asText()).isEqualTo(heartbeat.toString());
            assertThat(alpha.get("lastChange").asText()).isEqualTo(OLD_CHANGE.toString());
            JsonNode empty = find(clusters, "empty");
            assertThat(empty.get("namespaces").asInt()).isZero();
            assertThat(empty.get("lastSeen").asText()).isEqualTo(heartbeat.toString());
            assertThat(empty.get("lastChange").isNull()).isTrue();
        });
        // A cluster that speaks but has no namespace is known: an empty list, not a 404.
        assertThat(InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/clusters/empty/namespaces")), 200)).isEmpty();
        assertThat(QueryTestApp.get(app.uri("/api/v1/clusters/nope/namespaces")).statusCode()).isEqualTo(404);
    }

    private static JsonNode find(JsonNode clusters, String name) {
        for (JsonNode c : clusters) {
            if (c.get("cluster").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name + " in " + clusters);
    }
}
