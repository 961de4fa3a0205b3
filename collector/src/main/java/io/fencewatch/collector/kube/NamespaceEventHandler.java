package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Instant;

import io.fabric8.kubernetes.api.model.Namespace;

/** Turns namespace informer callbacks into {@link AgentEvent.NamespaceChanged} events; never blocks. */
public final class NamespaceEventHandler extends InformerEventHandler<Namespace> {

    public NamespaceEventHandler(EventSink sink, Clock clock) {
        this(sink, clock, () -> { });
    }

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    public NamespaceEventHandler(EventSink sink, Clock clock, Runnable onRelist) {
        super(sink, clock, onRelist);
    }

    @Override
    AgentEvent event(ChangeType type, Namespace ns, Instant observedAt) {
        return new AgentEvent.NamespaceChanged(type, ns, observedAt);
    }
}
