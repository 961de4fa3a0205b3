package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Instant;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * Turns the callbacks of one policy kind's generic informer into {@link AgentEvent.FenceChanged}
 * events; never blocks, never translates (the publisher does). Its first list is queued too: a kind
 * found while an epoch is open publishes its objects as UPSERTs, and for a kind found at start the
 * epoch's snapshot (which waits for its informer to sync) drops what was queued before it.
 */
public final class FenceEventHandler extends InformerEventHandler<GenericKubernetesResource> {
    private final PolicyKind kind;

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    public FenceEventHandler(PolicyKind kind, EventSink sink, Clock clock, Runnable onRelist) {
        super(sink, clock, onRelist, false);
        this.kind = kind;
    }

    @Override
    AgentEvent event(ChangeType type, GenericKubernetesResource object, Instant observedAt) {
        return new AgentEvent.FenceChanged(type, kind, object, observedAt);
    }
}
