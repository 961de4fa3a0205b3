package io.fencewatch.processor;

import java.time.Duration;
import java.util.Objects;

/**
 * How the topology keeps its state, apart from the rules.
 *
 * @param persistentStores RocksDB stores (the application); false for in-memory stores (tests)
 * @param driftHistoryRetention how long drift events stay queryable in
 *                              {@link CoverageTopology#DRIFT_HISTORY_STORE}; zero disables the store
 * @param productVersion version reported in findings
 * @param limits the bounds beyond which a record is a dead letter
 * @param dlqFailures dead letters the producer refused, shared with {@link DeadLetterProductionHandler}
 */
public record TopologyOptions(boolean persistentStores, Duration driftHistoryRetention, String productVersion,
        Limits limits, DeadLetterFailures dlqFailures) {
    public TopologyOptions {
        Objects.requireNonNull(driftHistoryRetention, "driftHistoryRetention");
        Objects.requireNonNull(productVersion, "productVersion");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(dlqFailures, "dlqFailures");
        if (driftHistoryRetention.isNegative()) {
            throw new IllegalArgumentException("driftHistoryRetention must be zero or more");
        }
    }

    public static TopologyOptions defaults() {
        return new TopologyOptions(true, Duration.ofHours(24), version(), Limits.defaults(), new DeadLetterFailures());
    }

    public TopologyOptions inMemory() {
        return new TopologyOptions(false, driftHistoryRetention, productVersion, limits, dlqFailures);
    }

    public TopologyOptions withDriftHistoryRetention(Duration retention) {
        return new TopologyOptions(persistentStores, retention, productVersion, limits, dlqFailures);
    }

    public TopologyOptions withLimits(Limits value) {
        return new TopologyOptions(persistentStores, driftHistoryRetention, productVersion, value, dlqFailures);
    }

    public TopologyOptions withDlqFailures(DeadLetterFailures value) {
        return new TopologyOptions(persistentStores, driftHistoryRetention, productVersion, limits, value);
    }

    static String version() {
        String v = TopologyOptions.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
