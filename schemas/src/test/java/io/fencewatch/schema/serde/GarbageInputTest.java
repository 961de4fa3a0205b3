package io.fencewatch.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every deserializer, fed bytes that are not a readable record of its type, raises
 * {@link RecordFormatException} and nothing else: no NPE, no OOM, no other runtime exception.
 */
class GarbageInputTest {
    private static final long SEED = 0x5EED_F3CEL;
    private static final int RANDOM_CASES = 5_000;

    static Stream<Arguments> serdesWithSample() {
        return Stream.of(
                Arguments.of(FencewatchSerdes.inventoryEvent(), SampleRecords.policySnapshot()),
                Arguments.of(FencewatchSerdes.namespaceCoverage(), SampleRecords.coverageFull()),
                Arguments.of(FencewatchSerdes.driftEvent(), SampleRecords.driftFull()));
    }

    static Stream<AvroSerde<?>> serdes() {
        return Stream.of(FencewatchSerdes.inventoryEvent(), FencewatchSerdes.namespaceCoverage(), FencewatchSerdes.driftEvent());
    }

    @ParameterizedTest
    @MethodSource("serdes")
    void shouldRejectBytesThatAreNotOurRecordsWithAClearReason(AvroSerde<?> serde) {
        assertUnreadable(serde, new byte[0], "shorter than the 10-byte");
        assertUnreadable(serde, new byte[] {(byte) 0xC3}, "shorter than the 10-byte");
        assertUnreadable(serde, "{\"kind\":\"Namespace\",\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8),
                "no Avro single-object header");
        byte[] unknownFingerprint = new byte[32];
        unknownFingerprint[0] = (byte) 0xC3;
        unknownFingerprint[1] = 0x01;
        Arrays.fill(unknownFingerprint, 2, 10, (byte) 0x42);
        assertUnreadable(serde, unknownFingerprint, "unknown schema");
        assertUnreadable(serde, new byte[AvroSerde.DEFAULT_MAX_PAYLOAD_BYTES + 1], "exceeds the limit");
    }

    @Test
    void shouldNameTheRecordTypeWhenGivenAnotherOfOurRecords() {
        byte[] drift = FencewatchSerdes.driftEvent().serialize("t", SampleRecords.driftFull());
        assertUnreadable(FencewatchSerdes.inventoryEvent(), drift, "is a io.fencewatch.schema.drift.DriftEvent");
        byte[] inventory = FencewatchSerdes.inventoryEvent().serialize("t", SampleRecords.syncEnd());
        assertUnreadable(FencewatchSerdes.namespaceCoverage(), inventory, "InventoryEvent");
    }

    @ParameterizedTest
    @MethodSource("serdesWithSample")
    <T extends SpecificRecordBase> void shouldRejectEveryTruncationOfAValidRecord(AvroSerde<T> serde, T sample) {
        byte[] valid = serde.serialize("t", sample);
        for (int length = 0; length < valid.length; length++) {
            byte[] truncated = Arrays.copyOf(valid, length);
            assertThatThrownBy(() -> serde.deserialize("t", truncated))
                    .as("prefix of %d of %d bytes", truncated.length, valid.length)
                    .isInstanceOf(RecordFormatException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("serdesWithSample")
    <T extends SpecificRecordBase> void shouldRejectTrailingBytes(AvroSerde<T> serde, T sample) {
        byte[] valid = serde.serialize("t", sample);
        byte[] longer = Arrays.copyOf(valid, valid.length + 3);
        assertUnreadable(serde, longer, "trailing bytes");
    }

    @ParameterizedTest
    @MethodSource("serdesWithSample")
    <T extends SpecificRecordBase> void shouldEitherReadOrRaiseTheOneExceptionForEveryCorruptedByte(AvroSerde<T> serde, T sample) {
        byte[] valid = serde.serialize("t", sample);
        SplittableRandom random = new SplittableRandom(SEED);
        for (int position = 10; position < valid.length; position++) {
            for (int trial = 0; trial < 4; trial++) {
                byte[] corrupt = valid.clone();
                corrupt[position] = (byte) random.nextInt(256);
                readOrOneException(serde, corrupt);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("serdes")
    void shouldRaiseTheOneExceptionForSeededRandomBytes(AvroSerde<?> serde) {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < RANDOM_CASES; i++) {
            byte[] garbage = new byte[random.nextInt(0, 512)];
            random.nextBytes(garbage);
            assertThatThrownBy(() -> serde.deserialize("t", garbage)).isInstanceOf(RecordFormatException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("serdes")
    void shouldSurviveSeededRandomBodiesBehindAValidHeader(AvroSerde<?> serde) {
        // The hard case: a header and fingerprint Avro accepts, then garbage it must parse.
        byte[] header = header(serde.fingerprint());
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int i = 0; i < RANDOM_CASES; i++) {
            byte[] body = new byte[random.nextInt(0, 256)];
            random.nextBytes(body);
            byte[] bytes = concat(header, body);
            readOrOneException(serde, bytes);
        }
    }

    @Test
    void shouldRejectAHugeStringLengthWithoutAllocatingIt() {
        AvroSerde<?> serde = FencewatchSerdes.driftEvent();
        // DriftEvent starts with a string: a length of about 1 GiB in 5 bytes, then nothing.
        byte[] bytes = concat(header(serde.fingerprint()), zigZagVarLong(1L << 30));
        assertUnreadable(serde, bytes, "not a readable DriftEvent");
    }

    @Test
    void shouldRejectAHugeCollectionCountWithoutAllocatingIt() {
        AvroSerde<?> serde = FencewatchSerdes.namespaceCoverage();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, "c");                   // cluster
        writeString(body, "n");                   // namespace
        body.writeBytes(zigZagVarLong(0));        // uid: null branch
        body.writeBytes(zigZagVarLong(0));        // status: COMPLIANT
        writeString(body, "r");                   // reason
        body.writeBytes(zigZagVarLong(1));        // since
        body.writeBytes(zigZagVarLong(1L << 30)); // policies: an array of about a billion names
        byte[] bytes = concat(header(serde.fingerprint()), body.toByteArray());
        assertUnreadable(serde, bytes, "not a readable NamespaceCoverage");
    }

    private static void readOrOneException(AvroSerde<?> serde, byte[] bytes) {
        try {
            assertThat(serde.deserialize("t", bytes)).isNotNull();
        } catch (RecordFormatException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        } catch (RuntimeException | Error other) {
            fail("expected RecordFormatException or a record, got " + other, other);
        }
    }

    private static void assertUnreadable(AvroSerde<?> serde, byte[] bytes, String reason) {
        assertThatThrownBy(() -> serde.deserialize("t", bytes))
                .isInstanceOf(RecordFormatException.class)
                .hasMessageContaining(reason);
    }

    private static byte[] header(long fingerprint) {
        ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xC3).put((byte) 0x01).putLong(fingerprint);
        return b.array();
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(zigZagVarLong(utf8.length));
        out.writeBytes(utf8);
    }

    private static byte[] zigZagVarLong(long value) {
        long n = (value << 1) ^ (value >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
