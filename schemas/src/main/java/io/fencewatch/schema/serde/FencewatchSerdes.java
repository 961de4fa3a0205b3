package io.fencewatch.schema.serde;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;

/** Factories for the contract's serdes. Each call returns a new, independent instance. */
public final class FencewatchSerdes {
    private FencewatchSerdes() {
    }

    public static AvroSerde<InventoryEvent> inventoryEvent() {
        return new AvroSerde<>(InventoryEvent.class, InventoryEvent.getClassSchema());
    }

    public static AvroSerde<NamespaceCoverage> namespaceCoverage() {
        return new AvroSerde<>(NamespaceCoverage.class, NamespaceCoverage.getClassSchema());
    }

    public static AvroSerde<DriftEvent> driftEvent() {
        return new AvroSerde<>(DriftEvent.class, DriftEvent.getClassSchema());
    }
}
