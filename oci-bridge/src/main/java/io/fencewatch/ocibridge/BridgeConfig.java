package io.fencewatch.ocibridge;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import io.fencewatch.schema.TopicNames;

/**
 * The bridge's configuration, in the collector's style: one typed {@link Key} per flag with its
 * default, parser and doc; flags ({@code --name=value}) win over {@code FENCEWATCH_*} variables,
 * which win over defaults. A bad value throws {@link BridgeConfigException} with one line naming
 * the flag and why.
 */
public final class BridgeConfig {
    /** A bad flag or variable: one line, naming it. */
    public static final class BridgeConfigException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BridgeConfigException(String message) {
            super(message);
        }
    }

    /** One configuration key. */
    public record Key<T>(String name, Class<T> type, String defaultValue, Function<String, T> parser, String doc) {
        public String flag() {
            return "--" + name;
        }

        public String env() {
            return "FENCEWATCH_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    private static final Map<String, Key<?>> KEYS = new LinkedHashMap<>();

    public static final Key<String> OCI_STREAM_OCID = key("oci-stream-ocid", String.class, null,
            BridgeConfig::parseStreamOcid, "OCID of the OCI stream the collectors write to (ocid1.stream.oc1...).");
    public static final Key<String> OCI_GROUP = key("oci-group", String.class, "fencewatch-bridge",
            BridgeConfig::parseNonBlank, "OCI consumer group; its committed offsets are where a restarted bridge resumes.");
    public static final Key<String> OCI_INSTANCE = key("oci-instance", String.class, null,
            BridgeConfig::parseNonBlank, "This instance's name in the group. Default: $POD_NAME or the host name, plus a random suffix.");
    public static final Key<String> OCI_MESSAGES_ENDPOINT = key("oci-messages-endpoint", String.class, null,
            BridgeConfig::parseUrl, "The stream's messages endpoint; default: looked up with GetStream.");
    public static final Key<String> OCI_ADMIN_ENDPOINT = key("oci-admin-endpoint", String.class, null,
            BridgeConfig::parseUrl, "Streaming admin endpoint for the GetStream lookup; default: the region's.");
    public static final Key<String> OCI_REGION = key("oci-region", String.class, null,
            BridgeConfig::parseNonBlank, "OCI region for the GetStream lookup; default: the config file's.");
    public static final Key<String> OCI_AUTH = key("oci-auth", String.class, "api-key",
            v -> parseChoice(v, "api-key", "instance-principal", "resource-principal", "oke-workload-identity"),
            "OCI authentication: api-key (config file and profile), instance-principal, resource-principal or oke-workload-identity (the pod's service account, OKE only).");
    public static final Key<Path> OCI_CONFIG_FILE = key("oci-config-file", Path.class, null,
            BridgeConfig::parseReadableFile, "OCI config file for --oci-auth=api-key; default: ~/.oci/config.");
    public static final Key<String> OCI_PROFILE = key("oci-profile", String.class, "DEFAULT",
            BridgeConfig::parseNonBlank, "Profile of the OCI config file.");
    public static final Key<String> BOOTSTRAP_SERVERS = key("bootstrap-servers", String.class, null,
            BridgeConfig::parseNonBlank, "Kafka bootstrap servers of the Apache Kafka the processor runs on.");
    public static final Key<Path> KAFKA_PROPERTIES = key("kafka-properties", Path.class, null,
            BridgeConfig::parseReadableFile, "Kafka client properties file (SASL/SSL...); its settings win over the bridge's defaults.");
    public static final Key<String> TOPIC_PREFIX = key("topic-prefix", String.class, TopicNames.DEFAULT_PREFIX,
            BridgeConfig::parseTopicPrefix, "Topic prefix: events go to <prefix>.inventory, unreadable messages to <prefix>.dlq.");
    public static final Key<Duration> GAP_TIMEOUT = key("gap-timeout", Duration.class, "30s",
            v -> parseDuration(v, Duration.ofMillis(100), Duration.ofHours(1)),
            "How long an event may wait for a lower-numbered one of its cluster before the gap is skipped.");
    public static final Key<Integer> MAX_HELD = key("max-held", Integer.class, "500000",
            v -> parseInt(v, 1, 50_000_000), "Events held back for ordering at most; beyond it the oldest gap is skipped.");
    public static final Key<Duration> COMMIT_INTERVAL = key("commit-interval", Duration.class, "1s",
            v -> parseDuration(v, Duration.ofMillis(10), Duration.ofMinutes(10)),
            "How often the OCI group offsets are committed (only what Kafka acked, and only with nothing held).");
    public static final Key<Integer> HTTP_PORT = key("http-port", Integer.class, "8081",
            v -> parseInt(v, -1, 65535), "Port of /healthz, /readyz and /metrics; 0 picks a free port, -1 disables it.");
    public static final Key<String> HTTP_BIND = key("http-bind", String.class, "0.0.0.0",
            BridgeConfig::parseNonBlank, "Address the HTTP server binds to.");
    public static final Key<Duration> SHUTDOWN_TIMEOUT = key("shutdown-timeout", Duration.class, "10s",
            v -> parseDuration(v, Duration.ZERO, Duration.ofMinutes(10)), "On SIGTERM, how long to flush and commit.");

    private final Map<Key<?>, Object> values;
    private final Properties kafkaProperties;
    private final String instance;

    private BridgeConfig(Map<Key<?>, Object> values, Map<String, String> env) {
        this.values = Collections.unmodifiableMap(values);
        if (get(OCI_STREAM_OCID) == null) {
            throw problem(OCI_STREAM_OCID, "is required");
        }
        this.kafkaProperties = new Properties();
        Path file = get(KAFKA_PROPERTIES);
        if (file != null) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                kafkaProperties.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw problem(KAFKA_PROPERTIES, "cannot be read as a properties file (" + e.getClass().getSimpleName() + ")");
            }
        }
        if (get(BOOTSTRAP_SERVERS) == null && kafkaProperties.getProperty("bootstrap.servers") == null) {
            throw problem(BOOTSTRAP_SERVERS, "is required (or set bootstrap.servers in " + KAFKA_PROPERTIES.flag() + ")");
        }
        String id = get(OCI_INSTANCE);
        if (id == null) {
            id = env.getOrDefault("POD_NAME", hostName()) + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        }
        this.instance = id;
    }

    public static List<Key<?>> keys() {
        return List.copyOf(KEYS.values());
    }

    public static BridgeConfig fromMap(Map<String, String> settings) {
        Map<Key<?>, String> raw = new HashMap<>();
        settings.forEach((name, value) -> raw.put(lookup(name, "--" + name), value));
        return build(raw, Map.of(), Map.of());
    }

    public static BridgeConfig fromArgs(String[] args, Map<String, String> env) {
        Map<Key<?>, String> raw = new HashMap<>();
        Map<Key<?>, String> origin = new HashMap<>();
        for (Key<?> key : KEYS.values()) {
            String v = env.get(key.env());
            if (v != null) {
                raw.put(key, v);
                origin.put(key, key.env());
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new BridgeConfigException("unexpected argument '" + shorten(arg) + "': flags look like --name=value (see --help)");
            }
            int eq = arg.indexOf('=');
            Key<?> key = lookup(eq < 0 ? arg.substring(2) : arg.substring(2, eq), arg);
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new BridgeConfigException(key.flag() + ": needs a value");
            }
            raw.put(key, value);
            origin.remove(key);
        }
        return build(raw, origin, env);
    }

    private static BridgeConfig build(Map<Key<?>, String> raw, Map<Key<?>, String> origin, Map<String, String> env) {
        Map<Key<?>, Object> values = new HashMap<>();
        for (Key<?> key : KEYS.values()) {
            String text = raw.getOrDefault(key, key.defaultValue());
            if (text == null) {
                continue;
            }
            try {
                values.put(key, key.parser().apply(text.strip()));
            } catch (IllegalArgumentException e) {
                String from = origin.containsKey(key) ? " (from " + origin.get(key) + ")" : "";
                throw new BridgeConfigException(key.flag() + from + ": '" + shorten(text) + "' " + e.getMessage());
            }
        }
        return new BridgeConfig(values, env);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        return (T) values.get(key);
    }

    public TopicNames topics() {
        return new TopicNames(get(TOPIC_PREFIX));
    }

    public String instance() {
        return instance;
    }

    /** Raw Kafka client properties (may hold credentials: never log them). */
    public Properties kafkaProperties() {
        Properties copy = new Properties();
        copy.putAll(kafkaProperties);
        return copy;
    }

    public static String usage() {
        StringBuilder sb = new StringBuilder("Usage: fencewatch oci-bridge [--flag=value ...]\n\n");
        for (Key<?> key : KEYS.values()) {
            sb.append(String.format(Locale.ROOT, "  %-26s %-36s default: %s%n      %s%n", key.flag(), key.env(),
                    key.defaultValue() == null ? "(none)" : "'" + key.defaultValue() + "'", key.doc()));
        }
        return sb.toString();
    }

    private static <T> Key<T> key(String name, Class<T> type, String def, Function<String, T> parser, String doc) {
        Key<T> k = new Key<>(name, type, def, parser, doc);
        KEYS.put(name, k);
        return k;
    }

    private static Key<?> lookup(String name, String asWritten) {
        Key<?> key = KEYS.get(name);
        if (key == null) {
            throw new BridgeConfigException("unknown flag '" + shorten(asWritten) + "' (see --help)");
        }
        return key;
    }

    private static BridgeConfigException problem(Key<?> key, String why) {
        return new BridgeConfigException(key.flag() + ": " + why);
    }

    private static String shorten(String s) {
        String one = s.replaceAll("[\\r\\n\\t]", " ");
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "oci-bridge";
        }
    }

    static String parseNonBlank(String v) {
        if (v.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return v;
    }

    static String parseChoice(String v, String... choices) {
        for (String c : choices) {
            if (c.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException("is not one of " + String.join(", ", choices));
    }

    static String parseStreamOcid(String v) {
        if (!v.matches("ocid1\\.stream\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("is not a stream OCID (ocid1.stream.oc1.<region>.<id>)");
        }
        return v;
    }

    static String parseUrl(String v) {
        try {
            URI u = new URI(v);
            if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException("is not an http(s) URL");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not an http(s) URL");
        }
        return v;
    }

    static Path parseReadableFile(String v) {
        Path p = Path.of(v);
        if (v.isBlank() || !Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException("is not a readable file");
        }
        return p;
    }

    static String parseTopicPrefix(String v) {
        String why = TopicNames.prefixProblem(v);
        if (why != null) {
            throw new IllegalArgumentException("is not a valid topic prefix: " + why);
        }
        return v;
    }

    static Integer parseInt(String v, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not an integer");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("is outside " + min + ".." + max);
        }
        return n;
    }

    static Duration parseDuration(String v, Duration min, Duration max) {
        Duration d;
        String s = v.toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                d = Duration.parse(v.toUpperCase(Locale.ROOT));
            } else if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else {
                throw new IllegalArgumentException("is not a duration (use e.g. 30s, 500ms, 2m or PT30S)");
            }
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("is not a duration (use e.g. 30s, 500ms, 2m or PT30S)");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("is outside " + min + ".." + max);
        }
        return d;
    }
}
