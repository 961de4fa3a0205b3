package io.fencewatch.processor;

import static io.fencewatch.schema.drift.DriftReason.CLUSTER_RECOVERED;
import static io.fencewatch.schema.drift.DriftReason.CLUSTER_REMOVED;
import static io.fencewatch.schema.drift.DriftReason.CLUSTER_UNREACHABLE;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.rules.Findings;
import io.fencewatch.rules.Rules;

/**
 * The cluster markers of issue 12 through the topology: UNREACHABLE (epoch-neutral, every row
 * stale at once, the FW-CL-001 finding past --stale-after), recovery, CLUSTER_REMOVED (every row
 * and the cluster's state gone), synced and the cluster's facts in {@link ClusterState}.
 */
class ClusterMarkersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant OLD = Harness.T0.minus(Duration.ofHours(1));
    private static final ClusterFacts FRANKFURT = Feed.oke("eu-frankfurt-1", "prod/eu").build();

    /** c1 at epoch 1000, synced: team (no policy, finding open), shop (fenced); outputs drained. */
    private static Feed synced(Harness h) {
        Feed f = new Feed("c1", 1_000, h::now);
        h.send(f.syncStart(1_000, FRANKFURT));
        h.send(f.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
        h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
        h.send(f.policy(Op.SNAPSHOT, "shop", "deny", Policies.denyAll()));
        h.send(f.syncEnd());
        drain(h);
        return f;
    }

    private static void drain(Harness h) {
        h.drift();
        h.findings();
        h.coverageRecords();
    }

    private static KeyValueStore<String, ClusterState> clusters(Harness h) {
        return h.driver.getKeyValueStore(CoverageTopology.CLUSTER_STORE);
    }

    private static List<String> reasons(List<TestRecord<String, DriftEvent>> drift) {
        return drift.stream().map(r -> r.key() + " " + r.value().getReason()).toList();
    }

    @Test
    void shouldMarkEveryRowStaleAtOnceWithoutTouchingTheEpochWhenTheCollectorReportsUnreachable() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            ClusterState before = clusters(h).get("c1");
            h.advance(Duration.ofSeconds(10));
            Instant since = h.now().minusSeconds(5);

            h.send(f.unreachable("401 Unauthorized", since));

            var drift = h.drift();
            assertThat(reasons(drift)).containsExactlyInAnyOrder("c1/team " + CLUSTER_UNREACHABLE,
                    "c1/shop " + CLUSTER_UNREACHABLE);
            assertThat(drift).allSatisfy(d -> {
                assertThat(d.value().getCause().getOp()).isEqualTo(Op.UNREACHABLE);
                assertThat(d.value().getAfter().getStale()).isTrue();
            });
            assertThat(h.coverage("c1/team").getStatus()).as("last status kept").isEqualTo(Status.NON_COMPLIANT);
            assertThat(h.coverage("c1/team").getStale()).isTrue();
            assertThat(h.coverage("c1/shop").getStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(h.coverage("c1/shop").getStale()).isTrue();
            ClusterState after = clusters(h).get("c1");
            assertThat(after.epoch()).as("never opens its epoch").isEqualTo(1_000);
            assertThat(after.lastSequence()).isEqualTo(before.lastSequence());
            assertThat(after.lastSeen()).isEqualTo(h.now().toEpochMilli());
            assertThat(after.unreachable()).isEqualTo("401 Unauthorized");
            assertThat(after.unreachableSince()).isEqualTo(since.toEpochMilli());
            assertThat(after.facts()).isEqualTo(FRANKFURT);
            assertThat(after.facts().getError()).as("the outage is kept beside the facts").isNull();

            assertThat(h.coverageRecords()).extracting(TestRecord::key).containsExactlyInAnyOrder("c1/team", "c1/shop");
            // Repeated at the heartbeat interval, past --stale-after: nothing new, and never STALE.
            for (int i = 0; i < 4; i++) {
                h.advance(Duration.ofMinutes(1));
                h.send(f.unreachable("401 Unauthorized", since));
            }
            assertThat(h.drift()).isEmpty();
            assertThat(h.coverageRecords()).isEmpty();
            assertThat(clusters(h).get("c1").stale()).isFalse();
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    @Test
    void shouldOpenOneClusterFindingPastStaleAfterAndCloseItWhenAHeartbeatSaysReachable() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            Instant since = h.now();
            h.send(f.unreachable("connect timed out", since));
            h.advance(Duration.ofMinutes(1));
            h.send(f.unreachable("connect timed out", since));
            h.advance(Duration.ofSeconds(59));
            assertThat(h.findings()).as("not yet unreachable longer than --stale-after").isEmpty();

            h.advance(Duration.ofSeconds(2));
            h.send(f.unreachable("connect timed out", since));
            h.advance(Duration.ofMinutes(1));
            var open = h.findings();
            assertThat(open).hasSize(1);
            assertThat(open.get(0).key()).isEqualTo(Keys.marker("c1"));
            JsonNode create = JSON.readTree(open.get(0).value());
            assertThat(create.get("class_uid").asInt()).isEqualTo(Findings.CLASS_UID);
            assertThat(create.get("activity_name").asText()).isEqualTo("Create");
            assertThat(create.get("status").asText()).isEqualTo("New");
            assertThat(create.at("/compliance/control").asText()).isEqualTo("FW-CL-001");
            assertThat(create.at("/compliance/status").asText()).isEqualTo("Fail");
            assertThat(create.at("/finding_info/uid").asText()).isEqualTo("FW-CL-001:c1");
            assertThat(create.at("/metadata/correlation_uid").asText()).isEqualTo("FW-CL-001:c1");
            assertThat(create.at("/finding_info/first_seen_time").asLong()).isEqualTo(since.toEpochMilli());
            assertThat(create.at("/resources/0/type").asText()).isEqualTo("Kubernetes Cluster");
            assertThat(create.at("/resources/0/region").asText()).isEqualTo("eu-frankfurt-1");
            assertThat(create.at("/unmapped/error").asText()).isEqualTo("connect timed out");
            assertThat(create.at("/unmapped/provider").asText()).isEqualTo("oke");
            assertThat(header(open.get(0), "ce_type")).isEqualTo(CloudEvents.FINDING_TYPE);
            assertThat(clusters(h).get("c1").findingOpen()).isTrue();
            drain(h);

            h.send(f.heartbeat(FRANKFURT));

            var close = h.findings();
            assertThat(close).hasSize(1);
            JsonNode resolved = JSON.readTree(close.get(0).value());
            assertThat(resolved.get("activity_name").asText()).isEqualTo("Close");
            assertThat(resolved.get("status").asText()).isEqualTo("Resolved");
            assertThat(resolved.at("/compliance/status").asText()).isEqualTo("Pass");
            assertThat(resolved.at("/finding_info/uid").asText()).isEqualTo("FW-CL-001:c1");
            assertThat(resolved.at("/metadata/uid").asText()).isNotEqualTo(create.at("/metadata/uid").asText());
            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + CLUSTER_RECOVERED,
                    "c1/shop " + CLUSTER_RECOVERED);
            assertThat(h.coverage("c1/team").getStale()).isFalse();
            ClusterState state = clusters(h).get("c1");
            assertThat(state.unreachable()).isNull();
            assertThat(state.findingOpen()).isFalse();
            h.advance(Duration.ofMinutes(3));
            h.send(f.heartbeat());
            assertThat(h.findings()).isEmpty();
        }
    }

    @Test
    void shouldWriteNoClusterFindingWhenTheClusterIsReachableAgainWithinStaleAfter() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.send(f.unreachable("503 Service Unavailable", h.now()));
            h.advance(Duration.ofSeconds(90));
            h.send(f.heartbeat());
            h.advance(Duration.ofMinutes(1));
            h.send(f.heartbeat());
            h.advance(Duration.ofMinutes(1));
            assertThat(h.findings()).isEmpty();
            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + CLUSTER_UNREACHABLE,
                    "c1/shop " + CLUSTER_UNREACHABLE, "c1/team " + CLUSTER_RECOVERED, "c1/shop " + CLUSTER_RECOVERED);
        }
    }

    @Test
    void shouldIgnoreUnreachableAndClusterRemovedOfAnEpochOlderThanTheStoredOne() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.send(f.syncStart(2_000, FRANKFURT));
            h.send(f.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(f.syncEnd());
            drain(h);

            h.send(f.unreachable(1_500, Feed.oke("eu-frankfurt-1", "prod/eu").setError("late").build()));
            h.send(f.clusterRemoved(1_999));

            assertThat(h.drift()).isEmpty();
            assertThat(h.coverage("c1/team")).isNotNull();
            assertThat(h.coverage("c1/team").getStale()).isFalse();
            assertThat(clusters(h).get("c1").unreachable()).isNull();
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    @Test
    void shouldHoldDeadlinesAndKeepNewRowsStaleWhileUnreachable() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.send(f.namespace(Op.UPSERT, "fresh", Feed.active(h.now())));
            assertThat(h.coverage("c1/fresh").getStatus()).isEqualTo(Status.PENDING);
            h.send(f.unreachable("403 Forbidden", h.now()));
            h.advance(Duration.ofSeconds(40));
            assertThat(h.coverage("c1/fresh").getStatus()).as("grace end held while unreachable").isEqualTo(Status.PENDING);
            h.send(f.namespace(Op.UPSERT, "late", Feed.active(OLD)));
            assertThat(h.coverage("c1/late").getStale()).as("a row of an unreachable cluster is never current").isTrue();
            drain(h);

            h.send(f.heartbeat());

            assertThat(h.coverage("c1/fresh").getStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(h.coverage("c1/fresh").getStale()).isFalse();
            assertThat(h.coverage("c1/late").getStale()).isFalse();
            assertThat(h.drift()).extracting(r -> r.value().getReason()).containsOnly(CLUSTER_RECOVERED);
        }
    }

    @Test
    void shouldTrackSyncedAndTheLatestFactsWhenMarkersArrive() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 1_000, h::now);
            h.send(f.syncStart(1_000, FRANKFURT));
            assertThat(clusters(h).get("c1").synced()).as("epoch open, snapshot in flight").isFalse();
            assertThat(clusters(h).get("c1").region()).isEqualTo("eu-frankfurt-1");
            h.send(f.syncEnd());
            assertThat(clusters(h).get("c1").synced()).isTrue();

            ClusterFacts upgraded = Feed.oke("eu-frankfurt-1", "prod/eu").setKubernetesVersion("v1.32.0").build();
            h.send(f.heartbeat(upgraded));
            assertThat(clusters(h).get("c1").kubernetesVersion()).isEqualTo("v1.32.0");
            h.send(f.heartbeat());
            assertThat(clusters(h).get("c1").facts()).as("a marker without facts keeps them").isEqualTo(upgraded);

            h.send(f.syncStart(2_000, null));
            assertThat(clusters(h).get("c1").synced()).isFalse();
            assertThat(clusters(h).get("c1").facts()).isEqualTo(upgraded);
            h.send(f.syncEnd());
            assertThat(clusters(h).get("c1").synced()).isTrue();
        }
    }

    @Test
    void shouldClearUnreachableWhenASyncStartOpensAnEpoch() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.send(f.unreachable("401 Unauthorized", h.now()));
            drain(h);
            h.advance(Duration.ofSeconds(30));

            h.send(f.syncStart(h.now().toEpochMilli(), FRANKFURT));

            ClusterState state = clusters(h).get("c1");
            assertThat(state.unreachable()).isNull();
            assertThat(state.synced()).isFalse();
            assertThat(reasons(h.drift())).containsExactlyInAnyOrder("c1/team " + CLUSTER_RECOVERED,
                    "c1/shop " + CLUSTER_RECOVERED);
        }
    }

    @Test
    void shouldKnowAClusterFirstHeardOfAsUnreachableAndLetItsFirstSyncStartIn() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("new", 0, h::now);
            h.send(f.unreachable("x509: certificate signed by unknown authority", h.now()));
            ClusterState state = clusters(h).get("new");
            assertThat(state.epoch()).isEqualTo(ClusterState.NO_EPOCH);
            assertThat(state.unreachable()).startsWith("x509");
            assertThat(state.provider()).isEqualTo("oke");

            h.send(f.syncStart(h.now().toEpochMilli(), FRANKFURT));
            h.send(f.namespace(Op.SNAPSHOT, "app", Feed.active(OLD)));
            h.send(f.syncEnd());

            assertThat(h.deadLetters()).isEmpty();
            assertThat(clusters(h).get("new").epoch()).isEqualTo(h.now().toEpochMilli());
            assertThat(clusters(h).get("new").unreachable()).isNull();
            assertThat(h.coverage("new/app").getStale()).isFalse();
        }
    }

    @Test
    void shouldDeleteEveryRowFactAndTheClusterStateWhenTheClusterIsRemoved() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            Feed other = new Feed("c2", 1_000, h::now);
            h.send(other.syncStart(1_000));
            h.send(other.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(other.syncEnd());
            h.send(f.namespace(Op.UPSERT, "fresh", Feed.active(h.now())));
            h.send(f.policy(Op.UPSERT, "orphan", "p", Policies.denyAll()));
            drain(h);
            // Made before the removal, delivered after it (as an OCI bridge may).
            var lateUpsert = f.namespace(Op.UPSERT, "late", Feed.active(h.now()));
            var lateHeartbeat = f.heartbeat();
            var lateUnreachable = f.unreachable("late", h.now());

            h.send(f.clusterRemoved());

            var drift = h.drift();
            assertThat(reasons(drift)).containsExactlyInAnyOrder("c1/team " + CLUSTER_REMOVED,
                    "c1/shop " + CLUSTER_REMOVED, "c1/fresh " + CLUSTER_REMOVED);
            assertThat(drift).allSatisfy(d -> assertThat(d.value().getAfter()).isNull());
            var tombstones = h.coverageRecords();
            assertThat(tombstones).extracting(TestRecord::key).containsExactlyInAnyOrder("c1/team", "c1/shop", "c1/fresh");
            assertThat(tombstones).allSatisfy(r -> assertThat(r.value()).isNull());
            var findings = h.findings();
            assertThat(findings).hasSize(1);
            assertThat(findings.get(0).key()).isEqualTo("c1/team");
            JsonNode close = JSON.readTree(findings.get(0).value());
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.get("status_detail").asText()).isEqualTo("cluster removed");
            assertThat(close.at("/unmapped/drift_reason").asText()).isEqualTo("CLUSTER_REMOVED");
            KeyValueStore<String, NamespaceEntry> facts = h.driver.getKeyValueStore(CoverageTopology.FACTS_STORE);
            try (var it = facts.prefixScan("c1/", new org.apache.kafka.common.serialization.StringSerializer())) {
                assertThat(it.hasNext()).as("facts of c1 left").isFalse();
            }
            assertThat(clusters(h).get("c1").removed()).as("only a tombstone of c1 is left").isTrue();
            assertThat(clusters(h).get("c1").namespaces()).isZero();
            assertThat(h.coverage("c2/team")).as("another cluster untouched").isNotNull();
            assertThat(clusters(h).get("c2")).isNotNull();

            h.advance(Duration.ofMinutes(1));
            assertThat(h.drift()).as("the grace deadline of c1/fresh was dropped").isEmpty();

            // Late events of the retired cluster (an OCI bridge forwards the marker ahead of what it holds)
            // bring nothing back, nor does a late UNREACHABLE, nor a silence past --stale-after.
            h.send(lateUpsert);
            h.send(lateHeartbeat);
            h.send(lateUnreachable);
            h.advance(Duration.ofMinutes(5));
            assertThat(h.drift()).as("nothing of the removed cluster comes back")
                    .noneMatch(d -> d.key().startsWith("c1/"));
            assertThat(h.coverage("c1/late")).isNull();
            assertThat(clusters(h).get("c1").removed()).isTrue();

            // A new cluster of the same name starts afresh.
            Feed again = new Feed("c1", 0, h::now);
            h.send(again.syncStart(h.now().toEpochMilli(), null));
            h.send(again.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            assertThat(reasons(h.drift())).containsExactly("c1/team " + NAMESPACE_CREATED_WITHOUT_POLICY);
            ClusterState fresh = clusters(h).get("c1");
            assertThat(fresh.namespaces()).isEqualTo(1);
            assertThat(fresh.synced()).isFalse();
            assertThat(fresh.facts()).isNull();
        }
    }

    @Test
    void shouldCloseAnOpenClusterFindingWhenTheUnreachableClusterIsRemoved() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.send(f.unreachable("connection refused", h.now()));
            h.advance(Duration.ofMinutes(3));
            assertThat(h.findings()).extracting(TestRecord::key).containsExactly("c1/*");

            h.send(f.clusterRemoved());

            var findings = h.findings();
            var cluster = findings.stream().filter(r -> r.key().equals("c1/*")).toList();
            assertThat(cluster).hasSize(1);
            JsonNode close = JSON.readTree(cluster.get(0).value());
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.get("status_detail").asText()).isEqualTo("cluster removed");
            assertThat(findings).extracting(TestRecord::key).contains("c1/team");
            assertThat(h.coverage("c1/team")).isNull();
            h.advance(Duration.ofMinutes(3));
            assertThat(h.findings()).isEmpty();
        }
    }

    @Test
    void shouldDeadLetterUnreachableAndClusterRemovedWhenNotKeyedAsMarkers() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = synced(h);
            h.inventory.pipeInput("c1/team", f.unreachable("x", h.now()).value, h.now());
            h.inventory.pipeInput("c1/team", f.clusterRemoved().value, h.now());
            assertThat(h.deadLetters()).extracting(r -> new String(r.headers().lastHeader(DeadLetters.REASON).value(),
                    StandardCharsets.UTF_8)).containsExactly("invalid", "invalid");
            NamespaceCoverage team = h.coverage("c1/team");
            assertThat(team).isNotNull();
            assertThat(team.getStale()).isFalse();
        }
    }

    private static String header(TestRecord<String, String> r, String key) {
        return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
