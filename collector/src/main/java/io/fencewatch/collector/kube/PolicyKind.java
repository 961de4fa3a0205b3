package io.fencewatch.collector.kube;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fencewatch.rules.Fence;
import io.fencewatch.schema.common.Kind;

/**
 * The policy kinds beyond {@code networking.k8s.io/v1} NetworkPolicy that the collector can watch:
 * where each is served (group, version, plural), its scope and its {@code --policy-kinds} name (the
 * contract's {@link Kind} symbol in lower-kebab).
 *
 * <p>Calico's two kinds are served in one of two places ({@link #servedAs()}, in order of
 * preference): {@code projectcalico.org/v3} when the Calico API server runs, else only the CRDs it
 * stores them in, {@code crd.projectcalico.org/v1} (a cluster without the Calico API server: Calico
 * from manifests on a Kubernetes datastore, objects written by calicoctl). The kind, its flag name and
 * its contract {@link Kind} are the same either way: the collector and the audit read one of the two,
 * never both (the API server reads and writes those very CRDs), so a policy never counts twice.
 */
public enum PolicyKind {
    CALICO_NETWORK_POLICY(Kind.CALICO_NETWORK_POLICY, "projectcalico.org", "v3", "networkpolicies",
            "crd.projectcalico.org", "v1"),
    CALICO_GLOBAL_NETWORK_POLICY(Kind.CALICO_GLOBAL_NETWORK_POLICY, "projectcalico.org", "v3", "globalnetworkpolicies",
            "crd.projectcalico.org", "v1"),
    CILIUM_NETWORK_POLICY(Kind.CILIUM_NETWORK_POLICY, "cilium.io", "v2", "ciliumnetworkpolicies"),
    CILIUM_CLUSTERWIDE_NETWORK_POLICY(Kind.CILIUM_CLUSTERWIDE_NETWORK_POLICY, "cilium.io", "v2",
            "ciliumclusterwidenetworkpolicies"),
    ADMIN_NETWORK_POLICY(Kind.ADMIN_NETWORK_POLICY, "policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies"),
    BASELINE_ADMIN_NETWORK_POLICY(Kind.BASELINE_ADMIN_NETWORK_POLICY, "policy.networking.k8s.io", "v1alpha1",
            "baselineadminnetworkpolicies"),
    CLUSTER_NETWORK_POLICY(Kind.CLUSTER_NETWORK_POLICY, "policy.networking.k8s.io", "v1alpha2", "clusternetworkpolicies");

    /** The group of the CRDs Calico keeps its v3 resources in (on a Kubernetes datastore). */
    public static final String CALICO_CRD_GROUP = "crd.projectcalico.org";

    /**
     * One place a kind is served: a group, version and plural (the kind's own API, or the CRDs behind
     * it). Its objects are the kind's: same contract {@link Kind}, scope and translation.
     */
    public record Served(PolicyKind kind, String group, String version, String plural) {
        /** {@code group/version}, as discovery and apiVersion write it. */
        public String apiVersion() {
            return group + "/" + version;
        }

        /** {@code plural.group}: the resource's name in logs, metrics and RBAC (and its CRD's name). */
        public String resource() {
            return plural + "." + group;
        }

        /** True for the CRDs behind the kind's own API (read only when that API is not served). */
        public boolean storage() {
            return this != kind.servedAs().get(0);
        }

        /** What a generic client needs to reach the resource. */
        public ResourceDefinitionContext context() {
            return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withPlural(plural)
                    .withKind(kind.kubernetesKind()).withNamespaced(!kind.clusterScoped()).build();
        }
    }

    private final Kind kind;
    private final String group;
    private final String version;
    private final String plural;
    private final List<Served> servedAs;

    PolicyKind(Kind kind, String group, String version, String plural) {
        this(kind, group, version, plural, null, null);
    }

    PolicyKind(Kind kind, String group, String version, String plural, String storageGroup, String storageVersion) {
        this.kind = kind;
        this.group = group;
        this.version = version;
        this.plural = plural;
        this.servedAs = storageGroup == null ? List.of(new Served(this, group, version, plural))
                : List.of(new Served(this, group, version, plural), new Served(this, storageGroup, storageVersion, plural));
    }

    /**
     * Where the kind may be served, in order of preference: its own API first, then (Calico) the CRDs
     * behind it. At most one is read at a time: the first served.
     */
    public List<Served> servedAs() {
        return servedAs;
    }

    /** The kind's own API ({@code servedAs().get(0)}). */
    public Served api() {
        return servedAs.get(0);
    }

    public Kind kind() {
        return kind;
    }

    public String group() {
        return group;
    }

    public String version() {
        return version;
    }

    /** {@code group/version}, as discovery and apiVersion write it. */
    public String apiVersion() {
        return group + "/" + version;
    }

    public String plural() {
        return plural;
    }

    /** {@code plural.group}: the resource's name in logs, metrics and RBAC (and its CRD's name). */
    public String resource() {
        return plural + "." + group;
    }

    public boolean clusterScoped() {
        return Fence.isClusterScoped(kind);
    }

    /** The kind as Kubernetes writes it (Calico's namespaced one is a NetworkPolicy of projectcalico.org/v3). */
    public String kubernetesKind() {
        return Fence.kubernetesKind(kind);
    }

    /** The name {@code --policy-kinds} takes: the Kind symbol in lower-kebab, e.g. calico-global-network-policy. */
    public String flagName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind of a {@code --policy-kinds} name, or null. */
    public static PolicyKind ofFlagName(String name) {
        for (PolicyKind k : values()) {
            if (k.flagName().equals(name)) {
                return k;
            }
        }
        return null;
    }

    public static PolicyKind of(Kind kind) {
        for (PolicyKind k : values()) {
            if (k.kind == kind) {
                return k;
            }
        }
        return null;
    }

    /** What a generic client needs to reach the resource. */
    public ResourceDefinitionContext context() {
        return api().context();
    }

    /**
     * The kinds a {@code --policy-kinds} value names: {@code auto} (all), {@code none}, or a comma list of
     * {@link #flagName()}s; throws saying why for a bad one (the message follows the flag's name).
     */
    public static Set<PolicyKind> parseSet(String v) {
        Set<PolicyKind> kinds = java.util.EnumSet.noneOf(PolicyKind.class);
        String s = v.strip();
        if (s.equals("auto")) {
            return java.util.EnumSet.allOf(PolicyKind.class);
        }
        if (s.equals("none")) {
            return kinds;
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("is empty (write auto, none or a comma list of kinds)");
        }
        for (String part : s.split(",", -1)) {
            String name = part.strip();
            if (name.equals("auto") || name.equals("none")) {
                throw new IllegalArgumentException("names " + name + " with other kinds (" + name + " stands alone)");
            }
            PolicyKind k = PolicyKind.ofFlagName(name);
            if (k == null) {
                String shown = name.replaceAll("[\\r\\n\\t]", " ");
                throw new IllegalArgumentException("holds '" + (shown.length() <= 80 ? shown : shown.substring(0, 77) + "...")
                        + "', which is not a policy kind (auto, none, or a comma list of " + String.join(", ",
                                java.util.Arrays.stream(values()).map(PolicyKind::flagName).toList()) + ")");
            }
            kinds.add(k);
        }
        return kinds;
    }
}
