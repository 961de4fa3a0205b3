package io.fencewatch.schema.serde;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.Exemption;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.IpBlock;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyPort;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;

/** Records with every optional part set, and with none, for round trips and fuzzing. */
final class SampleRecords {
    static final Instant T0 = Instant.parse("2026-11-27T10:15:30.123Z");

    private SampleRecords() {
    }

    static Source source(long sequence) {
        return Source.newBuilder().setCluster("oke-prod-1").setCollector("collector-7f9c-abc12")
                .setEpoch(1_764_238_530_123L).setSequence(sequence).setObservedAt(T0).build();
    }

    static InventoryEvent namespaceUpsert() {
        return InventoryEvent.newBuilder().setSource(source(3)).setOp(Op.UPSERT).setKind(Kind.NAMESPACE)
                .setNamespace("payments-ü-名前").setName("payments-ü-名前").setUid("5f1b3c2e-uid")
                .setResourceVersion("123456")
                .setNamespaceFacts(NamespaceFacts.newBuilder().setPhase("Active")
                        .setLabels(Map.of("team", "payments", "fencewatch.io/exempt", "legacy"))
                        .setAnnotations(Map.of("fencewatch.io/exempt-until", "2027-01-01T00:00:00Z"))
                        .setCreatedAt(T0.minusSeconds(60)).setDeletionRequestedAt(T0).build())
                .build();
    }

    static InventoryEvent policySnapshot() {
        LabelSelector selector = LabelSelector.newBuilder().setMatchLabels(Map.of("app", "api"))
                .setMatchExpressions(List.of(LabelSelectorRequirement.newBuilder().setKey("tier")
                        .setOperator("In").setValues(List.of("web", "backend")).build()))
                .build();
        LabelSelector kubeSystem = LabelSelector.newBuilder()
                .setMatchLabels(Map.of("kubernetes.io/metadata.name", "kube-system")).setMatchExpressions(List.of()).build();
        PolicyRule dns = PolicyRule.newBuilder()
                .setPeers(List.of(PolicyPeer.newBuilder().setNamespaceSelector(kubeSystem).setPodSelector(selector)
                        .setIpBlock(IpBlock.newBuilder().setCidr("10.0.0.0/8").setExcept(List.of("10.1.0.0/16")).build())
                        .build()))
                .setPorts(List.of(PolicyPort.newBuilder().setProtocol("UDP").setPort("53").build(),
                        PolicyPort.newBuilder().setProtocol("TCP").setPort("53").setEndPort(54).build()))
                .build();
        PolicyRule allowAll = PolicyRule.newBuilder().build();
        return InventoryEvent.newBuilder().setSource(source(4)).setOp(Op.SNAPSHOT).setKind(Kind.NETWORK_POLICY)
                .setNamespace("payments").setName("default-deny").setUid("uid-2").setResourceVersion("99")
                .setPolicyFacts(PolicyFacts.newBuilder().setPodSelector(selector)
                        .setPolicyTypes(List.of("Ingress", "Egress")).setIngress(List.of(allowAll))
                        .setEgress(List.of(dns)).build())
                .build();
    }

    static InventoryEvent syncEnd() {
        return InventoryEvent.newBuilder().setSource(source(30_001)).setOp(Op.SYNC_END)
                .setSync(SyncInfo.newBuilder().setPartitions(6).setPartition(2).setNamespaces(10_000)
                        .setPolicies(20_000).setPartitionNamespaces(1_650).setPartitionPolicies(3_400).build())
                .build();
    }

    static InventoryEvent minimalHeartbeat() {
        return InventoryEvent.newBuilder().setSource(source(0)).setOp(Op.HEARTBEAT).build();
    }

    static EventRef cause() {
        return EventRef.newBuilder().setKind(Kind.NETWORK_POLICY).setName("default-deny").setOp(Op.DELETE)
                .setResourceVersion("100").setObservedAt(T0).setCollector("collector-7f9c-abc12")
                .setEpoch(1_764_238_530_123L).setSequence(5).build();
    }

    static NamespaceCoverage coverageFull() {
        return NamespaceCoverage.newBuilder().setCluster("oke-prod-1").setNamespace("payments").setUid("uid-1")
                .setStatus(Status.EXEMPT).setReason("exempt by label: legacy").setSince(T0)
                .setPolicies(List.of("allow-dns", "default-deny")).setIngress(Grade.DEFAULT_DENY)
                .setEgress(Grade.PARTIAL).setIngressAllowsAll(false).setEgressAllowsAll(true)
                .setExemption(Exemption.newBuilder().setSource("LABEL").setReason("legacy")
                        .setUntil(T0.plusSeconds(86_400)).build())
                .setStale(true).setProfile("strict").setCreatedAt(T0.minusSeconds(3600)).setUpdatedAt(T0)
                .setLastEvent(cause()).build();
    }

    static NamespaceCoverage coverageMinimal() {
        return NamespaceCoverage.newBuilder().setCluster("c").setNamespace("n").setStatus(Status.NON_COMPLIANT)
                .setReason("no NetworkPolicy").setSince(T0).setIngress(Grade.NONE).setEgress(Grade.NONE)
                .setUpdatedAt(T0).build();
    }

    static DriftEvent driftFull() {
        CoverageState before = CoverageState.newBuilder().setStatus(Status.COMPLIANT).setIngress(Grade.DEFAULT_DENY)
                .setEgress(Grade.NONE).setPolicyCount(1).build();
        CoverageState after = CoverageState.newBuilder().setStatus(Status.NON_COMPLIANT).setIngress(Grade.NONE)
                .setEgress(Grade.NONE).setStale(false).setPolicyCount(0).build();
        return DriftEvent.newBuilder().setId("oke-prod-1/payments/1764238530123/5").setCluster("oke-prod-1")
                .setNamespace("payments").setBefore(before).setAfter(after).setReason(DriftReason.LAST_POLICY_DELETED)
                .setCause(cause()).setDetectedAt(T0.plusMillis(12)).setProfile("baseline").build();
    }

    static DriftEvent driftMinimal() {
        return DriftEvent.newBuilder().setId("x").setCluster("c").setNamespace("n")
                .setReason(DriftReason.CLUSTER_STALE).setDetectedAt(T0).build();
    }
}
