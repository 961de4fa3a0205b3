package io.fencewatch.processor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dead letters that could not be written, shared by the {@link DeadLetterProductionHandler} (which
 * records them) and the processor (which asks before it writes one). Under exactly-once a failed
 * write still fails its transaction, and the batch comes back: the second time the processor writes
 * the dead letter without payload or original headers, the third time it skips it (logged and
 * counted), so no record can stop the task. Keyed by the source record's topic, partition and
 * offset; bounded (the oldest are forgotten). One per application instance, thread-safe.
 */
public final class DeadLetterFailures {
    /** Streams property under which {@link ProcessorApp} hands the instance to the handler. */
    public static final String CONFIG = "fencewatch.dlq.failures";
    private static final int MAX_ENTRIES = 10_000;

    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final Map<String, Integer> attempts = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                    return size() > MAX_ENTRIES;
                }
            });

    static String where(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    /** A write of the dead letter of this source record failed. */
    void failed(String topic, int partition, long offset) {
        failures.incrementAndGet();
        attempts.merge(where(topic, partition, offset), 1, Integer::sum);
    }

    /** How many writes of this source record's dead letter failed before. */
    int failedBefore(String topic, int partition, long offset) {
        Integer n = attempts.get(where(topic, partition, offset));
        return n == null ? 0 : n;
    }

    void skipped() {
        skipped.incrementAndGet();
    }

    /** {@code fencewatch_dlq_write_failures_total}: dead letters the producer refused. */
    public long failures() {
        return failures.get();
    }

    /** Dead letters not written at all, after two failed writes. */
    public long skippedCount() {
        return skipped.get();
    }
}
