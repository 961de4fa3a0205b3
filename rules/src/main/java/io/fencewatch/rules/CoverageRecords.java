package io.fencewatch.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;

/** A verdict as the coverage record the processor keeps and {@code fencewatch audit} prints. */
public final class CoverageRecords {
    private CoverageRecords() {
    }

    /**
     * @param since when the namespace entered this status
     * @param lastEvent the event that last changed the facts, or null
     * @param enforced whether the cluster enforces NetworkPolicy ({@link Enforcement#enforced()}), null if unknown
     */
    public static NamespaceCoverage of(String cluster, String namespace, String uid, Verdict verdict,
            List<String> policyNames, Profile profile, Instant createdAt, Instant since, Instant updatedAt,
            EventRef lastEvent, Boolean enforced) {
        Isolation iso = verdict.isolation();
        Isolation eff = verdict.fencing().effective();
        WorkloadVerdict w = verdict.workloads();
        // The all-arguments constructor: Avro builders validate and copy every field, on the hot path.
        return new NamespaceCoverage(cluster, namespace, uid, verdict.status(), verdict.reason(), since,
                new ArrayList<>(policyNames), iso.ingress(), iso.egress(), iso.ingressAllowsAll(),
                iso.egressAllowsAll(), verdict.exemption(), false, profile.wireName(), createdAt, updatedAt, lastEvent,
                enforced, new ArrayList<>(verdict.fencing().fencedBy()), eff.ingress(), eff.egress(), eff.ingressAllowsAll(),
                eff.egressAllowsAll(), w == null ? null : w.counts(),
                w == null ? new ArrayList<>() : new ArrayList<>(w.unisolated()), w == null ? 0 : w.unisolatedCount(),
                w == null ? null : w.status(), w == null ? null : w.reason());
    }

    /** The part of a coverage record that drift compares and carries, or null for no record. */
    public static CoverageState stateOf(NamespaceCoverage c) {
        if (c == null) {
            return null;
        }
        List<String> fencedBy = new ArrayList<>(c.getFencedBy().size());
        for (FenceRef f : c.getFencedBy()) {
            fencedBy.add(f.getScope() + ":" + f.getKind() + ":" + f.getName());
        }
        java.util.Collections.sort(fencedBy);
        return new CoverageState(c.getStatus(), c.getIngress(), c.getEgress(), c.getIngressAllowsAll(),
                c.getEgressAllowsAll(), c.getStale(), c.getPolicies().size(), c.getEnforced(), c.getEffectiveIngress(),
                c.getEffectiveEgress(), fencedBy, c.getWorkloadStatus(), c.getUnisolatedWorkloadCount());
    }
}
