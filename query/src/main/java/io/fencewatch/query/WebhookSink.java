package io.fencewatch.query;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.schema.serde.RecordFormatException;

/**
 * Sends drift alerts to a webhook, fed by the drift topic through its own consumer group
 * ({@code query.webhook.group}): with several instances each drift is delivered by one of them,
 * and offsets are committed after delivery, so a restart resumes where it stopped (at least once;
 * the in-memory dedup by drift id absorbs re-deliveries within a run).
 *
 * <p>Per alert: dedup by drift id, the status filter, a token bucket (alerts beyond the rate are
 * dropped and counted, with one WARN per minute saying how many), then delivery with retries and
 * exponential backoff. When a target keeps failing, a WARN says so with the redacted URL (never
 * its query string or Slack secret path) and the last status.
 */
public final class WebhookSink extends ConsumerLoop {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSink.class);
    private static final int DEDUP_WINDOW = 10_000;

    private final WebhookConfig config;
    private final String topic;
    private final QueryMetrics metrics;
    private final HttpClient http;
    private final AvroSerde<DriftEvent> serde = FencewatchSerdes.driftEvent();
    private final Sleeper sleeper;
    private final TokenBucket bucket;
    private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > DEDUP_WINDOW;
        }
    };

    private int consecutiveFailures;
    private long rateLimitedSinceWarn;
    private boolean rateWarned;
    private long lastRateWarn;
    private final java.util.function.LongSupplier nanoClock;

    /** Waits between retries; a test may shorten it. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public WebhookSink(WebhookConfig config, Map<String, Object> kafkaConfig, String topic, QueryMetrics metrics) {
        this(config, kafkaConfig, topic, metrics, null, System::nanoTime);
    }

    WebhookSink(WebhookConfig config, Map<String, Object> kafkaConfig, String topic, QueryMetrics metrics,
            Sleeper sleeper, java.util.function.LongSupplier nanoClock) {
        super("fencewatch-webhook", consumerConfig(config, kafkaConfig));
        this.config = Objects.requireNonNull(config, "config");
        this.topic = topic;
        this.metrics = metrics;
        // Default: wait out the backoff, but wake at once on close().
        this.sleeper = sleeper != null ? sleeper : d -> {
            if (awaitClose(d)) {
                throw new InterruptedException("closing");
            }
        };
        this.nanoClock = nanoClock;
        this.bucket = new TokenBucket(config.burst(), config.ratePerMinute(), nanoClock);
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    private static Map<String, Object> consumerConfig(WebhookConfig config, Map<String, Object> kafkaConfig) {
        Map<String, Object> c = new HashMap<>(kafkaConfig);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // A new group starts at the end: alert on what happens from now on, not on the past.
        c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // Few records per poll: retries of one batch must stay well inside max.poll.interval.ms.
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5);
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fencewatch-webhook");
        // The processor owns the drift topic: never create it by asking for its metadata.
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return c;
    }

    /** After a failure the loop recreates the consumer, which resumes from the group's offsets. */
    @Override
    void consume(KafkaConsumer<String, byte[]> c) {
        try {
            c.subscribe(List.of(topic));
            LOG.info("webhook sink: {} -> {} ({})", topic, config.redactedUrl(), config.format());
            while (running()) {
                ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> r : records) {
                    DriftEvent d;
                    try {
                        d = serde.deserialize(r.topic(), r.value());
                    } catch (RecordFormatException e) {
                        LOG.warn("webhook sink: unreadable drift at {}-{}@{} skipped", r.topic(), r.partition(), r.offset());
                        continue;
                    }
                    if (d != null) {
                        handle(d);
                    }
                }
                if (!records.isEmpty()) {
                    try {
                        c.commitSync();
                    } catch (org.apache.kafka.clients.consumer.CommitFailedException
                            | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                        // Partitions moved mid-batch: the new owner re-reads them (its dedup is its own).
                        LOG.info("webhook sink: offsets not committed after a rebalance; some alerts may be sent twice");
                    }
                }
            }
        } catch (InterruptedRuntime e) {
            // Closing mid-batch: nothing committed, the batch is re-read by the next owner.
            LOG.debug("webhook sink stopped during a delivery");
        }
    }

    /** One drift through dedup, filter, rate limit and delivery. Returns the outcome. */
    String handle(DriftEvent d) {
        synchronized (seen) {
            if (seen.containsKey(d.getId())) {
                metrics.onWebhook("deduplicated");
                return "deduplicated";
            }
            seen.put(d.getId(), Boolean.TRUE);
        }
        if (!config.onlyStatuses().isEmpty()) {
            CoverageState after = d.getAfter();
            if (after == null || !config.onlyStatuses().contains(after.getStatus().name())) {
                metrics.onWebhook("filtered");
                return "filtered";
            }
        }
        if (!bucket.tryTake()) {
            metrics.onWebhook("rate_limited");
            rateLimitedSinceWarn++;
            long now = nanoClock.getAsLong();
            if (!rateWarned || now - lastRateWarn > Duration.ofMinutes(1).toNanos()) {
                rateWarned = true;
                LOG.warn("webhook {}: rate limit of {}/min reached; {} alert(s) dropped since the last warning",
                        config.redactedUrl(), config.ratePerMinute(), rateLimitedSinceWarn);
                rateLimitedSinceWarn = 0;
                lastRateWarn = now;
            }
            return "rate_limited";
        }
        String result = deliver(d);
        metrics.onWebhook(result);
        return result;
    }

    private String deliver(DriftEvent d) {
        byte[] body = payload(d).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Duration backoff = config.initialBackoff();
        String last = "";
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(config.url())
                        .timeout(config.timeout())
                        .header("Content-Type", "application/json")
                        .header("User-Agent", "fencewatch-webhook")
                        .header("Idempotency-Key", d.getId())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() / 100 == 2) {
                    if (consecutiveFailures > 0) {
                        LOG.info("webhook {} recovered after {} failed attempt(s)", config.redactedUrl(), consecutiveFailures);
                    }
                    consecutiveFailures = 0;
                    return "delivered";
                }
                last = "HTTP " + r.statusCode();
                if (r.statusCode() / 100 == 4 && r.statusCode() != 429 && r.statusCode() != 408) {
                    LOG.warn("webhook {} rejected drift {} with {}: not retried", config.redactedUrl(), d.getId(), last);
                    consecutiveFailures++;
                    return "failed";
                }
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedRuntime();
            }
            consecutiveFailures++;
            if (consecutiveFailures == 3 || consecutiveFailures % 10 == 0) {
                LOG.warn("webhook {} keeps failing: {} consecutive failed attempts, last: {}", config.redactedUrl(),
                        consecutiveFailures, last);
            }
            if (attempt < config.maxAttempts()) {
                try {
                    sleeper.sleep(backoff);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedRuntime();
                }
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(config.maxBackoff()) > 0) {
                    backoff = config.maxBackoff();
                }
            }
        }
        LOG.warn("webhook {}: drift {} dropped after {} attempts, last: {}", config.redactedUrl(), d.getId(),
                config.maxAttempts(), last);
        return "failed";
    }

    /** The body: the drift JSON, or Slack's {@code {"text": ...}}. */
    ObjectNode payload(DriftEvent d) {
        if (!config.slack()) {
            return JsonViews.drift(d);
        }
        return JsonNodeFactory.instance.objectNode().put("text", slackText(d));
    }

    static String slackText(DriftEvent d) {
        String before = d.getBefore() == null ? "new" : d.getBefore().getStatus().name();
        String after = d.getAfter() == null ? "deleted" : d.getAfter().getStatus().name();
        String icon = d.getAfter() != null && d.getAfter().getStatus().name().equals("NON_COMPLIANT") ? ":rotating_light:"
                : ":information_source:";
        return icon + " Fencewatch: namespace *" + d.getNamespace() + "* in cluster *" + d.getCluster() + "* is now *"
                + after + "* (was " + before + "): " + d.getReason().name() + " at " + d.getDetectedAt();
    }


    /** A token bucket: {@code capacity} tokens, refilled at {@code perMinute}. */
    static final class TokenBucket {
        private final double capacity;
        private final double perNano;
        private final java.util.function.LongSupplier clock;
        private double tokens;
        private long last;

        TokenBucket(int capacity, int perMinute, java.util.function.LongSupplier clock) {
            this.capacity = capacity;
            this.perNano = perMinute / (double) Duration.ofMinutes(1).toNanos();
            this.clock = clock;
            this.tokens = capacity;
            this.last = clock.getAsLong();
        }

        synchronized boolean tryTake() {
            long now = clock.getAsLong();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
    private static final class InterruptedRuntime extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }
}
