package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * {@code docs/grafana/fencewatch.json} queries only metrics Fencewatch exposes: every
 * {@code fencewatch_*} name in its PromQL is one a real processor (real Kafka Streams on the
 * in-process broker) serves on {@code /metrics}.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GrafanaDashboardIT {
    private static final Path DASHBOARD = ManifestChecks.ROOT.resolve("docs/grafana/fencewatch.json");
    private static final Pattern METRIC = Pattern.compile("\\bfencewatch_[a-z0-9_]+");
    private ProcessorApp app;
    private Path stateDir;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (stateDir != null) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void shouldQueryOnlyMetricsAProcessorExposesWhenItRuns(EmbeddedKafkaBroker broker) throws Exception {
        stateDir = Files.createTempDirectory("fw-grafana-");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("topic-prefix", "it-grafana");
        flags.put("application-id", "it-grafana-processor");
        flags.put("state-dir", stateDir.toString());
        flags.put("partitions", "2");
        flags.put("http-port", Integer.toString(port));
        app = new ProcessorApp(ProcessorConfig.fromMap(flags)).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> app.state() == KafkaStreams.State.RUNNING);
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Set<String> exposed = exposedNames(r.body());
        assertThat(exposed).contains("fencewatch_namespaces", "fencewatch_consumer_lag_records",
                "fencewatch_commit_latency_seconds", "fencewatch_dlq_write_failures_total");

        // The two gauges read these Kafka Streams client metrics: they exist, so the gauges are not a constant 0.
        assertThat(app.streams().metrics().keySet())
                .anyMatch(n -> n.group().equals("consumer-fetch-manager-metrics") && n.name().equals("records-lag-max"))
                .anyMatch(n -> n.group().equals("stream-thread-metrics") && n.name().equals("commit-latency-avg"));

        List<String> exprs = new ArrayList<>();
        collectQueries(new ObjectMapper().readTree(DASHBOARD.toFile()), exprs);
        assertThat(exprs).as("queries in the dashboard").hasSizeGreaterThan(10);
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            boolean any = false;
            while (m.find()) {
                used.add(m.group());
                any = true;
            }
            assertThat(any).as("a Fencewatch metric in %s", expr).isTrue();
        }
        assertThat(used).as("metrics the dashboard queries that the processor does not expose")
                .allSatisfy(name -> assertThat(exposed).contains(name));
        assertThat(used).contains("fencewatch_namespaces", "fencewatch_drift_total",
                "fencewatch_consumer_lag_records", "fencewatch_commit_latency_seconds",
                "fencewatch_dlq_write_failures_total");
    }

    /** Names in {@code # TYPE} lines and of every sample (histograms: _bucket, _sum, _count). */
    private static Set<String> exposedNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    /** Every {@code expr} of a target and every variable's {@code definition}, anywhere in the JSON. */
    private static void collectQueries(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if ((e.getKey().equals("expr") || e.getKey().equals("definition")) && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collectQueries(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectQueries(n, out));
        }
    }
}
