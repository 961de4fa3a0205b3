package io.fencewatch.schema.kafka;

import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The same round trip against Apache Kafka in a container; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class InventoryEventTestcontainersIT {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

    @Test
    void shouldReadBackEveryInventoryEventInKeyOrderWhenProducedThroughAContainerBroker() throws Exception {
        InventoryRoundTrip.run(KAFKA.getBootstrapServers(), "tc.roundtrip.inventory");
    }
}
