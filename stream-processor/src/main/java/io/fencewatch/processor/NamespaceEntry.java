package io.fencewatch.processor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import io.fencewatch.rules.Fence;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * The facts kept per {@code <cluster>/<namespace>}: the namespace's latest event (null while only
 * its policies are known), the latest event of each of its policies (NetworkPolicies keyed by name,
 * the namespaced Calico and Cilium kinds by {@code <KIND>:<name>}: ':' is not legal in a name), and
 * when the processor first saw the namespace, and its workload shapes (kind WORKLOAD, keyed
 * {@code WORKLOAD:<shape id>}, FW-NP-003) beside the policies: one map, one epoch sweep, one bound on
 * the entry's bytes. Events are kept whole, so the verdict can change with
 * the rules without a resync, and each keeps its epoch for the sweep at {@code SYNC_END}.
 *
 * <p>The cluster-scoped policies of a cluster (GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy,
 * the admin network policies) are kept as one entry without namespace under the marker key
 * {@code <cluster>/*}, in every task (they reach every partition, as markers do): the same
 * epoch sweep applies to them.
 */
public record NamespaceEntry(Fact namespace, long firstSeen, SortedMap<String, Fact> policies) {

    /**
     * One event with its bytes as read from the inventory topic (Avro single-object encoding), so
     * storing the entry copies bytes instead of encoding events again.
     */
    public record Fact(InventoryEvent event, byte[] bytes) {
    }

    public NamespaceEntry {
        policies = Collections.unmodifiableSortedMap(new TreeMap<>(policies));
    }

    public static NamespaceEntry empty() {
        return new NamespaceEntry(null, 0L, new TreeMap<>());
    }

    public boolean hasNamespace() {
        return namespace != null;
    }

    /** The namespace's latest event, or null. */
    public InventoryEvent namespaceEvent() {
        return namespace == null ? null : namespace.event();
    }

    /** The key of a policy event in {@link #policies()}: its name for a NetworkPolicy, else {@code <KIND>:<name>}. */
    public static String policyKey(InventoryEvent event) {
        return policyKey(event.getKind(), event.getName());
    }

    public static String policyKey(Kind kind, String name) {
        return kind == Kind.NETWORK_POLICY ? name : kind.name() + ":" + name;
    }

    /** The facts the rule evaluates, without cluster-scoped policies and pods (needs the namespace). */
    public NamespaceState state() {
        return state(List.of(), false);
    }

    /**
     * The facts the rule evaluates: the namespace's facts, its NetworkPolicies', its own policies of
     * other kinds and {@code clusterFences}, its cluster's cluster-scoped ones (needs the namespace);
     * with {@code podsKnown} (its collector watches pods) every workload shape stored, else none.
     */
    public NamespaceState state(List<Fence> clusterFences, boolean podsKnown) {
        InventoryEvent ns = namespaceEvent();
        if (ns == null) {
            throw new IllegalArgumentException("no namespace facts to evaluate");
        }
        List<PolicyFacts> facts = new ArrayList<>(policies.size());
        List<String> names = new ArrayList<>(policies.size());
        List<Fence> fences = null;
        List<NamespaceState.Workload> workloads = podsKnown ? new ArrayList<>() : List.of();
        for (Fact p : policies.values()) {
            InventoryEvent e = p.event();
            if (e.getKind() == Kind.NETWORK_POLICY) {
                facts.add(e.getPolicyFacts());
                names.add(e.getName());
            } else if (e.getKind() == Kind.WORKLOAD) {
                if (podsKnown) {
                    workloads.add(new NamespaceState.Workload(e.getName(), e.getWorkloadFacts()));
                }
            } else {
                if (fences == null) {
                    fences = new ArrayList<>(clusterFences);
                }
                fences.add(new Fence(e.getKind(), e.getNamespace(), e.getName(), e.getFenceFacts()));
            }
        }
        return new NamespaceState(ns.getName(), ns.getNamespaceFacts(), facts, firstSeen, names,
                fences == null ? clusterFences : fences, workloads, podsKnown);
    }

    /** The policies as fences: for the cluster-scoped entry under {@code <cluster>/*}. */
    public List<Fence> fences() {
        List<Fence> out = new ArrayList<>(policies.size());
        for (Fact p : policies.values()) {
            InventoryEvent e = p.event();
            if (e.getFenceFacts() != null) {
                out.add(new Fence(e.getKind(), e.getNamespace(), e.getName(), e.getFenceFacts()));
            }
        }
        return List.copyOf(out);
    }

    /** The names of the namespace's networking.k8s.io NetworkPolicies (FW-NP-001's count), sorted. */
    public List<String> networkPolicyNames() {
        List<String> out = new ArrayList<>(policies.size());
        for (Fact p : policies.values()) {
            if (p.event().getKind() == Kind.NETWORK_POLICY) {
                out.add(p.event().getName());
            }
        }
        return out;
    }

    public boolean isEmpty() {
        return namespace == null && policies.isEmpty();
    }

    /**
     * With the namespace's latest event. The grace clock starts when the namespace is first seen,
     * and again when its uid changes (deleted and created again while the collector was away).
     */
    public NamespaceEntry withNamespace(Fact fact, long now) {
        InventoryEvent current = namespaceEvent();
        InventoryEvent event = fact.event();
        boolean recreated = current != null && current.getUid() != null && event.getUid() != null
                && !current.getUid().equals(event.getUid());
        return new NamespaceEntry(fact, current == null || recreated ? now : firstSeen, policies);
    }

    public NamespaceEntry withPolicy(Fact fact) {
        TreeMap<String, Fact> next = new TreeMap<>(policies);
        next.put(policyKey(fact.event()), fact);
        return new NamespaceEntry(namespace, firstSeen, next);
    }

    /** Without the policy of this {@link #policyKey(InventoryEvent) key}. */
    public NamespaceEntry withoutPolicy(String key) {
        if (!policies.containsKey(key)) {
            return this;
        }
        TreeMap<String, Fact> next = new TreeMap<>(policies);
        next.remove(key);
        return new NamespaceEntry(namespace, firstSeen, next);
    }

    /**
     * What remains after dropping every fact older than {@code epoch}: this same instance when
     * nothing is older, null when nothing remains. Policies listed in the new epoch stay even if
     * their namespace did not (the two informers' lists are not ordered with each other).
     */
    public NamespaceEntry sweptBefore(long epoch) {
        Fact ns = namespace != null && namespace.event().getSource().getEpoch() < epoch ? null : namespace;
        TreeMap<String, Fact> next = new TreeMap<>();
        for (Map.Entry<String, Fact> p : policies.entrySet()) {
            if (p.getValue().event().getSource().getEpoch() >= epoch) {
                next.put(p.getKey(), p.getValue());
            }
        }
        if (ns == namespace && next.size() == policies.size()) {
            return this;
        }
        NamespaceEntry swept = new NamespaceEntry(ns, firstSeen, next);
        return swept.isEmpty() ? null : swept;
    }

    /**
     * Binary form for the state store: a version byte, firstSeen, then each event in the
     * contract's Avro single-object encoding, so stored events evolve with the schema.
     */
    public static final class StoreSerde implements Serde<NamespaceEntry>, Serializer<NamespaceEntry>,
            Deserializer<NamespaceEntry> {
        private static final byte VERSION = 1;
        private final AvroSerde<InventoryEvent> events = FencewatchSerdes.inventoryEvent();

        @Override
        public byte[] serialize(String topic, NamespaceEntry entry) {
            if (entry == null) {
                return null;
            }
            int size = 1 + 8 + 1 + 4 + (entry.namespace() == null ? 0 : 4 + entry.namespace().bytes().length);
            for (Fact p : entry.policies().values()) {
                size += 4 + p.bytes().length;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(VERSION);
                out.writeLong(entry.firstSeen());
                out.writeBoolean(entry.namespace() != null);
                if (entry.namespace() != null) {
                    writeBlob(out, entry.namespace().bytes());
                }
                out.writeInt(entry.policies().size());
                for (Fact p : entry.policies().values()) {
                    writeBlob(out, p.bytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        @Override
        public NamespaceEntry deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                byte version = in.readByte();
                if (version != VERSION) {
                    throw new SerializationException("unknown namespace entry version " + version);
                }
                long firstSeen = in.readLong();
                Fact ns = in.readBoolean() ? read(topic, in) : null;
                int count = in.readInt();
                TreeMap<String, Fact> policies = new TreeMap<>();
                for (int i = 0; i < count; i++) {
                    Fact p = read(topic, in);
                    policies.put(policyKey(p.event()), p);
                }
                return new NamespaceEntry(ns, firstSeen, policies);
            } catch (IOException e) {
                throw new SerializationException("corrupt namespace entry", e);
            }
        }

        private Fact read(String topic, DataInputStream in) throws IOException {
            byte[] blob = readBlob(in);
            return new Fact(events.deserialize(topic, blob), blob);
        }

        private static void writeBlob(DataOutputStream out, byte[] blob) throws IOException {
            out.writeInt(blob.length);
            out.write(blob);
        }

        private static byte[] readBlob(DataInputStream in) throws IOException {
            int length = in.readInt();
            if (length < 0 || length > AvroSerde.DEFAULT_MAX_PAYLOAD_BYTES) {
                throw new SerializationException("corrupt namespace entry: blob of " + length + " bytes");
            }
            byte[] blob = new byte[length];
            in.readFully(blob);
            return blob;
        }

        @Override
        public Serializer<NamespaceEntry> serializer() {
            return this;
        }

        @Override
        public Deserializer<NamespaceEntry> deserializer() {
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
