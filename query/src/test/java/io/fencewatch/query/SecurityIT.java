package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** Bearer token on and off, read-only methods, CORS, and error bodies without internals. */
@ExtendWith(KafkaBrokerExtension.class)
class SecurityIT {
    private static final String TOKEN = "s3cret-token-for-tests";
    private static final String ORIGIN = "https://grafana.example.test";

    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance app;

    @BeforeAll
    static void start(EmbeddedKafkaBroker kafka, @TempDir Path dir) throws Exception {
        broker = kafka;
        topics = new TopicNames(QueryTestApp.uniquePrefix("sec"));
        QueryTestApp.createTopics(broker, topics, 2);
        QueryTestApp.produceCoverage(broker, topics, List.of(QueryTestApp.coverage("alpha", "web", Status.NON_COMPLIANT)));
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(
                QueryConfig.TOKEN_FILE.name(), tokenFile.toString(),
                QueryConfig.CORS_ORIGIN.name(), ORIGIN), Map.of());
        await().atMost(Duration.ofSeconds(60)).until(() ->
                QueryTestApp.get(app.uri("/api/v1/clusters/alpha/namespaces/web"), "Authorization", "Bearer " + TOKEN).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldAnswer401WithoutTokenAnd200WithItWhenAuthIsOn() {
        for (String path : List.of("/api/v1/clusters", "/api/v1/clusters/alpha/namespaces/web", "/api/v1/drift", "/metrics")) {
            HttpResponse<String> none = QueryTestApp.get(app.uri(path));
            assertThat(none.statusCode()).as(path).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(none.body()).isEqualTo("{\"error\":\"missing or wrong bearer token\"}");
            assertThat(QueryTestApp.get(app.uri(path), "Authorization", "Bearer wrong").statusCode()).as(path).isEqualTo(401);
            assertThat(QueryTestApp.get(app.uri(path), "Authorization", "Bearer " + TOKEN).statusCode()).as(path).isEqualTo(200);
        }
        // The dashboard's cookie (EventSource cannot send headers).
        assertThat(QueryTestApp.get(app.uri("/api/v1/clusters"), "Cookie", "other=1; fencewatch_token=" + TOKEN).statusCode())
                .isEqualTo(200);
    }

    @Test
    void shouldKeepProbesAndDashboardOpenWhenAuthIsOn() {
        assertThat(QueryTestApp.get(app.uri("/healthz")).statusCode()).isEqualTo(200);
        assertThat(QueryTestApp.get(app.uri("/readyz")).statusCode()).isEqualTo(200);
        HttpResponse<String> page = QueryTestApp.get(app.uri("/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("default-src 'none'"));
        assertThat(page.body()).contains("Fencewatch").doesNotContain("http://", "https://");
        assertThat(QueryTestApp.get(app.uri("/assets/app.js")).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswer405WhenMethodWritesWhetherOrNotAuthorized() {
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = QueryTestApp.send(HttpRequest.newBuilder(app.uri("/api/v1/clusters"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .method(method, HttpRequest.BodyPublishers.ofString("{\"x\":1}")).build());
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD");
            assertThat(r.body()).isEqualTo("{\"error\":\"method not allowed: this API is read-only\"}");
        }
        HttpResponse<String> head = QueryTestApp.send(HttpRequest.newBuilder(app.uri("/api/v1/clusters"))
                .header("Authorization", "Bearer " + TOKEN).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void shouldNeverLeakStackTracesWhenRequestsAreBad() {
        String auth = "Bearer " + TOKEN;
        List<HttpResponse<String>> bad = List.of(
                QueryTestApp.get(app.uri("/api/v1/clusters/bad%20cluster!/namespaces"), "Authorization", auth),
                QueryTestApp.get(app.uri("/api/v1/clusters/alpha/namespaces?status=BOGUS"), "Authorization", auth),
                QueryTestApp.get(app.uri("/api/v1/drift?limit=abc"), "Authorization", auth),
                QueryTestApp.get(app.uri("/api/v1/internal/local/namespaces?cluster=alpha&partitions=x"), "Authorization", auth),
                QueryTestApp.get(app.uri("/api/v1/internal/local/namespaces?cluster=alpha&partitions=99"), "Authorization", auth),
                QueryTestApp.get(app.uri("/api/v2/nothing"), "Authorization", auth),
                QueryTestApp.get(app.uri("/../../etc/passwd"), "Authorization", auth),
                QueryTestApp.get(app.uri("/assets/../../pom.xml"), "Authorization", auth));
        for (HttpResponse<String> r : bad) {
            assertThat(r.statusCode()).as(r.uri().toString()).isIn(400, 404, 503);
            assertThat(r.body()).as(r.uri().toString()).startsWith("{\"error\":\"")
                    .doesNotContain("Exception", "\tat ", "io.fencewatch", "org.apache", "root:");
        }
    }

    @Test
    void shouldAllowOnlyTheConfiguredOriginWhenCorsIsOn() {
        HttpResponse<String> allowed = QueryTestApp.get(app.uri("/api/v1/clusters"), "Authorization", "Bearer " + TOKEN, "Origin", ORIGIN);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(ORIGIN);
        HttpResponse<String> other = QueryTestApp.get(app.uri("/api/v1/clusters"), "Authorization", "Bearer " + TOKEN,
                "Origin", "https://evil.example.test");
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> preflight = QueryTestApp.send(HttpRequest.newBuilder(app.uri("/api/v1/clusters"))
                .header("Origin", ORIGIN).method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).hasValueSatisfying(v -> assertThat(v).contains("Authorization"));
    }

    @Test
    void shouldServeHttpsWhenAKeystoreIsConfigured(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("query.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "fencewatch", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "-tls");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        int port = QueryTestApp.freePort();
        QueryConfig config = QueryConfig.fromMap(Map.of(
                QueryConfig.PORT.name(), String.valueOf(port), QueryConfig.BIND.name(), "127.0.0.1",
                QueryConfig.PREFIX.name(), topics.prefix(), QueryConfig.KEYSTORE.name(), keystore.toString()),
                Map.of("FENCEWATCH_QUERY_TLS_PASSWORD", "changeit"));
        try (KafkaStreams idle = new KafkaStreams(QueryTestApp.topology(topics, QueryTestApp.STORE), p);
                QueryServer server = new QueryServer(config, idle, QueryTestApp.STORE,
                        Map.of("bootstrap.servers", broker.bootstrapServers())).start()) {
            assertThat(server.port()).isEqualTo(port);
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(keystore)) {
                trust.load(in, "changeit".toCharArray());
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(ssl).build();
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"status\":\"up\"");
            // Plain HTTP on the TLS port gets no answer.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> QueryTestApp.get(URI.create("http://127.0.0.1:" + port + "/healthz")))
                    .isInstanceOf(java.io.UncheckedIOException.class);
        }
    }

    @Test
    @SuppressWarnings("try") // closes the server explicitly to show close() is safe twice
    void shouldServeWithoutTokenAndAnswer503WhenAuthIsOffAndStreamsIsNotRunning(@TempDir Path dir) throws Exception {
        // A second server, auth and CORS off, over a Kafka Streams instance that was never started.
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "-idle");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        int port = QueryTestApp.freePort();
        try (KafkaStreams idle = new KafkaStreams(QueryTestApp.topology(topics, QueryTestApp.STORE), p);
                QueryServer server = new QueryServer(QueryConfig.fromMap(Map.of(
                        QueryConfig.PORT.name(), String.valueOf(port), QueryConfig.BIND.name(), "127.0.0.1",
                        QueryConfig.PREFIX.name(), topics.prefix()), Map.of()), idle, QueryTestApp.STORE,
                        Map.of("bootstrap.servers", broker.bootstrapServers())).start()) {
            URI base = URI.create("http://127.0.0.1:" + port);
            assertThat(QueryTestApp.get(base.resolve("/api/v1/drift")).statusCode()).isEqualTo(200);
            HttpResponse<String> list = QueryTestApp.get(base.resolve("/api/v1/clusters"));
            assertThat(list.statusCode()).isEqualTo(503);
            assertThat(list.headers().firstValue("Retry-After")).contains("2");
            assertThat(list.body()).isEqualTo("{\"error\":\"temporarily unavailable: the processor is created\"}");
            HttpResponse<String> point = QueryTestApp.get(base.resolve("/api/v1/clusters/alpha/namespaces/web"));
            assertThat(point.statusCode()).isEqualTo(503);
            assertThat(QueryTestApp.get(base.resolve("/readyz")).statusCode()).isEqualTo(503);
            assertThat(QueryTestApp.get(base.resolve("/api/v1/clusters"), "Origin", ORIGIN)
                    .headers().firstValue("Access-Control-Allow-Origin")).as("CORS is off by default").isEmpty();
            server.close(); // safe twice: try-with-resources closes it again
        }
    }

    @Test
    void shouldRefuseToServeUnauthenticatedWhenBoundBeyondLoopback(@TempDir Path dir) throws Exception {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "-open");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        int port = QueryTestApp.freePort();
        QueryConfig open = QueryConfig.fromMap(Map.of(QueryConfig.PORT.name(), String.valueOf(port),
                QueryConfig.BIND.name(), "0.0.0.0", QueryConfig.PREFIX.name(), topics.prefix()), Map.of());
        assertThat(open.exposureProblem()).isEqualTo("query.http.bind=0.0.0.0 serves the API beyond this machine without a "
                + "token: set query.auth.token.file (or query.auth.token), or query.auth=none to run open on purpose");
        try (KafkaStreams idle = new KafkaStreams(QueryTestApp.topology(topics, QueryTestApp.STORE), p);
                QueryServer server = new QueryServer(open, idle, QueryTestApp.STORE,
                        Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class).hasMessage(open.exposureProblem());
            // Nothing was bound: the port is still free.
            try (java.net.ServerSocket again = new java.net.ServerSocket(port)) {
                assertThat(again.getLocalPort()).isEqualTo(port);
            }
        }
        // Explicitly open, or with a token, or on loopback: accepted.
        assertThat(QueryConfig.fromMap(Map.of(QueryConfig.BIND.name(), "0.0.0.0", QueryConfig.AUTH.name(), "none"), Map.of())
                .exposureProblem()).isNull();
        assertThat(QueryConfig.fromMap(Map.of(QueryConfig.BIND.name(), "0.0.0.0", QueryConfig.TOKEN.name(), TOKEN), Map.of())
                .exposureProblem()).isNull();
        assertThat(QueryConfig.defaults().exposureProblem()).as("the default bind is loopback").isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> QueryConfig.fromMap(Map.of(QueryConfig.AUTH.name(), "token"),
                Map.of())).hasMessage("query.auth=token needs query.auth.token.file or query.auth.token");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> QueryConfig.fromMap(Map.of(QueryConfig.AUTH.name(), "none",
                QueryConfig.TOKEN.name(), TOKEN), Map.of())).hasMessageContaining("contradicts");
    }

    @Test
    void shouldRequireTheTokenOnInternalEndpointsWhenAuthIsOn() {
        String path = "/api/v1/internal/local/clusters?partitions=0";
        assertThat(QueryTestApp.get(app.uri(path)).statusCode()).isEqualTo(401);
        assertThat(QueryTestApp.get(app.uri(path), "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    }
}
