package io.fencewatch.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;

import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.inventory.InventoryEvent;

class SerdeRoundTripTest {

    static Stream<Arguments> records() {
        return Stream.of(
                Arguments.of(FencewatchSerdes.inventoryEvent(), SampleRecords.namespaceUpsert()),
                Arguments.of(FencewatchSerdes.inventoryEvent(), SampleRecords.policySnapshot()),
                Arguments.of(FencewatchSerdes.inventoryEvent(), SampleRecords.syncEnd()),
                Arguments.of(FencewatchSerdes.inventoryEvent(), SampleRecords.minimalHeartbeat()),
                Arguments.of(FencewatchSerdes.namespaceCoverage(), SampleRecords.coverageFull()),
                Arguments.of(FencewatchSerdes.namespaceCoverage(), SampleRecords.coverageMinimal()),
                Arguments.of(FencewatchSerdes.driftEvent(), SampleRecords.driftFull()),
                Arguments.of(FencewatchSerdes.driftEvent(), SampleRecords.driftMinimal()));
    }

    @ParameterizedTest
    @MethodSource("records")
    <T extends SpecificRecordBase> void shouldReadBackEqualRecordWhenWrittenBySameSerde(AvroSerde<T> serde, T record) {
        byte[] bytes = serde.serialize("t", record);
        assertThat(bytes[0] & 0xFF).isEqualTo(0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(serde.deserialize("t", bytes)).isEqualTo(record);
    }

    @ParameterizedTest
    @MethodSource("records")
    <T extends SpecificRecordBase> void shouldCarryTheWriterSchemaFingerprintInEveryPayload(AvroSerde<T> serde, T record) {
        byte[] bytes = serde.serialize("t", record);
        long fingerprint = java.nio.ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(serde.fingerprint());
    }

    @Test
    void shouldTreatNullAsTombstoneBothWays() {
        AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
        assertThat(serde.serialize("t", null)).isNull();
        assertThat(serde.deserialize("t", null)).isNull();
    }

    @Test
    void shouldRejectARecordMissingARequiredFieldWithOneClearException() {
        InventoryEvent incomplete = new InventoryEvent();
        assertThatThrownBy(() -> FencewatchSerdes.inventoryEvent().serialize("t", incomplete))
                .isInstanceOf(RecordFormatException.class)
                .hasMessageContaining("cannot write InventoryEvent");
    }
}
