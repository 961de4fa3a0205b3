package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Rules;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.coverage.PodCounts;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * FW-NP-003 through the topology (issue 16): workload shapes stored beside the policies, counted on
 * the coverage record, judged against the namespace's own policies, with WORKLOAD_* drift and an
 * FW-NP-003 finding of their own; known only while the cluster's collector watches pods.
 */
class WorkloadTopologyTest {
    private static final Instant OLD = Harness.T0.minus(Duration.ofHours(1));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WorkloadFacts API = Feed.shape("Deployment", "api", Map.of("app", "api"), 3);
    private static final WorkloadFacts WEB = Feed.shape("Deployment", "web", Map.of("app", "web"), 5);
    private static final WorkloadFacts DB = Feed.shape("StatefulSet", "db", Map.of("app", "db"), 2);

    private static Rules rules(Profile profile) {
        return Rules.defaults().withProfile(profile);
    }

    /** c1 at epoch 1000, synced, pods watched or not: shop (a NetworkPolicy selecting app=db), other, kube-system. */
    private static Feed synced(Harness h, boolean watchesPods) {
        Feed f = new Feed("c1", 1_000, h::now);
        h.send(f.syncStart(1_000, Feed.pods(watchesPods)));
        h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
        h.send(f.policy(Op.SNAPSHOT, "shop", "db", Policies.policy(Policies.labels("app", "db"), null, null, null)));
        h.send(f.namespace(Op.SNAPSHOT, "other", Feed.active(OLD)));
        h.send(f.namespace(Op.SNAPSHOT, "kube-system", Feed.active(OLD)));
        h.send(f.syncEnd());
        h.drift();
        h.coverageRecords();
        h.findings();
        return f;
    }

    private static PodCounts counts(NamespaceCoverage c) {
        return c.getPods();
    }

    private static List<String> unisolated(NamespaceCoverage c) {
        return c.getUnisolatedWorkloads().stream().map(w -> w.getKind() + "/" + w.getName()).toList();
    }

    private static JsonNode json(TestRecord<String, String> r) {
        try {
            return JSON.readTree(r.value());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String header(TestRecord<?, ?> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldCountShapesListTheUnisolatedAndDriftAndFindWhenPoliciesSelectThem() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h, true);
            NamespaceCoverage empty = h.coverage("c1/shop");
            assertThat(empty.getWorkloadStatus()).as("watched, no shape: no pods").isEqualTo(Status.COMPLIANT);
            assertThat(counts(empty)).isEqualTo(new PodCounts(0, 0, 0, 0));

            h.send(f.workload(Op.UPSERT, "shop", API));
            List<TestRecord<String, DriftEvent>> drift = h.drift();
            assertThat(drift).extracting(r -> r.value().getReason()).containsExactly(DriftReason.WORKLOAD_UNISOLATED);
            DriftEvent d = drift.get(0).value();
            assertThat(d.getBefore().getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(d.getAfter().getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(d.getAfter().getStatus()).as("FW-NP-001 keeps its meaning").isEqualTo(Status.COMPLIANT);
            assertThat(d.getAfter().getUnisolatedWorkloads()).isEqualTo(1);
            List<TestRecord<String, String>> opened = h.findings();
            assertThat(opened).hasSize(1);
            JsonNode open = json(opened.get(0));
            assertThat(open.path("activity_name").asText()).isEqualTo("Create");
            assertThat(open.path("metadata").path("event_code").asText()).isEqualTo("FW-NP-003");
            assertThat(open.path("metadata").path("correlation_uid").asText()).isEqualTo("FW-NP-003:c1/shop");
            assertThat(open.path("metadata").path("uid").asText()).isEqualTo(header(opened.get(0), "ce_id"));
            assertThat(header(opened.get(0), "ce_type")).isEqualTo(CloudEvents.FINDING_TYPE);
            assertThat(header(opened.get(0), "ce_subject")).isEqualTo("shop");
            assertThat(open.path("unmapped").path("drift_id").asText()).isEqualTo(d.getId());
            assertThat(open.path("resources").findValuesAsText("name")).contains("api");

            h.send(f.workload(Op.UPSERT, "shop", WEB));
            h.send(f.workload(Op.UPSERT, "shop", DB));
            assertThat(h.drift()).as("NON_COMPLIANT stays: the count is carried, not compared").isEmpty();
            assertThat(h.findings()).isEmpty();
            NamespaceCoverage shop = h.coverage("c1/shop");
            assertThat(counts(shop)).isEqualTo(new PodCounts(10, 2, 0, 0));
            assertThat(unisolated(shop)).as("most pods first").containsExactly("Deployment/web", "Deployment/api");
            assertThat(shop.getUnisolatedWorkloadCount()).isEqualTo(2);
            assertThat(shop.getUnisolatedWorkloads().get(0).getDirections()).containsExactly("ingress", "egress");
            assertThat(shop.getWorkloadReason()).contains("2 workloads (8 of 10 pods)");

            // A policy selecting app=api closes part: still NON_COMPLIANT, no drift.
            h.send(f.policy(Op.UPSERT, "shop", "api", Policies.policy(Policies.labels("app", "api"), null, null, null)));
            assertThat(h.drift()).isEmpty();
            assertThat(unisolated(h.coverage("c1/shop"))).containsExactly("Deployment/web");
            assertThat(counts(h.coverage("c1/shop")).getIsolatedIngress()).isEqualTo(5);

            h.send(f.policy(Op.UPSERT, "shop", "web", Policies.policy(Policies.labels("app", "web"), null, null, null)));
            drift = h.drift();
            assertThat(drift).extracting(r -> r.value().getReason()).containsExactly(DriftReason.WORKLOAD_ISOLATED);
            assertThat(drift.get(0).value().getAfter().getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            List<TestRecord<String, String>> closed = h.findings();
            assertThat(closed).hasSize(1);
            JsonNode close = json(closed.get(0));
            assertThat(close.path("activity_name").asText()).isEqualTo("Close");
            assertThat(close.path("metadata").path("correlation_uid").asText()).isEqualTo("FW-NP-003:c1/shop");
            assertThat(close.path("status_detail").asText()).startsWith("fixed:");
            assertThat(close.path("metadata").path("uid").asText()).isNotEqualTo(open.path("metadata").path("uid").asText());
            assertThat(h.coverage("c1/shop").getUnisolatedWorkloads()).isEmpty();

            // A count that moves rewrites the record: no drift, no finding.
            h.coverageRecords();
            h.send(f.workload(Op.UPSERT, "shop", Feed.shape("Deployment", "web", Map.of("app", "web"), 7)));
            List<TestRecord<String, NamespaceCoverage>> rows = h.coverageRecords();
            assertThat(rows).hasSize(1);
            assertThat(counts(rows.get(0).value())).isEqualTo(new PodCounts(12, 12, 0, 0));
            assertThat(h.drift()).isEmpty();
            assertThat(h.findings()).isEmpty();

            // A shape deleted leaves the count.
            h.send(f.workload(Op.DELETE, "shop", API));
            assertThat(counts(h.coverage("c1/shop")).getTotal()).isEqualTo(9);
            assertThat(h.drift()).isEmpty();
        }
    }

    @Test
    void shouldNeverCountAPolicyOfAnotherNamespaceAndKeepHostNetworkPodsApart() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h, true);
            h.send(f.policy(Op.UPSERT, "other", "api", Policies.policy(Policies.labels("app", "api"), null, null, null)));
            h.send(f.workload(Op.UPSERT, "shop", API));
            NamespaceCoverage shop = h.coverage("c1/shop");
            assertThat(shop.getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(unisolated(shop)).containsExactly("Deployment/api");
            assertThat(h.coverage("c1/other").getPods()).isEqualTo(new PodCounts(0, 0, 0, 0));

            h.send(f.workload(Op.UPSERT, "other", new WorkloadFacts("DaemonSet", "agent", Map.of("app", "agent"),
                    List.of(), 4, true)));
            NamespaceCoverage other = h.coverage("c1/other");
            assertThat(other.getPods()).isEqualTo(new PodCounts(4, 0, 0, 4));
            assertThat(other.getWorkloadStatus()).as("no NetworkPolicy applies to hostNetwork pods: not judged")
                    .isEqualTo(Status.COMPLIANT);
            assertThat(other.getUnisolatedWorkloads()).isEmpty();
            assertThat(other.getWorkloadReason()).contains("hostNetwork");
            assertThat(h.coverage("c1/kube-system").getWorkloadStatus()).isEqualTo(Status.EXEMPT);
        }
    }

    @Test
    void shouldKnowNoPodsUntilTheCollectorWatchesThemAndReEvaluateTheClusterWhenThatChanges() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h, false);
            h.send(f.workload(Op.UPSERT, "shop", API));
            NamespaceCoverage shop = h.coverage("c1/shop");
            assertThat(shop.getPods()).as("pods not known").isNull();
            assertThat(shop.getWorkloadStatus()).isNull();
            assertThat(shop.getWorkloadReason()).isNull();
            assertThat(shop.getUnisolatedWorkloads()).isEmpty();
            assertThat(h.drift()).isEmpty();
            assertThat(h.findings()).isEmpty();
            h.send(f.heartbeat(Feed.pods(false)));
            assertThat(h.drift()).isEmpty();

            h.send(f.heartbeat(Feed.pods(true)));
            Map<String, DriftEvent> drift = byKey(h.drift());
            assertThat(drift.keySet()).containsExactlyInAnyOrder("c1/shop", "c1/other", "c1/kube-system");
            assertThat(drift.get("c1/shop").getReason()).isEqualTo(DriftReason.WORKLOAD_UNISOLATED);
            assertThat(drift.get("c1/shop").getBefore().getWorkloadStatus()).isNull();
            assertThat(drift.get("c1/other").getReason()).isEqualTo(DriftReason.PODS_WATCH_STARTED);
            assertThat(drift.get("c1/other").getAfter().getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(drift.get("c1/kube-system").getAfter().getWorkloadStatus()).isEqualTo(Status.EXEMPT);
            assertThat(drift.get("c1/kube-system").getReason()).isEqualTo(DriftReason.PODS_WATCH_STARTED);
            assertThat(h.coverage("c1/shop").getPods()).isEqualTo(new PodCounts(3, 0, 0, 0));
            List<TestRecord<String, String>> findings = h.findings();
            assertThat(findings).extracting(r -> json(r).path("metadata").path("correlation_uid").asText())
                    .containsExactly("FW-NP-003:c1/shop");
            h.send(f.heartbeat(Feed.pods(true)));
            assertThat(h.drift()).as("the same facts again").isEmpty();

            h.send(f.heartbeat(Feed.pods(false)));
            drift = byKey(h.drift());
            assertThat(drift.get("c1/shop").getAfter().getWorkloadStatus()).isNull();
            assertThat(drift.get("c1/shop").getReason()).isEqualTo(DriftReason.PODS_WATCH_STOPPED);
            assertThat(h.coverage("c1/shop").getPods()).isNull();
            JsonNode close = json(h.findings().get(0));
            assertThat(close.path("activity_name").asText()).isEqualTo("Close");
            assertThat(close.path("status_detail").asText()).isEqualTo("pods are no longer watched");
        }
    }

    @Test
    void shouldSweepAShapeTheNextEpochDoesNotListAndCloseTheFindingWhenTheNamespaceGoes() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h, true);
            h.send(f.workload(Op.UPSERT, "shop", API));
            h.send(f.workload(Op.UPSERT, "shop", DB));
            assertThat(h.coverage("c1/shop").getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
            h.drift();
            h.findings();

            h.send(f.syncStart(2_000, Feed.pods(true)));
            h.send(f.namespace(Op.SNAPSHOT, "shop", Feed.active(OLD)));
            h.send(f.policy(Op.SNAPSHOT, "shop", "db", Policies.policy(Policies.labels("app", "db"), null, null, null)));
            h.send(f.workload(Op.SNAPSHOT, "shop", DB));
            h.send(f.namespace(Op.SNAPSHOT, "other", Feed.active(OLD)));
            h.send(f.namespace(Op.SNAPSHOT, "kube-system", Feed.active(OLD)));
            assertThat(unisolated(h.coverage("c1/shop"))).as("until SYNC_END the old epoch's shape holds")
                    .containsExactly("Deployment/api");
            h.send(f.syncEnd());
            NamespaceCoverage shop = h.coverage("c1/shop");
            assertThat(shop.getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(shop.getPods()).isEqualTo(new PodCounts(2, 2, 0, 0));
            assertThat(h.drift()).extracting(r -> r.value().getReason()).containsExactly(DriftReason.WORKLOAD_ISOLATED);
            assertThat(json(h.findings().get(0)).path("activity_name").asText()).isEqualTo("Close");

            h.send(f.workload(Op.UPSERT, "shop", API));
            assertThat(json(h.findings().get(0)).path("activity_name").asText()).isEqualTo("Create");
            h.send(f.namespace(Op.DELETE, "shop", null));
            List<TestRecord<String, String>> findings = h.findings();
            assertThat(findings).extracting(r -> json(r).path("metadata").path("event_code").asText())
                    .as("FW-NP-001 was never open: shop has a NetworkPolicy").containsExactly("FW-NP-003");
            assertThat(json(findings.get(0)).path("status_detail").asText()).isEqualTo("namespace deleted");
        }
    }

    @Test
    void shouldChangeWorkloadIsolationWhenARelabelBringsTheNamespaceUnderAClusterPolicy() {
        try (Harness h = new Harness(rules(Profile.EFFECTIVE))) {
            Feed f = synced(h, true);
            h.send(f.fence(Op.UPSERT, Kind.CALICO_GLOBAL_NETWORK_POLICY, null, "prod-api",
                    Feed.calicoDeny("env == 'prod'", "app == 'api'", "Ingress")));
            h.send(f.workload(Op.UPSERT, "other", API));
            assertThat(h.coverage("c1/other").getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
            h.drift();
            h.findings();

            h.send(f.namespace(Op.UPSERT, "other", Feed.facts("Active", Map.of("env", "prod"), Map.of(), OLD, null)));
            NamespaceCoverage other = h.coverage("c1/other");
            assertThat(other.getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(other.getPods()).isEqualTo(new PodCounts(3, 3, 0, 0));
            List<TestRecord<String, DriftEvent>> drift = h.drift();
            assertThat(drift).hasSize(1);
            assertThat(drift.get(0).value().getAfter().getWorkloadStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(drift.get(0).value().getAfter().getStatus()).as("only some pods: FW-NP-001 stays")
                    .isEqualTo(Status.NON_COMPLIANT);
            assertThat(drift.get(0).value().getReason()).as("the grade moved too: the relabel names it")
                    .isEqualTo(DriftReason.NAMESPACE_RELABELED);
            assertThat(json(h.findings().get(0)).path("activity_name").asText()).isEqualTo("Close");

            h.send(f.workload(Op.UPSERT, "other", WEB));
            assertThat(unisolated(h.coverage("c1/other"))).as("the policy selects app=api only")
                    .containsExactly("Deployment/web");
            h.drift();
            h.findings();
            h.send(f.namespace(Op.UPSERT, "other", Feed.facts("Active", Map.of("env", "dev"), Map.of(), OLD, null)));
            assertThat(unisolated(h.coverage("c1/other"))).containsExactly("Deployment/web", "Deployment/api");
            assertThat(counts(h.coverage("c1/other")).getIsolatedIngress()).isZero();
        }
    }

    @Test
    void shouldDeadLetterBadWorkloadFactsAndLeaveTheTableAsItWas() {
        try (Harness h = new Harness(rules(Profile.BASELINE))) {
            Feed f = synced(h, true);
            Map<String, String> many = new HashMap<>();
            for (int i = 0; i <= Limits.MAX_MAP_ENTRIES; i++) {
                many.put("k" + i, "v");
            }
            List<String> manyKeys = many.keySet().stream().toList();
            KeyValue<String, InventoryEvent> noFacts = f.workload(Op.UPSERT, "shop", API);
            noFacts.value.setWorkloadFacts(null);
            KeyValue<String, InventoryEvent> notItsOwner = f.workload(Op.UPSERT, "shop", API);
            notItsOwner.value.setName("Deployment/web/0000abcd");
            KeyValue<String, InventoryEvent> longName = f.workload(Op.UPSERT, "shop", API);
            longName.value.setName("Deployment/" + "a".repeat(300) + "/0000abcd");
            KeyValue<String, InventoryEvent> onMarker = f.workload(Op.UPSERT, "shop", API);
            List<KeyValue<String, InventoryEvent>> bad = List.of(
                    noFacts,
                    f.workload(Op.UPSERT, "shop", Feed.shape("Deployment", "api", Map.of("app", "api"), -1)),
                    f.workload(Op.UPSERT, "shop", Feed.shape("Deployment", "api", many, 1)),
                    f.workload(Op.UPSERT, "shop", new WorkloadFacts("Deployment", "api", Map.of(), manyKeys, 1, false)),
                    f.workload(Op.UPSERT, "shop", Feed.shape("Deployment", "Api_Server", Map.of(), 1)),
                    f.workload(Op.UPSERT, "shop", Feed.shape("", "api", Map.of(), 1)),
                    notItsOwner,
                    longName,
                    KeyValue.pair(Keys.marker("c1"), onMarker.value));
            bad.forEach(h::send);
            List<String> reasons = h.deadLetters().stream().map(r -> header(r, DeadLetters.REASON)).toList();
            assertThat(reasons).containsExactly("invalid", "invalid", "facts-too-large", "facts-too-large",
                    "invalid-name", "invalid-name", "invalid-name", "invalid-name", "invalid");
            assertThat(h.coverage("c1/shop").getPods()).isEqualTo(new PodCounts(0, 0, 0, 0));
            assertThat(h.drift()).isEmpty();
            assertThat(h.findings()).isEmpty();

            // A DELETE needs no facts.
            h.send(f.workload(Op.UPSERT, "shop", API));
            KeyValue<String, InventoryEvent> delete = f.workload(Op.DELETE, "shop", API);
            delete.value.setWorkloadFacts(null);
            h.send(delete);
            assertThat(h.deadLetters()).isEmpty();
            assertThat(h.coverage("c1/shop").getPods().getTotal()).isZero();
        }
    }

    private static Map<String, DriftEvent> byKey(List<TestRecord<String, DriftEvent>> drift) {
        Map<String, DriftEvent> out = new java.util.TreeMap<>();
        for (TestRecord<String, DriftEvent> r : drift) {
            assertThat(out.put(r.key(), r.value())).as("one drift per namespace: %s", r.key()).isNull();
        }
        return out;
    }
}
