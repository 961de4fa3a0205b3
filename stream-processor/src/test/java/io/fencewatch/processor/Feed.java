package io.fencewatch.processor;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.streams.KeyValue;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;

/** A simulated collector for one cluster: numbers its events per epoch as the real one does. */
final class Feed {
    final String cluster;
    final String collector;
    private final Supplier<Instant> clock;
    long epoch;
    long sequence;

    Feed(String cluster, long epoch, Supplier<Instant> clock) {
        this.cluster = cluster;
        this.collector = cluster + "-collector";
        this.epoch = epoch;
        this.sequence = -1;
        this.clock = clock;
    }

    private Source source() {
        return new Source(cluster, collector, epoch, ++sequence, clock.get());
    }

    private KeyValue<String, InventoryEvent> marker(Op op) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op)
                .setSync(op == Op.SYNC_END ? new SyncInfo(1, 0, 0L, 0L, 0L, 0L) : null).build();
        return KeyValue.pair(Keys.marker(cluster), e);
    }

    /** Starts a new epoch: the sequence restarts at 0 with SYNC_START. */
    KeyValue<String, InventoryEvent> syncStart(long newEpoch) {
        epoch = newEpoch;
        sequence = -1;
        return marker(Op.SYNC_START);
    }

    KeyValue<String, InventoryEvent> syncEnd() {
        return marker(Op.SYNC_END);
    }

    KeyValue<String, InventoryEvent> heartbeat() {
        return marker(Op.HEARTBEAT);
    }

    KeyValue<String, InventoryEvent> namespace(Op op, String name, NamespaceFacts facts) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.NAMESPACE)
                .setNamespace(name).setName(name).setUid("uid-" + name).setResourceVersion("rv" + sequence)
                .setNamespaceFacts(facts).build();
        return KeyValue.pair(Keys.of(cluster, name), e);
    }

    KeyValue<String, InventoryEvent> policy(Op op, String namespace, String name, PolicyFacts facts) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.NETWORK_POLICY)
                .setNamespace(namespace).setName(name).setUid("uid-" + namespace + "-" + name)
                .setResourceVersion("rv" + sequence).setPolicyFacts(facts).build();
        return KeyValue.pair(Keys.of(cluster, namespace), e);
    }

    static NamespaceFacts active(Instant createdAt) {
        return new NamespaceFacts("Active", Map.of(), Map.of(), createdAt, null);
    }

    static NamespaceFacts facts(String phase, Map<String, String> labels, Map<String, String> annotations,
            Instant createdAt, Instant deletionRequestedAt) {
        return new NamespaceFacts(phase, labels, annotations, createdAt, deletionRequestedAt);
    }

    static List<String> types(String... t) {
        return List.of(t);
    }
}
