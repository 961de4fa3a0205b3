package io.fencewatch.schema.serde;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;

/**
 * Avro binary encoding of one generated record type, compiled once from its schema into a tree of
 * writers: the very bytes Avro's {@code SpecificDatumWriter} writes (pinned by
 * {@code CompiledWriterTest} on random records of every Fencewatch type), without what that writer
 * does again for every value: walk the schema, resolve each union branch by the datum's schema name,
 * look up the logical type's conversion. In the processor's profile those were most of the coverage
 * record's encoding, about a sixth of its stream thread (issue 17).
 *
 * <p>It knows what Fencewatch's schemas use: records, enums, strings, booleans, ints, longs, floats,
 * doubles, bytes, fixed, arrays, maps, unions and {@code timestamp-millis} over {@link Instant}.
 * {@link #compile} returns null for any other shape, and {@link AvroSerde} then keeps Avro's writer.
 * Nothing is cached between calls but a per-thread buffer.
 */
final class CompiledWriter {
    private final Node root;
    private final byte[] header;
    private final ThreadLocal<Out> buffers = ThreadLocal.withInitial(Out::new);

    private CompiledWriter(Node root, byte[] header) {
        this.root = root;
        this.header = header;
    }

    /** A writer of {@code schema} whose output starts with {@code header}; null if the schema has a shape it does not know. */
    static CompiledWriter compile(Schema schema, byte[] header) {
        try {
            return new CompiledWriter(node(schema), header.clone());
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The header, then the record. A record Avro would refuse (a required field null, a value of
     * the wrong type, no union branch for it) throws a {@link RuntimeException}; the caller asks
     * Avro's own writer then, for its exact error.
     */
    byte[] encode(IndexedRecord record) {
        Out out = buffers.get();
        out.len = 0;
        out.raw(header, 0, header.length);
        root.write(record, out);
        byte[] bytes = Arrays.copyOf(out.buf, out.len);
        out.shrink();
        return bytes;
    }

    // ------------------------------------------------------------------ the tree

    @FunctionalInterface
    private interface Node {
        void write(Object value, Out out);
    }

    /** What a union branch takes: the test {@code GenericData.resolveUnion} makes, by type. */
    @FunctionalInterface
    private interface Accepts {
        boolean test(Object value);
    }

    private static Node node(Schema s) {
        return node(s, new java.util.HashSet<>());
    }

    /** {@code open}: the records being compiled around this one (a recursive schema is left to Avro). */
    private static Node node(Schema s, java.util.Set<String> open) {
        if (s.getLogicalType() != null) {
            if (s.getType() == Schema.Type.LONG && s.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                return (v, out) -> out.varLong(((Instant) v).toEpochMilli()); // a Long here: Avro refuses it too
            }
            throw new UnsupportedOperationException(s.getLogicalType().getName());
        }
        switch (s.getType()) {
            case RECORD: {
                if (!open.add(s.getFullName())) {
                    throw new UnsupportedOperationException("recursive record " + s.getFullName());
                }
                List<Schema.Field> fields = s.getFields();
                int[] pos = new int[fields.size()];
                Node[] nodes = new Node[fields.size()];
                for (int i = 0; i < nodes.length; i++) {
                    pos[i] = fields.get(i).pos();
                    nodes[i] = node(fields.get(i).schema(), open);
                }
                open.remove(s.getFullName());
                return (v, out) -> {
                    IndexedRecord r = (IndexedRecord) v;
                    for (int i = 0; i < nodes.length; i++) {
                        nodes[i].write(r.get(pos[i]), out);
                    }
                };
            }
            case ENUM:
                // Generated enums declare the schema's symbols in order: the ordinal is the index.
                return (v, out) -> out.varLong(((Enum<?>) v).ordinal());
            case ARRAY: {
                Node item = node(s.getElementType(), open);
                return (v, out) -> {
                    Collection<?> c = (Collection<?>) v;
                    if (!c.isEmpty()) {
                        out.varLong(c.size());
                        for (Object e : c) {
                            item.write(e, out);
                        }
                    }
                    out.varLong(0);
                };
            }
            case MAP: {
                Node value = node(s.getValueType(), open);
                return (v, out) -> {
                    Map<?, ?> m = (Map<?, ?>) v;
                    if (!m.isEmpty()) {
                        out.varLong(m.size());
                        for (Map.Entry<?, ?> e : m.entrySet()) {
                            out.string(e.getKey().toString());
                            value.write(e.getValue(), out);
                        }
                    }
                    out.varLong(0);
                };
            }
            case UNION:
                return union(s.getTypes(), open);
            case STRING:
                return (v, out) -> {
                    if (v instanceof String str) {
                        out.string(str);
                    } else if (v instanceof Utf8 u) {
                        out.varLong(u.getByteLength());
                        out.raw(u.getBytes(), 0, u.getByteLength());
                    } else {
                        out.string(((CharSequence) v).toString()); // anything else: Avro's writer decides
                    }
                };
            case BOOLEAN:
                return (v, out) -> out.raw1((Boolean) v ? 1 : 0);
            case INT:
                return (v, out) -> out.varLong((Integer) v);
            case LONG:
                return (v, out) -> out.varLong((Long) v);
            case FLOAT:
                return (v, out) -> out.littleEndian(Float.floatToRawIntBits((Float) v), 4);
            case DOUBLE:
                return (v, out) -> out.littleEndian(Double.doubleToRawLongBits((Double) v), 8);
            case BYTES:
                return (v, out) -> {
                    ByteBuffer b = ((ByteBuffer) v).duplicate();
                    out.varLong(b.remaining());
                    out.reserve(b.remaining());
                    int n = b.remaining();
                    b.get(out.buf, out.len, n);
                    out.len += n;
                };
            case FIXED: {
                int size = s.getFixedSize();
                return (v, out) -> {
                    byte[] b = ((GenericFixed) v).bytes();
                    if (b.length != size) {
                        throw new IllegalArgumentException("fixed of " + b.length + " bytes, expected " + size);
                    }
                    out.raw(b, 0, size);
                };
            }
            case NULL:
                return (v, out) -> {
                    if (v != null) {
                        throw new IllegalArgumentException("not null");
                    }
                };
            default:
                throw new UnsupportedOperationException(s.getType().getName());
        }
    }

    private static Node union(List<Schema> branches, java.util.Set<String> open) {
        int n = branches.size();
        Accepts[] accepts = new Accepts[n];
        Node[] nodes = new Node[n];
        int nullIndex = -1;
        for (int i = 0; i < n; i++) {
            accepts[i] = accepts(branches.get(i));
            nodes[i] = node(branches.get(i), open);
            if (branches.get(i).getType() == Schema.Type.NULL) {
                nullIndex = i;
            }
        }
        if (n == 2 && nullIndex >= 0) {
            // The usual optional field.
            int valueIndex = 1 - nullIndex;
            Node value = nodes[valueIndex];
            Accepts ok = accepts[valueIndex];
            int nullAt = nullIndex;
            return (v, out) -> {
                if (v == null) {
                    out.varLong(nullAt);
                } else if (ok.test(v)) {
                    out.varLong(valueIndex);
                    value.write(v, out);
                } else {
                    throw new IllegalArgumentException("no union branch for " + v.getClass().getName());
                }
            };
        }
        return (v, out) -> {
            for (int i = 0; i < n; i++) {
                if (accepts[i].test(v)) {
                    out.varLong(i);
                    nodes[i].write(v, out);
                    return;
                }
            }
            throw new IllegalArgumentException("no union branch for " + (v == null ? "null" : v.getClass().getName()));
        };
    }

    private static Accepts accepts(Schema s) {
        if (s.getLogicalType() != null) {
            return v -> v instanceof Instant;
        }
        switch (s.getType()) {
            case NULL:
                return v -> v == null;
            case RECORD: {
                String name = s.getFullName();
                return v -> v instanceof IndexedRecord r && r.getSchema().getFullName().equals(name);
            }
            case ENUM: {
                String name = s.getFullName();
                return v -> v instanceof Enum<?> e && e.getDeclaringClass().getName().equals(name);
            }
            case FIXED: {
                String name = s.getFullName();
                return v -> v instanceof GenericFixed f && f.getSchema().getFullName().equals(name);
            }
            default: {
                Class<?> type = UNION_BRANCH_TYPES.get(s.getType());
                if (type != null) {
                    return type::isInstance;
                }
                throw new UnsupportedOperationException("union of " + s.getType().getName());
            }
        }
    }

    /** The Java type of a union branch of each unnamed Avro type, as Avro's specific records hold it. */
    private static final Map<Schema.Type, Class<?>> UNION_BRANCH_TYPES = Map.of(Schema.Type.ARRAY, Collection.class,
            Schema.Type.MAP, Map.class, Schema.Type.STRING, CharSequence.class, Schema.Type.BYTES, ByteBuffer.class,
            Schema.Type.BOOLEAN, Boolean.class, Schema.Type.INT, Integer.class, Schema.Type.LONG, Long.class,
            Schema.Type.FLOAT, Float.class, Schema.Type.DOUBLE, Double.class);

    // ------------------------------------------------------------------ the buffer

    /** A growable byte buffer, kept per thread; one that grew past 64 KiB is dropped after use. */
    private static final class Out {
        private static final int KEEP = 64 * 1024;
        byte[] buf = new byte[1024];
        int len;

        void reserve(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        void shrink() {
            if (buf.length > KEEP) {
                buf = new byte[1024];
            }
        }

        void raw1(int b) {
            reserve(1);
            buf[len++] = (byte) b;
        }

        void raw(byte[] b, int off, int n) {
            reserve(n);
            System.arraycopy(b, off, buf, len, n);
            len += n;
        }

        /** Avro's int and long: zig-zag, then 7 bits a byte, low first. */
        void varLong(long v) {
            reserve(10);
            long z = (v << 1) ^ (v >> 63);
            while ((z & ~0x7FL) != 0) {
                buf[len++] = (byte) ((z & 0x7F) | 0x80);
                z >>>= 7;
            }
            buf[len++] = (byte) z;
        }

        void littleEndian(long bits, int bytes) {
            reserve(bytes);
            for (int i = 0; i < bytes; i++) {
                buf[len++] = (byte) (bits >>> (8 * i));
            }
        }

        /** Its UTF-8 length, then the bytes; ASCII (the usual case) is copied without an intermediate array. */
        @SuppressWarnings("deprecation")
        void string(String s) {
            int n = s.length();
            boolean ascii = true;
            for (int i = 0; i < n; i++) {
                if (s.charAt(i) >= 0x80) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                varLong(n);
                reserve(n);
                s.getBytes(0, n, buf, len); // low byte of each char: exact for ASCII
                len += n;
            } else {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                varLong(b.length);
                raw(b, 0, b.length);
            }
        }
    }
}
