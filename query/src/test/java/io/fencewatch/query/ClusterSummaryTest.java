package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

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
        String text = new QueryMetrics().render(Map::of, () -> Map.of("b", "UNREACHABLE", "a\"\\\n", "STALE"),
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
}
