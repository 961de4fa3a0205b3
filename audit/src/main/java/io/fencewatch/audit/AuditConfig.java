package io.fencewatch.audit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Parsers;
import io.fencewatch.config.Setting;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Rules;
import io.fencewatch.schema.Keys;

/**
 * The flags {@code fencewatch audit} and {@code fencewatch remediate} share: which clusters (as the
 * collector takes them: {@code --kubeconfig}, {@code --contexts}, else in-cluster or the current
 * context) and the rule's flags, with the processor's names, defaults and meaning; and the audit's
 * own ({@link #POLICY_ENGINE_NAMESPACES}, {@link #PODS}), which remediate does not declare.
 */
public final class AuditConfig {
    public static final Setting<Path> KUBECONFIG = new Setting<>("kubeconfig", null, AuditConfig::readableFile,
            "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)");
    public static final Setting<List<String>> CONTEXTS = new Setting<>("contexts", "", Parsers::list,
            "comma-separated kubeconfig contexts, one cluster each: 'context' or 'clusterId=context'"
                    + " (empty: the in-cluster service account or the current context)");
    public static final Setting<String> CLUSTER_ID = new Setting<>("cluster-id", null, AuditConfig::clusterId,
            "cluster id of the single cluster when --contexts is empty (default: the context's name, or 'in-cluster')");
    public static final Setting<Integer> PAGE_SIZE = new Setting<>("page-size", "500", v -> intIn(v, 1, 10_000),
            "page size of every list (namespaces, policies, DaemonSets, pods)");
    public static final Setting<Duration> REQUEST_TIMEOUT = new Setting<>("request-timeout", "30s", Parsers::duration,
            "timeout of each request to an API server");
    /** FW-NP-002: where to look for NetworkPolicy engines; the collector's flag of the same name and default. */
    public static final Setting<List<String>> POLICY_ENGINE_NAMESPACES = new Setting<>("policy-engine-namespaces",
            String.join(",", PolicyEngines.defaultNamespaces()), v -> List.copyOf(nameSet(v)),
            "comma-separated namespaces whose DaemonSets are matched against the NetworkPolicy engines Fencewatch"
                    + " knows (FW-NP-002; default: where those engines install themselves); empty: do not look"
                    + " (enforcement UNKNOWN)");
    /** FW-NP-003: whether to list every pod (one paged list of all namespaces) and judge the workload shapes. */
    public static final Setting<Boolean> PODS = Setting.toggle("pods", "false",
            "FW-NP-003: also list every pod (one paged list of all namespaces, a read of each pod) and judge whether"
                    + " a NetworkPolicy selects every workload (the WORKLOADS column, the rows' pods and"
                    + " workloadStatus, FW-NP-003 findings)");

    // The rule's flags: the processor's names, defaults and parsers (pinned against ProcessorConfig in tests).
    public static final Setting<Profile> PROFILE = new Setting<>("profile", "baseline", Profile::parse,
            "baseline (FW-NP-001: at least one NetworkPolicy), effective (a policy of any kind isolates every pod in a"
                    + " direction) or strict (default-deny both ways, every kind counted)");
    public static final Setting<Set<String>> SYSTEM_NAMESPACES = new Setting<>("system-namespaces",
            "kube-system,kube-public,kube-node-lease,default", AuditConfig::nameSet,
            "comma-separated system namespaces, always exempt");
    public static final Setting<Set<String>> EXEMPT_NAMESPACES = new Setting<>("exempt-namespaces", "",
            AuditConfig::nameSet, "comma-separated more namespaces to exempt");
    public static final Setting<List<String>> EXEMPT_PATTERNS = new Setting<>("exempt-patterns", "",
            AuditConfig::patterns, "comma-separated glob patterns (* and ?) of namespaces to exempt");
    public static final Setting<Duration> GRACE_PERIOD = new Setting<>("grace-period", "30s", Parsers::duration,
            "how long a new namespace may lack a policy before it is alerted");

    /** The collector's flag of the same name, values and default: which policy kinds beyond NetworkPolicy to read. */
    public static final Setting<Set<PolicyKind>> POLICY_KINDS = new Setting<>("policy-kinds", "auto", PolicyKind::parseSet,
            "policy kinds beyond NetworkPolicy to read where the cluster serves them (Calico, Cilium, admin network"
                    + " policies; they decide the effective and strict profiles and fencedBy): auto (all), none, or a"
                    + " comma list of " + String.join(", ", java.util.Arrays.stream(PolicyKind.values())
                            .map(PolicyKind::flagName).toList()));

    public static final List<Setting<?>> TARGET_SETTINGS = List.of(KUBECONFIG, CONTEXTS, CLUSTER_ID, PAGE_SIZE,
            REQUEST_TIMEOUT, POLICY_KINDS);
    public static final List<Setting<?>> RULE_SETTINGS = List.of(PROFILE, SYSTEM_NAMESPACES, EXEMPT_NAMESPACES,
            EXEMPT_PATTERNS, GRACE_PERIOD);

    /** One cluster to read: its id in the output and the kubeconfig context (null: default). */
    public record Target(String clusterId, String context) {
    }

    private final Map<String, Object> values;

    private AuditConfig(Map<String, Object> values) {
        this.values = values;
    }

    /** From flag names (without dashes) to text, for these settings; unknown names are the caller's concern. */
    public static AuditConfig of(Map<String, String> given, List<Setting<?>> settings) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            String text = given.getOrDefault(s.flag(), s.defaultValue());
            values.put(s.flag(), text == null ? null : s.parse(text.strip()));
        }
        AuditConfig c = new AuditConfig(values);
        try {
            c.rules();
        } catch (IllegalArgumentException e) {
            throw new BadFlag(EXEMPT_PATTERNS.option(), e.getMessage());
        }
        c.targets();
        return c;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> s) {
        return (T) values.get(s.flag());
    }

    public Rules rules() {
        return Rules.defaults().withProfile(get(PROFILE)).withSystemNamespaces(get(SYSTEM_NAMESPACES))
                .withExemptNames(get(EXEMPT_NAMESPACES)).withExemptPatterns(get(EXEMPT_PATTERNS))
                .withGracePeriod(get(GRACE_PERIOD));
    }

    /** The clusters, in the order given; cluster ids unique. */
    public List<Target> targets() {
        List<Target> out = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (String entry : get(CONTEXTS)) {
            int eq = entry.indexOf('=');
            String id = eq < 0 ? entry : entry.substring(0, eq).strip();
            String context = eq < 0 ? entry : entry.substring(eq + 1).strip();
            if (context.isEmpty()) {
                throw new BadFlag(CONTEXTS.option(), BadFlag.quote(entry) + " names no context");
            }
            String why = Keys.clusterIdProblem(id);
            if (why != null) {
                throw new BadFlag(CONTEXTS.option(), BadFlag.quote(entry) + ": " + why + " (write clusterId=context)");
            }
            if (!ids.add(id)) {
                throw new BadFlag(CONTEXTS.option(), "cluster id " + BadFlag.quote(id) + " appears twice");
            }
            out.add(new Target(id, context));
        }
        if (out.isEmpty()) {
            out.add(new Target(get(CLUSTER_ID), null));
        }
        return out;
    }

    static Path readableFile(String v) {
        Path p = Path.of(v);
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            throw new IllegalArgumentException(BadFlag.quote(v) + " is not a readable file");
        }
        return p;
    }

    static String clusterId(String v) {
        String why = Keys.clusterIdProblem(v);
        if (why != null) {
            throw new IllegalArgumentException(BadFlag.quote(v) + " " + why);
        }
        return v;
    }

    static int intIn(String v, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(BadFlag.quote(v) + " is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(n + " is outside " + min + ".." + max);
        }
        return n;
    }

    static Set<String> nameSet(String s) {
        Set<String> out = new LinkedHashSet<>();
        for (String name : Parsers.list(s)) {
            if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
                throw new IllegalArgumentException("'" + name + "' is not a namespace name");
            }
            out.add(name);
        }
        return out;
    }

    static List<String> patterns(String s) {
        List<String> out = new ArrayList<>();
        for (String glob : Parsers.list(s)) {
            if (!glob.matches("[-a-z0-9*?]+")) {
                throw new IllegalArgumentException("'" + glob + "' is not a glob of namespace names (a-z, 0-9, -, *, ?)");
            }
            out.add(glob);
        }
        return out;
    }
}
