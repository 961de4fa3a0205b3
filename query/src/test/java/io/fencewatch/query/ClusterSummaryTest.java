package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fencewatch.query.ClusterLiveness.PolicyEngine;
import io.fencewatch.query.ClusterLiveness.PolicyEnforcement;

/** The merge of cluster summaries (per partition, then instance by instance) and the cluster metrics. */
class ClusterSummaryTest {
    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    record Part(long lastSeen, boolean stale, boolean synced, String unreachable, long unreachableSince, String provider,
            String kubernetesVersion) implements ClusterLiveness {
    }

    private static CoverageQueryService.ClusterSummary of(ClusterLiveness... parts) {
        CoverageQueryService.ClusterSummary s = new CoverageQueryService.ClusterSummary("c");
        for (ClusterLiveness p : parts) {
            s.heard(p);
        }
        return s;
    }

    private static JsonNode merged(CoverageQueryService.ClusterSummary... peers) {
        CoverageQueryService.ClusterSummary out = new CoverageQueryService.ClusterSummary("c");
        for (CoverageQueryService.ClusterSummary p : peers) {
            out.merge(p.toJson(true));
        }
        return out.toJson(false);
    }

    @Test
    void shouldTakeFactsFromTheLatestPartitionWithFactsAndTheWorstStateInAnyOrder() {
        var syncing = new Part(T.toEpochMilli() + 5, false, false, null, 0, "oke", "v1.31");
        var unreachable = new Part(T.toEpochMilli() + 3, false, true, "403 Forbidden", T.toEpochMilli(), "oke", "v1.30");
        var noFacts = new Part(T.toEpochMilli() + 9, false, true, null, 0, null, null);
        var x = of(syncing);
        var y = of(unreachable, noFacts);

        JsonNode xy = merged(x, y);
        JsonNode yx = merged(y, x);

        assertThat(xy).isEqualTo(yx);
        assertThat(xy.get("state").asText()).isEqualTo("UNREACHABLE");
        assertThat(xy.get("kubernetesVersion").asText()).isEqualTo("v1.31");
        assertThat(xy.get("error").asText()).isEqualTo("403 Forbidden");
        assertThat(xy.get("unreachableSince").asText()).isEqualTo(T.toString());
        assertThat(xy.has("factsAt")).as("internal fields stay between instances").isFalse();
        assertThat(merged(x).get("state").asText()).isEqualTo("SYNCING");
        assertThat(merged(of(new Part(1, true, false, null, 0, null, null), syncing)).get("state").asText()).isEqualTo("STALE");
        assertThat(merged(of(noFacts)).get("provider").asText()).isEqualTo("kubernetes");
        assertThat(merged(of(noFacts)).get("state").asText()).isEqualTo("WATCHING");
    }

    @Test
    void shouldWriteEveryClusterStateAndOneLinePerClusterWithEscapedLabels() {
        String text = new QueryMetrics().render(Map::of, () -> Map.of("b", QueryMetrics.ClusterGauges.of("UNREACHABLE"),
                "a\"\\\n", QueryMetrics.ClusterGauges.of("STALE")),
                KafkaStreams.State.RUNNING, 0, 0);
        List<String> lines = text.lines().filter(l -> l.startsWith("fencewatch_cluster")).toList();
        assertThat(lines).containsExactly(
                "fencewatch_clusters{state=\"WATCHING\"} 0",
                "fencewatch_clusters{state=\"SYNCING\"} 0",
                "fencewatch_clusters{state=\"UNREACHABLE\"} 1",
                "fencewatch_clusters{state=\"STALE\"} 1",
                "fencewatch_cluster_state{cluster=\"a\\\"\\\\\\n\",state=\"STALE\"} 1",
                "fencewatch_cluster_state{cluster=\"b\",state=\"UNREACHABLE\"} 1");
        assertThat(text).contains("# TYPE fencewatch_clusters gauge\n", "# TYPE fencewatch_cluster_state gauge\n");
    }

    record Enforcing(long lastSeen, PolicyEnforcement enforcement) implements ClusterLiveness {
    }

    private static final PolicyEnforcement CALICO = new PolicyEnforcement(PolicyEnforcement.ENFORCED,
            List.of(new PolicyEngine("Calico", "v3.28.0", "kube-system", "calico-node", 3, 2)),
            "enforced by Calico v3.28.0 (kube-system/calico-node, 2/3 ready)");
    private static final PolicyEnforcement NONE = new PolicyEnforcement(PolicyEnforcement.NOT_ENFORCED, List.of(),
            "no network policy engine found (OKE flannel overlay, no Calico)");

    private static io.fencewatch.schema.coverage.NamespaceCoverage row(String ns, io.fencewatch.schema.common.Status status,
            Boolean enforced) {
        return io.fencewatch.schema.coverage.NamespaceCoverage.newBuilder(QueryTestApp.coverage("c", ns, status))
                .setEnforced(enforced).build();
    }

    @Test
    void shouldTakeTheEnforcementOfTheLatestPartitionThatKnowsItAndCountFencedFromTheRows() {
        io.fencewatch.schema.serde.FencewatchSerdes.namespaceCoverage();
        var older = of(new Enforcing(T.toEpochMilli(), NONE));
        var newer = of(new Enforcing(T.toEpochMilli() + 5, CALICO), new Enforcing(T.toEpochMilli() + 9, null));
        older.add(row("a", io.fencewatch.schema.common.Status.COMPLIANT, true));
        older.add(row("b", io.fencewatch.schema.common.Status.NON_COMPLIANT, true));
        newer.add(row("c", io.fencewatch.schema.common.Status.COMPLIANT, true));
        newer.add(row("d", io.fencewatch.schema.common.Status.COMPLIANT, null));
        newer.add(row("kube-system", io.fencewatch.schema.common.Status.EXEMPT, true));

        JsonNode j = merged(older, newer);

        assertThat(j).isEqualTo(merged(newer, older));
        assertThat(j.get("enforcement").fieldNames()).toIterable().containsExactly("state", "engines", "reason");
        assertThat(j.at("/enforcement/state").asText()).isEqualTo("ENFORCED");
        assertThat(j.at("/enforcement/reason").asText()).isEqualTo(CALICO.reason());
        assertThat(j.at("/enforcement/engines/0").fieldNames()).toIterable()
                .containsExactly("name", "version", "namespace", "workload", "desired", "ready");
        assertThat(j.at("/enforcement/engines/0/version").asText()).isEqualTo("v3.28.0");
        assertThat(j.at("/enforcement/engines/0/ready").asInt()).isEqualTo(2);
        assertThat(j.get("fenced").asLong()).as("compliant and enforced: a, c").isEqualTo(2);
        assertThat(j.get("fencedShare").asDouble()).as("of the four judged namespaces").isEqualTo(0.5);
        assertThat(j.has("enforcementAt")).isFalse();

        JsonNode none = merged(of(new Enforcing(T.toEpochMilli(), null)));
        assertThat(none.at("/enforcement/state").asText()).isEqualTo("UNKNOWN");
        assertThat(none.at("/enforcement/engines").size()).isZero();
        assertThat(none.at("/enforcement/reason").asText()).isNotBlank();
        assertThat(none.get("fenced").asLong()).isZero();
        assertThat(none.get("fencedShare").isNull()).as("no user namespaces").isTrue();
        assertThat(merged(older).at("/enforcement/state").asText()).isEqualTo("NOT_ENFORCED");
    }

    @Test
    void shouldCountFwNp003FromTheRowsAndMergeItAcrossPartitionsAndSayNullWhenPodsAreNotKnown() {
        var a = of(new Enforcing(T.toEpochMilli(), CALICO));
        var b = of(new Enforcing(T.toEpochMilli() + 5, CALICO));
        a.add(workloads("shop", io.fencewatch.schema.common.Status.NON_COMPLIANT, 2));
        a.add(workloads("web", io.fencewatch.schema.common.Status.COMPLIANT, 0));
        b.add(workloads("jobs", io.fencewatch.schema.common.Status.NON_COMPLIANT, 1));
        b.add(row("blind", io.fencewatch.schema.common.Status.COMPLIANT, true)); // pods not known

        JsonNode j = merged(a, b);
        assertThat(j).isEqualTo(merged(b, a));
        assertThat(j.get("workloads").toString())
                .isEqualTo("{\"namespaces\":3,\"nonCompliant\":2,\"unisolatedWorkloads\":3}");
        JsonNode unknown = merged(of(new Enforcing(T.toEpochMilli(), CALICO)));
        assertThat(unknown.has("workloads")).isTrue();
        assertThat(unknown.get("workloads").isNull()).as("pods not watched").isTrue();
    }

    private static io.fencewatch.schema.coverage.NamespaceCoverage workloads(String ns,
            io.fencewatch.schema.common.Status workloadStatus, int unisolated) {
        return io.fencewatch.schema.coverage.NamespaceCoverage.newBuilder(row(ns, io.fencewatch.schema.common.Status.COMPLIANT,
                true)).setWorkloadStatus(workloadStatus).setWorkloadReason("r").setUnisolatedWorkloadCount(unisolated)
                .setPods(new io.fencewatch.schema.coverage.PodCounts(3, 1, 0, 0)).build();
    }

    @Test
    void shouldWriteEnforcedOneOrZeroAndLeaveItOutWhenUnknown() {
        String text = new QueryMetrics().render(Map::of, () -> Map.of(
                "on", new QueryMetrics.ClusterGauges("WATCHING", true, 4L),
                "off", new QueryMetrics.ClusterGauges("WATCHING", false, 0L),
                "unknown", new QueryMetrics.ClusterGauges("SYNCING", null, 0L)), KafkaStreams.State.RUNNING, 0, 0);
        assertThat(text.lines().filter(l -> l.startsWith("fencewatch_cluster_policy_enforced"))).containsExactly(
                "fencewatch_cluster_policy_enforced{cluster=\"off\"} 0",
                "fencewatch_cluster_policy_enforced{cluster=\"on\"} 1");
        assertThat(text.lines().filter(l -> l.startsWith("fencewatch_namespaces_fenced"))).containsExactly(
                "fencewatch_namespaces_fenced{cluster=\"off\"} 0",
                "fencewatch_namespaces_fenced{cluster=\"on\"} 4",
                "fencewatch_namespaces_fenced{cluster=\"unknown\"} 0");
        assertThat(text).contains("# TYPE fencewatch_cluster_policy_enforced gauge\n",
                "# TYPE fencewatch_namespaces_fenced gauge\n");
    }
}
