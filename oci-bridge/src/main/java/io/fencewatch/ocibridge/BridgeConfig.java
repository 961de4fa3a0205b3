package io.fencewatch.ocibridge;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Configured;
import io.fencewatch.config.Help;
import io.fencewatch.config.Setting;
import io.fencewatch.config.Values;
import io.fencewatch.oci.OciSettings;
import io.fencewatch.schema.TopicNames;

/**
 * The bridge's configuration on the shared flag layer: one typed {@link Setting} per flag (the OCI
 * ones declared once in {@link OciSettings}), flags winning over {@code FENCEWATCH_*} variables,
 * one help layout and one {@link BadFlag} line for a bad value, as every other command.
 */
public final class BridgeConfig implements Configured {
    /** A bad flag or variable: one line, naming it. */
    public static final class BridgeConfigException extends BadFlag {
        private static final long serialVersionUID = 1L;

        BridgeConfigException(String message) {
            super(message);
        }
    }

    private static final List<Setting<?>> KEYS = new ArrayList<>(OciSettings.ALL);

    public static final Setting<String> OCI_STREAM_OCID = OciSettings.STREAM_OCID;
    public static final Setting<String> OCI_MESSAGES_ENDPOINT = OciSettings.MESSAGES_ENDPOINT;
    public static final Setting<String> OCI_ADMIN_ENDPOINT = OciSettings.ADMIN_ENDPOINT;
    public static final Setting<String> OCI_REGION = OciSettings.REGION;
    public static final Setting<String> OCI_AUTH = OciSettings.AUTH;
    public static final Setting<Path> OCI_CONFIG_FILE = OciSettings.CONFIG_FILE;
    public static final Setting<String> OCI_PROFILE = OciSettings.PROFILE;
    public static final Setting<String> OCI_GROUP = key("oci-group", "fencewatch-bridge", BridgeConfig::parseNonBlank,
            "OCI consumer group; its committed offsets are where a restarted bridge resumes.");
    public static final Setting<String> OCI_INSTANCE = key("oci-instance", null, BridgeConfig::parseNonBlank,
            "This instance's name in the group. Default: $POD_NAME or the host name, plus a random suffix.");
    public static final Setting<String> BOOTSTRAP_SERVERS = key("bootstrap-servers", null, BridgeConfig::parseNonBlank,
            "Kafka bootstrap servers of the Apache Kafka the processor runs on.");
    public static final Setting<Path> KAFKA_PROPERTIES = key("kafka-properties", null, BridgeConfig::parseReadableFile,
            "Kafka client properties file (SASL/SSL...); its settings win over the bridge's defaults.");
    public static final Setting<String> TOPIC_PREFIX = key("topic-prefix", TopicNames.DEFAULT_PREFIX,
            BridgeConfig::parseTopicPrefix, "Topic prefix: events go to <prefix>.inventory, unreadable messages to <prefix>.dlq.");
    public static final Setting<Duration> GAP_TIMEOUT = key("gap-timeout", "30s",
            v -> parseDuration(v, Duration.ofMillis(100), Duration.ofHours(1)),
            "How long an event may wait for a lower-numbered one of its cluster before the gap is skipped.");
    public static final Setting<Integer> MAX_HELD = key("max-held", "500000", v -> parseInt(v, 1, 50_000_000),
            "Events held back for ordering at most; beyond it the oldest gap is skipped.");
    public static final Setting<Duration> COMMIT_INTERVAL = key("commit-interval", "1s",
            v -> parseDuration(v, Duration.ofMillis(10), Duration.ofMinutes(10)),
            "How often the OCI group offsets are committed (only what Kafka acked, and only with nothing held).");
    public static final Setting<Integer> HTTP_PORT = key("http-port", "8081", v -> parseInt(v, -1, 65535),
            "Port of /healthz, /readyz and /metrics; 0 picks a free port, -1 disables it.");
    public static final Setting<String> HTTP_BIND = key("http-bind", "0.0.0.0", BridgeConfig::parseNonBlank,
            "Address the HTTP server binds to.");
    public static final Setting<Duration> SHUTDOWN_TIMEOUT = key("shutdown-timeout", "10s",
            v -> parseDuration(v, Duration.ZERO, Duration.ofMinutes(10)), "On SIGTERM, how long to flush and commit.");

    private final Values values;
    private final Properties kafkaProperties;
    private final String instance;

    private BridgeConfig(Values values, Map<String, String> env) {
        this.values = values;
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
            throw problem(BOOTSTRAP_SERVERS, "is required (or set bootstrap.servers in " + KAFKA_PROPERTIES.option() + ")");
        }
        String id = get(OCI_INSTANCE);
        if (id == null) {
            id = env.getOrDefault("POD_NAME", hostName()) + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        }
        this.instance = id;
    }

    /** Every flag, in documentation order. */
    public static List<Setting<?>> keys() {
        return List.copyOf(KEYS);
    }

    public static BridgeConfig fromMap(Map<String, String> settings) {
        return build(() -> Values.fromMap(settings, KEYS), Map.of());
    }

    public static BridgeConfig fromArgs(String[] args, Map<String, String> env) {
        return build(() -> Values.read(args, env, KEYS), env);
    }

    private static BridgeConfig build(java.util.function.Supplier<Values> values, Map<String, String> env) {
        try {
            return new BridgeConfig(values.get(), env);
        } catch (BridgeConfigException e) {
            throw e;
        } catch (BadFlag e) {
            throw new BridgeConfigException(e.getMessage());
        }
    }

    @Override
    public <T> T get(Setting<T> key) {
        return values.get(key);
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
        return Help.render("oci-bridge", "Forwards an OCI stream that collectors write (--sink=oci-streaming) into the"
                + " inventory topic of the Apache Kafka the processor runs on, in each cluster's order.", KEYS, List.of());
    }

    private static <T> Setting<T> key(String name, String def, Function<String, T> parser, String doc) {
        Setting<T> k = new Setting<>(name, def, parser, doc);
        KEYS.add(k);
        return k;
    }

    private static BridgeConfigException problem(Setting<?> key, String why) {
        return new BridgeConfigException(key.option() + ": " + why);
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
        try {
            d = io.fencewatch.config.Parsers.duration(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a duration (use e.g. 30s, 500ms, 2m or PT30S)");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("is outside " + min + ".." + max);
        }
        return d;
    }
}
