package io.fencewatch.processor;

import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.query.QueryServer;

/**
 * The running processor: the topology in a {@link KafkaStreams} instance. A stream thread that dies
 * of an uncaught exception is replaced, so the application keeps running. {@link #close()} is
 * safe to call twice.
 */
public final class ProcessorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessorApp.class);

    private final ProcessorConfig config;
    private final KafkaStreams streams;
    private final QueryServer queryServer;
    private final DeadLetterFailures dlqFailures;
    private final java.util.List<KafkaStreams.StateListener> stateListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private boolean closed;

    public ProcessorApp(ProcessorConfig config) {
        this.config = config;
        this.dlqFailures = new DeadLetterFailures();
        Topology topology = CoverageTopology.build(config.topics(), config.rules(),
                config.topologyOptions().withDlqFailures(dlqFailures));
        Properties props = config.streamsProperties();
        // The handler and the processor share this instance (see DeadLetterFailures).
        props.put(DeadLetterFailures.CONFIG, dlqFailures);
        this.streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams {} -> {}", before, now);
            stateListeners.forEach(l -> l.onChange(now, before));
        });
        this.queryServer = config.queryConfig() == null ? null
                : new QueryServer(config.queryConfig(), streams, CoverageTopology.COVERAGE_STORE,
                        CoverageTopology.CLUSTER_STORE, config.clientProperties());
        if (queryServer != null) {
            queryServer.metrics().addCounter("fencewatch_dlq_write_failures_total",
                    "Dead letters the producer refused (logged and skipped; see the processor log).",
                    dlqFailures::failures);
            queryServer.metrics().addGauge("fencewatch_consumer_lag_records",
                    "Largest records-lag-max of this instance's consumers (Kafka Streams client metrics).",
                    () -> streamsMetric("consumer-fetch-manager-metrics", "records-lag-max", true, 1));
            queryServer.metrics().addGauge("fencewatch_commit_latency_seconds",
                    "Average commit latency of this instance's stream threads (commit-latency-avg).",
                    () -> streamsMetric("stream-thread-metrics", "commit-latency-avg", false, 0.001));
        }
    }

    /**
     * The max (or mean) over this instance's clients of one Kafka Streams metric, times {@code scale};
     * 0 while no client reports a finite value yet.
     */
    private double streamsMetric(String group, String name, boolean max, double scale) {
        double[] values = streams.metrics().values().stream()
                .filter(m -> m.metricName().group().equals(group) && m.metricName().name().equals(name)
                        && !m.metricName().tags().containsKey("topic"))
                .map(m -> m.metricValue()).filter(v -> v instanceof Double d && Double.isFinite(d))
                .mapToDouble(v -> (Double) v).toArray();
        if (values.length == 0) {
            return 0;
        }
        double r = max ? java.util.Arrays.stream(values).max().orElse(0) : java.util.Arrays.stream(values).average().orElse(0);
        return r * scale;
    }

    /** Creates missing topics (if configured) and starts processing. */
    public ProcessorApp start() {
        if (config.get(ProcessorConfig.CREATE_TOPICS)) {
            TopicBootstrap.ensureTopics(config.streamsProperties(), config.topicNames(),
                    config.get(ProcessorConfig.PARTITIONS), config.limits());
        }
        LOG.info("starting: application {} on {} reading {} ({}, profile {})",
                config.get(ProcessorConfig.APPLICATION_ID), config.get(ProcessorConfig.BOOTSTRAP_SERVERS),
                config.topicNames().inventory(), config.streamsProperties().getProperty("processing.guarantee"),
                config.rules().profile().wireName());
        if (queryServer != null) {
            queryServer.start();
            LOG.info("REST, drift feed, dashboard and /metrics on port {}", config.queryConfig().port());
        }
        streams.start();
        return this;
    }

    /** Also tells {@code listener} of every Kafka Streams state transition (e.g. to prove that no rebalance happened). */
    public ProcessorApp onStateChange(KafkaStreams.StateListener listener) {
        stateListeners.add(listener);
        return this;
    }

    /** Dead letters the producer refused ({@code fencewatch_dlq_write_failures_total}). */
    public DeadLetterFailures dlqFailures() {
        return dlqFailures;
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** The query surface, or null when HTTP is off. */
    public QueryServer queryServer() {
        return queryServer;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (queryServer != null) {
            queryServer.close();
        }
        // Leave the group: Kafka Streams stays in it by default (for rolling restarts), and then the
        // next start of this application waits a session timeout (45 s) before it runs.
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        LOG.info("stopped");
    }
}
