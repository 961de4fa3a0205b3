package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;

/** The webhook sink's delivery policy, without Kafka: retries, backoff, dedup, filter, rate limit, logs. */
class WebhookSinkTest {
    private final List<Duration> sleeps = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private final QueryMetrics metrics = new QueryMetrics();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Logger logger;

    @BeforeEach
    void captureLogs() {
        logger = (Logger) LoggerFactory.getLogger(WebhookSink.class);
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
    }

    private WebhookSink sink(WebhookReceiver target, Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put(WebhookConfig.URL.name(), target.url().toString());
        m.put(WebhookConfig.BACKOFF.name(), "100");
        m.put(WebhookConfig.MAX_BACKOFF.name(), "300");
        m.putAll(extra);
        return new WebhookSink(WebhookConfig.fromMap(m), Map.of("bootstrap.servers", "127.0.0.1:1"), "unused", metrics,
                sleeps::add, clock::get);
    }

    private static DriftEvent drift(String id, Status after) {
        return QueryTestApp.drift(id, "prod", "payments", Status.COMPLIANT, after, DriftReason.LAST_POLICY_DELETED);
    }

    @Test
    void shouldRetryWithExponentialBackoffAndDeliverOnceWhenTargetFailsThenRecovers() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(3)) {
            WebhookSink sink = sink(target, Map.of());
            assertThat(sink.handle(drift("d1", Status.NON_COMPLIANT))).isEqualTo("delivered");
            assertThat(target.requests).hasSize(4).allSatisfy(r -> assertThat(r.idempotencyKey()).isEqualTo("d1"));
            assertThat(target.delivered()).hasSize(1);
            assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300));
            assertThat(sink.handle(drift("d1", Status.NON_COMPLIANT))).isEqualTo("deduplicated");
            assertThat(target.requests).hasSize(4);
            assertThat(metrics.webhookCount("delivered")).isEqualTo(1);
            assertThat(metrics.webhookCount("deduplicated")).isEqualTo(1);
            assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("keeps failing", "3 consecutive", "HTTP 500"));
        }
    }

    @Test
    void shouldWarnWithRedactedUrlAndDropWhenTargetKeepsFailing() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(Integer.MAX_VALUE)) {
            WebhookSink sink = sink(target, Map.of(WebhookConfig.ATTEMPTS.name(), "4"));
            assertThat(sink.handle(drift("d2", Status.NON_COMPLIANT))).isEqualTo("failed");
            assertThat(target.requests).hasSize(4);
            assertThat(metrics.webhookCount("failed")).isEqualTo(1);
            List<String> warnings = warnings();
            assertThat(warnings).anySatisfy(w -> assertThat(w).contains("dropped after 4 attempts"));
            assertThat(warnings).isNotEmpty().allSatisfy(w -> assertThat(w).doesNotContain("TOPSECRET")
                    .contains("http://127.0.0.1:").contains("/hooks/fencewatch?***"));
        }
    }

    @Test
    void shouldSendSlackTextWhenFormatIsSlack() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(0)) {
            WebhookSink sink = sink(target, Map.of(WebhookConfig.FORMAT.name(), "slack"));
            sink.handle(drift("d3", Status.NON_COMPLIANT));
            var body = JsonViews.MAPPER.readTree(target.delivered().get(0).body());
            assertThat(body.fieldNames()).toIterable().containsExactly("text");
            assertThat(body.get("text").asText()).contains("*payments*", "*prod*", "NON_COMPLIANT", "LAST_POLICY_DELETED");
        }
    }

    @Test
    void shouldSendTheDriftObjectWhenFormatIsJson() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(0)) {
            sink(target, Map.of()).handle(drift("d4", Status.NON_COMPLIANT));
            var body = JsonViews.MAPPER.readTree(target.delivered().get(0).body());
            assertThat(body.get("id").asText()).isEqualTo("d4");
            assertThat(body.get("after").get("status").asText()).isEqualTo("NON_COMPLIANT");
        }
    }

    @Test
    void shouldDropBeyondTheRateAndRefillWhenTimePasses() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(0)) {
            WebhookSink sink = sink(target, Map.of(WebhookConfig.RATE.name(), "60", WebhookConfig.BURST.name(), "2"));
            assertThat(sink.handle(drift("r1", Status.NON_COMPLIANT))).isEqualTo("delivered");
            assertThat(sink.handle(drift("r2", Status.NON_COMPLIANT))).isEqualTo("delivered");
            assertThat(sink.handle(drift("r3", Status.NON_COMPLIANT))).isEqualTo("rate_limited");
            clock.addAndGet(Duration.ofSeconds(1).toNanos()); // 60/min: one token per second
            assertThat(sink.handle(drift("r4", Status.NON_COMPLIANT))).isEqualTo("delivered");
            assertThat(target.delivered()).hasSize(3);
            assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("rate limit"));
        }
    }

    @Test
    void shouldSkipDriftWhoseStatusIsNotSelectedWhenStatusesAreConfigured() throws Exception {
        try (WebhookReceiver target = new WebhookReceiver(0)) {
            WebhookSink sink = sink(target, Map.of(WebhookConfig.STATUSES.name(), "non_compliant"));
            assertThat(sink.handle(drift("f1", Status.COMPLIANT))).isEqualTo("filtered");
            assertThat(sink.handle(drift("f2", Status.NON_COMPLIANT))).isEqualTo("delivered");
            assertThat(target.delivered()).hasSize(1);
        }
    }

    @Test
    void shouldRedactSecretsWhenUrlIsPrinted() {
        assertThat(WebhookConfig.redact(java.net.URI.create("https://user:pw@hooks.slack.com/services/T000/B000/XXXX")))
                .isEqualTo("https://hooks.slack.com/services/***");
        assertThat(WebhookConfig.redact(java.net.URI.create("https://alerts.example.test:8443/in?api_key=abc")))
                .isEqualTo("https://alerts.example.test:8443/in?***");
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
