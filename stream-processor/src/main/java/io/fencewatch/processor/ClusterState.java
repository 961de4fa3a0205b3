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

import io.fencewatch.rules.Enforcement;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

/**
 * What one task knows of one cluster's collector: its current epoch, the last sequence applied in
 * that epoch (in this partition), when it was last heard from (processor clock), whether it is
 * stale, which collector instance opened the epoch, how many keys of the cluster this task holds and
 * whether it hit {@code --max-namespaces-per-cluster}; whether the epoch's SYNC_END was applied
 * here ({@code synced}), the cluster's facts from the latest marker that carried them (null if
 * none did; with the NetworkPolicy engines its collector found, FW-NP-002), and, while the
 * collector reports it cannot reach the API server, the error and since when ({@code unreachable}
 * is null when reachable), and whether this task opened the cluster's reachability finding
 * ({@code findingOpen}, FW-CL-001) and its enforcement finding ({@code enforcementFindingOpen},
 * FW-NP-002). Whether the collector watches pods ({@link #watchesPods()}, FW-NP-003) is part of the
 * facts. Kept per task in {@link CoverageTopology#CLUSTER_STORE}, keyed by cluster id; the
 * query surface reads it through {@link io.fencewatch.query.ClusterLiveness}.
 */
public record ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector,
        long namespaces, boolean capped, boolean synced, ClusterFacts facts, String unreachable,
        long unreachableSince, boolean findingOpen, boolean removed, boolean enforcementFindingOpen)
        implements io.fencewatch.query.ClusterLiveness {

    /** No epoch opened yet: a cluster first heard of through an epoch-neutral marker (UNREACHABLE). */
    public static final long NO_EPOCH = Long.MIN_VALUE;
    /** Characters of an UNREACHABLE error kept (the rest is cut with "..."). */
    public static final int MAX_ERROR_CHARS = 1000;

    public ClusterState {
        collector = collector == null ? "" : collector;
        facts = facts == null ? null : withoutOutage(facts);
    }

    /** A live cluster's state (not removed), without an open enforcement finding. */
    public ClusterState(long epoch, long lastSequence, long lastSeen, boolean stale, String collector, long namespaces,
            boolean capped, boolean synced, ClusterFacts facts, String unreachable, long unreachableSince,
            boolean findingOpen) {
        this(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts, unreachable,
                unreachableSince, findingOpen, false, false);
    }

    /**
     * What stays of a cluster after CLUSTER_REMOVED: its epoch, so that a late event of that or an
     * older epoch (an OCI bridge forwards the marker ahead of what it still holds) cannot bring rows
     * back; only a SYNC_START of a newer epoch (a new cluster of the same name) starts it again.
     * Hidden from the query surface.
     */
    public static ClusterState removedAt(long epoch, long now, String collector) {
        return new ClusterState(epoch, Long.MAX_VALUE, now, false, collector, 0L, false, false, null, null, 0L, false,
                true, false);
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
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withSequence(long sequence) {
        return new ClusterState(epoch, sequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withLastSeen(long now) {
        return new ClusterState(epoch, lastSequence, now, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withStale(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, value, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withNamespaces(long count) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, Math.max(0, count), capped, synced,
                facts, unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withCapped(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, value, synced, facts,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withSynced(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, value, facts,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    /** The facts of a marker replace the stored ones; a marker without facts (an older collector) keeps them. */
    public ClusterState withFacts(ClusterFacts value) {
        if (value == null) {
            return this;
        }
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, value,
                unreachable, unreachableSince, findingOpen, removed, enforcementFindingOpen);
    }

    /**
     * The facts of an UNREACHABLE marker: as {@link #withFacts}, but a collector that cannot reach
     * the API server cannot look for policy engines either, so facts that say nothing of them
     * ({@code policyEngines} null) keep the last known engines, the namespaces looked in and the
     * error: the verdict stays the last known one, as the rows' statuses do.
     */
    public ClusterState withOutageFacts(ClusterFacts value) {
        if (value == null || facts == null) {
            return withFacts(value);
        }
        // Nor can it list pods: whether pods are known stays as it was (the rows are held stale meanwhile).
        ClusterFacts.Builder kept = ClusterFacts.newBuilder(value).setWatchesPods(facts.getWatchesPods());
        if (value.getPolicyEngines() == null && facts.getPolicyEngines() != null) {
            kept.setPolicyEngines(facts.getPolicyEngines()).setPolicyEngineNamespaces(facts.getPolicyEngineNamespaces())
                    .setPolicyEnginesError(facts.getPolicyEnginesError());
        }
        return withFacts(kept.build());
    }

    /**
     * Whether the cluster's pods are known (FW-NP-003): its latest marker with facts said its
     * collector watches pods and publishes every namespace's workload shapes.
     */
    public boolean watchesPods() {
        return facts != null && facts.getWatchesPods();
    }

    /** Unreachable since {@code since} (ms) for {@code error}; {@code error} null: reachable again. */
    public ClusterState withUnreachable(String error, long since) {
        String text = error == null ? null
                : error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) + "..." : error;
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                text, text == null ? 0L : since, findingOpen, removed, enforcementFindingOpen);
    }

    public ClusterState withFindingOpen(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, value, removed, enforcementFindingOpen);
    }

    /** Whether this task (of partition 0) has opened the cluster's FW-NP-002 finding. */
    public ClusterState withEnforcementFindingOpen(boolean value) {
        return new ClusterState(epoch, lastSequence, lastSeen, stale, collector, namespaces, capped, synced, facts,
                unreachable, unreachableSince, findingOpen, removed, value);
    }

    /** FW-NP-002's verdict on the facts kept (UNKNOWN without facts, or facts without engines). */
    public Enforcement verdict() {
        return Enforcement.of(facts);
    }

    @Override
    public PolicyEnforcement enforcement() {
        Enforcement e = verdict();
        List<PolicyEngine> engines = new ArrayList<>(e.engines().size());
        for (Enforcement.Engine x : e.engines()) {
            engines.add(new PolicyEngine(x.name(), x.version(), x.namespace(), x.workload(), x.desired(), x.ready()));
        }
        return new PolicyEnforcement(e.state().name(), engines, e.reason());
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
     * layout does not move when ClusterFacts evolves) and the removed flag. Version 4 (written)
     * adds the FW-NP-002 finding flag and, with the facts, the policy engines (a count, -1 when the
     * collector reported none at all: null and empty are different verdicts; per engine its id,
     * kind, namespace, name, image, desired and ready), the namespaces looked in and the error.
     * Versions 1 and 2 are still read, as synced, reachable and without facts; version 3 as
     * without engine facts (the collector's next marker brings them) and no FW-NP-002 finding open.
     * Version 5 (written) adds, with the facts, {@code watchesPods}; version 4 is read as not watching
     * pods (no collector of its time did).
     */
    public static final class StoreSerde implements Serde<ClusterState>, Serializer<ClusterState>,
            Deserializer<ClusterState> {
        static final byte V1 = 1;
        static final byte V2 = 2;
        static final byte V3 = 3;
        static final byte V4 = 4;
        static final byte V5 = 5;
        static final int V1_LENGTH = 1 + 8 + 8 + 8 + 1;

        @Override
        public byte[] serialize(String topic, ClusterState s) {
            if (s == null) {
                return null;
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256);
            java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
            try {
                byte[] collector = s.collector().getBytes(StandardCharsets.UTF_8);
                out.writeByte(V5);
                out.writeLong(s.epoch());
                out.writeLong(s.lastSequence());
                out.writeLong(s.lastSeen());
                out.writeBoolean(s.stale());
                out.writeLong(s.namespaces());
                out.writeBoolean(s.capped());
                out.writeShort(collector.length);
                out.write(collector);
                out.writeBoolean(s.synced());
                out.writeBoolean(s.findingOpen());
                out.writeLong(s.unreachableSince());
                putString(out, s.unreachable());
                ClusterFacts f = s.facts();
                out.writeBoolean(f != null);
                if (f != null) {
                    for (String v : new String[] {f.getProvider(), f.getOcid(), f.getRegion(), f.getCompartmentId(),
                            f.getCompartment(), f.getKubernetesVersion(), f.getEndpointType()}) {
                        putString(out, v);
                    }
                    putStrings(out, f.getCniTypes());
                }
                out.writeBoolean(s.removed());
                // Version 4 from here.
                out.writeBoolean(s.enforcementFindingOpen());
                if (f != null) {
                    List<PolicyEngineFacts> engines = f.getPolicyEngines();
                    out.writeInt(engines == null ? -1 : engines.size());
                    if (engines != null) {
                        for (PolicyEngineFacts e : engines) {
                            putString(out, e.getEngine());
                            putString(out, e.getKind());
                            putString(out, e.getNamespace());
                            putString(out, e.getName());
                            putString(out, e.getImage());
                            putInt(out, e.getDesired());
                            putInt(out, e.getReady());
                        }
                    }
                    putStrings(out, f.getPolicyEngineNamespaces());
                    putString(out, f.getPolicyEnginesError());
                    // Version 5 from here.
                    out.writeBoolean(f.getWatchesPods());
                }
                out.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write to memory", e);
            }
            return bytes.toByteArray();
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
                if (version != V2 && version != V3 && version != V4 && version != V5) {
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
                ClusterFacts.Builder f = null;
                if (b.get() != 0) {
                    f = ClusterFacts.newBuilder().setProvider(getString(b)).setOcid(getString(b))
                            .setRegion(getString(b)).setCompartmentId(getString(b)).setCompartment(getString(b))
                            .setKubernetesVersion(getString(b)).setEndpointType(getString(b))
                            .setCniTypes(getStrings(b, "CNI types"));
                }
                boolean removed = b.get() != 0;
                boolean enforcementFindingOpen = false;
                if (version >= V4) {
                    enforcementFindingOpen = b.get() != 0;
                    if (f != null) {
                        int n = b.getInt();
                        if (n < -1 || n > b.remaining() / 4) {
                            throw new SerializationException("corrupt cluster state (" + n + " policy engines)");
                        }
                        List<PolicyEngineFacts> engines = null;
                        if (n >= 0) {
                            engines = new ArrayList<>(n);
                            for (int i = 0; i < n; i++) {
                                engines.add(PolicyEngineFacts.newBuilder().setEngine(getString(b)).setKind(getString(b))
                                        .setNamespace(getString(b)).setName(getString(b)).setImage(getString(b))
                                        .setDesired(getInt(b)).setReady(getInt(b)).build());
                            }
                        }
                        f.setPolicyEngines(engines).setPolicyEngineNamespaces(getStrings(b, "engine namespaces"))
                                .setPolicyEnginesError(getString(b));
                        if (version == V5) {
                            f.setWatchesPods(b.get() != 0);
                        }
                    }
                }
                return new ClusterState(epoch, seq, seen, stale, collector, namespaces, capped, synced,
                        f == null ? null : f.build(), error, since, findingOpen, removed, enforcementFindingOpen);
            } catch (java.nio.BufferUnderflowException | IllegalArgumentException | NullPointerException
                    | org.apache.avro.AvroRuntimeException e) {
                throw new SerializationException("corrupt cluster state (" + data.length + " bytes)");
            }
        }

        private static void putString(java.io.DataOutputStream out, String s) throws java.io.IOException {
            if (s == null) {
                out.writeInt(-1);
            } else {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
        }

        private static void putStrings(java.io.DataOutputStream out, List<String> list) throws java.io.IOException {
            out.writeInt(list.size());
            for (String v : list) {
                putString(out, v);
            }
        }

        /** A nullable int: a presence byte, then the value. */
        private static void putInt(java.io.DataOutputStream out, Integer v) throws java.io.IOException {
            out.writeBoolean(v != null);
            if (v != null) {
                out.writeInt(v);
            }
        }

        private static Integer getInt(ByteBuffer b) {
            return b.get() != 0 ? b.getInt() : null;
        }

        private static List<String> getStrings(ByteBuffer b, String what) {
            int n = b.getInt();
            if (n < 0 || n > b.remaining() / 4) {
                throw new SerializationException("corrupt cluster state (" + n + " " + what + ")");
            }
            List<String> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(getString(b));
            }
            return list;
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
