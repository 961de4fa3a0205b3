package io.fencewatch.processor;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.common.config.TopicConfig;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.rules.Rules;

/**
 * The stream processor's topology, as a pure function of its topics, rules and options (no I/O).
 *
 * <pre>
 * inventory-source (bytes) ─> coverage-processor ─┬─> coverage-sink  (&lt;prefix&gt;.coverage)
 *   stores: namespace facts, cluster state,       ├─> drift-sink     (&lt;prefix&gt;.drift)
 *           coverage, drift history               ├─> findings-sink  (&lt;prefix&gt;.findings)
 *                                                 └─> dlq-sink       (&lt;prefix&gt;.dlq)
 * </pre>
 *
 * Store names are stable (their changelogs are named after them) and queryable with interactive
 * queries: {@link #COVERAGE_STORE} as {@code KeyValueStore<String, NamespaceCoverage>} keyed
 * {@code <cluster>/<namespace>}, {@link #CLUSTER_STORE} as {@code KeyValueStore<String, ClusterState>}
 * keyed by cluster (one entry per task), {@link #DRIFT_HISTORY_STORE} as
 * {@code WindowStore<String, DriftEvent>} keyed {@code <cluster>/<namespace>} at detection time
 * (in memory, not logged: recent drift since this instance got the task; the drift topic is the
 * durable record).
 */
public final class CoverageTopology {
    public static final String SOURCE = "inventory-source";
    public static final String PROCESSOR = "coverage-processor";
    public static final String COVERAGE_SINK = "coverage-sink";
    public static final String DRIFT_SINK = "drift-sink";
    public static final String FINDINGS_SINK = "findings-sink";
    public static final String DLQ_SINK = "dlq-sink";

    /** Per {@code <cluster>/<namespace>}: the namespace's and its policies' latest events. */
    public static final String FACTS_STORE = "fencewatch-namespace-facts";
    /** Per cluster (per task): epoch, last sequence, last seen, stale. */
    public static final String CLUSTER_STORE = "fencewatch-cluster-state";
    /** Per {@code <cluster>/<namespace>}: the current coverage record, as on the coverage topic. */
    public static final String COVERAGE_STORE = "fencewatch-coverage";
    /** Recent drift events per {@code <cluster>/<namespace>}, bounded by time. */
    public static final String DRIFT_HISTORY_STORE = "fencewatch-drift-history";

    private CoverageTopology() {
    }

    public static Topology build(Topics topics, Rules rules) {
        return build(topics, rules, TopologyOptions.defaults());
    }

    public static Topology build(Topics topics, Rules rules, TopologyOptions options) {
        boolean history = !options.driftHistoryRetention().isZero();
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(),
                topics.inventory().name());
        topology.addProcessor(PROCESSOR,
                () -> new CoverageProcessor(topics, rules, options.productVersion(), history, options.limits(),
                        options.dlqFailures()), SOURCE);

        // The facts of one namespace are bounded by the largest inventory record (the processor
        // dead-letters what would grow them beyond it); their changelog is created to take that.
        topology.addStateStore(Stores.keyValueStoreBuilder(kv(FACTS_STORE, options), Serdes.String(),
                new NamespaceEntry.StoreSerde()).withCachingEnabled()
                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        Integer.toString(changelogMaxMessageBytes(options.limits())))), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(kv(CLUSTER_STORE, options), Serdes.String(),
                new ClusterState.StoreSerde()).withCachingEnabled(), PROCESSOR);
        // One serde instance for a store and the sink it feeds: each record is encoded once.
        MemoizingSerde<NamespaceCoverage> coverageSerde = new MemoizingSerde<>(topics.coverage().valueSerde());
        MemoizingSerde<DriftEvent> driftSerde = new MemoizingSerde<>(topics.drift().valueSerde());
        StoreBuilder<?> coverageStore = Stores.keyValueStoreBuilder(kv(COVERAGE_STORE, options), Serdes.String(),
                coverageSerde).withCachingEnabled();
        topology.addStateStore(coverageStore, PROCESSOR);
        if (history) {
            // In memory and not logged: a cheap, bounded window of recent drift for queries (the
            // drift topic stays the durable record); it starts empty after a restart or rebalance.
            WindowBytesStoreSupplier supplier = Stores.inMemoryWindowStore(DRIFT_HISTORY_STORE,
                    options.driftHistoryRetention(), Duration.ofMillis(1), true);
            topology.addStateStore(Stores.windowStoreBuilder(supplier, Serdes.String(), driftSerde)
                    .withLoggingDisabled(), PROCESSOR);
        }

        // Bytes from the coverage store's cache flush (CoverageFold), records when the store has no cache.
        topology.addSink(COVERAGE_SINK, topics.coverage().name(), topics.coverage().keySerde().serializer(),
                encodedOr(coverageSerde), PROCESSOR);
        topology.addSink(DRIFT_SINK, topics.drift().name(), topics.drift().keySerde().serializer(),
                driftSerde, PROCESSOR);
        topology.addSink(FINDINGS_SINK, topics.findings().name(), topics.findings().keySerde().serializer(),
                topics.findings().valueSerde().serializer(), PROCESSOR);
        topology.addSink(DLQ_SINK, topics.dlq().name(), topics.dlq().keySerde().serializer(),
                topics.dlq().valueSerde().serializer(), PROCESSOR);
        return topology;
    }

    /** A serializer that passes bytes already encoded (by the store) through and encodes the rest. */
    static <T> org.apache.kafka.common.serialization.Serializer<Object> encodedOr(
            org.apache.kafka.common.serialization.Serializer<T> inner) {
        return new org.apache.kafka.common.serialization.Serializer<>() {
            @Override
            @SuppressWarnings("unchecked")
            public byte[] serialize(String topic, Object data) {
                return data == null || data instanceof byte[] ? (byte[]) data : inner.serialize(topic, (T) data);
            }
        };
    }

    /** {@code max.message.bytes} of the facts changelog: the largest entry plus room for the record's framing. */
    static int changelogMaxMessageBytes(Limits limits) {
        return limits.maxRecordBytes() + 64 * 1024;
    }

    private static KeyValueBytesStoreSupplier kv(String name, TopologyOptions options) {
        return options.persistentStores() ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
    }
}
