package io.fencewatch.processor;

import java.util.Objects;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftReason;

/** Names the cause of a change of state. */
final class DriftReasons {

    /** What made the processor look at a namespace again. */
    enum Trigger {
        /** An inventory event about the namespace or one of its policies. */
        EVENT,
        /** A wall-clock deadline: grace end or exemption expiry. */
        TIME,
        /** SYNC_END dropped facts of an older epoch. */
        SWEEP,
        /** The cluster's collector went silent. */
        STALE,
        /** The cluster's collector spoke again, or reaches its API server again. */
        RECOVERY,
        /** The cluster's collector reports it cannot reach the API server (UNREACHABLE). */
        UNREACHABLE,
        /** The cluster left its provider and its collector retired it (CLUSTER_REMOVED). */
        REMOVED,
        /** A marker changed the cluster's FW-NP-002 verdict: a NetworkPolicy engine appeared, went, or is unknown. */
        ENFORCEMENT,
        /** A cluster-scoped policy (GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy, admin policies) appeared. */
        CLUSTER_POLICY_ADDED,
        /** A cluster-scoped policy changed. */
        CLUSTER_POLICY_CHANGED,
        /** A cluster-scoped policy went (deleted, or gone at a resync). */
        CLUSTER_POLICY_REMOVED,
        /** The namespace's labels changed, which may change which cluster-scoped policies select it. */
        RELABEL,
        /** A marker changed whether the cluster's collector watches pods: FW-NP-003 is now known, or no longer. */
        PODS_WATCHED
    }

    private DriftReasons() {
    }

    /**
     * True when the compared parts of two states differ: status, grades, allow-all flags,
     * staleness, whether the cluster enforces NetworkPolicy (FW-NP-002), and FW-NP-003's
     * workloadStatus (null when pods are not known). The count of unisolated workloads is carried,
     * not compared: a count that moves while the status stays is no drift.
     */
    static boolean changed(CoverageState before, CoverageState after) {
        if (before == null || after == null) {
            return before != after;
        }
        return coverageChanged(before, after) || !Objects.equals(before.getEnforced(), after.getEnforced())
                || before.getWorkloadStatus() != after.getWorkloadStatus();
    }

    /**
     * The reason of a change of FW-NP-003's workloadStatus alone: WORKLOAD_UNISOLATED to NON_COMPLIANT
     * or PENDING; PODS_WATCH_STOPPED when pods are no longer known (to null; an open finding closes with
     * "pods are no longer watched"); PODS_WATCH_STARTED when they became known (from null) with any
     * other status; else WORKLOAD_ISOLATED (to COMPLIANT) or WORKLOAD_ISOLATED's opposite cases
     * (EXEMPT, TERMINATING follow the namespace, whose own reason wins).
     */
    static DriftReason workload(Status before, Status after) {
        if (after == Status.NON_COMPLIANT || after == Status.PENDING) {
            return DriftReason.WORKLOAD_UNISOLATED;
        }
        if (after == null) {
            return DriftReason.PODS_WATCH_STOPPED;
        }
        if (before == null) {
            return DriftReason.PODS_WATCH_STARTED;
        }
        return after == Status.COMPLIANT ? DriftReason.WORKLOAD_ISOLATED : DriftReason.UNKNOWN;
    }

    /**
     * The coverage parts: status, FW-NP-001's grades and allow-all flags, the grades counting every
     * policy kind, staleness. Which policies fence the namespace ({@code fencedBy}) is carried, not
     * compared: one more policy where the grades stay as they were is no drift (the coverage record
     * still shows it).
     */
    private static boolean coverageChanged(CoverageState before, CoverageState after) {
        return before.getStatus() != after.getStatus()
                || before.getEffectiveIngress() != after.getEffectiveIngress()
                || before.getEffectiveEgress() != after.getEffectiveEgress()
                || before.getIngress() != after.getIngress()
                || before.getEgress() != after.getEgress()
                || before.getIngressAllowsAll() != after.getIngressAllowsAll()
                || before.getEgressAllowsAll() != after.getEgressAllowsAll()
                || before.getStale() != after.getStale();
    }

    /** The reason of a change of {@code enforced} alone: to true, to false, or to unknown. */
    static DriftReason enforcement(Boolean enforced) {
        return enforced == null ? DriftReason.ENFORCEMENT_UNKNOWN
                : enforced ? DriftReason.POLICY_ENGINE_ADDED : DriftReason.POLICY_ENGINE_REMOVED;
    }

    static DriftReason of(CoverageState before, CoverageState after, Trigger trigger, String afterReason) {
        if (after == null) {
            return switch (trigger) {
                case SWEEP -> DriftReason.REMOVED_BY_RESYNC;
                case REMOVED -> DriftReason.CLUSTER_REMOVED;
                default -> DriftReason.NAMESPACE_DELETED;
            };
        }
        if (before == null) {
            return switch (after.getStatus()) {
                case EXEMPT -> DriftReason.NAMESPACE_CREATED_EXEMPT;
                case COMPLIANT -> DriftReason.NAMESPACE_CREATED_WITH_POLICY;
                case TERMINATING -> DriftReason.NAMESPACE_TERMINATING;
                default -> DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY;
            };
        }
        boolean enforcementChanged = !Objects.equals(before.getEnforced(), after.getEnforced());
        if (!coverageChanged(before, after) && !enforcementChanged
                && before.getWorkloadStatus() != after.getWorkloadStatus()) {
            // Only FW-NP-003 changed (a shape came, went or was relabeled, a policy selects it now, pods now watched).
            return workload(before.getWorkloadStatus(), after.getWorkloadStatus());
        }
        if (trigger == Trigger.ENFORCEMENT
                || (!coverageChanged(before, after) && !Objects.equals(before.getEnforced(), after.getEnforced()))) {
            // Only the cluster's enforcement changed (a change of policy, status or staleness names its own cause).
            return enforcement(after.getEnforced());
        }
        if (!before.getStale() && after.getStale()) {
            return trigger == Trigger.UNREACHABLE ? DriftReason.CLUSTER_UNREACHABLE : DriftReason.CLUSTER_STALE;
        }
        if (before.getStale() && !after.getStale()) {
            return DriftReason.CLUSTER_RECOVERED;
        }
        Status was = before.getStatus();
        Status is = after.getStatus();
        if (is == Status.TERMINATING && was != Status.TERMINATING) {
            return DriftReason.NAMESPACE_TERMINATING;
        }
        if (was == Status.PENDING && is == Status.NON_COMPLIANT) {
            return DriftReason.GRACE_PERIOD_EXPIRED;
        }
        if (is == Status.EXEMPT && was != Status.EXEMPT) {
            return DriftReason.EXEMPTED;
        }
        if (was == Status.EXEMPT && is != Status.EXEMPT) {
            boolean expired = trigger == Trigger.TIME || (afterReason != null && afterReason.contains("exemption expired"));
            return expired ? DriftReason.EXEMPTION_EXPIRED : DriftReason.EXEMPTION_REMOVED;
        }
        switch (trigger) {
            case CLUSTER_POLICY_ADDED -> {
                return DriftReason.CLUSTER_POLICY_ADDED;
            }
            case CLUSTER_POLICY_CHANGED -> {
                return DriftReason.CLUSTER_POLICY_CHANGED;
            }
            case CLUSTER_POLICY_REMOVED -> {
                return DriftReason.CLUSTER_POLICY_REMOVED;
            }
            case RELABEL -> {
                return DriftReason.NAMESPACE_RELABELED;
            }
            default -> {
                // a change of the namespace's own policies
            }
        }
        if (after.getPolicyCount() == 0 && before.getPolicyCount() > 0) {
            return DriftReason.LAST_POLICY_DELETED;
        }
        if (after.getPolicyCount() > before.getPolicyCount()) {
            return DriftReason.POLICY_ADDED;
        }
        if (after.getPolicyCount() < before.getPolicyCount()) {
            return DriftReason.POLICY_DELETED;
        }
        // Policies of other kinds (Calico, Cilium) are counted through the ones that fence the namespace.
        if (after.getFencedBy().size() > before.getFencedBy().size()) {
            return DriftReason.POLICY_ADDED;
        }
        if (after.getFencedBy().size() < before.getFencedBy().size()) {
            return DriftReason.POLICY_DELETED;
        }
        return DriftReason.POLICY_CHANGED;
    }
}
