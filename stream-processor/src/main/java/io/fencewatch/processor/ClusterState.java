package io.fencewatch.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import io.fencewatch.schema.inventory.ClusterFacts;

/**
 * What one task knows of one cluster's collector: its current epoch, the last sequence applied in
 * that epoch (in this partition), when it was last heard from (processor clock), whether it is
 * stale, which collector instance opened the epoch, how many keys of the cluster this task holds and
 * whether it hit {@code --max-namespaces-per-cluster}; whether the epoch's SYNC_END was applied
 * here ({@code synced}), the cluster's facts from the latest marker that carried them (null if
 * none did), and, while the collector reports it cannot reach the API server, the error and since
 * when ({@code unreachable} is null when reachable), and whether this task opened the cluster's
 * reachability finding. Kept per task in {@link CoverageTopology#CLUSTER_STORE}, keyed by cluster
 * id; the query surface reads it through {@link io.fencewatch.query.ClusterLiveness}.
 */
public record ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector,
        long namespaces, boolean capped, boolean synced, ClusterFacts facts, String unreachable,
        long unreachableSince, boolean findingOpen, boolean removed) implements io.fencewatch.query.ClusterLiveness {

    /** No epoch opened yet: a cluster first heard of through an epoch-neutral marker (UNREACHABLE). */
    public static final long NO_EPOCH = Long.MIN_VALUE;
    /** Characters of an UNREACHABLE error kept (the rest is cut with "..."). */
    public static final int MAX_ERROR_CHARS = 1000;

    public ClusterState {
        collector = collector == null ? "" : collector;
        facts = facts == null ? null : withoutOutage(facts);
    }

    /** A live cluster's state (not removed). */
    public ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector, long namespaces,
            boolean capped, boolean synced, ClusterFacts facts, String unreachable, long unreachableSince,
            boolean findingOpen) {
        this(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts, unreachable,
                unreachableSince, findingOpen, false);
    }

    /**
     * What stays of a cluster after CLUSTER_REMOVED: its epoch, so that a late event of that or an
     * older epoch (an OCI bridge forwards the marker ahead of what it still holds) cannot bring rows
     * back; only a SYNC_START of a newer epoch (a new cluster of the same name) starts it again.
     * Hidden from the query surface.
     */
    public static ClusterState removedAt(long epoch, long now, String collector) {
        return new ClusterState(epoch, Long.MAX_VALUE, now, false, collector, 0L, false, false, null, null, 0L, false, true);
    }

    public ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale) {
        this(epoch, lastSequence, lastSeen, stale, "", 0L, false);
    }

    /** A state of the earlier versions: synced (an existing epoch is taken as complete), no facts, reachable. */
    public ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector,
            long namespaces, boolean capped) {
        this(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, true, null, null, 0L, false);
    }

    /** The facts as kept: the outage fields live in {@link #unreachable} and {@link #unreachableSince}. */
    private static ClusterFacts withoutOutage(ClusterFacts f) {
        if (f.getError() == null && f.getUnreachableSince() == null) {
            return f;
        }
        return ClusterFacts.newBuilder(f).setError(null).setUnreachableSince(null).build();
    }

    public ClusterState withEpoch(long newEpoch) {
        return withEpoch(newEpoch, collector);
    }

    /** A new epoch opened by {@code instance}: its snapshot is still to come (not synced). */
    public ClusterState withEpoch(long newEpoch, String instance) {
        return new ClusterState(newEpoch, Long.MIN_VALUE, lastSeen, stale, instance, namespaces, capped, false, facts,
                unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withSequence(long sequence) {
        return new ClusterState(epoch, sequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withLastSeen(long now) {
        return new ClusterState(epoch, lastSequence, now, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withStale(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, value, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withNamespaces(long count) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, Math.max(0, count), capped, synced,
                facts, unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withCapped(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, value, synced, facts,
                unreachable, unreachableSince, findingOpen);
    }

    public ClusterState withSynced(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, value, facts,
                unreachable, unreachableSince, findingOpen);
    }

    /** The facts of a marker replace the stored ones; a marker without facts (an older collector) keeps them. */
    public ClusterState withFacts(ClusterFacts value) {
        if (value == null) {
            return this;
        }
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, value,
                unreachable, unreachableSince, findingOpen);
    }

    /** Unreachable since {@code since} (ms) for {@code error}; {@code error} null: reachable again. */
    public ClusterState withUnreachable(String error, long since) {
        String text = error == null ? null
                : error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) + "..." : error;
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                text, text == null ? 0L : since, findingOpen);
    }

    public ClusterState withFindingOpen(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, value);
    }

    /** Its rows are held stale: the collector is silent, or says it cannot reach the API server. */
    public boolean held() {
        return stale || unreachable != null;
    }

    @Override
    public String provider() {
        return facts == null ? null : facts.getProvider();
    }

    @Override
    public String ocid() {
        return facts == null ? null : facts.getOcid();
    }

    @Override
    public String region() {
        return facts == null ? null : facts.getRegion();
    }

    @Override
    public String compartmentId() {
        return facts == null ? null : facts.getCompartmentId();
    }

    @Override
    public String compartment() {
        return facts == null ? null : facts.getCompartment();
    }

    @Override
    public String kubernetesVersion() {
        return facts == null ? null : facts.getKubernetesVersion();
    }

    @Override
    public String endpointType() {
        return facts == null ? null : facts.getEndpointType();
    }

    /**
     * Binary form for the state store. Version 1: the fixed 26 bytes of epoch, sequence, last seen
     * and stale. Version 2 adds collector, key count and cap. Version 3 adds synced, the finding
     * flag, the outage (since, error), the facts as length-prefixed strings (not Avro, so the
     * layout does not move when ClusterFacts evolves) and the removed flag. Versions 1 and 2 are still read, as synced,
     * reachable and without facts.
     */
    public static final class StoreSerde implements Serde<ClusterState>, Serializer<ClusterState>,
            Deserializer<ClusterState> {
        static final byte V1 = 1;
        static final byte V2 = 2;
        static final byte V3 = 3;
        static final int V1_LENGTH = 1 + 8 + 8 + 8 + 1;

        @Override
        public byte[] serialize(String topic, ClusterState s) {
            if (s == null) {
                return null;
            }
            List<byte[]> strings = new ArrayList<>();
            byte[] collector = s.collector().getBytes(StandardCharsets.UTF_8);
            int size = V1_LENGTH + 8 + 1 + 2 + collector.length + 1 + 1 + 8 + 1 + 1;
            strings.add(utf8(s.unreachable()));
            ClusterFacts f = s.facts();
            if (f != null) {
                strings.add(utf8(f.getProvider()));
                strings.add(utf8(f.getOcid()));
                strings.add(utf8(f.getRegion()));
                strings.add(utf8(f.getCompartmentId()));
                strings.add(utf8(f.getCompartment()));
                strings.add(utf8(f.getKubernetesVersion()));
                strings.add(utf8(f.getEndpointType()));
                size += 4;
                for (String cni : f.getCniTypes()) {
                    strings.add(utf8(cni));
                }
            }
            for (byte[] b : strings) {
                size += 4 + (b == null ? 0 : b.length);
            }
            ByteBuffer out = ByteBuffer.allocate(size).put(V3).putLong(s.epoch()).putLong(s.lastSequence())
                    .putLong(s.lastSeen()).put((byte) (s.stale() ? 1 : 0)).putLong(s.namespaces())
                    .put((byte) (s.capped() ? 1 : 0)).putShort((short) collector.length).put(collector)
                    .put((byte) (s.synced() ? 1 : 0)).put((byte) (s.findingOpen() ? 1 : 0))
                    .putLong(s.unreachableSince());
            // The removed flag ends the record.
            putString(out, strings.get(0));
            out.put((byte) (f == null ? 0 : 1));
            if (f != null) {
                for (int i = 1; i <= 7; i++) {
                    putString(out, strings.get(i));
                }
                out.putInt(strings.size() - 8);
                for (int i = 8; i < strings.size(); i++) {
                    putString(out, strings.get(i));
                }
            }
            out.put((byte) (s.removed() ? 1 : 0));
            return out.array();
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
                if (version != V2 && version != V3) {
                    throw new SerializationException("corrupt cluster state (version " + version + ")");
                }
                long epoch = b.getLong();
                long seq = b.getLong();
                long seen = b.getLong();
                boolean stale = b.get() != 0;
                long namespaces = b.getLong();
                boolean capped = b.get() != 0;
                byte[] collectorBytes = new byte[b.getShort() & 0xffff];
                b.get(collectorBytes);
                String collector = new String(collectorBytes, StandardCharsets.UTF_8);
                if (version == V2) {
                    return new ClusterState(epoch, seq, seen, stale, collector, namespaces, capped);
                }
                boolean synced = b.get() != 0;
                boolean findingOpen = b.get() != 0;
                long since = b.getLong();
                String error = getString(b);
                ClusterFacts facts = null;
                if (b.get() != 0) {
                    ClusterFacts.Builder f = ClusterFacts.newBuilder().setProvider(getString(b)).setOcid(getString(b))
                            .setRegion(getString(b)).setCompartmentId(getString(b)).setCompartment(getString(b))
                            .setKubernetesVersion(getString(b)).setEndpointType(getString(b));
                    int n = b.getInt();
                    if (n < 0 || n > b.remaining() / 4) {
                        throw new SerializationException("corrupt cluster state (" + n + " CNI types)");
                    }
                    List<String> cni = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        cni.add(getString(b));
                    }
                    facts = f.setCniTypes(cni).build();
                }
                boolean removed = b.get() != 0;
                return new ClusterState(epoch, seq, seen, stale, collector, namespaces, capped, synced, facts, error,
                        since, findingOpen, removed);
            } catch (java.nio.BufferUnderflowException | IllegalArgumentException
                    | org.apache.avro.AvroRuntimeException e) {
                throw new SerializationException("corrupt cluster state (" + data.length + " bytes)");
            }
        }

        private static byte[] utf8(String s) {
            return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
        }

        private static void putString(ByteBuffer out, byte[] s) {
            if (s == null) {
                out.putInt(-1);
            } else {
                out.putInt(s.length).put(s);
            }
        }

        private static String getString(ByteBuffer b) {
            int n = b.getInt();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("bad string length " + n);
            }
            byte[] s = new byte[n];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
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
