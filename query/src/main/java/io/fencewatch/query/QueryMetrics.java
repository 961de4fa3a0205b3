package io.fencewatch.query;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

import org.apache.kafka.streams.KafkaStreams;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;

/**
 * Prometheus metrics in the text exposition format 0.0.4, written by hand (a few counters, one
 * histogram, gauges computed at scrape time): no client library needed.
 *
 * <ul>
 *   <li>{@code fencewatch_namespaces{cluster,status}}: namespaces whose partition is active on
 *       this instance: sum over instances for the whole picture.</li>
 *   <li>{@code fencewatch_namespaces_workloads{cluster,status}}: the same namespaces by FW-NP-003
 *       status (workloadStatus); a namespace whose pods are not known is not counted, and a cluster
 *       with none known has no line.</li>
 *   <li>{@code fencewatch_drift_total{cluster,reason}}: drifts read live since this instance
 *       started. Every instance reads the whole drift topic, so take {@code max} over instances, not
 *       {@code sum}.</li>
 *   <li>{@code fencewatch_drift_detection_latency_seconds}: histogram of detectedAt minus the
 *       causing event's observedAt (collector clock to processor clock); time-driven drifts without
 *       a cause are not observed.</li>
 *   <li>{@code fencewatch_streams_state{state}}: 1 for the current Kafka Streams state.</li>
 *   <li>{@code fencewatch_clusters{state}}: clusters by state ({@link #CLUSTER_STATES}, every state
 *       written, 0 included) and {@code fencewatch_cluster_state{cluster,state}}: 1 per cluster for
 *       its state, as the partitions active on this instance see them. Markers reach every
 *       partition, so every instance with a partition sees every cluster: take {@code max}.</li>
 *   <li>{@code fencewatch_cluster_policy_enforced{cluster}}: 1 when the cluster runs a
 *       NetworkPolicy engine (FW-NP-002 ENFORCED), 0 when its collector found none; absent while
 *       unknown. Same view as the cluster state: take {@code max}.</li>
 *   <li>{@code fencewatch_namespaces_fenced{cluster}}: namespaces COMPLIANT in a cluster that
 *       enforces NetworkPolicy, of the partitions active here: {@code sum} over instances.</li>
 * </ul>
 */
public final class QueryMetrics {
    /** The states of a cluster, in the order written. */
    static final java.util.List<String> CLUSTER_STATES = java.util.List.of("WATCHING", "SYNCING", "UNREACHABLE", "STALE");
    static final double[] LATENCY_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    /**
     * What /metrics writes of one cluster: its state (one of {@link #CLUSTER_STATES}), whether it
     * enforces NetworkPolicy (null: unknown, no line) and its fenced namespaces (null: no line).
     */
    record ClusterGauges(String state, Boolean enforced, Long fenced) {
        static ClusterGauges of(String state) {
            return new ClusterGauges(state, null, null);
        }
    }

    /**
     * Namespaces of the partitions active here, by cluster: per FW-NP-001 status, and per FW-NP-003
     * status for those whose pods are known.
     */
    record NamespaceCounts(Map<String, Map<Status, Long>> byStatus, Map<String, Map<Status, Long>> byWorkloadStatus) {
    }

    private final Map<String, AtomicLong> driftTotal = new ConcurrentHashMap<>();
    private final AtomicLongArray latencyBuckets = new AtomicLongArray(LATENCY_BUCKETS.length);
    private final AtomicLong latencyCount = new AtomicLong();
    private final AtomicLong latencySumMillis = new AtomicLong();
    private final Map<String, AtomicLong> webhook = new ConcurrentHashMap<>();

    /** Counts one drift read live. */
    private volatile java.util.function.IntSupplier connections = () -> 0;

    void connections(java.util.function.IntSupplier open) {
        this.connections = open;
    }

    public void onDrift(DriftEvent d) {
        driftTotal.computeIfAbsent(label("cluster", d.getCluster()) + "," + label("reason", d.getReason().name()),
                k -> new AtomicLong()).incrementAndGet();
        if (d.getCause() != null) {
            long millis = Math.max(0, d.getDetectedAt().toEpochMilli() - d.getCause().getObservedAt().toEpochMilli());
            double seconds = millis / 1000.0;
            for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
                if (seconds <= LATENCY_BUCKETS[i]) {
                    latencyBuckets.incrementAndGet(i);
                }
            }
            latencyCount.incrementAndGet();
            latencySumMillis.addAndGet(millis);
        }
    }

    /** Counts one webhook outcome: delivered, failed (gave up), deduplicated, rate_limited, filtered. */
    void onWebhook(String result) {
        webhook.computeIfAbsent(result, k -> new AtomicLong()).incrementAndGet();
    }

    long webhookCount(String result) {
        AtomicLong v = webhook.get(result);
        return v == null ? 0 : v.get();
    }

    /** The exposition text, without cluster states. */
    String render(Supplier<Map<String, Map<Status, Long>>> namespaces, KafkaStreams.State state, int historySize,
            int sseClients) {
        return render(namespaces, Map::of, state, historySize, sseClients);
    }

    /** The exposition text, without FW-NP-003 counts; {@code clusterGauges}: cluster id to its state, enforcement and fenced count. */
    String render(Supplier<Map<String, Map<Status, Long>>> namespaces, Supplier<Map<String, ClusterGauges>> clusterGauges,
            KafkaStreams.State state, int historySize, int sseClients) {
        return render(new NamespaceCounts(namespaces.get(), Map.of()), clusterGauges, state, historySize, sseClients);
    }

    /** The exposition text; {@code clusterGauges}: cluster id to its state, enforcement and fenced count. */
    String render(NamespaceCounts namespaces, Supplier<Map<String, ClusterGauges>> clusterGauges,
            KafkaStreams.State state, int historySize, int sseClients) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("# HELP fencewatch_namespaces Namespaces by cluster and status, for the partitions active on this instance.\n");
        sb.append("# TYPE fencewatch_namespaces gauge\n");
        byStatus(sb, "fencewatch_namespaces", namespaces.byStatus());
        sb.append("# HELP fencewatch_namespaces_workloads Namespaces by cluster and FW-NP-003 status (every workload isolated), for the partitions active on this instance; namespaces whose pods are not known are not counted.\n");
        sb.append("# TYPE fencewatch_namespaces_workloads gauge\n");
        byStatus(sb, "fencewatch_namespaces_workloads", namespaces.byWorkloadStatus());
        Map<String, ClusterGauges> byCluster = new java.util.TreeMap<>(clusterGauges.get());
        Map<String, String> clusters = new java.util.TreeMap<>();
        byCluster.forEach((cluster, g) -> clusters.put(cluster, g.state()));
        sb.append("# HELP fencewatch_clusters Clusters by state, for the partitions active on this instance (every instance sees every cluster: use max over instances).\n");
        sb.append("# TYPE fencewatch_clusters gauge\n");
        for (String s : CLUSTER_STATES) {
            long n = clusters.values().stream().filter(s::equals).count();
            sb.append("fencewatch_clusters{").append(label("state", s)).append("} ").append(n).append('\n');
        }
        sb.append("# HELP fencewatch_cluster_state State of each cluster (1 for its current state: WATCHING, SYNCING, UNREACHABLE or STALE).\n");
        sb.append("# TYPE fencewatch_cluster_state gauge\n");
        clusters.forEach((cluster, s) -> sb.append("fencewatch_cluster_state{").append(label("cluster", cluster))
                .append(',').append(label("state", s)).append("} 1\n"));
        sb.append("# HELP fencewatch_cluster_policy_enforced Whether each cluster enforces NetworkPolicy (FW-NP-002: 1 a policy engine runs, 0 none found; absent while unknown).\n");
        sb.append("# TYPE fencewatch_cluster_policy_enforced gauge\n");
        byCluster.forEach((cluster, g) -> {
            if (g.enforced() != null) {
                sb.append("fencewatch_cluster_policy_enforced{").append(label("cluster", cluster)).append("} ")
                        .append(g.enforced() ? 1 : 0).append('\n');
            }
        });
        sb.append("# HELP fencewatch_namespaces_fenced Namespaces COMPLIANT in a cluster that enforces NetworkPolicy, for the partitions active on this instance.\n");
        sb.append("# TYPE fencewatch_namespaces_fenced gauge\n");
        byCluster.forEach((cluster, g) -> {
            if (g.fenced() != null) {
                sb.append("fencewatch_namespaces_fenced{").append(label("cluster", cluster)).append("} ")
                        .append(g.fenced()).append('\n');
            }
        });
        sb.append("# HELP fencewatch_drift_total Drift events read since start, by cluster and reason (every instance reads all drift: use max over instances).\n");
        sb.append("# TYPE fencewatch_drift_total counter\n");
        new java.util.TreeMap<>(driftTotal).forEach((labels, v) ->
                sb.append("fencewatch_drift_total{").append(labels).append("} ").append(v.get()).append('\n'));
        sb.append("# HELP fencewatch_drift_detection_latency_seconds Drift detection time minus the causing event's observation time.\n");
        sb.append("# TYPE fencewatch_drift_detection_latency_seconds histogram\n");
        for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
            sb.append("fencewatch_drift_detection_latency_seconds_bucket{le=\"").append(format(LATENCY_BUCKETS[i]))
                    .append("\"} ").append(latencyBuckets.get(i)).append('\n');
        }
        long count = latencyCount.get();
        sb.append("fencewatch_drift_detection_latency_seconds_bucket{le=\"+Inf\"} ").append(count).append('\n');
        sb.append("fencewatch_drift_detection_latency_seconds_sum ").append(format(latencySumMillis.get() / 1000.0)).append('\n');
        sb.append("fencewatch_drift_detection_latency_seconds_count ").append(count).append('\n');
        sb.append("# HELP fencewatch_streams_state Kafka Streams state of this instance (1 for the current state).\n");
        sb.append("# TYPE fencewatch_streams_state gauge\n");
        for (KafkaStreams.State s : KafkaStreams.State.values()) {
            sb.append("fencewatch_streams_state{").append(label("state", s.name())).append("} ")
                    .append(s == state ? 1 : 0).append('\n');
        }
        sb.append("# HELP fencewatch_drift_history_size Drift events kept in memory for the API and SSE replay.\n");
        sb.append("# TYPE fencewatch_drift_history_size gauge\n");
        sb.append("fencewatch_drift_history_size ").append(historySize).append('\n');
        sb.append("# HELP fencewatch_sse_clients Open SSE drift streams.\n");
        sb.append("# TYPE fencewatch_sse_clients gauge\n");
        sb.append("fencewatch_sse_clients ").append(sseClients).append('\n');
        sb.append("# HELP fencewatch_http_connections Open HTTP connections on the main port.\n");
        sb.append("# TYPE fencewatch_http_connections gauge\n");
        sb.append("fencewatch_http_connections ").append(connections.getAsInt()).append('\n');
        sb.append("# HELP fencewatch_webhook_alerts_total Webhook alerts by result.\n");
        sb.append("# TYPE fencewatch_webhook_alerts_total counter\n");
        new java.util.TreeMap<>(webhook).forEach((result, v) -> sb.append("fencewatch_webhook_alerts_total{")
                .append(label("result", result)).append("} ").append(v.get()).append('\n'));
        for (Gauge g : gauges) {
            sb.append("# HELP ").append(g.name()).append(' ').append(g.help()).append('\n');
            sb.append("# TYPE ").append(g.name()).append(" gauge\n");
            sb.append(g.name()).append(' ').append(formatGauge(g.value().getAsDouble())).append('\n');
        }
        for (Counter c : counters) {
            sb.append("# HELP ").append(c.name()).append(' ').append(c.help()).append('\n');
            sb.append("# TYPE ").append(c.name()).append(" counter\n");
            sb.append(c.name()).append(' ').append(c.value().getAsLong()).append('\n');
        }
        return sb.toString();
    }

    /** One line per cluster and status (UNKNOWN only when counted), 0 included, clusters sorted. */
    private static void byStatus(StringBuilder sb, String metric, Map<String, Map<Status, Long>> counts) {
        new java.util.TreeMap<>(counts).forEach((cluster, byStatus) -> {
            for (Status s : Status.values()) {
                if (s == Status.UNKNOWN && !byStatus.containsKey(s)) {
                    continue;
                }
                sb.append(metric).append('{').append(label("cluster", cluster)).append(',')
                        .append(label("status", s.name())).append("} ").append(byStatus.getOrDefault(s, 0L)).append('\n');
            }
        });
    }

    private record Counter(String name, String help, java.util.function.LongSupplier value) {
    }

    private final java.util.List<Counter> counters = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A counter the host application keeps (e.g. the processor's dead-letter write failures), read at scrape time. */
    public void addCounter(String name, String help, java.util.function.LongSupplier value) {
        counters.add(new Counter(name, help, value));
    }

    private record Gauge(String name, String help, java.util.function.DoubleSupplier value) {
    }

    private final java.util.List<Gauge> gauges = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A gauge the host application computes at scrape time (e.g. the processor's consumer lag). */
    public void addGauge(String name, String help, java.util.function.DoubleSupplier value) {
        gauges.add(new Gauge(name, help, value));
    }

    private static String formatGauge(double d) {
        return Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "+Inf" : "-Inf") : format(d);
    }

    private static String format(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d);
    }

    static String label(String name, String value) {
        String v = value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        return name + "=\"" + v + "\"";
    }
}
