package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/**
 * Turns informer callbacks into immutable {@link AgentEvent}s on the sink; never blocks. The
 * notifications of an informer's first list are not queued (the epoch snapshot comes from the
 * cache), and an update that does not change the resourceVersion (a resync) says nothing new.
 */
abstract class InformerEventHandler<T extends HasMetadata> implements ResourceEventHandler<T> {
    private final EventSink sink;
    private final Clock clock;
    private final ListTracker lists;

    /** @param onRelist called after a relist (watch lost, 410 Gone) has been handed over in full */
    InformerEventHandler(EventSink sink, Clock clock, Runnable onRelist) {
        this(sink, clock, onRelist, true);
    }

    /**
     * @param suppressFirstList false: the first list's notifications are queued too (an informer started
     *        while an epoch is open: its list goes out as UPSERTs; one started before is covered by the
     *        epoch's snapshot, which drops what was queued before it)
     */
    InformerEventHandler(EventSink sink, Clock clock, Runnable onRelist, boolean suppressFirstList) {
        this.sink = Objects.requireNonNull(sink);
        this.clock = Objects.requireNonNull(clock);
        this.lists = new ListTracker(Objects.requireNonNull(onRelist), suppressFirstList);
    }

    /** The event for one change of one object. */
    abstract AgentEvent event(ChangeType type, T object, Instant observedAt);

    @Override
    public final void onBeforeList(String resourceVersion) {
        lists.beforeList();
    }

    @Override
    public final void onList(String resourceVersion, boolean unused) {
        lists.listDone();
    }

    @Override
    public final void onAdd(T object) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(event(ChangeType.UPSERT, object, clock.instant()));
    }

    @Override
    public final void onUpdate(T before, T after) {
        if (ObjectRefs.sameVersion(before, after)) {
            return; // a resync or relist of an unchanged object: nothing new to say
        }
        if (lists.suppress()) {
            return;
        }
        sink.accept(event(ChangeType.UPSERT, after, clock.instant()));
    }

    @Override
    public final void onDelete(T object, boolean deletedFinalStateUnknown) {
        if (lists.suppress()) {
            return;
        }
        sink.accept(event(ChangeType.DELETE, object, clock.instant()));
    }
}
