package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.Exemption;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;

/** The public JSON shapes: field names are a contract. */
class JsonViewsTest {

    @org.junit.jupiter.api.BeforeAll
    static void trustOurRecords() {
        // Avro 1.12 builds records only of trusted classes; a serde adds ours. Run alone, no other test made one.
        io.fencewatch.schema.serde.FencewatchSerdes.namespaceCoverage();
    }

    @Test
    void shouldWriteTheSameObjectWhenStreamingOrAsTree() throws Exception {
        NamespaceCoverage plain = QueryTestApp.coverage("c1", "web", Status.COMPLIANT);
        NamespaceCoverage exempt = NamespaceCoverage.newBuilder(QueryTestApp.coverage("c1", "kube-system", Status.EXEMPT))
                .setExemption(Exemption.newBuilder().setSource("SYSTEM").setReason("kube-system")
                        .setUntil(Instant.parse("2027-01-01T00:00:00Z")).build())
                .setLastEvent(null).setUid(null).setCreatedAt(null).setPolicies(List.of("a", "b \"quoted\"\n")).build();
        for (NamespaceCoverage c : List.of(plain, exempt)) {
            assertThat(JsonViews.coverageJson(c)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(c)));
        }
        JsonNode e = JsonViews.MAPPER.readTree(JsonViews.coverageJson(exempt));
        assertThat(e.get("exemption").get("until").asText()).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(e.get("exemption").get("source").asText()).isEqualTo("SYSTEM");
        assertThat(e.get("lastEvent").isNull()).isTrue();
        assertThat(JsonViews.coverageJson(exempt)).doesNotContain("\n");
    }

    @Test
    void shouldPinCoverageFieldOrderWhenWritten() throws Exception {
        JsonNode c = JsonViews.MAPPER.readTree(JsonViews.coverageJson(QueryTestApp.coverage("c1", "web", Status.NON_COMPLIANT)));
        assertThat(c.fieldNames()).toIterable().containsExactly("cluster", "namespace", "uid", "status", "reason", "since",
                "policies", "ingress", "egress", "allowsAll", "exemption", "stale", "profile", "createdAt", "updatedAt", "lastEvent",
                "enforced", "fenced", "fencedBy", "effective", "pods", "unisolatedWorkloads", "unisolatedWorkloadCount",
                "workloadStatus", "workloadReason");
        assertThat(c.get("effective").fieldNames()).toIterable().containsExactly("ingress", "egress", "allowsAll");
    }

    @Test
    void shouldListFencedByOfEveryKindAndTheEffectiveGradesInBothWriters() throws Exception {
        NamespaceCoverage row = NamespaceCoverage.newBuilder(QueryTestApp.coverage("c1", "web", Status.COMPLIANT))
                .setProfile("effective")
                .setFencedBy(List.of(
                        new io.fencewatch.schema.coverage.FenceRef("NetworkPolicy", "networking.k8s.io/v1", "api", "namespace",
                                List.of("ingress"), "some"),
                        new io.fencewatch.schema.coverage.FenceRef("GlobalNetworkPolicy", "projectcalico.org/v3", "default-deny",
                                "cluster", List.of("ingress", "egress"), "all")))
                .setEffectiveIngress(io.fencewatch.schema.common.Grade.DEFAULT_DENY)
                .setEffectiveEgress(io.fencewatch.schema.common.Grade.DEFAULT_DENY).build();
        assertThat(JsonViews.coverageJson(row)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(row)));
        JsonNode j = JsonViews.MAPPER.readTree(JsonViews.coverageJson(row));
        assertThat(j.get("profile").asText()).isEqualTo("effective");
        assertThat(j.at("/fencedBy/1").fieldNames()).toIterable()
                .containsExactly("kind", "apiVersion", "name", "scope", "directions", "pods");
        assertThat(j.at("/fencedBy/1/kind").asText()).isEqualTo("GlobalNetworkPolicy");
        assertThat(j.at("/fencedBy/1/scope").asText()).isEqualTo("cluster");
        assertThat(j.at("/fencedBy/1/directions").toString()).isEqualTo("[\"ingress\",\"egress\"]");
        assertThat(j.at("/fencedBy/0/pods").asText()).isEqualTo("some");
        assertThat(j.at("/effective/ingress").asText()).isEqualTo("DEFAULT_DENY");
        assertThat(j.at("/effective/allowsAll/egress").asBoolean(true)).isFalse();
        NamespaceCoverage old = NamespaceCoverage.newBuilder(row).setEffectiveIngress(null).setFencedBy(List.of()).build();
        JsonNode o = JsonViews.MAPPER.readTree(JsonViews.coverageJson(old));
        assertThat(o.at("/effective/ingress").isNull()).as("an older processor's row").isTrue();
        assertThat(o.get("fencedBy").isEmpty()).isTrue();
    }

    @Test
    void shouldTellEnforcedAndFencedApartWhenTheClusterEnforcesOrNotOrNobodyKnows() throws Exception {
        NamespaceCoverage compliant = QueryTestApp.coverage("c1", "web", Status.COMPLIANT);
        NamespaceCoverage open = QueryTestApp.coverage("c1", "app", Status.NON_COMPLIANT);
        record Case(NamespaceCoverage row, Boolean enforced, boolean fenced) {
        }
        for (Case c : List.of(new Case(compliant, true, true), new Case(compliant, false, false),
                new Case(compliant, null, false), new Case(open, true, false))) {
            NamespaceCoverage row = NamespaceCoverage.newBuilder(c.row()).setEnforced(c.enforced()).build();
            assertThat(JsonViews.coverageJson(row)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(row)));
            JsonNode streamed = JsonViews.MAPPER.readTree(JsonViews.coverageJson(row));
            assertThat(streamed.get("fenced").asBoolean()).as("%s", c).isEqualTo(c.fenced());
            if (c.enforced() == null) {
                assertThat(streamed.get("enforced").isNull()).isTrue();
            } else {
                assertThat(streamed.get("enforced").isBoolean()).isTrue();
                assertThat(streamed.get("enforced").asBoolean()).isEqualTo(c.enforced());
            }
        }
    }

    @Test
    void shouldDescribeBeforeAfterAndLatencyWhenDriftHasACause() {
        DriftEvent d = QueryTestApp.drift("id-1", "c1", "web", null, Status.NON_COMPLIANT, DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY);
        JsonNode j = JsonViews.drift(d);
        assertThat(j.fieldNames()).toIterable().containsExactly("id", "cluster", "namespace", "reason", "before", "after",
                "cause", "detectedAt", "profile", "latencyMs");
        assertThat(j.get("before").isNull()).isTrue();
        assertThat(j.get("after").fieldNames()).toIterable()
                .containsExactly("status", "ingress", "egress", "allowsAll", "stale", "policyCount", "enforced", "effective",
                        "fencedBy", "workloadStatus", "unisolatedWorkloads");
        assertThat(j.at("/after/workloadStatus").isNull()).as("pods not known in the fixture").isTrue();
        assertThat(j.at("/after/unisolatedWorkloads").asInt(-1)).isZero();
        assertThat(j.get("after").get("enforced").isNull()).as("unknown in the fixture").isTrue();
        DriftEvent added = DriftEvent.newBuilder(d).setBefore(io.fencewatch.schema.drift.CoverageState
                .newBuilder(d.getAfter()).setEnforced(false).build()).setAfter(io.fencewatch.schema.drift.CoverageState
                .newBuilder(d.getAfter()).setEnforced(true).build()).setReason(DriftReason.POLICY_ENGINE_ADDED).build();
        JsonNode a = JsonViews.drift(added);
        assertThat(a.get("reason").asText()).isEqualTo("POLICY_ENGINE_ADDED");
        assertThat(a.at("/before/enforced").asBoolean(true)).isFalse();
        assertThat(a.at("/after/enforced").asBoolean(false)).isTrue();
        assertThat(j.get("latencyMs").asLong()).isEqualTo(300);
    }

    @Test
    void shouldWritePodCountsAndTheUnfencedWorkloadsInBothWritersWhenPodsAreKnown() throws Exception {
        NamespaceCoverage row = WorkloadRows.row("c1", "shop", List.of(WorkloadRows.ingressFor("api")), List.of(
                WorkloadRows.shape("Deployment", "api", Map.of("app", "api"), 3, false),
                WorkloadRows.shape("Deployment", "web", Map.of("tier", "front", "app", "<img src=x onerror=alert(1)>"), 5, false),
                WorkloadRows.shape("DaemonSet", "agent", Map.of("app", "agent"), 2, true)));
        assertThat(JsonViews.coverageJson(row)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(row)));
        JsonNode j = JsonViews.MAPPER.readTree(JsonViews.coverageJson(row));
        assertThat(j.get("status").asText()).as("FW-NP-001 keeps its meaning: a NetworkPolicy exists").isEqualTo("COMPLIANT");
        assertThat(j.get("pods").fieldNames()).toIterable()
                .containsExactly("total", "isolatedIngress", "isolatedEgress", "hostNetwork");
        assertThat(j.at("/pods/total").asInt()).isEqualTo(10);
        assertThat(j.at("/pods/isolatedIngress").asInt()).isEqualTo(3);
        assertThat(j.at("/pods/isolatedEgress").asInt()).isZero();
        assertThat(j.at("/pods/hostNetwork").asInt()).isEqualTo(2);
        assertThat(j.get("unisolatedWorkloads")).hasSize(1);
        JsonNode web = j.at("/unisolatedWorkloads/0");
        assertThat(web.fieldNames()).toIterable().containsExactly("kind", "name", "labels", "pods", "directions");
        assertThat(web.get("kind").asText()).isEqualTo("Deployment");
        assertThat(web.get("name").asText()).isEqualTo("web");
        assertThat(web.get("labels").fieldNames()).toIterable().as("sorted, so both writers agree").containsExactly("app", "tier");
        assertThat(web.at("/labels/app").asText()).isEqualTo("<img src=x onerror=alert(1)>");
        assertThat(web.get("pods").asInt()).isEqualTo(5);
        assertThat(web.get("directions").toString()).as("selected by no policy").isEqualTo("[\"ingress\",\"egress\"]");
        assertThat(j.get("unisolatedWorkloadCount").asInt()).isEqualTo(1);
        assertThat(j.get("workloadStatus").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(j.get("workloadReason").asText()).startsWith("1 workload (5 of 8 pods) not selected by a NetworkPolicy: Deployment web")
                .contains("2 hostNetwork pods apart");
    }

    @Test
    void shouldWriteNullPodsAndNoWorkloadVerdictWhenPodsAreNotKnown() throws Exception {
        NamespaceCoverage row = WorkloadRows.podsNotKnown("c1", "shop", List.of(WorkloadRows.ingressFor("api")));
        NamespaceCoverage older = QueryTestApp.coverage("c1", "web", Status.COMPLIANT); // an older processor's row: defaults
        for (NamespaceCoverage c : List.of(row, older)) {
            assertThat(JsonViews.coverageJson(c)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(c)));
            JsonNode j = JsonViews.MAPPER.readTree(JsonViews.coverageJson(c));
            assertThat(j.has("pods")).isTrue();
            assertThat(j.get("pods").isNull()).isTrue();
            assertThat(j.get("unisolatedWorkloads").isArray()).isTrue();
            assertThat(j.get("unisolatedWorkloads").isEmpty()).isTrue();
            assertThat(j.get("unisolatedWorkloadCount").asInt(-1)).isZero();
            assertThat(j.get("workloadStatus").isNull()).isTrue();
            assertThat(j.get("workloadReason").isNull()).isTrue();
        }
    }

    @Test
    void shouldWriteAtMostTwentyWorkloadsMostPodsFirstAndCountTheRest() throws Exception {
        List<io.fencewatch.rules.NamespaceState.Workload> many = new java.util.ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add(WorkloadRows.shape("Deployment", "w" + i, Map.of("app", "w" + i), i + 1, false));
        }
        NamespaceCoverage row = WorkloadRows.row("c1", "big", List.of(), many);
        assertThat(JsonViews.coverageJson(row)).isEqualTo(JsonViews.MAPPER.writeValueAsString(JsonViews.coverage(row)));
        JsonNode j = JsonViews.MAPPER.readTree(JsonViews.coverageJson(row));
        assertThat(j.get("unisolatedWorkloads")).hasSize(20);
        assertThat(j.at("/unisolatedWorkloads/0/name").asText()).isEqualTo("w24");
        assertThat(j.at("/unisolatedWorkloads/19/name").asText()).isEqualTo("w5");
        assertThat(j.get("unisolatedWorkloadCount").asInt()).isEqualTo(25);
        assertThat(j.at("/pods/total").asInt()).isEqualTo(325);
    }

    @Test
    void shouldCarryTheWorkloadStatusAndCountInDriftBeforeAndAfter() {
        NamespaceCoverage open = WorkloadRows.row("c1", "shop", List.of(WorkloadRows.ingressFor("api")), List.of(
                WorkloadRows.shape("Deployment", "api", Map.of("app", "api"), 3, false),
                WorkloadRows.shape("Deployment", "web", Map.of("app", "web"), 5, false)));
        NamespaceCoverage closed = WorkloadRows.row("c1", "shop", List.of(WorkloadRows.ingressFor("api")), List.of(
                WorkloadRows.shape("Deployment", "api", Map.of("app", "api"), 3, false)));
        DriftEvent d = DriftEvent.newBuilder(QueryTestApp.drift("id-w", "c1", "shop", Status.COMPLIANT, Status.COMPLIANT,
                DriftReason.WORKLOAD_ISOLATED)).setBefore(io.fencewatch.rules.CoverageRecords.stateOf(open))
                .setAfter(io.fencewatch.rules.CoverageRecords.stateOf(closed)).build();
        JsonNode j = JsonViews.drift(d);
        assertThat(j.get("reason").asText()).isEqualTo("WORKLOAD_ISOLATED");
        assertThat(j.at("/before/workloadStatus").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(j.at("/before/unisolatedWorkloads").asInt()).isEqualTo(1);
        assertThat(j.at("/after/workloadStatus").asText()).isEqualTo("COMPLIANT");
        assertThat(j.at("/after/unisolatedWorkloads").asInt(-1)).isZero();
    }
}
