package io.fencewatch.ocistub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The HTTP side every OCI stand-in shares: a real HTTP server on 127.0.0.1, every request verified
 * as OCI verifies it ({@link RequestSignatureVerifier}), {@link Faults} applied per operation, errors
 * in OCI's JSON shape with an {@code opc-request-id}. Subclasses register routes.
 */
public abstract class OciStubServer implements AutoCloseable {
    protected static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** One request, verified. */
    public record Request(String method, String path, Map<String, String> query, byte[] body,
            RequestSignatureVerifier.Principal principal, Matcher match) {
        public String pathParam(int group) {
            return match.group(group);
        }
    }

    /** A response: status, JSON body (null for none; a {@link Raw} is sent as it is) and extra headers. */
    public record Response(int status, Object body, Map<String, String> headers) {
        public static Response ok(Object body) {
            return new Response(200, body, Map.of());
        }
    }

    /** A body that is not JSON (CreateKubeconfig answers a YAML file as application/octet-stream). */
    public record Raw(byte[] bytes, String contentType) {
    }

    @FunctionalInterface
    protected interface Handler {
        Response handle(Request request) throws IOException;
    }

    private record Route(String method, Pattern path, String operation, boolean bodyHeadersSigned, Handler handler) {
    }

    private final List<Route> routes = new ArrayList<>();
    private final HttpServer server;
    private final ExecutorService executor;
    protected final Clock clock;
    private final RequestSignatureVerifier verifier;
    private final Faults faults = new Faults();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rejectedUnauthenticated = new AtomicLong();

    protected OciStubServer(Clock clock) throws IOException {
        this.clock = clock;
        this.verifier = new RequestSignatureVerifier(clock);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        this.executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "oci-stub-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::serve);
    }

    protected final void route(String method, String pathRegex, String operation, Handler handler) {
        routes.add(new Route(method, Pattern.compile(pathRegex), operation, true, handler));
    }

    /** A route whose requests may be signed without the body headers (the SDK's EXCLUDE_BODY strategy). */
    protected final void routeExcludingBodyFromSignature(String method, String pathRegex, String operation, Handler handler) {
        routes.add(new Route(method, Pattern.compile(pathRegex), operation, false, handler));
    }

    public final void start() {
        server.start();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
    public final String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public final RequestSignatureVerifier verifier() {
        return verifier;
    }

    public final Faults faults() {
        return faults;
    }

    public final long requests() {
        return requests.get();
    }

    public final long rejectedUnauthenticated() {
        return rejectedUnauthenticated.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void serve(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        String requestId = UUID.randomUUID().toString().replace("-", "").toUpperCase(java.util.Locale.ROOT);
        try (ex) {
            URI uri = ex.getRequestURI();
            String rawPath = uri.getRawPath();
            String pathAndQuery = uri.getRawQuery() == null ? rawPath : rawPath + "?" + uri.getRawQuery();
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            try {
                Route route = null;
                Matcher match = null;
                boolean pathKnown = false;
                for (Route r : routes) {
                    Matcher m = r.path.matcher(rawPath);
                    if (m.matches()) {
                        pathKnown = true;
                        if (r.method.equals(ex.getRequestMethod())) {
                            route = r;
                            match = m;
                            break;
                        }
                    }
                }
                if (route == null) {
                    throw pathKnown ? new OciError(405, "MethodNotAllowed", "Method not allowed")
                            : new OciError(404, "NotFound", "Not found: " + rawPath);
                }
                RequestSignatureVerifier.Principal principal;
                try {
                    principal = verifier.verify(ex.getRequestMethod(), pathAndQuery,
                            name -> ex.getRequestHeaders().getFirst(name), body, route.bodyHeadersSigned);
                } catch (OciError e) {
                    rejectedUnauthenticated.incrementAndGet();
                    throw e;
                }
                Faults.Action action = faults.next(route.operation);
                if (action instanceof Faults.Drop) {
                    // No status line at all: the client sees the connection end (a dropped connection).
                    ex.close();
                    return;
                }
                if (action instanceof Faults.Fail f) {
                    throw f.error();
                }
                long delay = ((Faults.Proceed) action).delay().toMillis();
                if (delay > 0) {
                    Thread.sleep(delay);
                }
                Response response = route.handler.handle(new Request(ex.getRequestMethod(), rawPath, query(uri),
                        body, principal, match));
                write(ex, response.status(), response.body(), response.headers(), requestId);
            } catch (OciError e) {
                Map<String, String> headers = new LinkedHashMap<>();
                if (e.retryAfterSeconds() != null) {
                    headers.put("retry-after", Integer.toString(e.retryAfterSeconds()));
                }
                write(ex, e.status(), Map.of("code", e.code(), "message", e.getMessage()), headers, requestId);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                write(ex, 500, Map.of("code", "InternalServerError", "message", "stand-in failure: " + e), Map.of(),
                        requestId);
            }
        }
    }

    private static void write(HttpExchange ex, int status, Object body, Map<String, String> headers, String requestId)
            throws IOException {
        byte[] bytes = body == null ? new byte[0] : body instanceof Raw raw ? raw.bytes() : JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("opc-request-id", requestId);
        headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        if (body != null) {
            ex.getResponseHeaders().set("content-type", body instanceof Raw raw ? raw.contentType() : "application/json");
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            q.put(java.net.URLDecoder.decode(k, StandardCharsets.UTF_8), java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return q;
    }
}
