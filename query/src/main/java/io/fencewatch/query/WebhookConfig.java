package io.fencewatch.query;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import io.fencewatch.query.QueryConfig.Key;

/**
 * Settings of the webhook alert sink. Off unless {@code query.webhook.url} is set.
 *
 * @param url            target URL (its query string is never logged), or null (sink off)
 * @param format         {@code json} (the drift object) or {@code slack} ({@code {"text": ...}})
 * @param groupId        consumer group of the sink: one instance of the group delivers each drift
 * @param maxAttempts    attempts per alert before it is dropped with a WARN
 * @param initialBackoff first retry delay, doubled per attempt
 * @param maxBackoff     cap of the retry delay
 * @param ratePerMinute  token bucket refill: alerts per minute
 * @param burst          token bucket size
 * @param onlyStatuses   after-statuses that alert (empty: every drift)
 * @param timeout        timeout of one delivery
 */
public record WebhookConfig(
        URI url,
        String format,
        String groupId,
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        int ratePerMinute,
        int burst,
        List<String> onlyStatuses,
        Duration timeout) {

    public static final Key<URI> URL = new Key<>("query.webhook.url", null,
            "webhook receiving drift alerts (http or https); off when unset", WebhookConfig::uri);
    public static final Key<String> FORMAT = new Key<>("query.webhook.format", "json",
            "payload: json (the drift object) or slack ({\"text\": ...})", WebhookConfig::format);
    public static final Key<String> GROUP = new Key<>("query.webhook.group", "fencewatch-webhook",
            "consumer group of the sink, so each drift is delivered by one instance", Function.identity());
    public static final Key<Integer> ATTEMPTS = new Key<>("query.webhook.max.attempts", "6",
            "attempts per alert before it is dropped", s -> QueryConfig.intIn(s, 1, 100));
    public static final Key<Duration> BACKOFF = new Key<>("query.webhook.backoff.ms", "500",
            "first retry delay, doubled per attempt", s -> Duration.ofMillis(QueryConfig.intIn(s, 1, 600_000)));
    public static final Key<Duration> MAX_BACKOFF = new Key<>("query.webhook.max.backoff.ms", "30000",
            "cap of the retry delay", s -> Duration.ofMillis(QueryConfig.intIn(s, 1, 600_000)));
    public static final Key<Integer> RATE = new Key<>("query.webhook.rate.per.minute", "60",
            "alerts per minute (token bucket refill)", s -> QueryConfig.intIn(s, 1, 1_000_000));
    public static final Key<Integer> BURST = new Key<>("query.webhook.burst", "20",
            "alerts sent at once before the rate applies (token bucket size)", s -> QueryConfig.intIn(s, 1, 1_000_000));
    public static final Key<List<String>> STATUSES = new Key<>("query.webhook.statuses", "",
            "comma-separated after-statuses that alert, e.g. NON_COMPLIANT (empty: every drift)",
            s -> List.of(s.isBlank() ? new String[0] : s.toUpperCase(Locale.ROOT).split("\\s*,\\s*")));
    public static final Key<Duration> TIMEOUT = new Key<>("query.webhook.timeout.ms", "5000",
            "timeout of one delivery", s -> Duration.ofMillis(QueryConfig.intIn(s, 10, 600_000)));

    public static final List<Key<?>> KEYS = List.of(URL, FORMAT, GROUP, ATTEMPTS, BACKOFF, MAX_BACKOFF, RATE, BURST,
            STATUSES, TIMEOUT);

    public static WebhookConfig fromMap(Map<String, String> values) {
        List<String> statuses = STATUSES.read(values);
        return new WebhookConfig(URL.read(values), FORMAT.read(values), GROUP.read(values), ATTEMPTS.read(values),
                BACKOFF.read(values), MAX_BACKOFF.read(values), RATE.read(values), BURST.read(values),
                statuses == null ? List.of() : statuses, TIMEOUT.read(values));
    }

    public boolean enabled() {
        return url != null;
    }

    public boolean slack() {
        return "slack".equals(format);
    }

    /** The URL without user info, query or fragment: safe to log (tokens often hide in the query). */
    public String redactedUrl() {
        return redact(url);
    }

    static String redact(URI uri) {
        if (uri == null) {
            return "none";
        }
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        // Slack-style URLs carry the secret in the path: keep only its first segment.
        if (path.startsWith("/services/")) {
            path = "/services/***";
        }
        return uri.getScheme() + "://" + uri.getHost() + port + path + (uri.getRawQuery() != null ? "?***" : "");
    }

    @Override
    public String toString() {
        return enabled() ? "webhook[" + redactedUrl() + ", " + format + "]" : "webhook[off]";
    }

    private static URI uri(String s) {
        URI u = URI.create(s);
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("must be an absolute http or https URL");
        }
        return u;
    }

    private static String format(String s) {
        String f = s.toLowerCase(Locale.ROOT);
        if (!f.equals("json") && !f.equals("slack")) {
            throw new IllegalArgumentException("'" + s + "' is neither json nor slack");
        }
        return f;
    }
}
