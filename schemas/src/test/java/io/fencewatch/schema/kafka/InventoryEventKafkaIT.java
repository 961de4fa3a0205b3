package io.fencewatch.schema.kafka;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** The contract through a real in-process KRaft broker. */
@ExtendWith(KafkaBrokerExtension.class)
class InventoryEventKafkaIT {

    @Test
    void shouldReadBackEveryInventoryEventInKeyOrderWhenProducedThroughARealBroker(EmbeddedKafkaBroker broker) throws Exception {
        InventoryRoundTrip.run(broker.bootstrapServers(), "it.roundtrip.inventory");
    }
}
