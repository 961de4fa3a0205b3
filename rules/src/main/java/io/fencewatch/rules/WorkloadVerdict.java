package io.fencewatch.rules;

import java.util.List;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.PodCounts;
import io.fencewatch.schema.coverage.WorkloadRef;

/**
 * FW-NP-003's verdict on one namespace ({@link Workloads}).
 *
 * @param status COMPLIANT, NON_COMPLIANT, or the namespace's EXEMPT, TERMINATING or PENDING
 * @param counts the pods, and how many are isolated per direction as the profile counts
 * @param unisolated the shapes not isolated as the profile asks, most pods first, at most {@link Workloads#MAX_LISTED}
 * @param unisolatedCount how many there are in all
 */
public record WorkloadVerdict(Status status, String reason, PodCounts counts, List<WorkloadRef> unisolated,
        int unisolatedCount) {
    public WorkloadVerdict {
        unisolated = List.copyOf(unisolated);
    }

    public WorkloadVerdict withStatus(Status value, String why) {
        return new WorkloadVerdict(value, why, counts, unisolated, unisolatedCount);
    }
}
