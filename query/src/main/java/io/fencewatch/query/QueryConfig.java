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
 * @param maxSseClients     concurrent SSE streams (each holds a thread)
 * @param webhook           webhook alert sink settings
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
        WebhookConfig webhook) {

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
    public static final Key<String> BIND = new Key<>("query.http.bind", "0.0.0.0",
            "address to listen on", Function.identity());
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

    public static final List<Key<?>> KEYS = List.of(PORT, BIND, ADVERTISED, TOKEN_FILE, TOKEN, KEYSTORE,
            KEYSTORE_PASSWORD_ENV, CORS_ORIGIN, HISTORY, PREFIX, RETRY_AFTER, FORWARD_TIMEOUT, WORKERS, SSE_CLIENTS);

    public QueryConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(forwardTimeout, "forwardTimeout");
        Objects.requireNonNull(webhook, "webhook");
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
                WORKERS.read(values), SSE_CLIENTS.read(values), WebhookConfig.fromMap(values));
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
                + ", history=" + historySize + ", prefix=" + topicPrefix + ", webhook=" + webhook + "]";
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

    static String prefix(String s) {
        String problem = TopicNames.prefixProblem(s);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return s;
    }
}
