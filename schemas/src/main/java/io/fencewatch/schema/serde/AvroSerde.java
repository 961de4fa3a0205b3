package io.fencewatch.schema.serde;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Objects;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one generated Avro record type, in Avro's single-object encoding:
 * {@code C3 01}, the 8-byte CRC-64-AVRO fingerprint of the writer's schema, then Avro binary.
 * A reader therefore knows which schema wrote the bytes and resolves older writers' data against
 * the current schema (see {@link SchemaHistory}); no schema registry is needed.
 *
 * <p>Input is bounded before Avro sees it: a payload larger than {@code maxPayloadBytes} is
 * rejected, and Avro's own string, bytes and collection limits are set no higher than that (every
 * item in our schemas takes at least one byte), so a corrupt length cannot ask for gigabytes.
 * Every failure to read is a {@link RecordFormatException}. {@code null} is a tombstone both ways.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {

    /** Default upper bound of one record: well above any real namespace or policy, far below harm. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

    static {
        AvroLimits.install(DEFAULT_MAX_PAYLOAD_BYTES);
    }

    private static final int HEADER_LENGTH = 10;

    private final Class<T> type;
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    /** The same bytes as {@link #encoder}, compiled from the schema (null: the schema has a shape it does not know). */
    private final CompiledWriter compiled;
    private final SpecificData model;
    /** A reader per known writer schema, by fingerprint; each resolves to the current schema. */
    private final java.util.concurrent.ConcurrentHashMap<Long, SpecificDatumReader<T>> readers =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final long fingerprint;
    private final int maxPayloadBytes;

    public AvroSerde(Class<T> type, Schema schema) {
        this(type, schema, DEFAULT_MAX_PAYLOAD_BYTES);
    }

    public AvroSerde(Class<T> type, Schema schema, int maxPayloadBytes) {
        if (maxPayloadBytes <= HEADER_LENGTH) {
            throw new IllegalArgumentException("maxPayloadBytes must exceed the 10-byte header");
        }
        this.type = Objects.requireNonNull(type, "type");
        this.schema = Objects.requireNonNull(schema, "schema");
        this.maxPayloadBytes = maxPayloadBytes;
        this.model = SpecificData.getForClass(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        byte[] header = ByteBuffer.allocate(HEADER_LENGTH).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0xC3).put((byte) 0x01).putLong(fingerprint).array();
        this.compiled = CompiledWriter.compile(schema, header);
        withWriterSchema(schema);
        for (Schema older : SchemaHistory.olderVersionsOf(schema.getFullName())) {
            withWriterSchema(older);
        }
    }

    /** Teaches this serde to read data written with another (older or newer) schema of the same record. */
    public AvroSerde<T> withWriterSchema(Schema writerSchema) {
        readers.put(SchemaNormalization.parsingFingerprint64(writerSchema),
                new SpecificDatumReader<>(writerSchema, schema, model));
        return this;
    }

    public Class<T> type() {
        return type;
    }

    public Schema schema() {
        return schema;
    }

    /** CRC-64-AVRO fingerprint of the current schema, as written in every payload. */
    public long fingerprint() {
        return fingerprint;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (compiled != null) {
            try {
                return compiled.encode(data);
            } catch (RuntimeException e) {
                // A record Avro would refuse: Avro's writer below says why, in its words.
            }
        }
        try {
            ByteBuffer buffer = encoder.encode(data);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
            // Avro reports a missing required field as an NPE: name the record, not the payload.
            throw new RecordFormatException("cannot write " + type.getSimpleName() + ": " + describe(e), e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        String what = type.getSimpleName();
        if (data.length > maxPayloadBytes) {
            throw new RecordFormatException("not a readable " + what + ": " + data.length
                    + " bytes exceeds the limit of " + maxPayloadBytes);
        }
        if (data.length < HEADER_LENGTH) {
            throw new RecordFormatException("not a readable " + what + ": " + data.length
                    + " bytes is shorter than the 10-byte Avro single-object header");
        }
        if ((data[0] & 0xFF) != 0xC3 || data[1] != 0x01) {
            throw new RecordFormatException("not a Fencewatch record (" + what + "): no Avro single-object header,"
                    + " first bytes are " + HexFormat.of().withUpperCase().formatHex(data, 0, 2));
        }
        long writerFingerprint = ByteBuffer.wrap(data, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        SpecificDatumReader<T> reader = readers.get(writerFingerprint);
        if (reader == null) {
            String other = SchemaHistory.recordNameOf(writerFingerprint);
            throw new RecordFormatException(other != null
                    ? "expected " + what + " but the record is a " + other
                    : "not a readable " + what + ": written with an unknown schema (fingerprint "
                            + Long.toHexString(writerFingerprint) + ")");
        }
        BinaryDecoder in = DecoderFactory.get().binaryDecoder(data, HEADER_LENGTH, data.length - HEADER_LENGTH, null);
        T value;
        try {
            value = reader.read(null, in);
            if (!in.isEnd()) {
                throw new RecordFormatException("not a readable " + what + ": unexpected trailing bytes");
            }
        } catch (RecordFormatException e) {
            throw e;
        } catch (EOFException e) {
            throw new RecordFormatException("not a readable " + what + ": truncated (" + data.length + " bytes)", e);
        } catch (IOException | RuntimeException e) {
            throw new RecordFormatException("not a readable " + what + ": corrupt Avro body (" + describe(e) + ")", e);
        }
        return value;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        String kind = e.getClass().getSimpleName();
        if (message == null || message.isBlank()) {
            return kind;
        }
        // Bounded: an Avro message can quote a value; we never want a payload in a log line.
        return kind + ": " + (message.length() > 160 ? message.substring(0, 160) + "..." : message);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        // Nothing to configure: the schema is fixed by the record type.
    }

    @Override
    public void close() {
        // Stateless: safe to close any number of times.
    }
}
