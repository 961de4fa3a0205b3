package io.fencewatch.processor;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.streams.KeyValue;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.schema.inventory.WorkloadFacts;

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
        return marker(op, epoch, null);
    }

    private KeyValue<String, InventoryEvent> marker(Op op, long markerEpoch, ClusterFacts facts) {
        Source source = source();
        source.setEpoch(markerEpoch);
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source).setOp(op)
                .setSync(op == Op.SYNC_END ? new SyncInfo(1, 0, 0L, 0L, 0L, 0L) : null).setCluster(facts).build();
        return KeyValue.pair(Keys.marker(cluster), e);
    }

    /** SYNC_START carrying the cluster's facts. */
    KeyValue<String, InventoryEvent> syncStart(long newEpoch, ClusterFacts facts) {
        epoch = newEpoch;
        sequence = -1;
        return marker(Op.SYNC_START, epoch, facts);
    }

    KeyValue<String, InventoryEvent> heartbeat(ClusterFacts facts) {
        return marker(Op.HEARTBEAT, epoch, facts);
    }

    /**
     * UNREACHABLE as the collector sends it: epoch max(clock, last epoch + 1), never opened (the
     * feed's epoch stays), facts with the error and the outage's start.
     */
    KeyValue<String, InventoryEvent> unreachable(String error, Instant since) {
        return unreachable(Math.max(clock.get().toEpochMilli(), epoch + 1), oke("eu-frankfurt-1", "prod/eu")
                .setError(error).setUnreachableSince(since).build());
    }

    KeyValue<String, InventoryEvent> unreachable(long markerEpoch, ClusterFacts facts) {
        return marker(Op.UNREACHABLE, markerEpoch, facts);
    }

    KeyValue<String, InventoryEvent> clusterRemoved() {
        return clusterRemoved(Math.max(clock.get().toEpochMilli(), epoch + 1));
    }

    KeyValue<String, InventoryEvent> clusterRemoved(long markerEpoch) {
        return marker(Op.CLUSTER_REMOVED, markerEpoch, oke("eu-frankfurt-1", "prod/eu").build());
    }

    /** Facts of an OKE cluster as discovery reports them. */
    static ClusterFacts.Builder oke(String region, String compartment) {
        return ClusterFacts.newBuilder().setProvider("oke").setOcid("ocid1.cluster.oc1." + region + ".aaaa")
                .setRegion(region).setCompartmentId("ocid1.compartment.oc1..bbbb").setCompartment(compartment)
                .setKubernetesVersion("v1.31.1").setEndpointType("PRIVATE_ENDPOINT")
                .setCniTypes(List.of("OCI_VCN_IP_NATIVE"));
    }

    /** Facts of an OKE cluster on the flannel overlay whose collector looked for policy engines: none. */
    static ClusterFacts.Builder flannel(PolicyEngineFacts... engines) {
        return oke("eu-frankfurt-1", "prod/eu").setCniTypes(List.of("FLANNEL_OVERLAY")).setPolicyEngines(List.of(engines))
                .setPolicyEngineNamespaces(List.of("kube-system", "calico-system"));
    }

    /** Calico's DaemonSet as the collector reports it (FW-NP-002). */
    static PolicyEngineFacts calico(String version, Integer desired, Integer ready) {
        return PolicyEngineFacts.newBuilder().setEngine("calico").setNamespace("kube-system").setName("calico-node")
                .setImage("docker.io/calico/node:" + version).setDesired(desired).setReady(ready).build();
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

    /**
     * A policy of a kind beyond NetworkPolicy: namespaced kinds keyed by their namespace, cluster-scoped
     * ones (namespace null) keyed {@code <cluster>/*} as the collector sends them to every partition.
     */
    KeyValue<String, InventoryEvent> fence(Op op, Kind kind, String namespace, String name, FenceFacts facts) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(kind)
                .setNamespace(namespace).setName(name).setUid("uid-" + kind + "-" + name)
                .setResourceVersion("rv" + sequence).setFenceFacts(facts).build();
        return KeyValue.pair(namespace == null ? Keys.marker(cluster) : Keys.of(cluster, namespace), e);
    }

    /** A Calico policy as the collector translates it: {@code selector} and {@code types} as written, no rules. */
    static FenceFacts calicoDeny(String namespaceSelector, String selector, String... types) {
        return FenceFacts.newBuilder().setApiVersion("projectcalico.org/v3").setNamespaceExpression(namespaceSelector)
                .setPodExpression(selector).setTypes(types.length == 0 ? null : List.of(types)).build();
    }

    KeyValue<String, InventoryEvent> policy(Op op, String namespace, String name, PolicyFacts facts) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.NETWORK_POLICY)
                .setNamespace(namespace).setName(name).setUid("uid-" + namespace + "-" + name)
                .setResourceVersion("rv" + sequence).setPolicyFacts(facts).build();
        return KeyValue.pair(Keys.of(cluster, namespace), e);
    }

    /** A workload shape as the collector sends it: named {@code <ownerKind>/<ownerName>/<hash of its labels>}. */
    KeyValue<String, InventoryEvent> workload(Op op, String namespace, WorkloadFacts facts) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.WORKLOAD)
                .setNamespace(namespace).setName(shapeId(facts)).setUid(null).setResourceVersion("rv" + sequence)
                .setWorkloadFacts(facts).build();
        return KeyValue.pair(Keys.of(cluster, namespace), e);
    }

    static String shapeId(WorkloadFacts f) {
        String labels = new java.util.TreeMap<>(f.getLabels()) + "|" + f.getUnknownLabels() + "|" + f.getHostNetwork();
        return f.getOwnerKind() + "/" + f.getOwnerName() + "/" + String.format("%08x", labels.hashCode());
    }

    static WorkloadFacts shape(String kind, String name, Map<String, String> labels, int pods) {
        return new WorkloadFacts(kind, name, labels, List.of(), pods, false);
    }

    /** Facts of a cluster whose collector watches pods ({@code watches}) or not; engines not looked for. */
    static ClusterFacts pods(boolean watches) {
        return oke("eu-frankfurt-1", "prod/eu").setWatchesPods(watches).build();
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
