package io.fencewatch.collector.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import io.fencewatch.config.Configured;
import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Setting;
import io.fencewatch.oci.OciSettings;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;

/**
 * The collector's configuration: one immutable, validated object read from flags
 * ({@code --name=value} or {@code --name value}) and {@code FENCEWATCH_*} environment variables
 * (flags win), or built from a map in tests. Every key is a typed {@link Setting} constant with
 * its default, parser and doc. A bad value throws {@link ConfigException} whose one-line message
 * names the flag and says why.
 */
public final class CollectorConfig implements Configured {
    /** Annotations always forwarded: Fencewatch's own ({@code fencewatch.io/exempt-reason}, ...). */
    public static final String FENCEWATCH_ANNOTATIONS = "fencewatch.io/*";

    private static final Map<String, Setting<?>> KEYS = new LinkedHashMap<>();

    public static final Setting<String> CLUSTER_ID = key("cluster-id", String.class, null,
            CollectorConfig::parseClusterId,
            "Cluster id of the single agent when --contexts is empty (letters, digits, '-', '_', '.'; at most 63).");
    public static final Setting<String> CONTEXTS = key("contexts", String.class, "",
            v -> v,
            "Comma-separated kubeconfig contexts, one agent each: 'context' or 'clusterId=context'. Empty: one agent on the in-cluster service account or the current context.");
    public static final Setting<Path> KUBECONFIG = key("kubeconfig", Path.class, null,
            CollectorConfig::parseReadableFile,
            "Kubeconfig file. Default: $KUBECONFIG, ~/.kube/config or the in-cluster service account.");
    public static final Setting<String> BOOTSTRAP_SERVERS = key("bootstrap-servers", String.class, null,
            CollectorConfig::parseBootstrap,
            "Kafka bootstrap servers (host:port,...). Required unless the Kafka properties file sets bootstrap.servers.");
    public static final Setting<Path> KAFKA_PROPERTIES = key("kafka-properties", Path.class, null,
            CollectorConfig::parseReadableFile,
            "Kafka client properties file (SASL/SSL, compression...); its settings win over the collector's defaults.");
    public static final Setting<String> TOPIC_PREFIX = key("topic-prefix", String.class, TopicNames.DEFAULT_PREFIX,
            CollectorConfig::parseTopicPrefix,
            "Topic prefix: events go to <prefix>.inventory.");
    public static final Setting<String> FORWARD_ANNOTATIONS = key("forward-annotations", String.class, "",
            CollectorConfig::parseAnnotationPatterns,
            "Comma-separated namespace annotation keys to forward; 'prefix/*' matches a prefix. fencewatch.io/* always.");
    public static final Setting<Duration> HEARTBEAT_INTERVAL = key("heartbeat-interval", Duration.class, "30s",
            v -> parseDuration(v, Duration.ofMillis(100), Duration.ofHours(1)),
            "Interval of HEARTBEAT markers to every partition (e.g. 30s, 500ms, 2m).");
    public static final Setting<Boolean> IDEMPOTENCE = key("idempotence", Boolean.class, "true",
            CollectorConfig::parseBoolean,
            "Idempotent producer (acks=all either way). Set false for OCI Streaming, which lacks it.");
    public static final Setting<Integer> QUEUE_CAPACITY = key("queue-capacity", Integer.class, "100000",
            v -> parseInt(v, 16, 10_000_000),
            "Events buffered per cluster between the informers and the publisher; when full the collector exits non-zero.");
    public static final Setting<Duration> SHUTDOWN_TIMEOUT = key("shutdown-timeout", Duration.class, "10s",
            v -> parseDuration(v, Duration.ZERO, Duration.ofMinutes(10)),
            "On SIGTERM, how long to keep publishing what was queued before closing.");
    public static final Setting<Integer> HTTP_PORT = key("http-port", Integer.class, "8080",
            v -> parseInt(v, -1, 65535),
            "Port of /healthz, /readyz and /metrics; 0 picks a free port, -1 disables the server.");
    public static final Setting<String> HTTP_BIND = key("http-bind", String.class, "0.0.0.0",
            CollectorConfig::parseNonBlank,
            "Address the HTTP server binds to.");
    public static final Setting<Boolean> LEADER_ELECTION = key("leader-election", Boolean.class, "false",
            CollectorConfig::parseBoolean,
            "Elect a leader per cluster on a coordination.k8s.io Lease so that only one replica publishes.");
    public static final Setting<String> LEASE_NAMESPACE = key("lease-namespace", String.class, null,
            CollectorConfig::parseDnsLabel,
            "Namespace of the Lease. Default: the pod's namespace (service account), else 'default'.");
    public static final Setting<String> LEASE_NAME = key("lease-name", String.class, "fencewatch-collector",
            CollectorConfig::parseDnsLabel,
            "Name of the Lease (one per cluster, in that cluster).");
    public static final Setting<Duration> LEASE_DURATION = key("lease-duration", Duration.class, "15s",
            v -> parseDuration(v, Duration.ofMillis(500), Duration.ofMinutes(10)),
            "How long a Lease holds without renewal.");
    public static final Setting<Duration> LEASE_RENEW_DEADLINE = key("lease-renew-deadline", Duration.class, "10s",
            v -> parseDuration(v, Duration.ofMillis(300), Duration.ofMinutes(10)),
            "How long the leader keeps retrying to renew before it stops publishing.");
    public static final Setting<Duration> LEASE_RETRY_PERIOD = key("lease-retry-period", Duration.class, "2s",
            v -> parseDuration(v, Duration.ofMillis(100), Duration.ofMinutes(1)),
            "Interval between attempts to acquire or renew the Lease.");
    public static final Setting<String> COLLECTOR_ID = key("collector-id", String.class, null,
            CollectorConfig::parseNonBlank,
            "This instance's id in events and in the Lease. Default: $POD_NAME or the host name, plus a random suffix.");
    public static final Setting<Integer> LIST_PAGE_SIZE = key("list-page-size", Integer.class, "500",
            v -> parseInt(v, 0, 100_000),
            "Page size of the informers' initial list (0: no paging).");
    public static final Setting<Duration> UNREACHABLE_AFTER = key("unreachable-after", Duration.class, "10s",
            v -> parseDuration(v, Duration.ofMillis(100), Duration.ofHours(1)),
            "How long a cluster's API server may fail (connection, TLS, 401, 403) before the cluster is reported UNREACHABLE; retried meanwhile.");

    public static final Setting<String> POLICY_ENGINE_NAMESPACES = key("policy-engine-namespaces", String.class,
            String.join(",", io.fencewatch.rules.PolicyEngines.defaultNamespaces()),
            CollectorConfig::parseNamespaceList,
            "Comma-separated namespaces whose DaemonSets are matched against the NetworkPolicy engine table (FW-NP-002:"
                    + " is NetworkPolicy enforced at all?); needs list/watch daemonsets there (a Role per namespace)."
                    + " Empty: do not look (enforcement UNKNOWN).");

    public static final Setting<String> POLICY_KINDS = key("policy-kinds", String.class, "auto",
            CollectorConfig::parsePolicyKinds,
            "Policy kinds beyond NetworkPolicy to watch where the cluster serves them (found by API discovery, re-checked"
                    + " when CRDs change and every 5 minutes): auto (all of them), none, or a comma list of "
                    + String.join(", ", java.util.Arrays.stream(io.fencewatch.collector.kube.PolicyKind.values())
                            .map(io.fencewatch.collector.kube.PolicyKind::flagName).toList())
                    + "; needs list/watch on them and on customresourcedefinitions.");

    public static final Setting<Boolean> WATCH_PODS = key("watch-pods", Boolean.class, "false",
            CollectorConfig::parseBoolean,
            "Watch pods (all namespaces) and publish each namespace's workload shapes (kind WORKLOAD: owner, labels,"
                    + " hostNetwork, pod count) for FW-NP-003; costs memory per pod and needs list/watch on pods"
                    + " (k8s/11-clusterrole-collector-pods.yaml). The same for every cluster of the process.");
    public static final Setting<Duration> POD_SHAPE_DELAY = key("pod-shape-delay", Duration.class, "1s",
            v -> parseDuration(v, Duration.ZERO, Duration.ofMinutes(10)),
            "With --watch-pods: how long the shape changes of one namespace are gathered before they are published"
                    + " (a rollout's pods then move one count a few times, not once per pod); 0 publishes at once.");

    public static final Setting<String> SINK = key("sink", String.class, "kafka",
            v -> parseChoice(v, "kafka", "oci-streaming"),
            "Where events go: kafka (the inventory topic) or oci-streaming (an OCI stream that the oci-bridge forwards to Kafka).");
    // The OCI flags, declared once in oci-clients (the oci-bridge takes the same).
    public static final Setting<String> OCI_STREAM_OCID = register(OciSettings.STREAM_OCID);
    public static final Setting<String> OCI_MESSAGES_ENDPOINT = register(OciSettings.MESSAGES_ENDPOINT);
    public static final Setting<String> OCI_ADMIN_ENDPOINT = register(OciSettings.ADMIN_ENDPOINT);
    public static final Setting<String> OCI_REGION = register(OciSettings.REGION);
    public static final Setting<String> OCI_AUTH = register(OciSettings.AUTH);
    public static final Setting<Path> OCI_CONFIG_FILE = register(OciSettings.CONFIG_FILE);
    public static final Setting<String> OCI_PROFILE = register(OciSettings.PROFILE);
    public static final Setting<String> OCI_EXEC_PLUGIN = key("oci-exec-plugin", String.class, "serve",
            v -> parseChoice(v, "serve", "keep"),
            "A kubeconfig context whose user runs 'oci ce cluster generate-token' (as 'oci ce cluster create-kubeconfig' writes it):"
                    + " serve makes that token in process with --oci-auth (no OCI CLI needed); keep runs the CLI.");

    // OKE fleet discovery: name compartments once, every ACTIVE cluster in them is watched.
    public static final Setting<String> OCI_COMPARTMENTS = key("oci-compartments", String.class, "",
            CollectorConfig::parseOcids,
            "Comma-separated compartment OCIDs whose OKE clusters to watch (the tenancy OCID means the root). Set: the fleet is discovered, --contexts and --cluster-id are not used.");
    public static final Setting<Boolean> OCI_SUBTREE = key("oci-subtree", Boolean.class, "true",
            CollectorConfig::parseBoolean,
            "Also every ACTIVE sub-compartment of --oci-compartments.");
    public static final Setting<String> OCI_REGIONS = key("oci-regions", String.class, "",
            CollectorConfig::parseRegions,
            "Comma-separated regions to look in (e.g. eu-frankfurt-1,us-ashburn-1), or all-subscribed. Default: --oci-region, else the auth's region.");
    public static final Setting<String> OCI_ENDPOINT_TYPE = key("oci-endpoint-type", String.class, "PUBLIC_ENDPOINT",
            v -> parseChoice(v, "PUBLIC_ENDPOINT", "PRIVATE_ENDPOINT", "VCN_HOSTNAME"),
            "Which API endpoint of each cluster to reach (CreateKubeconfig's endpoint type).");
    public static final Setting<String> OCI_CLUSTER_INCLUDE = key("oci-cluster-include", String.class, "",
            CollectorConfig::parseGlobs,
            "Comma-separated globs on cluster names to watch (empty: all).");
    public static final Setting<String> OCI_CLUSTER_EXCLUDE = key("oci-cluster-exclude", String.class, "",
            CollectorConfig::parseGlobs,
            "Comma-separated globs on cluster names not to watch; a freeform tag fencewatch.io/watch=false also excludes.");
    public static final Setting<Duration> OCI_REDISCOVER_INTERVAL = key("oci-rediscover-interval", Duration.class, "5m",
            v -> parseDuration(v, Duration.ofSeconds(1), Duration.ofHours(24)),
            "How often the fleet is listed again: new clusters are watched, deleted ones retired.");
    /** {@code --oci.<service>.endpoint=<url>}: a service's endpoint instead of the region's. */
    public static final String OCI_ENDPOINT_PREFIX = "oci.";
    /** The services whose endpoint {@code --oci.<service>.endpoint} may override. */
    public static final List<String> OCI_SERVICES = List.of("identity", "containerengine");

    private final Map<Setting<?>, Object> values;
    private final Map<String, java.net.URI> ociEndpoints;
    private final List<ClusterTarget> targets;
    private final Properties kafkaProperties;
    private final List<String> annotationPatterns;
    private final String collectorId;

    private CollectorConfig(Map<Setting<?>, Object> values, Map<String, java.net.URI> ociEndpoints, Map<String, String> env) {
        this.values = Collections.unmodifiableMap(values);
        this.ociEndpoints = Map.copyOf(ociEndpoints);
        this.targets = List.copyOf(buildTargets());
        this.kafkaProperties = loadKafkaProperties();
        if (ociSink()) {
            if (get(OCI_STREAM_OCID) == null) {
                throw problem(OCI_STREAM_OCID, "is required with " + SINK.option() + "=oci-streaming");
            }
        } else if (get(BOOTSTRAP_SERVERS) == null && kafkaProperties.getProperty("bootstrap.servers") == null) {
            throw problem(BOOTSTRAP_SERVERS, "is required (or set bootstrap.servers in " + KAFKA_PROPERTIES.option() + ")");
        }
        Set<String> patterns = new LinkedHashSet<>();
        patterns.add(FENCEWATCH_ANNOTATIONS);
        for (String p : get(FORWARD_ANNOTATIONS).split(",")) {
            if (!p.isBlank()) {
                patterns.add(p.strip());
            }
        }
        this.annotationPatterns = List.copyOf(patterns);
        if (get(LEADER_ELECTION)) {
            if (get(LEASE_RENEW_DEADLINE).compareTo(get(LEASE_DURATION)) >= 0) {
                throw problem(LEASE_RENEW_DEADLINE, "must be shorter than " + LEASE_DURATION.option());
            }
            if (get(LEASE_RETRY_PERIOD).compareTo(get(LEASE_RENEW_DEADLINE)) >= 0) {
                throw problem(LEASE_RETRY_PERIOD, "must be shorter than " + LEASE_RENEW_DEADLINE.option());
            }
        }
        String id = get(COLLECTOR_ID);
        if (id == null) {
            String base = env.getOrDefault("POD_NAME", hostName());
            id = base + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        }
        this.collectorId = id;
    }

    /** Every key, in documentation order. */
    public static List<Setting<?>> keys() {
        return List.copyOf(KEYS.values());
    }

    /** From a map of flag names (without '--') to values; for tests and embedding. */
    public static CollectorConfig fromMap(Map<String, String> settings) {
        Map<Setting<?>, String> raw = new HashMap<>();
        Map<String, String> endpoints = new LinkedHashMap<>();
        settings.forEach((name, value) -> {
            if (name.startsWith(OCI_ENDPOINT_PREFIX)) {
                endpoints.put(name, value);
            } else {
                raw.put(lookup(name, "--" + name), value);
            }
        });
        return build(raw, Map.of(), endpoints, Map.of());
    }

    /**
     * From command-line flags and the environment; flags win over {@code FENCEWATCH_*} variables,
     * which win over defaults.
     */
    public static CollectorConfig fromArgs(String[] args, Map<String, String> env) {
        Flags flags;
        try {
            flags = Flags.read(args, env, keys(), List.of(OCI_ENDPOINT_PREFIX));
        } catch (io.fencewatch.config.BadFlag e) {
            throw new ConfigException(e.getMessage());
        }
        Map<Setting<?>, String> raw = new HashMap<>();
        Map<Setting<?>, String> origin = new HashMap<>();
        Map<String, String> endpoints = new LinkedHashMap<>();
        flags.given().forEach((name, value) -> {
            if (name.startsWith(OCI_ENDPOINT_PREFIX)) {
                endpoints.put(name, value);
                return;
            }
            Setting<?> key = lookup(name, "--" + name);
            raw.put(key, value);
            if (flags.origin(name) != null) {
                origin.put(key, flags.origin(name));
            }
        });
        return build(raw, origin, endpoints, env);
    }

    private static CollectorConfig build(Map<Setting<?>, String> raw, Map<Setting<?>, String> origin,
            Map<String, String> endpointFlags, Map<String, String> env) {
        Map<String, java.net.URI> endpoints = new LinkedHashMap<>();
        endpointFlags.forEach((name, value) -> {
            String service = name.substring(OCI_ENDPOINT_PREFIX.length());
            if (!service.endsWith(".endpoint") || !OCI_SERVICES.contains(service.substring(0, service.length() - ".endpoint".length()))) {
                throw new ConfigException("--" + shorten(name) + ": unknown flag (--oci.<service>.endpoint takes "
                        + String.join(", ", OCI_SERVICES) + ")");
            }
            try {
                endpoints.put(service.substring(0, service.length() - ".endpoint".length()),
                        java.net.URI.create(OciSettings.httpUrl(value.strip())));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--" + name + ": '" + shorten(value) + "' " + e.getMessage());
            }
        });
        Map<Setting<?>, Object> values = new HashMap<>();
        for (Setting<?> key : KEYS.values()) {
            String text = raw.getOrDefault(key, key.defaultValue());
            if (text == null) {
                continue;
            }
            try {
                values.put(key, key.parser().apply(text.strip()));
            } catch (IllegalArgumentException e) {
                String from = origin.containsKey(key) ? " (from " + origin.get(key) + ")" : "";
                throw new ConfigException(key.option() + from + ": '" + shorten(text) + "' " + e.getMessage());
            }
        }
        return new CollectorConfig(values, endpoints, env);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> key) {
        return (T) values.get(key);
    }

    /** The clusters to watch, one agent each; never empty, cluster ids unique. */
    public List<ClusterTarget> targets() {
        return targets;
    }

    /** Raw Kafka client properties from the properties file (may hold credentials: never log them). */
    public Properties kafkaProperties() {
        Properties copy = new Properties();
        copy.putAll(kafkaProperties);
        return copy;
    }

    /** Annotation keys forwarded with namespace facts; entries ending in '/*' or '*' are prefixes. */
    public List<String> annotationPatterns() {
        return annotationPatterns;
    }

    public String collectorId() {
        return collectorId;
    }

    /** True when {@code --oci-compartments} names a fleet to discover. */
    public boolean okeFleet() {
        return !get(OCI_COMPARTMENTS).isBlank();
    }

    /** The compartments (or tenancy) whose clusters to discover. */
    public List<String> ociCompartments() {
        return list(get(OCI_COMPARTMENTS));
    }

    /** The regions named by {@code --oci-regions}: empty for the default, or {@code [all-subscribed]}. */
    public List<String> ociRegions() {
        return list(get(OCI_REGIONS));
    }

    public List<String> ociClusterIncludes() {
        return list(get(OCI_CLUSTER_INCLUDE));
    }

    public List<String> ociClusterExcludes() {
        return list(get(OCI_CLUSTER_EXCLUDE));
    }

    /** {@code --oci.<service>.endpoint} overrides, by service name. */
    public Map<String, java.net.URI> ociEndpoints() {
        return ociEndpoints;
    }

    private static List<String> list(String csv) {
        List<String> out = new ArrayList<>();
        for (String part : csv.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return List.copyOf(out);
    }

    /** True with {@code --sink=oci-streaming}. */
    public boolean ociSink() {
        return "oci-streaming".equals(get(SINK));
    }

    public TopicNames topics() {
        return new TopicNames(get(TOPIC_PREFIX));
    }

    /** The Lease namespace: configured, else the service account's namespace, else 'default'. */
    public String leaseNamespace() {
        String ns = get(LEASE_NAMESPACE);
        if (ns != null) {
            return ns;
        }
        Path sa = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
        try {
            if (Files.isReadable(sa)) {
                String fromSa = Files.readString(sa, StandardCharsets.UTF_8).strip();
                if (!fromSa.isEmpty()) {
                    return fromSa;
                }
            }
        } catch (IOException e) {
            // Fall through to the documented default; the reason does not matter to the operator.
            return "default";
        }
        return "default";
    }

    /** A usage text: every flag, its environment variable, default and doc (the shared layout). */
    public static String usage() {
        return Help.render("collector", "A collector agent: watches one or more clusters' namespaces and"
                + " NetworkPolicies and publishes their facts to Kafka.", keys(), List.of(
                        new Help.Extra("--oci.<service>.endpoint=<url>", "FENCEWATCH_OCI_<SERVICE>_ENDPOINT",
                                "endpoint of an OCI service instead of the region's (" + String.join(", ", OCI_SERVICES)
                                        + "): other realms, private endpoints, a test stub")));
    }

    private List<ClusterTarget> buildTargets() {
        List<ClusterTarget> list = new ArrayList<>();
        String contexts = get(CONTEXTS);
        if (okeFleet()) {
            // One collector watches a discovered fleet or named contexts: ids could clash otherwise.
            if (!contexts.isBlank()) {
                throw problem(OCI_COMPARTMENTS, "cannot be combined with " + CONTEXTS.option()
                        + " (run one collector per fleet, another for named contexts)");
            }
            if (get(CLUSTER_ID) != null) {
                throw problem(OCI_COMPARTMENTS, "cannot be combined with " + CLUSTER_ID.option()
                        + " (cluster ids come from the OKE cluster names)");
            }
            return list;
        }
        Set<String> ids = new LinkedHashSet<>();
        for (String entry : contexts.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String e = entry.strip();
            int eq = e.indexOf('=');
            String id = eq < 0 ? e : e.substring(0, eq).strip();
            String context = eq < 0 ? e : e.substring(eq + 1).strip();
            if (context.isEmpty()) {
                throw problem(CONTEXTS, "entry '" + shorten(e) + "' names no context");
            }
            if (eq < 0 && list.isEmpty() && get(CLUSTER_ID) != null && contexts.split(",").length == 1) {
                id = get(CLUSTER_ID);
            }
            String why = Keys.clusterIdProblem(id);
            if (why != null) {
                throw problem(CONTEXTS, "entry '" + shorten(e) + "': " + why + " (write clusterId=context)");
            }
            if (!ids.add(id)) {
                throw problem(CONTEXTS, "cluster id '" + id + "' appears twice");
            }
            list.add(new ClusterTarget(id, context));
        }
        if (list.isEmpty()) {
            if (get(CLUSTER_ID) == null) {
                throw problem(CLUSTER_ID, "is required when " + CONTEXTS.option() + " is empty");
            }
            list.add(new ClusterTarget(get(CLUSTER_ID), null));
        }
        return list;
    }

    private Properties loadKafkaProperties() {
        Properties p = new Properties();
        Path file = get(KAFKA_PROPERTIES);
        if (file == null) {
            return p;
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw problem(KAFKA_PROPERTIES, "cannot be read as a properties file (" + e.getClass().getSimpleName() + ")");
        }
        return p;
    }

    private static ConfigException problem(Setting<?> key, String why) {
        return new ConfigException(key.option() + ": " + why);
    }

    private static <T> Setting<T> key(String name, Class<T> type, String def, Function<String, T> parser, String doc) {
        Setting<T> k = new Setting<>(name, def, parser, doc, type == Boolean.class);
        KEYS.put(name, k);
        return k;
    }

    private static <T> Setting<T> register(Setting<T> shared) {
        KEYS.put(shared.flag(), shared);
        return shared;
    }

    private static Setting<?> lookup(String name, String asWritten) {
        Setting<?> key = KEYS.get(name);
        if (key == null) {
            throw new ConfigException(shorten(asWritten) + ": unknown flag (see --help)");
        }
        return key;
    }

    private static String shorten(String s) {
        String oneLine = s.replaceAll("[\\r\\n\\t]", " ");
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "collector";
        }
    }

    // ---- parsers: each throws IllegalArgumentException saying why, after the quoted value ----

    static String parseClusterId(String v) {
        String why = Keys.clusterIdProblem(v);
        if (why != null) {
            throw new IllegalArgumentException("is not a valid cluster id: " + why);
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



    static String parseOcids(String v) {
        for (String part : v.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (!s.matches("ocid1\\.(compartment|tenancy)\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]+")) {
                throw new IllegalArgumentException("holds '" + shorten(s) + "', which is not a compartment or tenancy OCID");
            }
        }
        return v;
    }

    static String parseRegions(String v) {
        List<String> regions = list(v);
        if (regions.contains("all-subscribed")) {
            if (regions.size() > 1) {
                throw new IllegalArgumentException("names all-subscribed with other regions");
            }
            return v;
        }
        for (String r : regions) {
            if (!r.matches("[a-z]{2,}(-[a-z0-9]+)+-[0-9]+")) {
                throw new IllegalArgumentException("holds '" + shorten(r) + "', which is not a region identifier (e.g. eu-frankfurt-1)");
            }
        }
        return v;
    }

    static String parseGlobs(String v) {
        for (String g : list(v)) {
            try {
                java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("holds '" + shorten(g) + "', which is not a glob");
            }
            if (g.contains("/")) {
                throw new IllegalArgumentException("holds '" + shorten(g) + "': a cluster name glob has no '/'");
            }
        }
        return v;
    }

    static String parseNonBlank(String v) {
        if (v.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return v;
    }

    static String parseTopicPrefix(String v) {
        String why = TopicNames.prefixProblem(v);
        if (why != null) {
            throw new IllegalArgumentException("is not a valid topic prefix: " + why);
        }
        return v;
    }

    static String parseBootstrap(String v) {
        if (v.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        for (String hp : v.split(",")) {
            String s = hp.strip();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("is not a list of host:port");
            }
            try {
                int port = Integer.parseInt(s.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("has a port outside 1..65535");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("has a port that is not a number");
            }
        }
        return v;
    }

    static Path parseReadableFile(String v) {
        if (v.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        Path p = Path.of(v);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException("is not a readable file");
        }
        return p;
    }

    static String parseAnnotationPatterns(String v) {
        for (String p : v.split(",")) {
            String s = p.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (s.length() > 317 || s.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("holds an annotation key that is not valid: '" + shorten(s) + "'");
            }
            int star = s.indexOf('*');
            if (star >= 0 && star != s.length() - 1) {
                throw new IllegalArgumentException("may use '*' only at the end of a key");
            }
        }
        return v;
    }

    static String parseNamespaceList(String v) {
        for (String p : v.split(",", -1)) {
            String s = p.strip();
            if (s.isEmpty() && !v.isBlank()) {
                throw new IllegalArgumentException("holds an empty namespace name (write no value at all to switch it off)");
            }
            if (!s.isEmpty() && !s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new IllegalArgumentException("holds '" + shorten(s) + "', which is not a valid namespace name");
            }
        }
        return v;
    }

    /** The namespaces to look in for NetworkPolicy engines, in the order given; empty: do not look. */
    public List<String> policyEngineNamespaces() {
        String v = get(POLICY_ENGINE_NAMESPACES);
        return v.isBlank() ? List.of()
                : java.util.Arrays.stream(v.split(",")).map(String::strip).distinct().toList();
    }

    static String parsePolicyKinds(String v) {
        policyKindsOf(v);
        return v;
    }

    /** The kinds a {@code --policy-kinds} value names; throws saying why for a bad one. */
    static Set<io.fencewatch.collector.kube.PolicyKind> policyKindsOf(String v) {
        return io.fencewatch.collector.kube.PolicyKind.parseSet(v);
    }

    /** The policy kinds beyond NetworkPolicy to watch where served ({@code --policy-kinds}); empty: none. */
    public Set<io.fencewatch.collector.kube.PolicyKind> policyKinds() {
        return java.util.Collections.unmodifiableSet(policyKindsOf(get(POLICY_KINDS)));
    }

    static String parseDnsLabel(String v) {
        if (!v.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("is not a valid Kubernetes name (lower-case letters, digits, '-'; at most 63)");
        }
        return v;
    }

    static Boolean parseBoolean(String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return Boolean.TRUE;
            case "false", "no", "off", "0":
                return Boolean.FALSE;
            default:
                throw new IllegalArgumentException("is not a boolean (true or false)");
        }
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

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
    static Duration parseDuration(String v, Duration min, Duration max) {
        Duration d;
        String s = v.toLowerCase(Locale.ROOT);
        try {
            if (s.equals("0")) {
                d = Duration.ZERO; // needs no unit
            } else if (s.startsWith("pt") || s.startsWith("p")) {
                d = Duration.parse(v.toUpperCase(Locale.ROOT));
            } else if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            } else {
                throw new IllegalArgumentException("is not a duration (use e.g. 30s, 500ms, 2m or PT30S)");
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("is not a duration (use e.g. 30s, 500ms, 2m or PT30S)");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("is outside " + human(min) + ".." + human(max));
        }
        return d;
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
