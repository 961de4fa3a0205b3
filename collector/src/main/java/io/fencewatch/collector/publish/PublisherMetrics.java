package io.fencewatch.collector.publish;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;

/** Counters of one cluster's publisher; updated from the publisher and the producer's I/O thread. */
public final class PublisherMetrics {
    private final Map<String, LongAdder> published = new ConcurrentHashMap<>();
    private final LongAdder publishErrors = new LongAdder();
    private final LongAdder skippedObjects = new LongAdder();
    private final LongAdder truncatedObjects = new LongAdder();
    private final LongAdder epochsOpened = new LongAdder();
    private final LongAdder skippedDuplicates = new LongAdder();
    private final AtomicLong lastAckMillis = new AtomicLong();

    void acked(Kind kind, Op op, long nowMillis) {
        published.computeIfAbsent(label(kind) + "|" + op.name(), k -> new LongAdder()).increment();
        lastAckMillis.accumulateAndGet(nowMillis, Math::max);
    }

    void publishError() {
        publishErrors.increment();
    }

    void skippedObject() {
        skippedObjects.increment();
    }

    void truncatedObject() {
        truncatedObjects.increment();
    }

    /** Objects published as truncated facts: over max.request.size or the bounds on labels and rules. */
    public long truncatedObjects() {
        return truncatedObjects.sum();
    }

    void skippedDuplicate() {
        skippedDuplicates.increment();
    }

    /** Live notifications skipped because the epoch's snapshot had already sent that very version. */
    public long skippedDuplicates() {
        return skippedDuplicates.sum();
    }

    void epochOpened() {
        epochsOpened.increment();
    }

    static String label(Kind kind) {
        return kind == null ? "MARKER" : kind.name();
    }

    /** Acked records by "KIND|OP" (KIND is MARKER for markers and heartbeats), sorted. */
    public Map<String, Long> publishedByKindAndOp() {
        Map<String, Long> out = new TreeMap<>();
        published.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public long published(Kind kind, Op op) {
        LongAdder a = published.get(label(kind) + "|" + op.name());
        return a == null ? 0 : a.sum();
    }

    public long publishErrors() {
        return publishErrors.sum();
    }

    /** Objects that could not be published at all (no name, or a policy without a namespace). */
    public long skippedObjects() {
        return skippedObjects.sum();
    }

    public long epochsOpened() {
        return epochsOpened.sum();
    }

    /** Wall-clock ms of the last acked record, 0 if none yet. */
    public long lastAckMillis() {
        return lastAckMillis.get();
    }
}
