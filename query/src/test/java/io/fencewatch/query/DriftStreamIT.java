package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** The drift feed: warm start, GET /api/v1/drift, SSE live and Last-Event-ID replay, drift metrics. */
@ExtendWith(KafkaBrokerExtension.class)
class DriftStreamIT {
    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance app;

    @BeforeAll
    static void start(EmbeddedKafkaBroker kafka) {
        broker = kafka;
        topics = new TopicNames(QueryTestApp.uniquePrefix("drift"));
        QueryTestApp.createTopics(broker, topics, 2);
        // Written before the instance starts: the warm start must read them back.
        QueryTestApp.produceDrift(broker, topics, List.of(
                QueryTestApp.drift("w1", "alpha", "old-1", null, Status.NON_COMPLIANT, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY),
                QueryTestApp.drift("w2", "omega", "old-2", Status.NON_COMPLIANT, Status.COMPLIANT, DriftReason.POLICY_ADDED),
                QueryTestApp.drift("w3", "alpha", "old-3", Status.COMPLIANT, Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(QueryConfig.HISTORY.name(), "100"), Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> app.server.driftFeed().warm());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void shouldListWarmStartedDriftNewestFirstWhenAskedWithFilters() {
        JsonNode all = InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/drift?limit=50")), 200);
        List<String> ids = all.findValuesAsText("id");
        assertThat(ids).contains("w1", "w2", "w3");
        JsonNode first = all.get(0);
        assertThat(first.fieldNames()).toIterable()
                .contains("id", "cluster", "namespace", "reason", "before", "after", "cause", "detectedAt", "profile", "latencyMs");

        JsonNode alpha = InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/drift?cluster=alpha")), 200);
        assertThat(alpha).allSatisfy(d -> assertThat(d.get("cluster").asText()).isEqualTo("alpha"));
        assertThat(alpha.findValuesAsText("id")).contains("w1", "w3").doesNotContain("w2");
        assertThat(InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/drift?limit=1")), 200)).hasSize(1);
        String future = Instant.now().plusSeconds(3600).toString();
        assertThat(InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/drift?since=" + future)), 200)).isEmpty();
        assertThat(QueryTestApp.get(app.uri("/api/v1/drift?since=yesterday")).statusCode()).isEqualTo(400);
        assertThat(QueryTestApp.get(app.uri("/api/v1/drift?limit=0")).statusCode()).isEqualTo(400);
    }

    @Test
    void shouldStreamLiveDriftAndReplayExactlyWhatWasMissedWhenReconnectingWithLastEventId() throws Exception {
        String p = "s" + System.nanoTime() + "-";
        String lastSeen;
        try (SseClient sse = new SseClient(app.uri("/api/v1/drift/stream"))) {
            assertThat(sse.response.statusCode()).isEqualTo(200);
            assertThat(sse.response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
            QueryTestApp.produceDrift(broker, topics, List.of(
                    QueryTestApp.drift(p + "1", "alpha", "payments", Status.COMPLIANT, Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.ids().contains(p + "1"));
            SseClient.Event e = sse.events.stream().filter(x -> x.id().equals(p + "1")).findFirst().orElseThrow();
            JsonNode d = JsonViews.MAPPER.readTree(e.data());
            assertThat(d.get("namespace").asText()).isEqualTo("payments");
            assertThat(d.get("after").get("status").asText()).isEqualTo("NON_COMPLIANT");
            assertThat(d.get("reason").asText()).isEqualTo("LAST_POLICY_DELETED");
            lastSeen = p + "1";
        }
        // Missed while disconnected.
        QueryTestApp.produceDrift(broker, topics, List.of(
                QueryTestApp.drift(p + "2", "alpha", "orders", null, Status.NON_COMPLIANT, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY),
                QueryTestApp.drift(p + "3", "beta", "billing", Status.NON_COMPLIANT, Status.COMPLIANT, DriftReason.POLICY_ADDED)));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                InteractiveQueriesIT.json(QueryTestApp.get(app.uri("/api/v1/drift?limit=5")), 200).findValuesAsText("id").contains(p + "3"));

        try (SseClient sse = new SseClient(app.uri("/api/v1/drift/stream"), "Last-Event-ID", lastSeen)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.events.size() >= 2);
            QueryTestApp.produceDrift(broker, topics, List.of(
                    QueryTestApp.drift(p + "4", "alpha", "search", null, Status.PENDING, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY)));
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.ids().contains(p + "4"));
            // Missed drifts from two partitions may come in either order; the live one comes last.
            assertThat(sse.ids()).as("exactly what was missed, then live, no duplicates").hasSize(3);
            assertThat(sse.ids().subList(0, 2)).containsExactlyInAnyOrder(p + "2", p + "3");
            assertThat(sse.ids().get(2)).isEqualTo(p + "4");
        }

        // A filtered stream: only beta, only COMPLIANT after-states, replayed from the same point.
        try (SseClient sse = new SseClient(app.uri("/api/v1/drift/stream?cluster=beta&status=COMPLIANT"), "Last-Event-ID", lastSeen)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sse.ids().contains(p + "3"));
            assertThat(sse.ids()).containsExactly(p + "3");
        }
    }

    @Test
    void shouldCountDriftByClusterAndReasonAndObserveLatencyWhenDriftIsLive() {
        DriftEvent d = QueryTestApp.drift("m" + System.nanoTime(), "gamma", "metrics-ns", null, Status.NON_COMPLIANT,
                DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY);
        QueryTestApp.produceDrift(broker, topics, List.of(d));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(QueryTestApp.get(app.uri("/metrics")).body())
                .contains("fencewatch_drift_total{cluster=\"gamma\",reason=\"NAMESPACE_CREATED_WITHOUT_POLICY\"} 1"));
        HttpResponse<String> metrics = QueryTestApp.get(app.uri("/metrics"));
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        // Warm-start drift is history, not live: it is not counted.
        assertThat(metrics.body()).doesNotContain("cluster=\"omega\"");
        // 300 ms between observation and detection lands in the 0.5 s bucket, not the 0.25 s one.
        assertThat(metrics.body()).containsPattern("fencewatch_drift_detection_latency_seconds_bucket\\{le=\"0.5\"\\} [1-9]")
                .contains("fencewatch_drift_detection_latency_seconds_count");
    }
}
