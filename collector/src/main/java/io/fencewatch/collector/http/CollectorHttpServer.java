package io.fencewatch.collector.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.fencewatch.collector.ClusterAgent;

/**
 * {@code /healthz} (every agent's informers running and watching), {@code /readyz} (synced, Kafka
 * reachable, epoch acked) and {@code /metrics} (Prometheus text format 0.0.4) on the JDK's HTTP
 * server. Problems are reported per cluster in the body, never object content.
 */
public final class CollectorHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorHttpServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final Supplier<List<ClusterAgent>> agents;
    /** An OKE fleet's problem (null: fine), or null for a collector of named clusters. */
    private final Supplier<String> fleet;
    private boolean closed;

    public CollectorHttpServer(String bindAddress, int port, Supplier<List<ClusterAgent>> agents) throws IOException {
        this(bindAddress, port, agents, null);
    }

    /**
     * With an OKE fleet: an empty fleet is healthy (nothing to watch yet), and a discovery that has
     * not succeeded is not ready.
     */
    public CollectorHttpServer(String bindAddress, int port, Supplier<List<ClusterAgent>> agents, Supplier<String> fleet)
            throws IOException {
        this.agents = Objects.requireNonNull(agents);
        this.fleet = fleet;
        this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "fencewatch-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/healthz", ex -> check(ex, true));
        server.createContext("/readyz", ex -> check(ex, false));
        server.createContext("/metrics", this::metrics);
    }

    public CollectorHttpServer start() {
        server.start();
        LOG.info("HTTP server on port {}: /healthz /readyz /metrics", port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void check(HttpExchange ex, boolean liveness) throws IOException {
        StringBuilder body = new StringBuilder();
        boolean ok = true;
        List<ClusterAgent> list = agents.get();
        if (fleet != null) {
            String problem = fleet.get();
            // Liveness: discovery failing is OCI's trouble, not this process's; readiness says it.
            ok = liveness || problem == null;
            body.append(problem == null ? "fleet: ok" : problem).append('\n');
        } else if (list.isEmpty()) {
            ok = false;
            body.append("no agents\n");
        }
        for (ClusterAgent a : list) {
            String problem = liveness ? a.healthProblem() : a.readinessProblem();
            ok &= problem == null;
            body.append(a.clusterId()).append(": ").append(problem == null ? "ok" : problem).append('\n');
        }
        respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", body.toString());
    }

    private void metrics(HttpExchange ex) throws IOException {
        respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", render(agents.get(), System.currentTimeMillis()));
    }

    /** The Prometheus exposition of every agent's state. */
    public static String render(List<ClusterAgent> agents, long nowMillis) {
        StringBuilder sb = new StringBuilder(4096);
        help(sb, "fencewatch_collector_events_published_total", "counter",
                "Inventory records acked by Kafka, by kind (MARKER for sync markers and heartbeats) and op.");
        for (ClusterAgent a : agents) {
            for (Map.Entry<String, Long> e : a.publisher().metrics().publishedByKindAndOp().entrySet()) {
                String[] kindOp = e.getKey().split("\\|");
                sb.append("fencewatch_collector_events_published_total{cluster=\"").append(a.clusterId())
                        .append("\",kind=\"").append(kindOp[0]).append("\",op=\"").append(kindOp[1]).append("\"} ")
                        .append(e.getValue()).append('\n');
            }
        }
        gauge(sb, agents, "fencewatch_collector_publish_errors_total", "counter",
                "Records Kafka did not take (each leads to a new epoch, except records too large).",
                a -> a.publisher().metrics().publishErrors());
        gauge(sb, agents, "fencewatch_collector_skipped_objects_total", "counter",
                "Objects that could not be published at all (no name or namespace).",
                a -> a.publisher().metrics().skippedObjects());
        gauge(sb, agents, "fencewatch_collector_truncated_objects_total", "counter",
                "Objects published as truncated facts (over max.request.size or the bounds on labels and rules).",
                a -> a.publisher().metrics().truncatedObjects());
        gauge(sb, agents, "fencewatch_collector_duplicates_skipped_total", "counter",
                "Informer notifications of a version the epoch's snapshot had already sent.",
                a -> a.publisher().metrics().skippedDuplicates());
        gauge(sb, agents, "fencewatch_collector_queue_depth", "gauge",
                "Events waiting between the informers and the publisher.", a -> a.publisher().queueDepth());
        help(sb, "fencewatch_collector_last_event_age_seconds", "gauge",
                "Seconds since Kafka acked this cluster's last record (heartbeats included); -1 if none yet.");
        for (ClusterAgent a : agents) {
            long last = a.publisher().metrics().lastAckMillis();
            double age = last == 0 ? -1 : Math.max(0, nowMillis - last) / 1000.0;
            sb.append("fencewatch_collector_last_event_age_seconds{cluster=\"").append(a.clusterId()).append("\"} ")
                    .append(String.format(Locale.ROOT, "%.3f", age)).append('\n');
        }
        gauge(sb, agents, "fencewatch_collector_epoch", "gauge",
                "The open epoch (wall-clock ms at its start), -1 if none (standby or opening).",
                a -> a.publisher().openEpoch());
        gauge(sb, agents, "fencewatch_collector_epochs_opened_total", "counter",
                "Epochs opened: starts, leadership gains and resyncs.", a -> a.publisher().metrics().epochsOpened());
        gauge(sb, agents, "fencewatch_collector_leader", "gauge",
                "1 if this replica publishes for the cluster (leader, or no election).", a -> a.isLeader() ? 1 : 0);
        gauge(sb, agents, "fencewatch_collector_ready", "gauge", "1 if the agent is ready.",
                a -> a.readinessProblem() == null ? 1 : 0);
        gauge(sb, agents, "fencewatch_collector_kafka_reachable", "gauge", "1 if Kafka took the last write or probe.",
                a -> a.publisher().kafkaReachable() ? 1 : 0);
        // The sink's own counters (OCI Streaming: messages and bytes sent, entries throttled and retried).
        java.util.Set<String> sinkCounters = new java.util.TreeSet<>();
        agents.forEach(a -> sinkCounters.addAll(a.publisher().sinkCounters().keySet()));
        for (String name : sinkCounters) {
            help(sb, "fencewatch_collector_" + name, "counter", "OCI Streaming sink: " + name.replace('_', ' ') + ".");
            for (ClusterAgent a : agents) {
                Long v = a.publisher().sinkCounters().get(name);
                if (v != null) {
                    sb.append("fencewatch_collector_").append(name).append("{cluster=\"").append(a.clusterId())
                            .append("\"} ").append(v).append('\n');
                }
            }
        }
        help(sb, "fencewatch_collector_informer_state", "gauge",
                "Informer state: 1 if the informer is in that state (running, watching, synced).");
        for (ClusterAgent a : agents) {
            for (ClusterAgent.InformerState s : a.informerStates()) {
                informer(sb, a.clusterId(), s.resource(), "running", s.running());
                informer(sb, a.clusterId(), s.resource(), "watching", s.watching());
                informer(sb, a.clusterId(), s.resource(), "synced", s.synced());
            }
        }
        return sb.toString();
    }

    private interface Value {
        long of(ClusterAgent a);
    }

    private static void gauge(StringBuilder sb, List<ClusterAgent> agents, String name, String type, String doc, Value v) {
        help(sb, name, type, doc);
        for (ClusterAgent a : agents) {
            sb.append(name).append("{cluster=\"").append(a.clusterId()).append("\"} ").append(v.of(a)).append('\n');
        }
    }

    private static void informer(StringBuilder sb, String cluster, String resource, String state, boolean on) {
        sb.append("fencewatch_collector_informer_state{cluster=\"").append(cluster).append("\",resource=\"")
                .append(resource).append("\",state=\"").append(state).append("\"} ").append(on ? 1 : 0).append('\n');
    }

    private static void help(StringBuilder sb, String name, String type, String doc) {
        sb.append("# HELP ").append(name).append(' ').append(doc).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }
}
