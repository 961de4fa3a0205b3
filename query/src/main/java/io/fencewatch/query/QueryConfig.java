package io.fencewatch.query;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import io.fencewatch.config.Setting;
import io.fencewatch.schema.TopicNames;

/**
 * Settings of the query and alert surface: one typed key per setting, with its default, parser
 * and one-line doc. Built from a map ({@link #fromMap}) so a test, the processor's flags or the
 * environment ({@link #fromEnv}: {@code FENCEWATCH_QUERY_HTTP_PORT} for {@code query.http.port})
 * can all produce it. Immutable.
 *
 * @param port              HTTP(S) port; 0 picks a free one (tests)
 * @param bindAddress       address the server listens on
 * @param advertisedServer  {@code host:port} peers use to reach this instance; must equal the
 *                          Kafka Streams {@code application.server} of this instance
 * @param tokenFile         file holding the bearer token, or null
 * @param token             the bearer token itself (from the environment), or null
 * @param keystore          PKCS12 keystore enabling TLS, or null for plain HTTP
 * @param keystorePassword  its password, read from the environment variable named in the config
 * @param corsOrigin        the one origin allowed cross-origin reads, or null (CORS off)
 * @param historySize       drift events kept in memory for /api/v1/drift and SSE replay
 * @param topicPrefix       topic prefix ({@code <prefix>.drift} is read)
 * @param retryAfter        Retry-After sent with 503 during rebalances
 * @param forwardTimeout    timeout of a request forwarded to a peer instance
 * @param workerThreads     threads serving ordinary requests
 * @param maxSseClients     concurrent SSE streams (no thread each: they share the event loop)
 * @param webhook           webhook alert sink settings
 * @param healthPort        a second port serving only /healthz and /readyz, or -1 for none
 * @param auth              {@code auto}, {@code token} or {@code none}: see {@link #AUTH}
 * @param allowedHosts      Host header names accepted besides the defaults, or null for the defaults only
 * @param limits            timeouts and size limits of the HTTP server
 */
public record QueryConfig(
        int port,
        String bindAddress,
        String advertisedServer,
        Path tokenFile,
        String token,
        Path keystore,
        String keystorePassword,
        String corsOrigin,
        int historySize,
        String topicPrefix,
        Duration retryAfter,
        Duration forwardTimeout,
        int workerThreads,
        int maxSseClients,
        WebhookConfig webhook,
        int healthPort,
        String auth,
        List<String> allowedHosts,
        HttpLimits limits) {

    /**
     * What a hostile client can hold: each setting has its {@link Key} below.
     *
     * @param maxConnections  open connections per port (the health port has its own)
     * @param headerTimeout   time a connection gets to deliver a whole request head, and the longest
     *                        a keep-alive connection may sit idle between requests
     * @param idleTimeout     no byte either way for this long closes a connection (SSE sends a
     *                        keep-alive every 15 s)
     * @param maxRequestLine  bytes of the request line (beyond: 414)
     * @param maxHeaderSize   bytes of all request headers together (beyond: 431)
     * @param queue           requests waiting for a worker thread (beyond: 503)
     */
    public record HttpLimits(int maxConnections, Duration headerTimeout, Duration idleTimeout, int maxRequestLine,
            int maxHeaderSize, int queue) {
    }

    /**
     * One configuration key: name, default, doc and parser, declared in this order; {@link #setting()}
     * is the same key as the shared {@link Setting} (help, {@code FENCEWATCH_*} name, bad-flag line).
     */
    public record Key<T>(String name, String defaultValue, String doc, Function<String, T> parser) {
        /** This key as a shared setting: flag {@code --query.x.y}, variable {@code FENCEWATCH_QUERY_X_Y}. */
        public Setting<T> setting() {
            return new Setting<>(name, defaultValue, parser, doc);
        }

        T read(Map<String, String> values) {
            String raw = values.getOrDefault(name, defaultValue);
            if (raw != null) {
                raw = raw.strip();
                if (raw.isEmpty()) {
                    raw = defaultValue;
                }
            }
            try {
                return raw == null ? null : parser.apply(raw);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }

        /** The environment variable read by {@link #fromEnv}: {@code FENCEWATCH_} + upper-snake name. */
        public String envName() {
            return Setting.envOf(name);
        }
    }

    public static final Key<Integer> PORT = new Key<>("query.http.port", "8080",
            "HTTP(S) port of the query API and dashboard (0: any free port)", s -> intIn(s, 0, 65535));
    public static final Key<String> BIND = new Key<>("query.http.bind", "127.0.0.1",
            "address to listen on (0.0.0.0: every interface, which needs a token or query.auth=none)", Function.identity());
    public static final Key<String> ADVERTISED = new Key<>("query.advertised.server", null,
            "host:port peers use to reach this instance; the processor sets application.server to it", QueryConfig::hostPort);
    public static final Key<Path> TOKEN_FILE = new Key<>("query.auth.token.file", null,
            "file with the bearer token required by /api, /metrics (off when neither this nor query.auth.token is set)", Path::of);
    public static final Key<String> TOKEN = new Key<>("query.auth.token", null,
            "bearer token itself (prefer the file; from the environment as FENCEWATCH_QUERY_AUTH_TOKEN)", Function.identity());
    public static final Key<Path> KEYSTORE = new Key<>("query.tls.keystore", null,
            "PKCS12 keystore: serve HTTPS instead of HTTP", Path::of);
    public static final Key<String> KEYSTORE_PASSWORD_ENV = new Key<>("query.tls.keystore.password.env",
            "FENCEWATCH_QUERY_TLS_PASSWORD", "name of the environment variable holding the keystore password", Function.identity());
    public static final Key<String> CORS_ORIGIN = new Key<>("query.cors.origin", null,
            "the one origin allowed to read the API from a browser (off by default)", Function.identity());
    public static final Key<Integer> HISTORY = new Key<>("query.drift.history", "10000",
            "drift events kept in memory (GET /api/v1/drift, SSE Last-Event-ID replay)", s -> intIn(s, 1, 1_000_000));
    public static final Key<String> PREFIX = new Key<>("query.topic.prefix", TopicNames.DEFAULT_PREFIX,
            "topic prefix: <prefix>.drift is read", QueryConfig::prefix);
    public static final Key<Duration> RETRY_AFTER = new Key<>("query.retry.after.seconds", "2",
            "Retry-After of a 503 during a rebalance", s -> Duration.ofSeconds(intIn(s, 1, 3600)));
    public static final Key<Duration> FORWARD_TIMEOUT = new Key<>("query.forward.timeout.ms", "3000",
            "timeout of a query forwarded to another instance", s -> Duration.ofMillis(intIn(s, 10, 600_000)));
    public static final Key<Integer> WORKERS = new Key<>("query.http.threads", "8",
            "threads serving ordinary requests", s -> intIn(s, 1, 512));
    public static final Key<Integer> SSE_CLIENTS = new Key<>("query.sse.max.clients", "64",
            "concurrent SSE drift streams", s -> intIn(s, 0, 10_000));

    public static final Key<Integer> HEALTH_PORT = new Key<>("query.health.port", "-1",
            "second port serving only /healthz and /readyz, with its own connections and threads (-1: none; 0: any free port)",
            s -> intIn(s, -1, 65535));
    public static final Key<String> AUTH = new Key<>("query.auth", "auto",
            "auto: a token if one is configured, and required when query.http.bind is not loopback; token: required; "
                    + "none: no authentication, explicitly", QueryConfig::authMode);
    public static final Key<List<String>> ALLOWED_HOSTS = new Key<>("query.allowed-hosts", null,
            "comma-separated Host header names accepted besides loopback, this host's names and the advertised host "
                    + "(*.example.com: a domain; *: any)", QueryConfig::hostList);
    public static final Key<Integer> MAX_CONNECTIONS = new Key<>("query.http.max.connections", "1024",
            "open connections per port; beyond, new ones are closed at once", s -> intIn(s, 1, 1_000_000));
    public static final Key<Duration> HEADER_TIMEOUT = new Key<>("query.http.header.timeout.ms", "10000",
            "time to send a whole request head (and the longest idle time between keep-alive requests)",
            s -> Duration.ofMillis(intIn(s, 100, 600_000)));
    public static final Key<Duration> IDLE_TIMEOUT = new Key<>("query.http.idle.timeout.ms", "60000",
            "a connection with no byte either way for this long is closed", s -> Duration.ofMillis(intIn(s, 1000, 3_600_000)));
    public static final Key<Integer> MAX_REQUEST_LINE = new Key<>("query.http.max.request.line", "8192",
            "bytes of the request line (method, path, query); beyond: 414", s -> intIn(s, 256, 1_048_576));
    public static final Key<Integer> MAX_HEADER_SIZE = new Key<>("query.http.max.header.size", "16384",
            "bytes of all request headers together; beyond: 431", s -> intIn(s, 1024, 1_048_576));
    public static final Key<Integer> QUEUE = new Key<>("query.http.queue", "256",
            "requests waiting for a worker thread; beyond: 503", s -> intIn(s, 1, 100_000));

    public static final List<Key<?>> KEYS = List.of(PORT, BIND, ADVERTISED, TOKEN_FILE, TOKEN, KEYSTORE,
            KEYSTORE_PASSWORD_ENV, CORS_ORIGIN, HISTORY, PREFIX, RETRY_AFTER, FORWARD_TIMEOUT, WORKERS, SSE_CLIENTS,
            HEALTH_PORT, AUTH, ALLOWED_HOSTS, MAX_CONNECTIONS, HEADER_TIMEOUT, IDLE_TIMEOUT, MAX_REQUEST_LINE,
            MAX_HEADER_SIZE, QUEUE);

    public QueryConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(forwardTimeout, "forwardTimeout");
        Objects.requireNonNull(webhook, "webhook");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(limits, "limits");
        allowedHosts = allowedHosts == null ? null : List.copyOf(allowedHosts);
        if (AUTH_TOKEN.equals(auth) && token == null && tokenFile == null) {
            throw new IllegalArgumentException(AUTH.name() + "=token needs " + TOKEN_FILE.name() + " or " + TOKEN.name());
        }
        if (AUTH_NONE.equals(auth) && (token != null || tokenFile != null)) {
            throw new IllegalArgumentException(AUTH.name() + "=none contradicts the configured token; drop one of them");
        }
        if (healthPort > 0 && healthPort == port) {
            throw new IllegalArgumentException(HEALTH_PORT.name() + " must differ from " + PORT.name());
        }
        if (keystore != null && keystorePassword == null) {
            throw new IllegalArgumentException(KEYSTORE.name() + " is set but its password variable is not");
        }
    }

    /** Defaults everywhere, on the given port. */
    public static QueryConfig defaults() {
        return fromMap(Map.of());
    }

    /**
     * Builds the config from {@code query.*} keys (see {@link #KEYS} and {@link WebhookConfig#KEYS}).
     * The keystore password is read from {@code env} under the name given by
     * {@link #KEYSTORE_PASSWORD_ENV}. Throws {@link IllegalArgumentException} naming the bad key.
     */
    public static QueryConfig fromMap(Map<String, String> values, Map<String, String> env) {
        Path keystore = KEYSTORE.read(values);
        String password = keystore == null ? null : env.get(KEYSTORE_PASSWORD_ENV.read(values));
        if (keystore != null && password == null) {
            throw new IllegalArgumentException(KEYSTORE.name() + ": the keystore password variable "
                    + KEYSTORE_PASSWORD_ENV.read(values) + " is not set");
        }
        return new QueryConfig(PORT.read(values), BIND.read(values), ADVERTISED.read(values),
                TOKEN_FILE.read(values), TOKEN.read(values), keystore, password, CORS_ORIGIN.read(values),
                HISTORY.read(values), PREFIX.read(values), RETRY_AFTER.read(values), FORWARD_TIMEOUT.read(values),
                WORKERS.read(values), SSE_CLIENTS.read(values), WebhookConfig.fromMap(values),
                HEALTH_PORT.read(values), AUTH.read(values), ALLOWED_HOSTS.read(values),
                new HttpLimits(MAX_CONNECTIONS.read(values), HEADER_TIMEOUT.read(values), IDLE_TIMEOUT.read(values),
                        MAX_REQUEST_LINE.read(values), MAX_HEADER_SIZE.read(values), QUEUE.read(values)));
    }

    static final String AUTH_AUTO = "auto";
    static final String AUTH_TOKEN = "token";
    static final String AUTH_NONE = "none";

    /** True when a bearer token is configured (a file or the token itself). */
    public boolean hasToken() {
        return token != null || tokenFile != null;
    }

    /** True when {@link #bindAddress} only reaches this machine (127.0.0.0/8, ::1, localhost). */
    public boolean loopbackBind() {
        try {
            return java.net.InetAddress.getByName(bindAddress).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * Why serving with this config would expose the API to the network unauthenticated, or null
     * when it is fine: a non-loopback bind needs a token unless {@code query.auth=none} says so.
     */
    public String exposureProblem() {
        if (loopbackBind() || hasToken() || AUTH_NONE.equals(auth)) {
            return null;
        }
        return QueryConfig.BIND.name() + "=" + bindAddress + " serves the API beyond this machine without a token: set "
                + TOKEN_FILE.name() + " (or " + TOKEN.name() + "), or " + AUTH.name() + "=none to run open on purpose";
    }

    public static QueryConfig fromMap(Map<String, String> values) {
        return fromMap(values, System.getenv());
    }

    /** Reads every key from its environment variable ({@link Key#envName()}), then applies {@code overrides}. */
    public static QueryConfig fromEnv(Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Key<?> k : KEYS) {
            if (env.containsKey(k.envName())) {
                values.put(k.name(), env.get(k.envName()));
            }
        }
        for (Key<?> k : WebhookConfig.KEYS) {
            if (env.containsKey(k.envName())) {
                values.put(k.name(), env.get(k.envName()));
            }
        }
        values.putAll(overrides);
        return fromMap(values, env);
    }

    /**
     * The value the processor must give Kafka Streams as {@code application.server}:
     * {@link #advertisedServer} if set, else {@code localhost:<port>} (single instance only).
     */
    public String applicationServer() {
        if (advertisedServer != null) {
            return advertisedServer;
        }
        if (port == 0) {
            throw new IllegalStateException(ADVERTISED.name() + " must be set when " + PORT.name() + " is 0");
        }
        return "localhost:" + port;
    }

    public boolean tls() {
        return keystore != null;
    }

    public TopicNames topics() {
        return new TopicNames(topicPrefix);
    }

    @Override
    public String toString() {
        // Never print the token or the keystore password.
        return "QueryConfig[port=" + port + ", bind=" + bindAddress + ", advertised=" + advertisedServer
                + ", auth=" + (token != null || tokenFile != null) + ", tls=" + tls() + ", cors=" + corsOrigin
                + ", history=" + historySize + ", prefix=" + topicPrefix + ", webhook=" + webhook + ", healthPort=" + healthPort
                + ", authMode=" + auth + ", allowedHosts=" + allowedHosts + ", limits=" + limits + "]";
    }

    static int intIn(String s, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a whole number");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(v + " is outside " + min + ".." + max);
        }
        return v;
    }

    static String hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + s + "' is not host:port");
        }
        intIn(s.substring(colon + 1), 1, 65535);
        return s;
    }

    static String authMode(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        if (!v.equals(AUTH_AUTO) && !v.equals(AUTH_TOKEN) && !v.equals(AUTH_NONE)) {
            throw new IllegalArgumentException("'" + s + "' is not one of auto, token, none");
        }
        return v;
    }

    static List<String> hostList(String s) {
        List<String> out = new java.util.ArrayList<>();
        for (String h : s.split(",")) {
            String name = h.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            if (!name.matches("\\*|(\\*\\.)?[a-z0-9]([a-z0-9.:\\[\\]_-]*[a-z0-9\\]])?")) {
                throw new IllegalArgumentException("'" + h.strip() + "' is not a host name, *.domain or *");
            }
            out.add(name);
        }
        return out;
    }

    static String prefix(String s) {
        String problem = TopicNames.prefixProblem(s);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return s;
    }
}
