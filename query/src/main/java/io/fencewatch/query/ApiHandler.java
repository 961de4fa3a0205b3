package io.fencewatch.query;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;

/**
 * Routes every request of the one port: the REST API, SSE, health, metrics and the dashboard.
 * Read-only (GET and HEAD; OPTIONS only for a configured CORS origin). Error bodies are
 * {@code {"error": "..."}} with a short, fixed message: never a stack trace or a payload.
 */
final class ApiHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int DEFAULT_DRIFT_LIMIT = 100;

    private final QueryConfig config;
    private final CoverageQueryService queries;
    private final DriftFeed drift;
    private final QueryMetrics metrics;
    private final BearerAuth auth;
    private final String forwardAuthorization;
    private final SseStreams sse;
    private final Dashboard dashboard;

    ApiHandler(QueryConfig config, CoverageQueryService queries, DriftFeed drift, QueryMetrics metrics, BearerAuth auth,
            String forwardAuthorization, SseStreams sse, Dashboard dashboard) {
        this.config = config;
        this.queries = queries;
        this.drift = drift;
        this.metrics = metrics;
        this.auth = auth;
        this.forwardAuthorization = forwardAuthorization;
        this.sse = sse;
        this.dashboard = dashboard;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
            securityHeaders(ex);
            String method = ex.getRequestMethod();
            boolean cors = cors(ex);
            if ("OPTIONS".equals(method) && cors) {
                ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, HEAD");
                ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Last-Event-ID");
                ex.getResponseHeaders().set("Access-Control-Max-Age", "600");
                ex.sendResponseHeaders(204, -1);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, Reply.error(405, "method not allowed: this API is read-only"));
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            if (needsAuth(path) && !auth.allows(ex.getRequestHeaders())) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"fencewatch\"");
                send(ex, Reply.error(401, "missing or wrong bearer token"));
                return;
            }
            if (path.equals("/api/v1/drift/stream")) {
                if ("HEAD".equals(method)) {
                    send(ex, Reply.text(200, "text/event-stream", ""));
                    return;
                }
                sse.serve(ex, query(ex.getRequestURI()));
                return;
            }
            send(ex, route(ex, path));
        } catch (Unavailable e) {
            sendQuietly(ex, unavailable(e.getMessage()));
        } catch (BadRequest e) {
            sendQuietly(ex, Reply.error(400, e.getMessage()));
        } catch (IOException e) {
            LOG.debug("{} {}: client went away ({})", ex.getRequestMethod(), ex.getRequestURI().getRawPath(), e.toString());
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed", ex.getRequestMethod(), ex.getRequestURI().getRawPath(), e);
            sendQuietly(ex, Reply.error(500, "internal error"));
        } finally {
            ex.close();
        }
    }

    private Reply route(HttpExchange ex, String path) {
        List<String> seg = segments(path);
        Map<String, String> q = query(ex.getRequestURI());
        String forwarded = ex.getRequestHeaders().getFirst(CoverageQueryService.FORWARDED_HEADER);
        if (seg.isEmpty() || (seg.size() == 1 && seg.get(0).equals("index.html"))) {
            return dashboard.asset("index.html");
        }
        switch (seg.get(0)) {
            case "healthz":
                return health();
            case "readyz":
                return ready();
            case "metrics":
                return Reply.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(
                        queries::localCountsForMetrics, queries.streamsState(), drift.size(), sse.clients()));
            case "assets":
                return seg.size() == 2 ? dashboard.asset(seg.get(1)) : notFound();
            case "api":
                break;
            default:
                return notFound();
        }
        if (seg.size() < 3 || !seg.get(1).equals("v1")) {
            return notFound();
        }
        List<String> api = seg.subList(2, seg.size());
        switch (api.get(0)) {
            case "clusters" -> {
                if (api.size() == 1) {
                    return queries.clusters(forwardAuthorization);
                }
                String cluster = cluster(api.get(1));
                if (api.size() == 3 && api.get(2).equals("namespaces")) {
                    return queries.namespaces(cluster, status(q.get("status")), forwardAuthorization);
                }
                if (api.size() == 4 && api.get(2).equals("namespaces")) {
                    return queries.namespace(cluster, api.get(3), forwarded, forwardAuthorization);
                }
                return notFound();
            }
            case "drift" -> {
                return api.size() == 1 ? drift(q) : notFound();
            }
            case "internal" -> {
                if (api.size() == 3 && api.get(1).equals("local")) {
                    Set<Integer> partitions = partitions(q.get("partitions"));
                    if (api.get(2).equals("namespaces")) {
                        return queries.localNamespacesReply(cluster(q.get("cluster")), status(q.get("status")), partitions);
                    }
                    if (api.get(2).equals("clusters")) {
                        return queries.localClustersReply(partitions);
                    }
                }
                return notFound();
            }
            default -> {
                return notFound();
            }
        }
    }

    private Reply drift(Map<String, String> q) {
        String cluster = q.get("cluster") == null ? null : cluster(q.get("cluster"));
        Instant since = null;
        if (q.get("since") != null) {
            try {
                since = Instant.parse(q.get("since"));
            } catch (DateTimeParseException e) {
                throw new BadRequest("since must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z");
            }
        }
        int limit = DEFAULT_DRIFT_LIMIT;
        if (q.get("limit") != null) {
            try {
                limit = Integer.parseInt(q.get("limit"));
            } catch (NumberFormatException e) {
                throw new BadRequest("limit must be a whole number");
            }
            if (limit < 1) {
                throw new BadRequest("limit must be at least 1");
            }
        }
        Status status = status(q.get("status"));
        Instant from = since;
        ArrayNode out = NODES.arrayNode();
        for (DriftFeed.Entry e : drift.recent(d -> matches(d, cluster, status) && DriftFeed.after(d, from),
                Math.min(limit, config.historySize()))) {
            out.add(JsonViews.drift(e.event()));
        }
        return Reply.json(200, out);
    }

    static boolean matches(DriftEvent d, String cluster, Status status) {
        if (cluster != null && !cluster.equals(d.getCluster())) {
            return false;
        }
        return status == null || (d.getAfter() != null && d.getAfter().getStatus() == status);
    }

    private Reply health() {
        KafkaStreams.State s = queries.streamsState();
        boolean dead = s == KafkaStreams.State.ERROR || s == KafkaStreams.State.PENDING_ERROR
                || s == KafkaStreams.State.NOT_RUNNING || s == KafkaStreams.State.PENDING_SHUTDOWN;
        ObjectNode o = NODES.objectNode().put("status", dead ? "down" : "up").put("streams", s.name());
        return Reply.json(dead ? 503 : 200, o);
    }

    private Reply ready() {
        boolean ready = queries.ready();
        ObjectNode o = NODES.objectNode()
                .put("status", ready ? "ready" : "not ready")
                .put("streams", queries.streamsState().name())
                .put("store", queries.storeName())
                .put("driftFeed", drift.warm() ? "warm" : "warming");
        Reply r = Reply.json(ready ? 200 : 503, o);
        return ready ? r : r.withHeader("Retry-After", String.valueOf(config.retryAfter().toSeconds()));
    }

    Reply unavailable(String why) {
        return Reply.error(503, "temporarily unavailable: " + why)
                .withHeader("Retry-After", String.valueOf(config.retryAfter().toSeconds()));
    }

    private static Reply notFound() {
        return Reply.error(404, "not found");
    }

    private boolean needsAuth(String path) {
        return path.startsWith("/api/") || path.equals("/metrics");
    }

    private boolean cors(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (config.corsOrigin() == null || origin == null || !origin.equals(config.corsOrigin())) {
            return false;
        }
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
        ex.getResponseHeaders().add("Vary", "Origin");
        return true;
    }

    private static void securityHeaders(HttpExchange ex) {
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("X-Frame-Options", "DENY");
        ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
    }

    static void send(HttpExchange ex, Reply r) throws IOException {
        r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.getResponseHeaders().set("Content-Type", r.contentType());
        if ("HEAD".equals(ex.getRequestMethod()) || r.body().length == 0) {
            ex.sendResponseHeaders(r.status(), -1);
            return;
        }
        ex.sendResponseHeaders(r.status(), r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(r.body());
        }
    }

    private static void sendQuietly(HttpExchange ex, Reply r) {
        try {
            send(ex, r);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send {} to the client: {}", r.status(), e.toString());
        }
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(decode(s.replace("+", "%2B")));
            }
        }
        return out;
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> out = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!v.isEmpty()) {
                out.putIfAbsent(k, v);
            }
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("malformed percent-encoding in the URL");
        }
    }

    static String cluster(String c) {
        if (c == null) {
            throw new BadRequest("cluster is required");
        }
        String problem = Keys.clusterIdProblem(c);
        if (problem != null) {
            throw new BadRequest(problem);
        }
        return c;
    }

    static Status status(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Status.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequest("status must be one of COMPLIANT, NON_COMPLIANT, PENDING, EXEMPT, TERMINATING");
        }
    }

    private static Set<Integer> partitions(String s) {
        Set<Integer> out = new TreeSet<>();
        if (s == null) {
            throw new BadRequest("partitions is required");
        }
        try {
            for (String p : s.split(",")) {
                out.add(Integer.parseInt(p.strip()));
            }
        } catch (NumberFormatException e) {
            throw new BadRequest("partitions must be a comma-separated list of numbers");
        }
        return out;
    }

    /** A request the client must fix: 400 with the message. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
