package io.fencewatch.processor;

import org.apache.kafka.common.serialization.Serdes;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Every topic the processor reads or writes, each declared once with its serdes.
 *
 * <p>The inventory topic is consumed as raw bytes and decoded inside the processor with the serdes
 * declared here, so an unreadable record becomes a dead letter instead of stopping the task.
 */
public record Topics(
        Topic<String, InventoryEvent> inventory,
        Topic<String, NamespaceCoverage> coverage,
        Topic<String, DriftEvent> drift,
        Topic<String, String> findings,
        Topic<byte[], byte[]> dlq) {

    public static Topics of(TopicNames names) {
        return new Topics(
                new Topic<>(names.inventory(), Serdes.String(), FencewatchSerdes.inventoryEvent()),
                new Topic<>(names.coverage(), Serdes.String(), FencewatchSerdes.namespaceCoverage()),
                new Topic<>(names.drift(), Serdes.String(), FencewatchSerdes.driftEvent()),
                new Topic<>(names.findings(), Serdes.String(), Serdes.String()),
                new Topic<>(names.dlq(), Serdes.ByteArray(), Serdes.ByteArray()));
    }

    public static Topics of(String prefix) {
        return of(new TopicNames(prefix));
    }
}
