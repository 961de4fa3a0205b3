package io.fencewatch.collector.kube;

import java.time.Clock;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/** Turns NetworkPolicy informer callbacks into {@link AgentEvent.PolicyChanged} events; never blocks. */
public final class PolicyEventHandler implements ResourceEventHandler<NetworkPolicy> {
    private final EventSink sink;
    private final Clock clock;
    private final ListTracker lists;

    public PolicyEventHandler(EventSink sink, Clock clock) {
        this(sink, clock, () -> { });
    }

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    public PolicyEventHandler(EventSink sink, Clock clock, Runnable onRelist) {
        this.sink = Objects.requireNonNull(sink);
        this.clock = Objects.requireNonNull(clock);
        this.lists = new ListTracker(Objects.requireNonNull(onRelist));
    }

    @Override
    public void onBeforeList(String resourceVersion) {
        lists.beforeList();
    }

    @Override
    public void onList(String resourceVersion, boolean unused) {
        lists.listDone();
    }

    @Override
    public void onAdd(NetworkPolicy np) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.PolicyChanged(ChangeType.UPSERT, np, clock.instant()));
    }

    @Override
    public void onUpdate(NetworkPolicy oldNp, NetworkPolicy newNp) {
        if (ObjectRefs.sameVersion(oldNp, newNp)) {
            return; // a resync or relist of an unchanged object: nothing new to say
        }
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.PolicyChanged(ChangeType.UPSERT, newNp, clock.instant()));
    }

    @Override
    public void onDelete(NetworkPolicy np, boolean deletedFinalStateUnknown) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.PolicyChanged(ChangeType.DELETE, np, clock.instant()));
    }
}
