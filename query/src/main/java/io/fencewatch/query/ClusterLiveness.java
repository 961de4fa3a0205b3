package io.fencewatch.query;

import java.util.List;

/**
 * What the query surface reads from a store of per-cluster state (the processor's cluster state
 * implements it): when the cluster's collector was last heard from, any record counting,
 * heartbeats included (milliseconds since the epoch, processor clock), and what one task knows
 * of the cluster's state and facts. Every method but {@link #lastSeen()} has a default, so any
 * store value that only knows when it last heard of a cluster still serves (as a watching
 * cluster of provider {@code kubernetes} with no facts).
 */
public interface ClusterLiveness {
    long lastSeen();

    /** The collector has been silent past the processor's {@code --stale-after}. */
    default boolean stale() {
        return false;
    }

    /** The SYNC_END of the current epoch was applied here; false while the epoch's snapshot is in flight. */
    default boolean synced() {
        return true;
    }

    /** Why the collector cannot reach the cluster's API server (its last UNREACHABLE), or null when it can. */
    default String unreachable() {
        return null;
    }

    /** Since when the cluster has been unreachable (ms, collector clock); meaningful when {@link #unreachable()} is not null. */
    default long unreachableSince() {
        return 0L;
    }

    /** {@code oke} or {@code kubernetes}; null when no marker carried the cluster's facts. */
    default String provider() {
        return null;
    }

    default String ocid() {
        return null;
    }

    default String region() {
        return null;
    }

    default String compartmentId() {
        return null;
    }

    /** The compartment's path of names, e.g. {@code /prod/eu}. */
    default String compartment() {
        return null;
    }

    default String kubernetesVersion() {
        return null;
    }

    default String endpointType() {
        return null;
    }

    /**
     * FW-NP-002 NetworkPolicies are enforced: the verdict on the policy engines the cluster's
     * collector found (the processor derives it from the cluster facts with the rules module's
     * {@code Enforcement}); null when this value does not know, read as {@link PolicyEnforcement#NOT_REPORTED}.
     */
    default PolicyEnforcement enforcement() {
        return null;
    }

    /** One NetworkPolicy engine found running: its display name, version (image tag, or null) and workload. */
    record PolicyEngine(String name, String version, String namespace, String workload, Integer desired,
            Integer ready) {
    }

    /**
     * Whether the cluster enforces NetworkPolicy: {@code state} ENFORCED, NOT_ENFORCED or UNKNOWN,
     * the engines found (empty unless ENFORCED) and why, in words.
     */
    record PolicyEnforcement(String state, List<PolicyEngine> engines, String reason) {
        public static final String ENFORCED = "ENFORCED";
        public static final String NOT_ENFORCED = "NOT_ENFORCED";
        public static final String UNKNOWN = "UNKNOWN";
        /** A cluster none of whose store values knows its enforcement. */
        public static final PolicyEnforcement NOT_REPORTED = new PolicyEnforcement(UNKNOWN, List.of(),
                "no NetworkPolicy engine facts reported for this cluster");

        public PolicyEnforcement {
            state = ENFORCED.equals(state) || NOT_ENFORCED.equals(state) ? state : UNKNOWN;
            engines = engines == null ? List.of() : List.copyOf(engines);
        }

        /** true, false, or null when unknown. */
        public Boolean enforced() {
            return ENFORCED.equals(state) ? Boolean.TRUE : NOT_ENFORCED.equals(state) ? Boolean.FALSE : null;
        }
    }

    /** A cluster retired with CLUSTER_REMOVED: kept only so that late events stay out; not listed. */
    default boolean removed() {
        return false;
    }
}
