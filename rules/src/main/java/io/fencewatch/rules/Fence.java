package io.fencewatch.rules;

import java.util.Objects;

import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.inventory.FenceFacts;

/**
 * One policy of a kind beyond {@code networking.k8s.io/v1} NetworkPolicy (Calico, Cilium, the
 * admin network policies), as its collector reported it.
 *
 * @param namespace the policy's namespace, or null for a cluster-scoped kind
 */
public record Fence(Kind kind, String namespace, String name, FenceFacts facts) {
    public Fence {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(facts, "facts");
        if (isClusterScoped(kind) != (namespace == null)) {
            throw new IllegalArgumentException(kind + " " + name + ": a " + (isClusterScoped(kind) ? "cluster" : "namespace")
                    + "-scoped kind " + (namespace == null ? "needs a namespace" : "has no namespace"));
        }
    }

    /** Whether objects of this kind are cluster-scoped (keyed {@code <cluster>/*}, sent to every partition). */
    public static boolean isClusterScoped(Kind kind) {
        return switch (kind) {
            case CALICO_GLOBAL_NETWORK_POLICY, CILIUM_CLUSTERWIDE_NETWORK_POLICY, ADMIN_NETWORK_POLICY,
                    BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY -> true;
            default -> false;
        };
    }

    /** Whether the kind is one of the policy kinds beyond NetworkPolicy, whose facts are {@link FenceFacts}. */
    public static boolean isFenceKind(Kind kind) {
        return switch (kind) {
            case CALICO_NETWORK_POLICY, CILIUM_NETWORK_POLICY -> true;
            default -> isClusterScoped(kind);
        };
    }

    /** The kind's name as Kubernetes writes it (Calico's namespaced policy is a NetworkPolicy of projectcalico.org/v3). */
    public static String kubernetesKind(Kind kind) {
        return switch (kind) {
            case NETWORK_POLICY, CALICO_NETWORK_POLICY -> "NetworkPolicy";
            case CALICO_GLOBAL_NETWORK_POLICY -> "GlobalNetworkPolicy";
            case CILIUM_NETWORK_POLICY -> "CiliumNetworkPolicy";
            case CILIUM_CLUSTERWIDE_NETWORK_POLICY -> "CiliumClusterwideNetworkPolicy";
            case ADMIN_NETWORK_POLICY -> "AdminNetworkPolicy";
            case BASELINE_ADMIN_NETWORK_POLICY -> "BaselineAdminNetworkPolicy";
            case CLUSTER_NETWORK_POLICY -> "ClusterNetworkPolicy";
            case NAMESPACE -> "Namespace";
            case WORKLOAD -> "Workload";
            case UNKNOWN -> "Unknown";
        };
    }

    public boolean clusterScoped() {
        return namespace == null;
    }
}
