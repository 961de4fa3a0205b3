package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Rules;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.FenceFacts;

/**
 * Policies beyond NetworkPolicy through the topology (issue 15): a cluster-scoped policy reaches
 * every namespace of its cluster, its change re-evaluates them with CLUSTER_POLICY_* drift, a
 * resync sweeps one that vanished, a relabel changes which ones select a namespace. FW-NP-001
 * (baseline) keeps counting NetworkPolicy objects alone.
 */
class ClusterPolicyTopologyTest {
    private static final Instant OLD = Harness.T0.minus(Duration.ofHours(1));
    /** Calico's documented cluster-wide default deny, kube-system left out. */
    private static final FenceFacts DEFAULT_DENY = Feed.calicoDeny(null,
            "projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}", "Ingress", "Egress");
    private static final Kind GNP = Kind.CALICO_GLOBAL_NETWORK_POLICY;

    private static Rules rules(Profile profile) {
        return Rules.defaults().withProfile(profile);
    }

    /** c1 at epoch 1000, synced: team (no policy), shop (a NetworkPolicy), kube-system (exempt). */
    private static Feed synced(Harness h) {
        Feed f = new Feed("c1", 1_000, h::now);
        h.send(f.syncStart(1_000));
        h.send(f.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
        h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
        h.send(f.policy(Op.SNAPSHOT, "shop", "deny", Policies.denyAll()));
        h.send(f.namespace(Op.SNAPSHOT, "kube-system", Feed.active(OLD)));
        h.send(f.syncEnd());
        h.drift();
        h.coverageRecords();
        return f;
    }

    private static Map<String, DriftReason> reasons(List<TestRecord<String, DriftEvent>> drift) {
        Map<String, DriftReason> out = new java.util.TreeMap<>();
        for (TestRecord<String, DriftEvent> r : drift) {
            assertThat(out.put(r.key(), r.value().getReason())).as("one drift per namespace: %s", r.key()).isNull();
        }
        return out;
    }

    @Test
    void shouldFenceEveryNamespaceItSelectsWhenACalicoGlobalDefaultDenyArrivesUnderTheEffectiveProfile() {
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h);
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);

            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY));

            NamespaceCoverage team = h.coverage("c1/team");
            assertThat(team.getStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(team.getProfile()).isEqualTo("effective");
            assertThat(team.getPolicies()).as("FW-NP-001's list: NetworkPolicies only").isEmpty();
            assertThat(team.getIngress()).as("NetworkPolicy grades unchanged").isEqualTo(Grade.NONE);
            assertThat(team.getEffectiveIngress()).isEqualTo(Grade.DEFAULT_DENY);
            assertThat(team.getEffectiveEgress()).isEqualTo(Grade.DEFAULT_DENY);
            assertThat(team.getFencedBy()).extracting(FenceRef::getKind, FenceRef::getName, FenceRef::getScope)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("GlobalNetworkPolicy", "default-deny", "cluster"));
            assertThat(team.getFencedBy().get(0).getDirections()).containsExactly("ingress", "egress");
            NamespaceCoverage shop = h.coverage("c1/shop");
            assertThat(shop.getFencedBy()).extracting(FenceRef::getScope).containsExactly("namespace", "cluster");
            assertThat(shop.getEffectiveEgress()).isEqualTo(Grade.DEFAULT_DENY);
            assertThat(h.coverage("c1/kube-system").getFencedBy()).as("not selected").isEmpty();

            Map<String, DriftReason> added = reasons(h.drift());
            assertThat(added).containsEntry("c1/team", DriftReason.CLUSTER_POLICY_ADDED)
                    .containsEntry("c1/shop", DriftReason.CLUSTER_POLICY_ADDED).doesNotContainKey("c1/kube-system");

            // The same facts again (a relist, a new resourceVersion): nothing to re-evaluate.
            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY));
            assertThat(h.drift()).isEmpty();

            // Changed to leave team out by name: only team moves.
            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", Feed.calicoDeny(null,
                    "projectcalico.org/namespace not in {'kube-system', 'team'}", "Ingress", "Egress")));
            assertThat(reasons(h.drift())).containsExactly(Map.entry("c1/team", DriftReason.CLUSTER_POLICY_CHANGED));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);

            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY));
            h.drift();
            h.send(f.fence(Op.DELETE, GNP, null, "default-deny", DEFAULT_DENY));
            Map<String, DriftReason> removed = reasons(h.drift());
            assertThat(removed).containsEntry("c1/team", DriftReason.CLUSTER_POLICY_REMOVED)
                    .containsEntry("c1/shop", DriftReason.CLUSTER_POLICY_REMOVED);
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(h.coverage("c1/team").getFencedBy()).isEmpty();
        }
    }

    @Test
    void shouldKeepFwNp001ExactUnderBaselineWhileShowingWhatTheClusterPolicyFences() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h);
            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY));
            NamespaceCoverage team = h.coverage("c1/team");
            assertThat(team.getStatus()).as("no NetworkPolicy object: FW-NP-001 fails").isEqualTo(Status.NON_COMPLIANT);
            assertThat(team.getProfile()).isEqualTo("baseline");
            assertThat(team.getEffectiveIngress()).isEqualTo(Grade.DEFAULT_DENY);
            assertThat(team.getFencedBy()).extracting(FenceRef::getName).containsExactly("default-deny");
            List<TestRecord<String, DriftEvent>> drift = h.drift();
            assertThat(reasons(drift)).containsEntry("c1/team", DriftReason.CLUSTER_POLICY_ADDED);
            DriftEvent d = drift.stream().filter(r -> r.key().equals("c1/team")).findFirst().orElseThrow().value();
            assertThat(d.getBefore().getStatus()).isEqualTo(d.getAfter().getStatus());
            assertThat(d.getAfter().getFencedBy()).containsExactly("cluster:GlobalNetworkPolicy:default-deny");
        }
    }

    @Test
    void shouldSweepAClusterPolicyThatVanishedWhileTheCollectorWasAway() {
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h);
            h.send(f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY));
            h.drift();
            // A new epoch lists everything but the policy.
            h.send(f.syncStart(2_000));
            h.send(f.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
            h.send(f.policy(Op.SNAPSHOT, "shop", "deny", Policies.denyAll()));
            h.send(f.namespace(Op.SNAPSHOT, "kube-system", Feed.active(OLD)));
            assertThat(h.coverage("c1/team").getStatus()).as("until SYNC_END the old epoch's policy holds")
                    .isEqualTo(Status.COMPLIANT);
            h.send(f.syncEnd());
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(reasons(h.drift())).containsEntry("c1/team", DriftReason.CLUSTER_POLICY_REMOVED);
        }
    }

    @Test
    void shouldNameARelabelThatBringsANamespaceUnderAClusterPolicy() {
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h);
            h.send(f.fence(Op.UPSERT, GNP, null, "prod-deny", Feed.calicoDeny("env == 'prod'", null, "Ingress")));
            assertThat(h.drift()).as("nothing is labelled env=prod yet").isEmpty();
            h.send(f.namespace(Op.UPSERT, "team", Feed.facts("Active", Map.of("env", "prod",
                    "kubernetes.io/metadata.name", "team"), Map.of(), OLD, null)));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(reasons(h.drift())).containsExactly(Map.entry("c1/team", DriftReason.NAMESPACE_RELABELED));
            h.send(f.namespace(Op.UPSERT, "team", Feed.facts("Active", Map.of("env", "dev"), Map.of(), OLD, null)));
            assertThat(reasons(h.drift())).containsExactly(Map.entry("c1/team", DriftReason.NAMESPACE_RELABELED));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
        }
    }

    @Test
    void shouldCountANamespacedCalicoPolicyForEffectiveButNotForFwNp001() {
        FenceFacts allPods = Feed.calicoDeny(null, "all()", "Ingress", "Egress");
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h);
            h.send(f.fence(Op.UPSERT, Kind.CALICO_NETWORK_POLICY, "team", "default-deny", allPods));
            NamespaceCoverage team = h.coverage("c1/team");
            assertThat(team.getStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(team.getPolicies()).isEmpty();
            assertThat(team.getFencedBy()).extracting(FenceRef::getApiVersion, FenceRef::getScope)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("projectcalico.org/v3", "namespace"));
            assertThat(reasons(h.drift())).containsExactly(Map.entry("c1/team", DriftReason.POLICY_ADDED));
            assertThat(h.coverage("c1/shop").getFencedBy()).as("another namespace's policy never counts")
                    .extracting(FenceRef::getKind).containsExactly("NetworkPolicy");
            h.send(f.fence(Op.DELETE, Kind.CALICO_NETWORK_POLICY, "team", "default-deny", allPods));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
        }
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h);
            h.send(f.fence(Op.UPSERT, Kind.CALICO_NETWORK_POLICY, "team", "default-deny", allPods));
            assertThat(h.coverage("c1/team").getStatus()).as("FW-NP-001 counts networking.k8s.io objects")
                    .isEqualTo(Status.NON_COMPLIANT);
        }
    }

    @Test
    void shouldDeadLetterAClusterPolicyKeyedByANamespaceOrWithoutFacts() {
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h);
            var wrongKey = f.fence(Op.UPSERT, GNP, null, "default-deny", DEFAULT_DENY);
            h.send(org.apache.kafka.streams.KeyValue.pair(Keys.of("c1", "team"), wrongKey.value));
            var noFacts = f.fence(Op.UPSERT, Kind.CILIUM_NETWORK_POLICY, "team", "deny", null);
            h.send(noFacts);
            assertThat(h.deadLetters()).hasSize(2);
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(h.drift()).isEmpty();
        }
    }
}
