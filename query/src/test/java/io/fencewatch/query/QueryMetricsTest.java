package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.common.Status;

/** The FW-NP-003 gauge of /metrics: namespaces per workloadStatus, in the style of fencewatch_namespaces. */
class QueryMetricsTest {

    @Test
    void shouldWriteNamespacesPerWorkloadStatusWithZerosAndNoLineForAClusterWithoutPods() {
        QueryMetrics.NamespaceCounts counts = new QueryMetrics.NamespaceCounts(
                Map.of("shop", Map.of(Status.COMPLIANT, 3L, Status.NON_COMPLIANT, 1L), "blind", Map.of(Status.COMPLIANT, 2L)),
                Map.of("shop", Map.of(Status.NON_COMPLIANT, 2L, Status.EXEMPT, 1L)));
        String text = new QueryMetrics().render(counts, Map::of, KafkaStreams.State.RUNNING, 0, 0);
        assertThat(text.lines().filter(l -> l.startsWith("fencewatch_namespaces_workloads{"))).containsExactly(
                "fencewatch_namespaces_workloads{cluster=\"shop\",status=\"COMPLIANT\"} 0",
                "fencewatch_namespaces_workloads{cluster=\"shop\",status=\"NON_COMPLIANT\"} 2",
                "fencewatch_namespaces_workloads{cluster=\"shop\",status=\"PENDING\"} 0",
                "fencewatch_namespaces_workloads{cluster=\"shop\",status=\"EXEMPT\"} 1",
                "fencewatch_namespaces_workloads{cluster=\"shop\",status=\"TERMINATING\"} 0");
        assertThat(text).contains("# TYPE fencewatch_namespaces_workloads gauge\n",
                "fencewatch_namespaces{cluster=\"blind\",status=\"COMPLIANT\"} 2\n",
                "fencewatch_namespaces{cluster=\"shop\",status=\"NON_COMPLIANT\"} 1\n");
    }
}
