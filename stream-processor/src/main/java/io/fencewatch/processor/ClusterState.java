package io.fencewatch.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What one task knows of one cluster's collector: its current epoch, the last sequence applied in
 * that epoch (in this partition), when it was last heard from (processor clock), whether it is
 * stale, which collector instance opened the epoch, how many keys of the cluster this task holds and
 * whether it hit {@code --max-namespaces-per-cluster}. Kept per task in
 * {@link CoverageTopology#CLUSTER_STORE}, keyed by cluster id; the query surface reads {@code lastSeen}
 * from it (a cluster's heartbeats count as being seen).
 */
public record ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector,
        long namespaces, boolean capped) implements io.fencewatch.query.ClusterLiveness {

    public ClusterState {
        collector = collector == null ? "" : collector;
    }

    public ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale) {
        this(epoch, lastSequence, lastSeen, stale, "", 0L, false);
    }

    public ClusterState withEpoch(long newEpoch) {
        return new ClusterState(newEpoch, Long.MIN_VALUE, lastSeen, stale, collector, namespaces, capped);
    }

    /** A new epoch opened by {@code instance}. */
    public ClusterState withEpoch(long newEpoch, String instance) {
        return new ClusterState(newEpoch, Long.MIN_VALUE, lastSeen, stale, instance, namespaces, capped);
    }

    public ClusterState withSequence(long sequence) {
        return new ClusterState(epoch, sequence, lastSeen, stale, collector, namespaces, capped);
    }

    public ClusterState withLastSeen(long now) {
        return new ClusterState(epoch, lastSequence, now, stale, collector, namespaces, capped);
    }

    public ClusterState withStale(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, value, collector, namespaces, capped);
    }

    public ClusterState withNamespaces(long count) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, Math.max(0, count), capped);
    }

    public ClusterState withCapped(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, value);
    }

    /**
     * Binary form for the state store: version 2 adds collector, key count and cap to the fixed
     * 26 bytes of version 1, which is still read (as collector unknown, no keys counted).
     */
    public static final class StoreSerde implements Serde<ClusterState>, Serializer<ClusterState>,
            Deserializer<ClusterState> {
        private static final byte V1 = 1;
        private static final byte V2 = 2;
        private static final int V1_LENGTH = 1 + 8 + 8 + 8 + 1;

        @Override
        public byte[] serialize(String topic, ClusterState s) {
            if (s == null) {
                return null;
            }
            byte[] collector = s.collector().getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(V1_LENGTH + 8 + 1 + 2 + collector.length).put(V2).putLong(s.epoch())
                    .putLong(s.lastSequence()).putLong(s.lastSeen()).put((byte) (s.stale() ? 1 : 0))
                    .putLong(s.namespaces()).put((byte) (s.capped() ? 1 : 0)).putShort((short) collector.length)
                    .put(collector).array();
        }

        @Override
        public ClusterState deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(data);
                byte version = b.get();
                if (version == V1 && data.length == V1_LENGTH) {
                    return new ClusterState(b.getLong(), b.getLong(), b.getLong(), b.get() != 0);
                }
                if (version != V2) {
                    throw new SerializationException("corrupt cluster state (version " + version + ")");
                }
                long epoch = b.getLong();
                long seq = b.getLong();
                long seen = b.getLong();
                boolean stale = b.get() != 0;
                long namespaces = b.getLong();
                boolean capped = b.get() != 0;
                byte[] collector = new byte[b.getShort() & 0xffff];
                b.get(collector);
                return new ClusterState(epoch, seq, seen, stale, new String(collector, StandardCharsets.UTF_8),
                        namespaces, capped);
            } catch (java.nio.BufferUnderflowException e) {
                throw new SerializationException("corrupt cluster state (" + data.length + " bytes)");
            }
        }

        @Override
        public Serializer<ClusterState> serializer() {
            return this;
        }

        @Override
        public Deserializer<ClusterState> deserializer() {
            return this;
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            // Nothing to configure.
        }

        @Override
        public void close() {
            // Stateless.
        }
    }
}
