package io.fencewatch.collector.kube;

import java.time.Clock;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/** Turns namespace informer callbacks into {@link AgentEvent.NamespaceChanged} events; never blocks. */
public final class NamespaceEventHandler implements ResourceEventHandler<Namespace> {
    private final EventSink sink;
    private final Clock clock;
    private final ListTracker lists;

    public NamespaceEventHandler(EventSink sink, Clock clock) {
        this(sink, clock, () -> { });
    }

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    public NamespaceEventHandler(EventSink sink, Clock clock, Runnable onRelist) {
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
    public void onAdd(Namespace ns) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns, clock.instant()));
    }

    @Override
    public void onUpdate(Namespace oldNs, Namespace newNs) {
        if (ObjectRefs.sameVersion(oldNs, newNs)) {
            return; // a resync or relist of an unchanged object: nothing new to say
        }
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.NamespaceChanged(ChangeType.UPSERT, newNs, clock.instant()));
    }

    @Override
    public void onDelete(Namespace ns, boolean deletedFinalStateUnknown) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(new AgentEvent.NamespaceChanged(ChangeType.DELETE, ns, clock.instant()));
    }
}
