package io.fencewatch.rules;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.Exemption;

/**
 * The derived verdict of one namespace at one instant.
 *
 * @param isolation FW-NP-001's view: what networking.k8s.io NetworkPolicies alone give
 * @param fencing every kind counted: which policies fence the namespace, and how far
 * @param nextDeadline when the verdict may change by time alone (grace end, exemption expiry), or
 *                     {@link Long#MAX_VALUE} when it cannot
 * @param workloads FW-NP-003's verdict on the namespace's pods, or null when they are not known
 */
public record Verdict(Status status, String reason, Isolation isolation, Exemption exemption, long nextDeadline,
        Fencing fencing, WorkloadVerdict workloads) {
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    public Verdict(Status status, String reason, Isolation isolation, Exemption exemption, long nextDeadline,
            Fencing fencing) {
        this(status, reason, isolation, exemption, nextDeadline, fencing, null);
    }

    public Verdict withWorkloads(WorkloadVerdict value) {
        return new Verdict(status, reason, isolation, exemption, nextDeadline, fencing, value);
    }

    public Verdict(Status status, String reason, Isolation isolation, Exemption exemption, long nextDeadline) {
        this(status, reason, isolation, exemption, nextDeadline, Fencing.NONE);
    }
}
