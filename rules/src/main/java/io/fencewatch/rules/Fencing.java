package io.fencewatch.rules;

import java.util.List;

import io.fencewatch.schema.coverage.FenceRef;

/**
 * What fences one namespace counting every policy kind: the policies that isolate its pods and
 * the isolation they give together, per direction ({@link Isolation} in the same grades as
 * FW-NP-001's NetworkPolicy-only one).
 */
public record Fencing(List<FenceRef> fencedBy, Isolation effective) {
    public static final Fencing NONE = new Fencing(List.of(), Isolation.NONE);

    public Fencing {
        fencedBy = List.copyOf(fencedBy);
    }
}
