package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** The webhook sink fed by the real drift topic, against a local target that fails, then recovers. */
@ExtendWith(KafkaBrokerExtension.class)
class WebhookSinkIT {

    @Test
    void shouldDeliverEachDriftOnceInSlackFormatWhenTargetFailsThenRecovers(EmbeddedKafkaBroker broker) throws Exception {
        TopicNames topics = new TopicNames(QueryTestApp.uniquePrefix("hook"));
        broker.createTopic(topics.drift(), 2);
        try (WebhookReceiver target = new WebhookReceiver(2)) {
            WebhookConfig config = WebhookConfig.fromMap(Map.of(
                    WebhookConfig.URL.name(), target.url().toString(),
                    WebhookConfig.FORMAT.name(), "slack",
                    WebhookConfig.GROUP.name(), topics.prefix() + "-webhook",
                    WebhookConfig.BACKOFF.name(), "200"));
            QueryMetrics metrics = new QueryMetrics();
            try (WebhookSink sink = new WebhookSink(config,
                    Map.of("bootstrap.servers", broker.bootstrapServers(), "auto.offset.reset", "earliest"),
                    topics.drift(), metrics)) {
                sink.start();
                DriftEvent first = QueryTestApp.drift("h1", "prod", "payments", Status.COMPLIANT, Status.NON_COMPLIANT,
                        DriftReason.LAST_POLICY_DELETED);
                QueryTestApp.produceDrift(broker, topics, List.of(first));
                await().atMost(Duration.ofSeconds(20)).until(() -> target.delivered().size() == 1);
                assertThat(target.requests).hasSize(3).allSatisfy(r -> assertThat(r.idempotencyKey()).isEqualTo("h1"));
                long gap1 = target.requests.get(1).nanos() - target.requests.get(0).nanos();
                long gap2 = target.requests.get(2).nanos() - target.requests.get(1).nanos();
                assertThat(Duration.ofNanos(gap1)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
                assertThat(Duration.ofNanos(gap2)).as("backoff doubles").isGreaterThanOrEqualTo(Duration.ofMillis(400));
                assertThat(JsonViews.MAPPER.readTree(target.delivered().get(0).body()).get("text").asText())
                        .contains("payments", "NON_COMPLIANT");

                // The same drift again (a re-delivery), then a new one on the same key, hence partition:
                // once the second arrives, the duplicate has been handled, and it was not sent.
                DriftEvent second = QueryTestApp.drift("h2", "prod", "payments", Status.NON_COMPLIANT, Status.COMPLIANT,
                        DriftReason.POLICY_ADDED);
                QueryTestApp.produceDrift(broker, topics, List.of(first, second));
                await().atMost(Duration.ofSeconds(20)).until(() -> target.delivered().size() == 2);
                assertThat(target.delivered()).extracting(WebhookReceiver.Received::idempotencyKey).containsExactly("h1", "h2");
                assertThat(metrics.webhookCount("deduplicated")).isEqualTo(1);
                assertThat(metrics.webhookCount("delivered")).isEqualTo(2);
            }
        }
    }
}
