package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Instant;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/** Turns NetworkPolicy informer callbacks into {@link AgentEvent.PolicyChanged} events; never blocks. */
public final class PolicyEventHandler extends InformerEventHandler<NetworkPolicy> {

    public PolicyEventHandler(EventSink sink, Clock clock) {
        this(sink, clock, () -> { });
    }

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    public PolicyEventHandler(EventSink sink, Clock clock, Runnable onRelist) {
        super(sink, clock, onRelist);
    }

    @Override
    AgentEvent event(ChangeType type, NetworkPolicy np, Instant observedAt) {
        return new AgentEvent.PolicyChanged(type, np, observedAt);
    }
}
