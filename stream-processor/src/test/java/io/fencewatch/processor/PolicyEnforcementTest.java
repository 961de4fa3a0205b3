package io.fencewatch.processor;

import static io.fencewatch.schema.drift.DriftReason.CLUSTER_REMOVED;
import static io.fencewatch.schema.drift.DriftReason.CLUSTER_UNREACHABLE;
import static io.fencewatch.schema.drift.DriftReason.ENFORCEMENT_UNKNOWN;
import static io.fencewatch.schema.drift.DriftReason.POLICY_ENGINE_ADDED;
import static io.fencewatch.schema.drift.DriftReason.POLICY_ENGINE_REMOVED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.rules.Rules;
import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * FW-NP-002 through the topology (issue 13): every row carries the cluster's {@code enforced}; a
 * marker that changes the verdict rewrites the rows with a drift each; the task of partition 0
 * keeps one finding per cluster open while it runs no NetworkPolicy engine. FW-NP-001's statuses
 * never move with it.
 */
class PolicyEnforcementTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant OLD = Harness.T0.minus(Duration.ofHours(1));
    private static final ClusterFacts NONE = Feed.flannel().build();
    private static final ClusterFacts CALICO = Feed.flannel(Feed.calico("v3.28.0", 3, 3)).build();

    /** c1 at epoch 1000 with {@code facts}, synced: team (no policy), shop (a policy), kube-system (exempt). */
    private static Feed synced(Harness h, ClusterFacts facts) {
        Feed f = new Feed("c1", 1_000, h::now);
        h.send(f.syncStart(1_000, facts));
        h.send(f.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
        h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
        h.send(f.policy(Op.SNAPSHOT, "shop", "deny", Policies.denyAll()));
        h.send(f.namespace(Op.SNAPSHOT, "kube-system", Feed.active(OLD)));
        h.send(f.syncEnd());
        return f;
    }

    private static void drain(Harness h) {
        h.drift();
        h.findings();
        h.coverageRecords();
    }

    private static List<String> reasons(List<TestRecord<String, DriftEvent>> drift) {
        return drift.stream().map(r -> r.key() + " " + r.value().getReason()).toList();
    }

    private static KeyValueStore<String, ClusterState> clusters(Harness h) {
        return h.driver.getKeyValueStore(CoverageTopology.CLUSTER_STORE);
    }

    private static List<JsonNode> enforcementFindings(List<TestRecord<String, String>> findings) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (TestRecord<String, String> r : findings) {
            JsonNode j = JSON.readTree(r.value());
            if (j.at("/compliance/control").asText().equals("FW-NP-002")) {
                assertThat(r.key()).isEqualTo("c1/*");
                out.add(j);
            }
        }
        return out;
    }

    private static void assertEnforced(Harness h, Boolean enforced) {
        for (String ns : List.of("team", "shop", "kube-system")) {
            assertThat(h.coverage("c1/" + ns).getEnforced()).as(ns).isEqualTo(enforced);
        }
    }

    /** FW-NP-001's verdicts, whatever the enforcement. */
    private static void assertStatusesKept(Harness h) {
        assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.NON_COMPLIANT);
        assertThat(h.coverage("c1/shop").getStatus()).isEqualTo(Status.COMPLIANT);
        assertThat(h.coverage("c1/kube-system").getStatus()).isEqualTo(Status.EXEMPT);
    }

    @Test
    void shouldMarkEveryRowNotEnforcedAndOpenOneHighFindingWhenTheCollectorFindsNoEngine() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed feed = synced(h, NONE);

            assertEnforced(h, false);
            assertStatusesKept(h);
            var drift = h.drift();
            assertThat(drift).isNotEmpty().allSatisfy(d -> assertThat(d.value().getAfter().getEnforced()).isFalse());
            List<JsonNode> open = enforcementFindings(h.findings());
            assertThat(open).hasSize(1);
            JsonNode f = open.get(0);
            assertThat(f.get("activity_name").asText()).isEqualTo("Create");
            assertThat(f.get("severity").asText()).isEqualTo("High");
            assertThat(f.at("/finding_info/uid").asText()).isEqualTo("FW-NP-002:c1");
            assertThat(f.get("status_detail").asText())
                    .isEqualTo("NetworkPolicies are not enforced: no network policy engine found (OKE flannel overlay, no Calico)");
            assertThat(f.get("message").asText()).contains("NetworkPolicies have no effect without an engine that implements them");
            assertThat(f.at("/unmapped/region").asText()).isEqualTo("eu-frankfurt-1");
            assertThat(clusters(h).get("c1").enforcementFindingOpen()).isTrue();
            assertThat(h.deadLetters()).isEmpty();

            assertThat(h.coverageRecords()).extracting(r -> r.value().getEnforced()).isNotEmpty().containsOnly(false);

            // Heartbeats saying the same open nothing more and rewrite nothing.
            h.advance(Duration.ofSeconds(30));
            h.send(feed.heartbeat(NONE));
            h.send(feed.heartbeat(Feed.flannel().build()));
            assertThat(h.findings()).isEmpty();
            assertThat(h.drift()).isEmpty();
            assertThat(h.coverageRecords()).isEmpty();
        }
    }

    @Test
    void shouldRewriteTheRowsWithADriftEachAndCloseTheFindingWhenAnEngineIsAddedThenReopenWhenItGoes()
            throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h, NONE);
            drain(h);

            h.send(f.heartbeat(CALICO));

            assertEnforced(h, true);
            assertStatusesKept(h);
            var added = h.drift();
            assertThat(reasons(added)).containsExactlyInAnyOrder("c1/team " + POLICY_ENGINE_ADDED,
                    "c1/shop " + POLICY_ENGINE_ADDED, "c1/kube-system " + POLICY_ENGINE_ADDED);
            assertThat(added).allSatisfy(d -> {
                CoverageState before = d.value().getBefore();
                CoverageState after = d.value().getAfter();
                assertThat(before.getEnforced()).isFalse();
                assertThat(after.getEnforced()).isTrue();
                assertThat(after.getStatus()).as("FW-NP-001 keeps its meaning").isEqualTo(before.getStatus());
                assertThat(d.value().getCause().getOp()).isEqualTo(Op.HEARTBEAT);
            });
            assertThat(h.coverageRecords()).extracting(TestRecord::key)
                    .containsExactlyInAnyOrder("c1/team", "c1/shop", "c1/kube-system");
            var findings = h.findings();
            assertThat(findings).as("no FW-NP-001 finding moves").hasSize(1);
            JsonNode close = enforcementFindings(findings).get(0);
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.get("status").asText()).isEqualTo("Resolved");
            assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");
            assertThat(close.get("status_detail").asText()).isEqualTo("enforced by Calico v3.28.0 (kube-system/calico-node)");
            assertThat(clusters(h).get("c1").enforcementFindingOpen()).isFalse();

            // A new namespace takes the cluster's verdict at once.
            h.send(f.namespace(Op.UPSERT, "fresh", Feed.active(OLD)));
            assertThat(h.coverage("c1/fresh").getEnforced()).isTrue();
            drain(h);

            // Readiness moving, or an upgrade of the same engine's pods, changes no row.
            h.send(f.heartbeat(Feed.flannel(Feed.calico("v3.28.0", 3, 1)).build()));
            assertThat(h.drift()).isEmpty();
            assertThat(h.coverageRecords()).isEmpty();
            assertThat(h.findings()).isEmpty();

            h.send(f.heartbeat(NONE));

            assertEnforced(h, false);
            assertStatusesKept(h);
            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + POLICY_ENGINE_REMOVED,
                    "c1/shop " + POLICY_ENGINE_REMOVED, "c1/kube-system " + POLICY_ENGINE_REMOVED,
                    "c1/fresh " + POLICY_ENGINE_REMOVED);
            List<JsonNode> reopened = enforcementFindings(h.findings());
            assertThat(reopened).hasSize(1);
            assertThat(reopened.get(0).get("activity_name").asText()).isEqualTo("Create");
            assertThat(reopened.get(0).at("/metadata/uid").asText()).isNotEqualTo(close.at("/metadata/uid").asText());
        }
    }

    @Test
    void shouldEmitNothingWhenAMarkerIsRedeliveredAndTheSameIdsWhenTheSameInputIsReplayed() throws Exception {
        List<String> first = replay();
        List<String> second = replay();
        assertThat(first).isNotEmpty().isEqualTo(second);
    }

    /** The ids of the drift and findings of one run, and that the duplicate marker emitted nothing. */
    private static List<String> replay() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h, NONE);
            drain(h);
            KeyValue<String, InventoryEvent> heartbeat = f.heartbeat(CALICO);
            h.send(heartbeat);
            List<String> ids = new ArrayList<>();
            h.drift().forEach(d -> ids.add(d.key() + " " + d.value().getId()));
            for (TestRecord<String, String> r : h.findings()) {
                ids.add(r.key() + " " + JSON.readTree(r.value()).at("/metadata/uid").asText());
            }
            h.coverageRecords();

            h.send(heartbeat);

            assertThat(h.drift()).isEmpty();
            assertThat(h.findings()).isEmpty();
            assertThat(h.coverageRecords()).isEmpty();
            assertEnforced(h, true);
            return ids;
        }
    }

    @Test
    void shouldLeaveRowsUnknownWithoutDriftOrFindingWhenTheCollectorReportsNoEngines() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h, Feed.oke("eu-frankfurt-1", "prod/eu").build());

            assertEnforced(h, null);
            assertThat(h.drift()).noneMatch(d -> d.value().getReason() == POLICY_ENGINE_ADDED
                    || d.value().getReason() == POLICY_ENGINE_REMOVED || d.value().getReason() == ENFORCEMENT_UNKNOWN);
            assertThat(enforcementFindings(h.findings())).isEmpty();
            assertThat(h.coverageRecords()).extracting(r -> r.value().getEnforced()).isNotEmpty().containsOnlyNulls();
            h.send(f.heartbeat(Feed.oke("eu-frankfurt-1", "prod/eu").build()));
            h.send(f.heartbeat());
            assertThat(h.drift()).isEmpty();
            assertThat(h.coverageRecords()).isEmpty();
            assertThat(h.findings()).isEmpty();
            assertThat(clusters(h).get("c1").verdict().state()).isEqualTo(io.fencewatch.rules.Enforcement.State.UNKNOWN);
        }
    }

    @Test
    void shouldDriftToUnknownAndLeaveTheFindingOpenWhenTheCollectorCannotTell() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h, NONE);
            drain(h);

            h.send(f.heartbeat(Feed.flannel().setPolicyEnginesError("forbidden: list daemonsets.apps in calico-system")
                    .build()));

            assertEnforced(h, null);
            assertStatusesKept(h);
            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + ENFORCEMENT_UNKNOWN,
                    "c1/shop " + ENFORCEMENT_UNKNOWN, "c1/kube-system " + ENFORCEMENT_UNKNOWN);
            assertThat(h.findings()).as("UNKNOWN leaves the finding as it is").isEmpty();
            assertThat(clusters(h).get("c1").enforcementFindingOpen()).isTrue();

            h.send(f.heartbeat(NONE));
            assertThat(reasons(h.drift())).hasSize(3).allMatch(r -> r.endsWith(" " + POLICY_ENGINE_REMOVED));
            assertThat(h.findings()).as("still open: not opened twice").isEmpty();
        }
    }

    @Test
    void shouldKeepTheLastKnownVerdictWhileUnreachableAndCloseTheFindingWhenTheClusterIsRemoved() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h, NONE);
            drain(h);

            // The collector cannot look while it cannot reach the API server: its facts say nothing of engines.
            h.send(f.unreachable("401 Unauthorized", h.now()));

            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + CLUSTER_UNREACHABLE,
                    "c1/shop " + CLUSTER_UNREACHABLE, "c1/kube-system " + CLUSTER_UNREACHABLE);
            assertEnforced(h, false);
            assertThat(clusters(h).get("c1").verdict().state()).isEqualTo(io.fencewatch.rules.Enforcement.State.NOT_ENFORCED);
            assertThat(enforcementFindings(h.findings())).isEmpty();

            h.send(f.clusterRemoved());

            assertThat(reasons(h.drift())).hasSize(3).allMatch(r -> r.endsWith(" " + CLUSTER_REMOVED));
            List<JsonNode> closed = enforcementFindings(h.findings());
            assertThat(closed).hasSize(1);
            assertThat(closed.get(0).get("activity_name").asText()).isEqualTo("Close");
            assertThat(closed.get(0).get("status_detail").asText()).isEqualTo("cluster removed");
            assertThat(clusters(h).get("c1").removed()).isTrue();
            assertThat(clusters(h).get("c1").enforcementFindingOpen()).isFalse();
        }
    }

    @Test
    void shouldNameAChangeOfEnforcedAloneByItsNewValueAndLetOtherChangesNameTheirOwn() {
        CoverageState base = new CoverageState(Status.COMPLIANT, Grade.ALL_PODS, Grade.NONE, false, false, false, 1, false, Grade.ALL_PODS,
                Grade.NONE, java.util.List.of(), null, 0);
        CoverageState on = CoverageState.newBuilder(base).setEnforced(true).build();
        CoverageState unknown = CoverageState.newBuilder(base).setEnforced(null).build();

        assertThat(DriftReasons.changed(base, on)).isTrue();
        assertThat(DriftReasons.changed(on, unknown)).isTrue();
        assertThat(DriftReasons.changed(unknown, CoverageState.newBuilder(unknown).build())).isFalse();
        assertThat(DriftReasons.of(base, on, DriftReasons.Trigger.EVENT, null)).isEqualTo(POLICY_ENGINE_ADDED);
        assertThat(DriftReasons.of(on, base, DriftReasons.Trigger.RECOVERY, null)).isEqualTo(POLICY_ENGINE_REMOVED);
        assertThat(DriftReasons.of(on, unknown, DriftReasons.Trigger.ENFORCEMENT, null)).isEqualTo(ENFORCEMENT_UNKNOWN);
        CoverageState lost = CoverageState.newBuilder(on).setStatus(Status.NON_COMPLIANT).setPolicyCount(0).build();
        assertThat(DriftReasons.of(base, lost, DriftReasons.Trigger.EVENT, null)).isEqualTo(DriftReason.LAST_POLICY_DELETED);
        CoverageState staleOn = CoverageState.newBuilder(on).setStale(true).build();
        assertThat(DriftReasons.of(base, staleOn, DriftReasons.Trigger.UNREACHABLE, null)).isEqualTo(CLUSTER_UNREACHABLE);
    }
}
