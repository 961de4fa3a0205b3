package io.fencewatch.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.schema.serde.SchemaHistory;

/**
 * Every schema stays backward and forward compatible with its first released version, kept under
 * {@code src/test/resources/released/v1}: new readers read old data, old readers read new data.
 */
class SchemaEvolutionTest {

    static Stream<Schema> currentSchemas() {
        return SchemaHistory.currentSchemas().stream();
    }

    static Schema released(String version, Schema current) throws IOException {
        String path = "/released/" + version + "/" + current.getNamespace().replace('.', '/') + "/" + current.getName() + ".avsc";
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream(path)) {
            assertThat(in).as("released schema %s must be kept under test resources", path).isNotNull();
            return new Schema.Parser().parse(in);
        }
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void shouldReadDataWrittenWithTheFirstReleasedSchema(Schema current) throws IOException {
        Schema v1 = released("v1", current);
        var result = SchemaCompatibility.checkReaderWriterCompatibility(current, v1);
        assertThat(result.getType()).as(result.getDescription()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void shouldBeReadableByReadersOfTheFirstReleasedSchema(Schema current) throws IOException {
        Schema v1 = released("v1", current);
        var result = SchemaCompatibility.checkReaderWriterCompatibility(v1, current);
        assertThat(result.getType()).as(result.getDescription()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void shouldFlagAnIncompatibleChangeSoTheCheckAboveCanFail() {
        Schema current = InventoryEvent.getClassSchema();
        // A writer that renames a required field: old readers would fail on it.
        String json = current.toString().replaceFirst("\"name\":\"op\"", "\"name\":\"operation\"");
        Schema broken = new Schema.Parser().parse(json);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, broken).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    @Test
    void shouldDecodeRecordsOfANewerWriterThatAddedAFieldWithADefault() {
        Schema current = InventoryEvent.getClassSchema();
        String json = current.toString().replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"addedLater\",\"type\":\"string\",\"default\":\"x\",\"doc\":\"a v2 field\"},");
        Schema newer = new Schema.Parser().parse(json);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, newer).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);

        InventoryEvent event = FencewatchSerdes.inventoryEvent().deserialize("t",
                FencewatchSerdes.inventoryEvent().serialize("t", sampleHeartbeat()));
        GenericRecord asNewer = new GenericData.Record(newer);
        for (Schema.Field f : newer.getFields()) {
            asNewer.put(f.name(), f.name().equals("addedLater") ? "hello" : toGeneric(event.get(f.name())));
        }
        byte[] bytes;
        try {
            var buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(asNewer);
            bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        AvroSerde<InventoryEvent> reader = FencewatchSerdes.inventoryEvent().withWriterSchema(newer);
        assertThat(reader.deserialize("t", bytes)).isEqualTo(event);
    }

    @Test
    void shouldReadAHeartbeatThatACollectorOfTheFirstReleaseWrote() throws IOException {
        // The v1 writer's fingerprint must be known (schema-history.txt), or old collectors' records dead-letter.
        Schema v1 = released("v1", InventoryEvent.getClassSchema());
        GenericRecord source = new GenericData.Record(v1.getField("source").schema());
        source.put("cluster", "c");
        source.put("collector", "i");
        source.put("epoch", 7L);
        source.put("sequence", 9L);
        source.put("observedAt", 1234L);
        GenericRecord old = new GenericData.Record(v1);
        old.put("source", source);
        old.put("op", new GenericData.EnumSymbol(v1.getField("op").schema(), "HEARTBEAT"));
        var buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);

        InventoryEvent read = FencewatchSerdes.inventoryEvent().deserialize("t", bytes);

        assertThat(read).isEqualTo(sampleHeartbeat());
        assertThat(read.getCluster()).isNull();
    }

    @Test
    void shouldLetAReaderOfTheFirstReleaseSeeTheNewMarkersAsUnknown() throws IOException {
        Schema v1 = released("v1", InventoryEvent.getClassSchema());
        InventoryEvent unreachable = InventoryEvent.newBuilder(sampleHeartbeat()).setOp(io.fencewatch.schema.common.Op.UNREACHABLE)
                .setCluster(io.fencewatch.schema.inventory.ClusterFacts.newBuilder().setProvider("oke")
                        .setError("401 Unauthorized").build())
                .build();
        var out = new java.io.ByteArrayOutputStream();
        var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<InventoryEvent>(InventoryEvent.getClassSchema()).write(unreachable, encoder);
        encoder.flush();
        var decoder = org.apache.avro.io.DecoderFactory.get().binaryDecoder(out.toByteArray(), null);
        GenericRecord asOld = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(InventoryEvent.getClassSchema(), v1)
                .read(null, decoder);

        assertThat(asOld.get("op")).hasToString("UNKNOWN");
        assertThat(asOld.getSchema().getField("cluster")).isNull();
    }

    /** Every older version the schema history lists (the released ones), each with its current schema. */
    static Stream<org.junit.jupiter.params.provider.Arguments> historyVersions() throws IOException {
        List<org.junit.jupiter.params.provider.Arguments> out = new java.util.ArrayList<>();
        try (InputStream index = SchemaEvolutionTest.class.getResourceAsStream("/META-INF/fencewatch/schema-history.txt")) {
            for (String line : new String(index.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String path = line.strip();
                if (path.isEmpty() || path.startsWith("#")) {
                    continue;
                }
                try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/" + path)) {
                    Schema older = new Schema.Parser().parse(in);
                    Schema current = SchemaHistory.currentSchemas().stream()
                            .filter(c -> c.getFullName().equals(older.getFullName())).findFirst().orElseThrow();
                    out.add(org.junit.jupiter.params.provider.Arguments.of(path, older, current));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("historyVersions")
    void shouldStayCompatibleBothWaysWithEveryVersionInTheHistory(String path, Schema older, Schema current) {
        var read = SchemaCompatibility.checkReaderWriterCompatibility(current, older);
        assertThat(read.getType()).as(read.getDescription()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        var readBy = SchemaCompatibility.checkReaderWriterCompatibility(older, current);
        assertThat(readBy.getType()).as(readBy.getDescription()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void shouldTakeTheHistoryToHoldEveryContractSchemaAndTheSecondReleaseOfTheMarkers() throws IOException {
        assertThat(historyVersions().map(a -> (String) a.get()[0])).contains(
                "io/fencewatch/schema/history/v1/InventoryEvent.avsc", "io/fencewatch/schema/history/v1/DriftEvent.avsc",
                "io/fencewatch/schema/history/v1/NamespaceCoverage.avsc",
                "io/fencewatch/schema/history/v2/InventoryEvent.avsc", "io/fencewatch/schema/history/v2/DriftEvent.avsc");
    }

    @Test
    void shouldReadAnOkeHeartbeatOfTheSecondReleaseAsNotLookingForPolicyEngines() throws IOException {
        // A collector of the issue-12 release: cluster facts, but no policyEngines (so FW-NP-002 is UNKNOWN, not NOT_ENFORCED).
        Schema v2;
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/io/fencewatch/schema/history/v2/InventoryEvent.avsc")) {
            v2 = new Schema.Parser().parse(in);
        }
        GenericRecord source = new GenericData.Record(v2.getField("source").schema());
        source.put("cluster", "c");
        source.put("collector", "i");
        source.put("epoch", 7L);
        source.put("sequence", 9L);
        source.put("observedAt", 1234L);
        Schema factsSchema = v2.getField("cluster").schema().getTypes().get(1);
        GenericRecord facts = new org.apache.avro.generic.GenericRecordBuilder(factsSchema).set("provider", "oke")
                .set("cniTypes", List.of("FLANNEL_OVERLAY")).build();
        GenericRecord old = new org.apache.avro.generic.GenericRecordBuilder(v2).set("source", source)
                .set("op", new GenericData.EnumSymbol(v2.getField("op").schema(), "HEARTBEAT")).set("cluster", facts)
                .build();
        var buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(old);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);

        InventoryEvent read = FencewatchSerdes.inventoryEvent().deserialize("t", bytes);

        assertThat(read.getCluster().getProvider()).isEqualTo("oke");
        assertThat(read.getCluster().getCniTypes()).containsExactly("FLANNEL_OVERLAY");
        assertThat(read.getCluster().getPolicyEngines()).isNull();
        assertThat(read.getCluster().getPolicyEngineNamespaces()).isEmpty();
    }

    private static Object toGeneric(Object value) {
        if (value instanceof org.apache.avro.specific.SpecificRecord record) {
            GenericRecord g = new GenericData.Record(record.getSchema());
            for (Schema.Field f : record.getSchema().getFields()) {
                g.put(f.name(), toGeneric(record.get(f.pos())));
            }
            return g;
        }
        if (value instanceof Enum<?> e) {
            return new GenericData.EnumSymbol(null, e.name());
        }
        if (value instanceof java.time.Instant i) {
            return i.toEpochMilli();
        }
        return value;
    }

    private static InventoryEvent sampleHeartbeat() {
        return InventoryEvent.newBuilder()
                .setSource(io.fencewatch.schema.inventory.Source.newBuilder().setCluster("c").setCollector("i")
                        .setEpoch(7).setSequence(9).setObservedAt(java.time.Instant.ofEpochMilli(1234)).build())
                .setOp(io.fencewatch.schema.common.Op.HEARTBEAT).build();
    }
}
