package io.fencewatch.processor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Setting;

import io.fencewatch.query.QueryConfig;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Profile;

/**
 * The processor's configuration: one typed setting per flag, each with its default, parser and
 * one-line doc, read from {@code --flag=value} (or {@code --flag value}) arguments and
 * {@code FENCEWATCH_*} environment variables (flags win), validated into one immutable object.
 *
 * <p>Raw Kafka Streams and client properties pass through as {@code --kafka.<property>=value} or
 * {@code FENCEWATCH_KAFKA_<PROPERTY>} ({@code _} becomes {@code .}); explicit settings win over
 * defaults, and a typed flag given explicitly wins over the same raw property.
 */
public final class ProcessorConfig {
    public static final String KAFKA_PREFIX = "kafka.";
    /** Settings of the query surface (REST, SSE, dashboard, webhook), passed to {@code QueryConfig}. */
    public static final String QUERY_PREFIX = "query.";
    public static final String EXACTLY_ONCE = StreamsConfig.EXACTLY_ONCE_V2;
    public static final String AT_LEAST_ONCE = StreamsConfig.AT_LEAST_ONCE;

    public static final Setting<String> BOOTSTRAP_SERVERS = new Setting<>("bootstrap-servers", "localhost:9092",
            ProcessorConfig::nonBlank, "Kafka bootstrap servers");
    public static final Setting<TopicNames> TOPIC_PREFIX = new Setting<>("topic-prefix", TopicNames.DEFAULT_PREFIX,
            ProcessorConfig::topicNames, "prefix of the topics <prefix>.inventory, .coverage, .drift, .findings, .dlq");
    public static final Setting<String> APPLICATION_ID = new Setting<>("application-id", "fencewatch-stream-processor",
            ProcessorConfig::nonBlank, "Kafka Streams application.id (consumer group, changelog prefix)");
    public static final Setting<String> STATE_DIR = new Setting<>("state-dir",
            System.getProperty("java.io.tmpdir") + "/fencewatch-streams", ProcessorConfig::nonBlank,
            "directory of the local state stores");
    public static final Setting<String> PROCESSING_GUARANTEE = new Setting<>("processing-guarantee", EXACTLY_ONCE,
            ProcessorConfig::guarantee, "exactly_once_v2 or at_least_once");
    public static final Setting<Duration> COMMIT_INTERVAL = new Setting<>("commit-interval", "100ms",
            ProcessorConfig::positiveDuration, "Kafka Streams commit.interval.ms (latency of results under exactly-once)");
    public static final Setting<Integer> STREAM_THREADS = new Setting<>("stream-threads", "1",
            s -> positiveInt(s), "num.stream.threads");
    public static final Setting<String> APPLICATION_SERVER = new Setting<>("application-server", "",
            s -> s.strip(), "host:port this instance answers queries on (application.server), empty for none");
    public static final Setting<Set<String>> SYSTEM_NAMESPACES = new Setting<>("system-namespaces",
            "kube-system,kube-public,kube-node-lease,default", ProcessorConfig::nameSet,
            "comma-separated system namespaces, always exempt");
    public static final Setting<Set<String>> EXEMPT_NAMESPACES = new Setting<>("exempt-namespaces", "",
            ProcessorConfig::nameSet, "comma-separated more namespaces to exempt");
    public static final Setting<List<String>> EXEMPT_PATTERNS = new Setting<>("exempt-patterns", "",
            ProcessorConfig::patterns, "comma-separated glob patterns (* and ?) of namespaces to exempt");
    public static final Setting<Duration> GRACE_PERIOD = new Setting<>("grace-period", "30s",
            ProcessorConfig::nonNegativeDuration, "how long a new namespace may lack a policy before it is alerted");
    public static final Setting<Duration> STALE_AFTER = new Setting<>("stale-after", "2m",
            ProcessorConfig::positiveDuration, "silence after which a cluster is reported STALE");
    public static final Setting<Duration> TICK_INTERVAL = new Setting<>("tick-interval", "1s",
            ProcessorConfig::positiveDuration, "how often deadlines (grace, exemption expiry, staleness) are checked");
    public static final Setting<Profile> PROFILE = new Setting<>("profile", "baseline", Profile::parse,
            "baseline (at least one policy) or strict (default-deny both ways)");
    public static final Setting<Duration> DRIFT_HISTORY = new Setting<>("drift-history", "24h",
            ProcessorConfig::nonNegativeDuration, "how long drift stays queryable in the drift history store; 0 disables it");
    public static final Setting<Boolean> CREATE_TOPICS = new Setting<>("create-topics", "true",
            ProcessorConfig::bool, "create missing topics at start (coverage compacted)");
    public static final Setting<Integer> PARTITIONS = new Setting<>("partitions", "6",
            s -> positiveInt(s), "partitions of topics it creates (an existing inventory topic's count wins)");

    public static final Setting<Integer> HTTP_PORT = new Setting<>("http-port", "8080", ProcessorConfig::httpPort,
            "port of REST, SSE drift feed, dashboard and /metrics; 0 picks a free port, -1 turns HTTP off");

    public static final Setting<Integer> MAX_RECORD_SIZE = new Setting<>("max-record-size", "1048576",
            ProcessorConfig::byteSize, "largest inventory record applied (bytes; the collector's max.request.size and the"
            + " inventory topic's max.message.bytes); larger ones are dead letters");
    public static final Setting<Integer> DLQ_MAX_PAYLOAD = new Setting<>("dlq-max-payload", "64KiB",
            ProcessorConfig::byteSize, "bytes of the original value a dead letter keeps at most (size and SHA-256 in headers)");
    public static final Setting<List<String>> CLUSTERS = new Setting<>("clusters", "", ProcessorConfig::clusterGlobs,
            "comma-separated cluster ids or globs (* and ?) accepted; records of others are dead letters; empty: all");
    public static final Setting<Integer> MAX_NAMESPACES_PER_CLUSTER = new Setting<>("max-namespaces-per-cluster",
            "100000", s -> positiveInt(s), "namespaces one cluster may hold; beyond, the cluster is marked and new"
            + " namespaces are dead letters");
    public static final Setting<Duration> MAX_EPOCH_SKEW = new Setting<>("max-epoch-skew", "10m",
            ProcessorConfig::positiveDuration, "how far beyond this clock a collector's epoch may lie; later ones are dead letters");

    public static final List<Setting<?>> SETTINGS = List.of(BOOTSTRAP_SERVERS, TOPIC_PREFIX, APPLICATION_ID, STATE_DIR,
            PROCESSING_GUARANTEE, COMMIT_INTERVAL, STREAM_THREADS, APPLICATION_SERVER, HTTP_PORT, SYSTEM_NAMESPACES,
            EXEMPT_NAMESPACES, EXEMPT_PATTERNS, GRACE_PERIOD, STALE_AFTER, TICK_INTERVAL, PROFILE, DRIFT_HISTORY,
            CREATE_TOPICS, PARTITIONS, MAX_RECORD_SIZE, DLQ_MAX_PAYLOAD, CLUSTERS, MAX_NAMESPACES_PER_CLUSTER,
            MAX_EPOCH_SKEW);

    private final Map<String, Object> values;
    private final Set<String> explicit;
    private final Map<String, String> kafka;
    private final Map<String, String> query;
    private final QueryConfig queryConfig;

    private ProcessorConfig(Map<String, Object> values, Set<String> explicit, Map<String, String> kafka,
            Map<String, String> query, Map<String, String> env) {
        this.values = Collections.unmodifiableMap(values);
        this.explicit = Collections.unmodifiableSet(explicit);
        this.kafka = Collections.unmodifiableMap(kafka);
        this.query = Collections.unmodifiableMap(query);
        this.queryConfig = buildQueryConfig(env);
    }

    /** From command-line arguments and the environment; flags win over environment variables. */
    public static ProcessorConfig parse(String[] args, Map<String, String> env) {
        Flags flags;
        try {
            // The query keys as settings too: each variable maps to its key's exact name (a key with a
            // '-' would not survive the generic FENCEWATCH_QUERY_* -> query.* mapping).
            List<Setting<?>> all = new ArrayList<>(SETTINGS);
            QueryConfig.KEYS.forEach(k -> all.add(k.setting()));
            io.fencewatch.query.WebhookConfig.KEYS.forEach(k -> all.add(k.setting()));
            flags = Flags.read(args, env, all, List.of(KAFKA_PREFIX, QUERY_PREFIX));
        } catch (BadFlag e) {
            throw new ConfigException(e.getMessage());
        }
        return fromMap(flags.given(), env);
    }

    /**
     * From a map of flag names (without {@code --}) to values, plus {@code kafka.*} raw properties.
     * Unknown names are an error.
     */
    public static ProcessorConfig fromMap(Map<String, String> given) {
        return fromMap(given, Map.of());
    }

    /** As {@link #fromMap(Map)}; {@code env} supplies the TLS keystore password variable, if any. */
    public static ProcessorConfig fromMap(Map<String, String> given, Map<String, String> env) {
        Map<String, Object> values = new LinkedHashMap<>();
        Set<String> explicit = new LinkedHashSet<>();
        Map<String, String> kafka = new LinkedHashMap<>();
        Map<String, String> query = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : given.entrySet()) {
            String name = e.getKey();
            if (name.startsWith(QUERY_PREFIX)) {
                query.put(name, e.getValue());
                continue;
            }
            if (name.startsWith(KAFKA_PREFIX)) {
                if (name.length() == KAFKA_PREFIX.length()) {
                    throw new ConfigException("--kafka.: needs a property name, e.g. --kafka.security.protocol=SSL");
                }
                kafka.put(name.substring(KAFKA_PREFIX.length()), e.getValue());
                continue;
            }
            if (SETTINGS.stream().noneMatch(s -> s.flag().equals(name))) {
                throw new ConfigException("--" + name + ": unknown flag (see --help)");
            }
        }
        for (Setting<?> s : SETTINGS) {
            String raw = given.get(s.flag());
            if (raw != null) {
                explicit.add(s.flag());
            }
            String text = raw != null ? raw : s.defaultValue();
            try {
                values.put(s.flag(), s.parser().apply(text));
            } catch (RuntimeException ex) {
                throw new ConfigException("--" + s.flag() + ": " + ex.getMessage());
            }
        }
        ProcessorConfig config;
        try {
            config = new ProcessorConfig(values, explicit, kafka, query, env);
        } catch (IllegalArgumentException ex) {
            // QueryConfig names the key in its message, e.g. "query.http.port: ...".
            throw new ConfigException("--" + ex.getMessage());
        }
        try {
            config.rules();
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("--exempt-patterns: " + ex.getMessage());
        }
        if (config.get(DLQ_MAX_PAYLOAD) > config.get(MAX_RECORD_SIZE) / 2) {
            throw new ConfigException("--dlq-max-payload: " + config.get(DLQ_MAX_PAYLOAD)
                    + " bytes is more than half of --max-record-size (" + config.get(MAX_RECORD_SIZE) + ")");
        }
        return config;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting.flag());
    }

    public boolean isExplicit(Setting<?> setting) {
        return explicit.contains(setting.flag());
    }

    /** Raw Kafka properties given with {@code --kafka.*} / {@code FENCEWATCH_KAFKA_*}. */
    public Map<String, String> kafkaProperties() {
        return kafka;
    }

    /** Raw query-surface settings given with {@code --query.*} / {@code FENCEWATCH_QUERY_*}. */
    public Map<String, String> queryProperties() {
        return query;
    }

    /** The query surface's settings, or null when {@code --http-port=-1} turns HTTP off. */
    public QueryConfig queryConfig() {
        return queryConfig;
    }

    private QueryConfig buildQueryConfig(Map<String, String> env) {
        int port = get(HTTP_PORT);
        if (port < 0) {
            return null;
        }
        Map<String, String> q = new LinkedHashMap<>(query);
        q.putIfAbsent(QueryConfig.PORT.name(), Integer.toString(port));
        q.putIfAbsent(QueryConfig.PREFIX.name(), get(TOPIC_PREFIX).prefix());
        if (!get(APPLICATION_SERVER).isEmpty()) {
            q.putIfAbsent(QueryConfig.ADVERTISED.name(), get(APPLICATION_SERVER));
        }
        QueryConfig qc = QueryConfig.fromMap(q, env);
        // Refused at start-up, not at the first request: a non-loopback bind needs a token or query.auth=none.
        String exposure = qc.exposureProblem();
        if (exposure != null) {
            throw new IllegalArgumentException(exposure);
        }
        return qc;
    }

    /**
     * Plain client settings (bootstrap servers and security) for the query surface's own
     * consumers: the pass-through Kafka properties without the Streams-only ones.
     */
    public Map<String, Object> clientProperties() {
        Map<String, Object> client = new LinkedHashMap<>();
        streamsProperties().forEach((k, v) -> {
            String key = k.toString();
            if (key.equals(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG) || key.startsWith("security.")
                    || key.startsWith("sasl.") || key.startsWith("ssl.") || key.equals("client.dns.lookup")) {
                client.put(key, v);
            }
        });
        return client;
    }

    public Topics topics() {
        return Topics.of(get(TOPIC_PREFIX));
    }

    public TopicNames topicNames() {
        return get(TOPIC_PREFIX);
    }

    public Rules rules() {
        return new Rules(get(SYSTEM_NAMESPACES), get(EXEMPT_NAMESPACES), get(EXEMPT_PATTERNS), get(GRACE_PERIOD),
                get(STALE_AFTER), get(TICK_INTERVAL), get(PROFILE));
    }

    public TopologyOptions topologyOptions() {
        return TopologyOptions.defaults().withDriftHistoryRetention(get(DRIFT_HISTORY)).withLimits(limits());
    }

    /** The bounds of {@code --max-record-size}, {@code --dlq-max-payload}, {@code --clusters} and the rest. */
    public Limits limits() {
        return new Limits(get(MAX_RECORD_SIZE), get(DLQ_MAX_PAYLOAD), get(CLUSTERS), get(MAX_NAMESPACES_PER_CLUSTER),
                get(PARTITIONS), get(MAX_EPOCH_SKEW));
    }

    /**
     * Kafka Streams properties: the raw pass-through ones, the typed flags given explicitly, then
     * defaults only where nothing was set ({@code putIfAbsent}).
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        typed(p, BOOTSTRAP_SERVERS, StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, v -> v);
        typed(p, APPLICATION_ID, StreamsConfig.APPLICATION_ID_CONFIG, v -> v);
        typed(p, STATE_DIR, StreamsConfig.STATE_DIR_CONFIG, v -> v);
        typed(p, PROCESSING_GUARANTEE, StreamsConfig.PROCESSING_GUARANTEE_CONFIG, v -> v);
        typed(p, COMMIT_INTERVAL, StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, d -> Long.toString(d.toMillis()));
        typed(p, STREAM_THREADS, StreamsConfig.NUM_STREAM_THREADS_CONFIG, n -> Integer.toString(n));
        // After each commit the next transaction's first sends can meet CONCURRENT_TRANSACTIONS while
        // the markers are written; the client's default 100 ms backoff would add that to every commit.
        p.putIfAbsent(StreamsConfig.producerPrefix("retry.backoff.ms"), "10");
        // A finding is about 2.5 KB of OCSF JSON, mostly the same remediation text: lz4 batches cut the
        // bytes the broker copies and checks (in the throughput benchmark its request handlers' CPU per
        // input record fell from about 20 to 7-10 us) for a few us of the stream thread's.
        p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // Kafka 4.x asks for this now and makes it the default in 5.0; the topology has no global state.
        p.putIfAbsent("processing.exception.handler.global.enabled", "true");
        // A dead letter the producer refuses is logged, counted and skipped; any other failed send
        // fails the transaction (Kafka's default) and the batch is retried.
        p.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionHandler.class.getName());
        p.put(DeadLetterProductionHandler.DLQ_TOPIC_CONFIG, topicNames().dlq());
        // The facts of one namespace may reach --max-record-size; their changelog record must fit.
        p.putIfAbsent(StreamsConfig.producerPrefix("max.request.size"),
                Integer.toString(CoverageTopology.changelogMaxMessageBytes(limits())));
        if (!get(APPLICATION_SERVER).isEmpty()) {
            typed(p, APPLICATION_SERVER, StreamsConfig.APPLICATION_SERVER_CONFIG, v -> v);
        } else if (queryConfig != null && queryConfig.port() != 0) {
            // Interactive queries need every instance to advertise where it answers.
            p.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, queryConfig.applicationServer());
        }
        return p;
    }

    private <T> void typed(Properties p, Setting<T> s, String property, Function<T, String> format) {
        String value = format.apply(get(s));
        if (isExplicit(s)) {
            p.put(property, value);
        } else {
            p.putIfAbsent(property, value);
        }
    }

    /** The usage text: every flag with its environment variable, default and doc (the shared layout). */
    public static String usage() {
        List<Setting<?>> all = new ArrayList<>(SETTINGS);
        QueryConfig.KEYS.forEach(k -> all.add(k.setting()));
        io.fencewatch.query.WebhookConfig.KEYS.forEach(k -> all.add(k.setting()));
        return Help.render("processor", "A stream processor instance: the coverage table, drift, findings, REST API,"
                + " dashboard and /metrics.", all, List.of(
                        new Help.Extra("--kafka.<property>=<value>", "FENCEWATCH_KAFKA_<PROPERTY>",
                                "any Kafka Streams/client property (explicit flags win over it)"),
                        new Help.Extra("--query.<key>=<value>", "FENCEWATCH_QUERY_<KEY>",
                                "query surface: auth token, TLS, CORS, webhook (see query/README.md)")));
    }

    // ---- parsers: each throws IllegalArgumentException with a short why ----

    static int httpPort(String s) {
        int port;
        try {
            port = Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a port number");
        }
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException(port + " is not a port (0-65535, or -1 for no HTTP)");
        }
        return port;
    }

    static String nonBlank(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return s.strip();
    }

    static TopicNames topicNames(String s) {
        String problem = TopicNames.prefixProblem(s);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new TopicNames(s);
    }

    static String guarantee(String s) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        if (v.equals("exactly_once") || v.equals("exactly-once") || v.equals(EXACTLY_ONCE)) {
            return EXACTLY_ONCE;
        }
        if (v.equals(AT_LEAST_ONCE) || v.equals("at-least-once")) {
            return AT_LEAST_ONCE;
        }
        throw new IllegalArgumentException("must be exactly_once_v2 or at_least_once, not '" + s + "'");
    }

    static int positiveInt(String s) {
        try {
            int n = Integer.parseInt(s.strip());
            if (n <= 0) {
                throw new IllegalArgumentException("must be more than zero, not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + s + "'");
        }
    }

    static boolean bool(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("must be true or false, not '" + s + "'");
        };
    }

    static Duration positiveDuration(String s) {
        Duration d = duration(s);
        if (d.isZero()) {
            throw new IllegalArgumentException("must be more than zero");
        }
        return d;
    }

    static Duration nonNegativeDuration(String s) {
        return duration(s);
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 such as {@code PT30S}. */
    static Duration duration(String s) {
        return io.fencewatch.config.Parsers.duration(s);
    }

    static Set<String> nameSet(String s) {
        Set<String> out = new LinkedHashSet<>();
        for (String part : s.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
                throw new IllegalArgumentException("'" + name + "' is not a namespace name");
            }
            out.add(name);
        }
        return out;
    }

    /** {@code 1048576}, {@code 64KiB}, {@code 1MiB}: a positive number of bytes. */
    static int byteSize(String s) {
        String v = s.strip();
        long unit = 1;
        if (v.endsWith("KiB")) {
            unit = 1024;
            v = v.substring(0, v.length() - 3);
        } else if (v.endsWith("MiB")) {
            unit = 1024 * 1024;
            v = v.substring(0, v.length() - 3);
        }
        long n;
        try {
            n = Long.parseLong(v.strip()) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size in bytes: '" + s + "' (use e.g. 65536, 64KiB, 1MiB)");
        }
        if (n <= 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("must be between 1 byte and 2 GiB, not '" + s + "'");
        }
        return (int) n;
    }

    static List<String> clusterGlobs(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String glob = part.strip();
            if (glob.isEmpty()) {
                continue;
            }
            if (!glob.matches("[-a-z0-9*?]{1,63}")) {
                throw new IllegalArgumentException("'" + glob + "' is not a cluster id or glob (a-z, 0-9, -, *, ?)");
            }
            out.add(glob);
        }
        return out;
    }

    static List<String> patterns(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String glob = part.strip();
            if (glob.isEmpty()) {
                continue;
            }
            if (!glob.matches("[-a-z0-9*?]+")) {
                throw new IllegalArgumentException("'" + glob + "' is not a glob of namespace names (a-z, 0-9, -, *, ?)");
            }
            out.add(glob);
        }
        return out;
    }
}
