package io.fencewatch.processor;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.streams.kstream.internals.Change;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * The coverage topic fed by the coverage store's cache, as the DSL feeds a cached KTable's
 * downstream ({@code TimestampedCacheFlushListener}): when the cache flushes a key (at commit,
 * or when it evicts), its latest bytes, already encoded by the store, go to the coverage sink.
 * So a namespace that changed five times between two commits costs one coverage record, not five,
 * and no second encoding. A key created and deleted inside one interval reaches neither the store
 * nor the topic. Each record keeps the timestamp of its last write (the processor's clock then),
 * as when it was forwarded at once.
 *
 * <p>Uses Kafka Streams internals (the caching layer's flush listener, the current node) exactly
 * as the DSL does; {@link #attach} returns null when the store has no cache (then the processor
 * forwards every write itself).
 */
final class CoverageFold {
    private final InternalProcessorContext<Object, Object> context;
    private final ProcessorNode<?, ?, ?, ?> node;
    /** Keys written since their last flush, with the processor's clock at their last write. */
    private final Map<String, Long> written = new HashMap<>();

    private CoverageFold(InternalProcessorContext<Object, Object> context) {
        this.context = context;
        this.node = context.currentNode();
    }

    @SuppressWarnings("unchecked")
    static CoverageFold attach(ProcessorContext<Object, Object> context, StateStore store) {
        if (!(context instanceof InternalProcessorContext)) {
            return null;
        }
        StateStore s = store;
        // The processor's view (a read-write decorator) -> metered (serdes) -> caching (bytes) -> ...
        while (s instanceof WrappedStateStore<?, ?, ?> w && !(s instanceof org.apache.kafka.streams.state.internals.CachingKeyValueStore)) {
            s = w.wrapped();
        }
        if (!(s instanceof org.apache.kafka.streams.state.internals.CachingKeyValueStore)) {
            return null;
        }
        CoverageFold fold = new CoverageFold((InternalProcessorContext<Object, Object>) context);
        boolean set = ((CachedStateStore<byte[], byte[]>) s).setFlushListener(fold::flushed, false);
        return set ? fold : null;
    }

    void written(String key, long now) {
        written.put(key, now);
    }

    void clear() {
        written.clear();
    }

    private void flushed(Record<byte[], Change<byte[]>> record) {
        String key = new String(record.key(), StandardCharsets.UTF_8);
        Long at = written.remove(key);
        ProcessorNode<?, ?, ?, ?> previous = context.currentNode();
        context.setCurrentNode(node);
        try {
            context.forward(new Record<Object, Object>(key, record.value().newValue, at == null ? record.timestamp() : at),
                    CoverageTopology.COVERAGE_SINK);
        } finally {
            context.setCurrentNode(previous);
        }
    }
}
