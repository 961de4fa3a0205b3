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
 */
public record TopologyOptions(boolean persistentStores, Duration driftHistoryRetention, String productVersion) {
    public TopologyOptions {
        Objects.requireNonNull(driftHistoryRetention, "driftHistoryRetention");
        Objects.requireNonNull(productVersion, "productVersion");
        if (driftHistoryRetention.isNegative()) {
            throw new IllegalArgumentException("driftHistoryRetention must be zero or more");
        }
    }

    public static TopologyOptions defaults() {
        return new TopologyOptions(true, Duration.ofHours(24), version());
    }

    public TopologyOptions inMemory() {
        return new TopologyOptions(false, driftHistoryRetention, productVersion);
    }

    public TopologyOptions withDriftHistoryRetention(Duration retention) {
        return new TopologyOptions(persistentStores, retention, productVersion);
    }

    static String version() {
        String v = TopologyOptions.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
