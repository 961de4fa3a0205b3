package io.fencewatch.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import io.fencewatch.rules.Profile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Setting;
import io.fencewatch.schema.Keys;
import io.fencewatch.controlplane.KubeControlPlane;

/**
 * The sandbox's settings, read from {@code --flag=value} (or {@code --flag value}) arguments into
 * one immutable, validated object; tests build it from a map. A bad flag throws {@link BadFlag}
 * whose one-line message names the flag and says why.
 *
 * @param httpPort     dashboard, REST and /metrics (0: a free port, chosen here)
 * @param httpBind     address the HTTP server binds to
 * @param kafkaPort    the in-process broker's client port (0: a free port, chosen here)
 * @param apiPort      the simulated API server's port (0: a free port, chosen here)
 * @param dataDir      broker log, Streams state, kubeconfig, log file, sandbox.properties
 * @param scenario     {@code demo} or {@code none}
 * @param grace        grace period of a new namespace without policy
 * @param profile      the profile the processor judges by (--profile)
 * @param kubeconfig   a real cluster's kubeconfig, or null (with {@code context} null: the simulated cluster)
 * @param context      a context of that kubeconfig, or null for its current context
 * @param clusterId    the cluster id in the table
 * @param realControlPlane  {@code --control-plane=real}: etcd, kube-apiserver and kube-controller-manager instead
 *                     of the simulated API server (same port, same kubeconfig)
 * @param transport    how the collector's events reach the broker: directly, or through the OCI Streaming
 *                     stand-in and the oci-bridge
 * @param watchPods    the collector watches pods (--watch-pods, on by default here), so FW-NP-003 is judged
 */
public record SandboxConfig(int httpPort, String httpBind, int kafkaPort, int apiPort, Path dataDir, Scenario scenario,
        Duration grace, Path kubeconfig, String context, String clusterId, boolean realControlPlane,
        Transport transport, Profile profile, boolean watchPods) {

    /** What the sandbox plays on the simulated cluster once it is ready. */
    public enum Scenario {
        DEMO, NONE, OKE;

        static Scenario parse(String v) {
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "demo" -> DEMO;
                case "none" -> NONE;
                case "oke" -> OKE;
                default -> throw new IllegalArgumentException("'" + v + "' is not a scenario (demo, oke or none)");
            };
        }
    }

    /** How the collector's events reach the broker's inventory topic. */
    public enum Transport {
        /** The collector produces to the in-process broker (the Kafka sink). */
        KAFKA("kafka"),
        /**
         * The collector puts to a local OCI Streaming stand-in (oci-stub, not OCI) with
         * {@code --sink=oci-streaming}; the oci-bridge forwards the stream into the broker.
         */
        OCI_STREAMING("oci-streaming");

        private final String flagValue;

        Transport(String flagValue) {
            this.flagValue = flagValue;
        }

        /** The value as {@code --transport} spells it. */
        public String flagValue() {
            return flagValue;
        }

        static Transport parse(String v) {
            for (Transport t : values()) {
                if (t.flagValue.equals(v.strip().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("'" + shorten(v) + "' is not one of kafka, oci-streaming");
        }
    }

    /** A flag that stops start-up: its message is one line naming the flag and why. */
    public static final class BadFlag extends io.fencewatch.config.BadFlag {
        private static final long serialVersionUID = 1L;

        public BadFlag(String message) {
            super(message);
        }
    }

    /** One flag as text (validated together in {@link #fromMap}): name, default (null: none), doc. */
    private static Setting<String> flag(String name, String defaultValue, String doc) {
        return new Setting<>(name, defaultValue, s -> s, doc);
    }

    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_KAFKA_PORT = 9092;
    /** Not 6443 (Docker Desktop, kubeadm, k3s), 6550 (k3d), 8443 (minikube) or 16443 (microk8s). */
    public static final int DEFAULT_API_PORT = 18443;
    public static final String DEFAULT_CLUSTER_ID = "sandbox";

    static final List<Setting<String>> FLAGS = List.of(
            flag("http-port", "" + DEFAULT_HTTP_PORT, "dashboard, REST API (/api/v1/...), SSE drift feed and /metrics; 0 = any free port"),
            flag("http-bind", "127.0.0.1", "address the HTTP server listens on (0.0.0.0 to reach it from elsewhere)"),
            flag("kafka-port", "" + DEFAULT_KAFKA_PORT, "the in-process Kafka broker's port (127.0.0.1); 0 = any free port"),
            flag("api-port", "" + DEFAULT_API_PORT, "the simulated Kubernetes API server's port (127.0.0.1); 0 = any free port"),
            flag("data-dir", "data/sandbox", "broker log, processor state, kubeconfig and sandbox.log; reused by the next start"),
            flag("scenario", "demo", "demo: play a short story on the simulated cluster; oke: an OKE fleet (OCI stand-in, two compartments, three clusters) discovered, grown, shrunk and one made unreachable; none: start empty"),
            flag("grace", "0s", "how long a new namespace may lack a NetworkPolicy before it is NON_COMPLIANT"),
            flag("profile", "baseline", "baseline: FW-NP-001 exactly (a NetworkPolicy exists); effective: a policy of any kind "
                    + "(Calico, Cilium, cluster-wide) isolates every pod in a direction; strict: both directions"),
            flag("kubeconfig", null, "watch the real cluster of this kubeconfig instead of the simulated one"),
            flag("context", null, "the kubeconfig context to watch (default: its current context; implies a real cluster)"),
            flag("cluster-id", DEFAULT_CLUSTER_ID, "the cluster's id in the table and the REST paths"),
            flag("control-plane", "simulated", "simulated: the in-memory API server; real: etcd, kube-apiserver and "
                    + "kube-controller-manager, built once by test-support/control-plane/build.sh (needs Go)"),
            flag("transport", "kafka", "kafka: the collector writes to the in-process broker; oci-streaming: it writes to a "
                    + "local OCI Streaming stand-in (signature-checking, not OCI) and the oci-bridge forwards the stream into "
                    + "the broker, the whole OCI path in one JVM"),
            flag("watch-pods", "true", "the collector watches pods and FW-NP-003 judges every workload (are all pods "
                    + "selected by a NetworkPolicy?); false: namespaces and policies only, as the collector's default"));

    public SandboxConfig {
        Objects.requireNonNull(httpBind);
        Objects.requireNonNull(dataDir);
        Objects.requireNonNull(scenario);
        Objects.requireNonNull(grace);
        Objects.requireNonNull(clusterId);
        Objects.requireNonNull(transport);
        Objects.requireNonNull(profile);
    }

    /** True when the sandbox watches its own simulated cluster (no --kubeconfig, no --context). */
    public boolean simulated() {
        return kubeconfig == null && context == null;
    }

    /** From command-line arguments; throws {@link BadFlag}. */
    public static SandboxConfig parse(String[] args) {
        return parse(args, Map.of());
    }

    /** From command-line arguments and {@code FENCEWATCH_*} variables (flags win); throws {@link BadFlag}. */
    public static SandboxConfig parse(String[] args, Map<String, String> env) {
        Flags flags;
        try {
            flags = Flags.read(args, env, FLAGS, List.of());
        } catch (io.fencewatch.config.BadFlag e) {
            throw new BadFlag(e.getMessage());
        }
        return fromMap(flags.given());
    }

    /** From flag names (without {@code --}) to values; unknown names are an error. Throws {@link BadFlag}. */
    public static SandboxConfig fromMap(Map<String, String> given) {
        for (String name : given.keySet()) {
            if (FLAGS.stream().noneMatch(f -> f.flag().equals(name))) {
                throw new BadFlag("--" + shorten(name) + ": unknown flag (see --help)");
            }
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (Setting<String> f : FLAGS) {
            String raw = given.get(f.flag());
            if (raw != null) {
                v.put(f.flag(), raw.strip());
            } else if (f.defaultValue() != null) {
                v.put(f.flag(), f.defaultValue());
            }
        }
        int httpPort = port(v, "http-port");
        String httpBind = v.get("http-bind");
        if (httpBind.isEmpty()) {
            throw new BadFlag("--http-bind: must not be empty");
        }
        int kafkaPort = port(v, "kafka-port");
        int apiPort = port(v, "api-port");
        Path dataDir = path(v, "data-dir");
        Scenario scenario = parse("scenario", v, Scenario::parse);
        Duration grace = parse("grace", v, SandboxConfig::duration);
        Path kubeconfig = v.containsKey("kubeconfig") ? path(v, "kubeconfig") : null;
        if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
            throw new BadFlag("--kubeconfig: '" + shorten(kubeconfig.toString()) + "' is not a readable file");
        }
        String context = v.get("context");
        if (context != null && context.isEmpty()) {
            throw new BadFlag("--context: must not be empty");
        }
        String clusterId = v.get("cluster-id");
        String why = Keys.clusterIdProblem(clusterId);
        if (why != null) {
            throw new BadFlag("--cluster-id: '" + shorten(clusterId) + "' " + why);
        }
        boolean real = kubeconfig != null || context != null;
        if (real && scenario == Scenario.DEMO) {
            if (given.containsKey("scenario")) {
                throw new BadFlag("--scenario: demo plays on the simulated cluster only, never on the real one named by "
                        + (kubeconfig != null ? "--kubeconfig" : "--context"));
            }
            scenario = Scenario.NONE;
        }
        if (scenario == Scenario.OKE && (real || parse("control-plane", v, SandboxConfig::realControlPlane))) {
            throw new BadFlag("--scenario: oke plays its own simulated OKE fleet; it cannot be combined with "
                    + (kubeconfig != null ? "--kubeconfig" : context != null ? "--context" : "--control-plane=real"));
        }
        if (real && given.containsKey("api-port")) {
            throw new BadFlag("--api-port: there is no simulated API server when watching a real cluster");
        }
        if (httpPort != 0 && httpPort == kafkaPort || httpPort != 0 && httpPort == apiPort
                || kafkaPort != 0 && kafkaPort == apiPort && !real) {
            throw new BadFlag("--http-port, --kafka-port and --api-port must differ");
        }
        boolean realControlPlane = parse("control-plane", v, SandboxConfig::realControlPlane);
        if (realControlPlane && real) {
            throw new BadFlag("--control-plane: real starts a control plane of its own; it cannot be combined with "
                    + (kubeconfig != null ? "--kubeconfig" : "--context"));
        }
        Transport transport = parse("transport", v, Transport::parse);
        Profile profile = parse("profile", v, Profile::parse);
        boolean watchPods = parse("watch-pods", v, SandboxConfig::bool);
        return new SandboxConfig(httpPort, httpBind, kafkaPort, apiPort, dataDir, scenario, grace, kubeconfig,
                context, clusterId, realControlPlane, transport, profile, watchPods);
    }

    /**
     * Checks that the ports are free and replaces any port 0 by a free one; throws {@link BadFlag}
     * naming the flag of a port in use.
     */
    public SandboxConfig withPortsChosen() {
        int http = choose("http-port", httpBind, httpPort);
        int kafka = choose("kafka-port", "127.0.0.1", kafkaPort);
        int api = simulated() ? choose("api-port", "127.0.0.1", apiPort) : apiPort;
        return new SandboxConfig(http, httpBind, kafka, api, dataDir, scenario, grace, kubeconfig, context, clusterId,
                realControlPlane, transport, profile, watchPods);
    }

    /** True with {@code --scenario oke}: a simulated OKE fleet instead of the one simulated cluster. */
    public boolean okeFleet() {
        return scenario == Scenario.OKE;
    }

    /** True with {@code --transport oci-streaming}: collector → OCI Streaming stand-in → oci-bridge → Kafka. */
    public boolean ociStreaming() {
        return transport == Transport.OCI_STREAMING;
    }

    /** The usage text of {@code fencewatch sandbox} (the shared layout). */
    public static String usage() {
        return Help.render("sandbox", """
                The whole of Fencewatch in one JVM: a Kafka broker, a simulated Kubernetes API server you drive
                with kubectl, a collector for cluster 'sandbox', the stream processor and the dashboard.
                Ctrl-C stops it; started again with the same --data-dir it comes back with its Kafka log and state.
                """, FLAGS, List.of());
    }

    static boolean portFree(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A free port on 127.0.0.1, below the kernel's ephemeral range where it can tell it: the sandbox
     * picks its ports when it reads its flags and binds them seconds later, after the broker, the
     * API server and their clients have opened connections, and every outbound connection takes its
     * local port from that range. A port the kernel handed out (bind to 0) could be taken meanwhile
     * (seen in CI: the query server could not listen on a port picked so). Else any free port.
     */
    static int freePort() {
        int low = ephemeralLow();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; low > BELOW_EPHEMERAL_FROM + 100 && i < 100; i++) {
            int port = random.nextInt(BELOW_EPHEMERAL_FROM, low);
            if (portFree("127.0.0.1", port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1", e);
        }
    }

    /** Where {@link #freePort} looks first: from here up to the ephemeral range. */
    static final int BELOW_EPHEMERAL_FROM = 20_000;

    /** The first port of Linux's ephemeral range ({@code ip_local_port_range}); 0 where it cannot be read. */
    static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static int choose(String flag, String host, int port) {
        if (port == 0) {
            return freePort();
        }
        if (!portFree(host, port)) {
            throw new BadFlag("--" + flag + ": port " + port + " is in use; pick another (0 = any free port)");
        }
        return port;
    }

    private static int port(Map<String, String> v, String name) {
        String s = v.get(name);
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new BadFlag("--" + name + ": " + p + " is outside 0..65535");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new BadFlag("--" + name + ": '" + shorten(s) + "' is not a port number");
        }
    }

    private static Path path(Map<String, String> v, String name) {
        String s = v.get(name);
        if (s.isEmpty()) {
            throw new BadFlag("--" + name + ": must not be empty");
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new BadFlag("--" + name + ": '" + shorten(s) + "' is not a path");
        }
    }

    private static <T> T parse(String name, Map<String, String> v, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(v.get(name));
        } catch (IllegalArgumentException e) {
            throw new BadFlag("--" + name + ": " + e.getMessage());
        }
    }

    /** {@code true} or {@code false}. */
    static boolean bool(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + shorten(v) + "' is not true or false");
        };
    }

    /** {@code simulated} or {@code real}; real needs the built binaries. */
    static boolean realControlPlane(String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "simulated":
                return false;
            case "real":
                String missing = KubeControlPlane.missingBinaries(KubeControlPlane.binariesDir());
                if (missing != null) {
                    throw new IllegalArgumentException("real needs the binaries: " + missing);
                }
                return true;
            default:
                throw new IllegalArgumentException("'" + shorten(v) + "' is not simulated or real");
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    /** {@code 0s}, {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
    static Duration duration(String s) {
        Matcher m = DURATION.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + shorten(s) + "' is not a duration (use e.g. 0s, 500ms, 30s, 5m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    private static String shorten(String s) {
        String one = s.replaceAll("[\\r\\n\\t]", " ");
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }
}
