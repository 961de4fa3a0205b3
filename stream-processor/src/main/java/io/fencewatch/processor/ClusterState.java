package io.fencewatch.processor;

import java.nio.ByteBuffer;
import java.util.Map;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What one task knows of one cluster's collector: its current epoch, the last sequence applied in
 * that epoch (in this partition), when it was last heard from (processor clock) and whether it is
 * stale. Kept per task in {@link CoverageTopology#CLUSTER_STORE}, keyed by cluster id; the query
 * surface reads {@code lastSeen} from it (a cluster's heartbeats count as being seen).
 */
public record ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale)
        implements io.fencewatch.query.ClusterLiveness {

    public ClusterState withEpoch(long newEpoch) {
        return new ClusterState(newEpoch, Long.MIN_VALUE, lastSeen, stale);
    }

    public ClusterState withSequence(long sequence) {
        return new ClusterState(epoch, sequence, lastSeen, stale);
    }

    public ClusterState withLastSeen(long now) {
        return new ClusterState(epoch, lastSequence, now, stale);
    }

    public ClusterState withStale(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, value);
    }

    /** Fixed 26-byte binary form for the state store. */
    public static final class StoreSerde implements Serde<ClusterState>, Serializer<ClusterState>,
            Deserializer<ClusterState> {
        private static final byte VERSION = 1;
        private static final int LENGTH = 1 + 8 + 8 + 8 + 1;

        @Override
        public byte[] serialize(String topic, ClusterState s) {
            if (s == null) {
                return null;
            }
            return ByteBuffer.allocate(LENGTH).put(VERSION).putLong(s.epoch()).putLong(s.lastSequence())
                    .putLong(s.lastSeen()).put((byte) (s.stale() ? 1 : 0)).array();
        }

        @Override
        public ClusterState deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            if (data.length != LENGTH || data[0] != VERSION) {
                throw new SerializationException("corrupt cluster state (" + data.length + " bytes)");
            }
            ByteBuffer b = ByteBuffer.wrap(data, 1, LENGTH - 1);
            return new ClusterState(b.getLong(), b.getLong(), b.getLong(), b.get() != 0);
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
