package io.fencewatch.query;

import java.math.BigInteger;
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
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;

/**
 * Routes every request of the port: the REST API, SSE, health, metrics and the dashboard.
 * Read-only (GET and HEAD; OPTIONS only for a configured CORS origin). Every error is
 * {@code {"error": "..."}} with a short, fixed message: never a stack trace, a payload or HTML,
 * also for requests the HTTP decoder itself refuses (414, 431, 400).
 *
 * <p>Runs on the Vert.x event loop, which must never block: probes, static files and checks are
 * answered there; anything reading the stores goes to the bounded worker pool, and a full pool
 * answers 503 at once instead of queueing without end.
 */
final class ApiHandler implements Handler<HttpServerRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int DEFAULT_DRIFT_LIMIT = 100;
    static final int MAX_DRIFT_LIMIT = 1_000_000;
    private static final long LINGER_MS = 1000;

    private final QueryConfig config;
    private final CoverageQueryService queries;
    private final DriftFeed drift;
    private final QueryMetrics metrics;
    private final BearerAuth auth;
    private final String forwardAuthorization;
    private final SseStreams sse;
    private final Dashboard dashboard;
    private final AllowedHosts hosts;
    private final ConnectionGuard guard;
    private final Executor workers;
    private final Executor probes;
    private final boolean probesOnly;

    ApiHandler(QueryConfig config, CoverageQueryService queries, DriftFeed drift, QueryMetrics metrics, BearerAuth auth,
            String forwardAuthorization, SseStreams sse, Dashboard dashboard, AllowedHosts hosts, ConnectionGuard guard,
            Executor workers, Executor probes) {
        this(config, queries, drift, metrics, auth, forwardAuthorization, sse, dashboard, hosts, guard, workers, probes,
                false);
    }

    private ApiHandler(QueryConfig config, CoverageQueryService queries, DriftFeed drift, QueryMetrics metrics,
            BearerAuth auth, String forwardAuthorization, SseStreams sse, Dashboard dashboard, AllowedHosts hosts,
            ConnectionGuard guard, Executor workers, Executor probes, boolean probesOnly) {
        this.config = config;
        this.queries = queries;
        this.drift = drift;
        this.metrics = metrics;
        this.auth = auth;
        this.forwardAuthorization = forwardAuthorization;
        this.sse = sse;
        this.dashboard = dashboard;
        this.hosts = hosts;
        this.guard = guard;
        this.workers = workers;
        this.probes = probes;
        this.probesOnly = probesOnly;
    }

    /** The same handler for the probes-only port: /healthz and /readyz, nothing else. */
    ApiHandler probesOnly(ConnectionGuard healthGuard) {
        return new ApiHandler(config, queries, drift, metrics, auth, forwardAuthorization, sse, dashboard, hosts,
                healthGuard, workers, probes, true);
    }

    /** A request the HTTP decoder could not read: our JSON, then the connection is closed. */
    void invalid(HttpServerRequest req) {
        DecoderResult result = req.decoderResult();
        Throwable cause = result == null ? null : result.cause();
        Reply r;
        if (cause instanceof TooLongHttpLineException) {
            r = Reply.error(414, "request line too long (limit " + config.limits().maxRequestLine() + " bytes)");
        } else if (cause instanceof TooLongHttpHeaderException) {
            r = Reply.error(431, "request headers too large (limit " + config.limits().maxHeaderSize() + " bytes)");
        } else if (cause != null && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("content-length")) {
            r = Reply.error(400, "invalid Content-Length");
        } else if (cause != null && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("transfer-encoding")) {
            r = Reply.error(400, "invalid Transfer-Encoding");
        } else {
            r = Reply.error(400, "malformed HTTP request");
        }
        LOG.debug("refused an unreadable request: {}", cause == null ? "?" : cause.getClass().getSimpleName());
        HttpServerResponse res = req.response();
        securityHeaders(res);
        write(req, r, true);
    }

    @Override
    public void handle(HttpServerRequest req) {
        HttpConnection conn = req.connection();
        guard.begin(conn);
        HttpServerResponse res = req.response();
        res.endHandler(v -> guard.end(conn));
        // We never read a request body: a request announcing one is answered, then its connection
        // closed, instead of waiting for bytes that may never come.
        boolean closeAfter = hasBody(req);
        try {
            securityHeaders(res);
            HttpMethod method = req.method();
            String path = req.path();
            if (path == null || !path.startsWith("/")) {
                throw new BadRequest("the request target must be a path");
            }
            if (probesOnly) {
                route(req, path, closeAfter);
                return;
            }
            boolean probe = path.equals("/healthz") || path.equals("/readyz");
            if (!probe && !hosts.allows(req.headers().get("Host"))) {
                // DNS rebinding: a browser page whose name now points here still says its own name.
                write(req, Reply.error(421, "Host header does not name this server"), closeAfter);
                return;
            }
            boolean cors = cors(req);
            if (method == HttpMethod.OPTIONS && cors) {
                res.putHeader("Access-Control-Allow-Methods", "GET, HEAD");
                res.putHeader("Access-Control-Allow-Headers", "Authorization, Last-Event-ID");
                res.putHeader("Access-Control-Max-Age", "600");
                res.setStatusCode(204);
                end(req, res, null, closeAfter);
                return;
            }
            if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
                res.putHeader("Allow", "GET, HEAD");
                write(req, Reply.error(405, "method not allowed: this API is read-only"), closeAfter);
                return;
            }
            if (needsAuth(path) && !auth.allows(name -> req.headers().get(name))) {
                res.putHeader("WWW-Authenticate", "Bearer realm=\"fencewatch\"");
                write(req, Reply.error(401, "missing or wrong bearer token"), closeAfter);
                return;
            }
            route(req, path, closeAfter);
        } catch (RuntimeException e) {
            write(req, failure(req, e), closeAfter);
        }
    }

    private void route(HttpServerRequest req, String path, boolean closeAfter) {
        // Parsed on the event loop: a malformed URL is answered without using a worker.
        List<String> seg = segments(path);
        Map<String, String> q = query(req.query());
        if (seg.size() == 1 && seg.get(0).equals("healthz")) {
            write(req, health(), closeAfter);
            return;
        }
        if (seg.size() == 1 && seg.get(0).equals("readyz")) {
            offload(req, probes, this::ready, closeAfter);
            return;
        }
        if (probesOnly) {
            write(req, notFound(), closeAfter);
            return;
        }
        if (seg.isEmpty() || (seg.size() == 1 && seg.get(0).equals("index.html"))) {
            write(req, dashboard.asset("index.html"), closeAfter);
            return;
        }
        if (seg.get(0).equals("assets")) {
            write(req, seg.size() == 2 ? dashboard.asset(seg.get(1)) : notFound(), closeAfter);
            return;
        }
        if (path.equals("/api/v1/drift/stream")) {
            if (req.method() == HttpMethod.HEAD) {
                write(req, Reply.text(200, "text/event-stream", ""), closeAfter);
                return;
            }
            sse.serve(req, q);
            return;
        }
        if (seg.get(0).equals("metrics") && seg.size() == 1) {
            offload(req, workers, () -> Reply.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(
                    queries.localCountsForMetrics(), queries::localClustersForMetrics, queries.streamsState(), drift.size(), sse.clients())), closeAfter);
            return;
        }
        if (!seg.get(0).equals("api")) {
            write(req, notFound(), closeAfter);
            return;
        }
        String forwarded = req.headers().get(CoverageQueryService.FORWARDED_HEADER);
        Supplier<Reply> api = api(seg, q, forwarded);
        offload(req, workers, api, closeAfter);
    }

    /** Validates the API request on the event loop and returns the work for a worker. */
    private Supplier<Reply> api(List<String> seg, Map<String, String> q, String forwarded) {
        if (seg.size() < 3 || !seg.get(1).equals("v1")) {
            return ApiHandler::notFound;
        }
        List<String> api = seg.subList(2, seg.size());
        switch (api.get(0)) {
            case "clusters" -> {
                if (api.size() == 1) {
                    return () -> queries.clusters(forwardAuthorization);
                }
                String cluster = cluster(api.get(1));
                if (api.size() == 3 && api.get(2).equals("namespaces")) {
                    CoverageQueryService.NamespaceFilter filter = namespaceFilter(q);
                    return () -> queries.namespaces(cluster, filter, forwardAuthorization);
                }
                if (api.size() == 4 && api.get(2).equals("namespaces")) {
                    String namespace = api.get(3);
                    return () -> queries.namespace(cluster, namespace, forwarded, forwardAuthorization);
                }
                return ApiHandler::notFound;
            }
            case "drift" -> {
                if (api.size() != 1) {
                    return ApiHandler::notFound;
                }
                DriftQuery dq = driftQuery(q);
                return () -> drift(dq);
            }
            case "internal" -> {
                if (api.size() == 3 && api.get(1).equals("local")) {
                    if (api.get(2).equals("namespaces")) {
                        String cluster = cluster(q.get("cluster"));
                        CoverageQueryService.NamespaceFilter filter = namespaceFilter(q);
                        Set<Integer> partitions = partitions(q.get("partitions"));
                        return () -> queries.localNamespacesReply(cluster, filter, partitions);
                    }
                    if (api.get(2).equals("clusters")) {
                        Set<Integer> partitions = partitions(q.get("partitions"));
                        return () -> queries.localClustersReply(partitions);
                    }
                }
                return ApiHandler::notFound;
            }
            default -> {
                return ApiHandler::notFound;
            }
        }
    }

    /** Runs {@code work} on {@code executor}; a full pool is a 503 now, not a wait. */
    private void offload(HttpServerRequest req, Executor executor, Supplier<Reply> work, boolean closeAfter) {
        try {
            executor.execute(() -> {
                Reply r;
                try {
                    r = work.get();
                } catch (RuntimeException e) {
                    r = failure(req, e);
                }
                write(req, r, closeAfter);
            });
        } catch (RejectedExecutionException e) {
            write(req, unavailable("the server is busy"), closeAfter);
        }
    }

    private Reply failure(HttpServerRequest req, RuntimeException e) {
        if (e instanceof BadRequest) {
            return Reply.error(400, e.getMessage());
        }
        if (e instanceof NotFound) {
            return Reply.error(404, e.getMessage());
        }
        if (e instanceof Unavailable) {
            return unavailable(e.getMessage());
        }
        LOG.warn("{} {} failed", req.method(), safePath(req), e);
        return Reply.error(500, "internal error");
    }

    private static String safePath(HttpServerRequest req) {
        String p = req.path();
        return p == null ? "?" : p.length() > 200 ? p.substring(0, 200) + "..." : p;
    }

    private record DriftQuery(String cluster, Status status, Instant since, int limit) {
    }

    private static DriftQuery driftQuery(Map<String, String> q) {
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
            limit = wholeNumberIn("limit", q.get("limit"), 1, MAX_DRIFT_LIMIT);
        }
        return new DriftQuery(cluster, status(q.get("status")), since, limit);
    }

    private Reply drift(DriftQuery dq) {
        ArrayNode out = NODES.arrayNode();
        for (DriftFeed.Entry e : drift.recent(d -> matches(d, dq.cluster(), dq.status()) && DriftFeed.after(d, dq.since()),
                Math.min(dq.limit(), config.historySize()))) {
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
        String notReady = queries.notReady();
        boolean ready = notReady == null;
        ObjectNode o = NODES.objectNode()
                .put("status", ready ? "ready" : "not ready")
                .put("streams", queries.streamsState().name())
                .put("store", queries.storeName())
                .put("driftFeed", drift.warm() ? "warm" : "warming");
        if (!ready) {
            o.put("reason", notReady);
        }
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

    private boolean cors(HttpServerRequest req) {
        String origin = req.headers().get("Origin");
        if (config.corsOrigin() == null || origin == null || !origin.equals(config.corsOrigin())) {
            return false;
        }
        req.response().putHeader("Access-Control-Allow-Origin", origin);
        req.response().headers().add("Vary", "Origin");
        return true;
    }

    private static void securityHeaders(HttpServerResponse res) {
        res.putHeader("X-Content-Type-Options", "nosniff");
        res.putHeader("X-Frame-Options", "DENY");
        res.putHeader("Referrer-Policy", "no-referrer");
        res.putHeader("Cache-Control", "no-store");
    }

    private static boolean hasBody(HttpServerRequest req) {
        String length = req.headers().get("Content-Length");
        return (length != null && !length.strip().equals("0")) || req.headers().contains("Transfer-Encoding");
    }

    /** Writes {@code r}; safe from any thread, and a no-op when the client is gone. */
    static void write(HttpServerRequest req, Reply r, boolean closeAfter) {
        HttpServerResponse res = req.response();
        if (res.ended() || res.closed()) {
            return;
        }
        try {
            r.headers().forEach(res::putHeader);
            res.putHeader("Content-Type", r.contentType());
            res.setStatusCode(r.status());
            boolean head = req.method() == HttpMethod.HEAD;
            end(req, res, head || r.body().length == 0 ? null : Buffer.buffer(r.body()), closeAfter);
        } catch (IllegalStateException e) {
            LOG.debug("could not send {} to the client: {}", r.status(), e.toString());
        }
    }

    private static void end(HttpServerRequest req, HttpServerResponse res, Buffer body, boolean closeAfter) {
        if (closeAfter) {
            res.putHeader("Connection", "close");
        }
        if (closeAfter) {
            // Discard what else the client sends (the decoder does too after a bad message)...
            try {
                req.handler(ignored -> { });
            } catch (IllegalStateException e) {
                LOG.trace("request already read: {}", e.toString());
            }
        }
        (body == null ? res.end() : res.end(body)).onComplete(done -> {
            if (closeAfter) {
                // ...and close a moment later, not at once: closing with unread input makes the
                // kernel send a reset, and the client could lose the answer it was sent.
                Vertx vertx = Vertx.currentContext() == null ? null : Vertx.currentContext().owner();
                if (vertx == null) {
                    req.connection().close();
                } else {
                    vertx.setTimer(LINGER_MS, id -> req.connection().close());
                }
            }
        });
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

    /** The query string's parameters; a name given twice is a 400 (which one was meant?). */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        Set<String> seen = new java.util.HashSet<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!seen.add(k)) {
                throw new BadRequest("parameter " + printable(k) + " is given more than once");
            }
            if (!v.isEmpty()) {
                out.put(k, v);
            }
        }
        return out;
    }

    /** A parameter name safe to echo: short, plain characters only. */
    private static String printable(String name) {
        if (name.length() <= 40 && name.matches("[A-Za-z0-9._-]+")) {
            return "'" + name + "'";
        }
        return "(a name)";
    }

    /** An integer parameter: digits only, within min..max, each failure with its own message. */
    static int wholeNumberIn(String name, String value, int min, int max) {
        if (!value.matches("[+-]?[0-9]{1,1000}")) {
            throw new BadRequest(name + " must be a whole number");
        }
        BigInteger v = new BigInteger(value);
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new BadRequest(name + " is out of range (" + min + " to " + max + ")");
        }
        return v.intValueExact();
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
        return status("status", s);
    }

    /** {@code status} (FW-NP-001) and {@code workloadStatus} (FW-NP-003) of a namespace list. */
    static CoverageQueryService.NamespaceFilter namespaceFilter(Map<String, String> q) {
        return new CoverageQueryService.NamespaceFilter(status("status", q.get("status")),
                status("workloadStatus", q.get("workloadStatus")));
    }

    private static Status status(String parameter, String s) {
        if (s == null) {
            return null;
        }
        try {
            return Status.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(parameter + " must be one of COMPLIANT, NON_COMPLIANT, PENDING, EXEMPT, TERMINATING");
        }
    }

    /** Partition numbers; whether each exists is checked against the metadata (400 if not). */
    private static Set<Integer> partitions(String s) {
        Set<Integer> out = new TreeSet<>();
        if (s == null) {
            throw new BadRequest("partitions is required");
        }
        for (String p : s.split(",", -1)) {
            if (!p.strip().matches("[0-9]{1,1000}")) {
                throw new BadRequest("partitions must be a comma-separated list of numbers");
            }
            BigInteger v = new BigInteger(p.strip());
            if (v.compareTo(BigInteger.valueOf(CoverageQueryService.MAX_PARTITIONS)) >= 0) {
                throw new BadRequest("partitions: " + (v.bitLength() > 40 ? "a number" : v) + " is out of range");
            }
            out.add(v.intValueExact());
        }
        return out;
    }

    /** Nothing there: 404 with the message. */
    static final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message, null, false, false);
        }
    }

    /** A request the client must fix: 400 with the message. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }
}
