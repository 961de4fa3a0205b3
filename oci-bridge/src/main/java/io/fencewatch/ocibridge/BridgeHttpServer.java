package io.fencewatch.ocibridge;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** {@code /healthz}, {@code /readyz} and {@code /metrics} (Prometheus text) of one bridge. */
public final class BridgeHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final OciBridge bridge;

    public BridgeHttpServer(String bind, int port, OciBridge bridge) throws IOException {
        this.bridge = bridge;
        this.server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        server.createContext("/healthz", ex -> check(ex, bridge.healthProblem()));
        server.createContext("/readyz", ex -> check(ex, bridge.readinessProblem()));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", render(bridge)));
    }

    public BridgeHttpServer start() {
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The Prometheus exposition. */
    public static String render(OciBridge bridge) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : bridge.metrics().entrySet()) {
            String name = "fencewatch_bridge_" + e.getKey();
            sb.append("# TYPE ").append(name).append(e.getKey().endsWith("_total") ? " counter" : " gauge").append('\n');
            sb.append(name).append(' ').append(e.getValue()).append('\n');
        }
        sb.append("# HELP fencewatch_bridge_oci_partition_offset Last offset read from each OCI partition.\n");
        sb.append("# TYPE fencewatch_bridge_oci_partition_offset gauge\n");
        bridge.partitionOffsets().forEach((p, o) -> sb.append("fencewatch_bridge_oci_partition_offset{partition=\"")
                .append(p).append("\"} ").append(o).append('\n'));
        sb.append("# HELP fencewatch_bridge_oci_partition_lag_seconds Age of the last message read from each OCI partition (0 once caught up).\n");
        sb.append("# TYPE fencewatch_bridge_oci_partition_lag_seconds gauge\n");
        bridge.partitionLagMillis().forEach((p, l) -> sb.append("fencewatch_bridge_oci_partition_lag_seconds{partition=\"")
                .append(p).append("\"} ").append(String.format(java.util.Locale.ROOT, "%.3f", l / 1000.0)).append('\n'));
        sb.append("fencewatch_bridge_ready ").append(bridge.readinessProblem() == null ? 1 : 0).append('\n');
        return sb.toString();
    }

    private static void check(HttpExchange ex, String problem) throws IOException {
        respond(ex, problem == null ? 200 : 503, "text/plain; charset=utf-8", problem == null ? "ok\n" : problem + "\n");
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
