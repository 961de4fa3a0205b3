package io.fencewatch.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * {@link CompiledWriter} writes exactly Avro's bytes: for random records of every contract type
 * (every optional part present or absent, every union branch, empty and full collections, non-ASCII
 * and surrogate-pair strings, extreme numbers) and for the hand-built samples; and a record Avro
 * refuses is refused with Avro's error.
 */
class CompiledWriterTest {

    @Test
    void inventoryEventsAreWrittenAsAvroWritesThem() {
        sameBytesAsAvro(FencewatchSerdes.inventoryEvent());
    }

    @Test
    void coverageRecordsAreWrittenAsAvroWritesThem() {
        sameBytesAsAvro(FencewatchSerdes.namespaceCoverage());
    }

    @Test
    void driftEventsAreWrittenAsAvroWritesThem() {
        sameBytesAsAvro(FencewatchSerdes.driftEvent());
    }

    @Test
    void theHandBuiltSamplesToo() {
        AvroSerde<InventoryEvent> inventory = FencewatchSerdes.inventoryEvent();
        for (InventoryEvent e : List.of(SampleRecords.namespaceUpsert(), SampleRecords.policySnapshot())) {
            assertThat(inventory.serialize("t", e)).isEqualTo(avro(inventory, e));
        }
    }

    @Test
    void everyContractSchemaCompiles() {
        for (Schema s : List.of(InventoryEvent.getClassSchema(), NamespaceCoverage.getClassSchema(),
                DriftEvent.getClassSchema())) {
            assertThat(CompiledWriter.compile(s, new byte[0])).as(s.getFullName()).isNotNull();
        }
    }

    @Test
    void aShapeItDoesNotKnowIsLeftToAvro() {
        Schema decimal = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"D\",\"fields\":[{\"name\":\"d\","
                + "\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}}]}");
        Schema recursive = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"next\","
                + "\"type\":[\"null\",\"L\"]}]}");
        assertThat(CompiledWriter.compile(decimal, new byte[0])).isNull();
        assertThat(CompiledWriter.compile(recursive, new byte[0])).isNull();
    }

    @Test
    void aRecordAvroRefusesIsRefusedWithAvrosError() {
        AvroSerde<NamespaceCoverage> serde = FencewatchSerdes.namespaceCoverage();
        NamespaceCoverage record = serde.deserialize("t", genericBytes(serde, new Random(7)));
        record.setReason(null); // required
        assertThatThrownBy(() -> serde.serialize("t", record)).isInstanceOf(RecordFormatException.class)
                .hasMessageContaining("cannot write NamespaceCoverage");
        record.setReason("x");
        record.setStatus(null);
        assertThatThrownBy(() -> serde.serialize("t", record)).isInstanceOf(RecordFormatException.class)
                .hasMessageContaining("cannot write NamespaceCoverage");
        record.setStatus(Status.COMPLIANT);
        assertThat(serde.serialize("t", record)).isEqualTo(avro(serde, record));
    }

    private static <T extends SpecificRecordBase> void sameBytesAsAvro(AvroSerde<T> serde) {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            byte[] written = genericBytes(serde, new Random(seed));
            T record = serde.deserialize("t", written);
            byte[] compiled = serde.serialize("t", record);
            assertThat(compiled).as("seed %d", seed).isEqualTo(avro(serde, record)).isEqualTo(written);
        });
    }

    private static <T extends SpecificRecordBase> byte[] avro(AvroSerde<T> serde, T record) {
        try {
            ByteBuffer b = new BinaryMessageEncoder<T>(SpecificData.getForClass(serde.type()), serde.schema()).encode(record);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A random datum of the serde's schema, written by Avro's generic writer with the single-object header. */
    private static byte[] genericBytes(AvroSerde<?> serde, Random random) {
        Schema schema = serde.schema();
        Object datum = random(schema, random);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(10).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        header.put((byte) 0xC3).put((byte) 0x01).putLong(serde.fingerprint());
        out.write(header.array(), 0, 10);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<Object>(schema).write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static final String[] TEXT = {"", "a", "team-payments", "ü", "名前", "\uD83D\uDE00", "x".repeat(200),
        "kube-system", "é\u0000", "\u007F\u0080"};

    private static Object random(Schema s, Random r) {
        switch (s.getType()) {
            case RECORD: {
                GenericData.Record rec = new GenericData.Record(s);
                for (Schema.Field f : s.getFields()) {
                    rec.put(f.pos(), random(f.schema(), r));
                }
                return rec;
            }
            case ENUM:
                return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(r.nextInt(s.getEnumSymbols().size())));
            case ARRAY: {
                int n = r.nextInt(4) == 0 ? 0 : r.nextInt(5);
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(random(s.getElementType(), r));
                }
                return new GenericData.Array<>(s, items);
            }
            case MAP: {
                int n = r.nextInt(4) == 0 ? 0 : r.nextInt(5);
                Map<String, Object> m = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    m.put(text(r) + i, random(s.getValueType(), r));
                }
                return m;
            }
            case UNION:
                return random(s.getTypes().get(r.nextInt(s.getTypes().size())), r);
            case STRING:
                return text(r);
            case BOOLEAN:
                return r.nextBoolean();
            case INT:
                return switch (r.nextInt(4)) {
                    case 0 -> Integer.MIN_VALUE + r.nextInt(3);
                    case 1 -> Integer.MAX_VALUE - r.nextInt(3);
                    case 2 -> r.nextInt(200) - 100;
                    default -> r.nextInt();
                };
            case LONG:
                return switch (r.nextInt(4)) {
                    case 0 -> Long.MIN_VALUE + r.nextInt(3);
                    case 1 -> Long.MAX_VALUE - r.nextInt(3);
                    case 2 -> (long) r.nextInt(200) - 100;
                    default -> r.nextLong();
                };
            case FLOAT:
                return r.nextFloat();
            case DOUBLE:
                return r.nextDouble();
            case BYTES: {
                byte[] b = new byte[r.nextInt(6)];
                r.nextBytes(b);
                return ByteBuffer.wrap(b);
            }
            case NULL:
                return null;
            default:
                throw new IllegalArgumentException(s.getType().getName());
        }
    }

    private static String text(Random r) {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            b.append(TEXT[r.nextInt(TEXT.length)]);
        }
        return b.toString();
    }
}
