package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** What UNREACHABLE says of a failure: short, the HTTP status or the connection failure, never a header. */
class ClusterAgentDescribeTest {
    @Test
    void shouldSayTheStatusAndTheRequestWithoutFabric8sStatusDump() {
        var status = new StatusBuilder().withCode(401).withReason("Unauthorized").withMessage("Unauthorized").build();
        var e = new KubernetesClientException("Failure executing: GET at: https://10.0.0.7:6443/api/v1/namespaces?limit=1."
                + " Message: Unauthorized. Received status: " + status + ".", 401, status);
        assertThat(ClusterAgent.describe(e)).isEqualTo("HTTP 401 Unauthorized (GET https://10.0.0.7:6443/api/v1/namespaces)");

        var forbidden = new StatusBuilder().withCode(403).withReason("Forbidden")
                .withMessage("namespaces is forbidden: User \"ocid1.user.oc1..x\" cannot list resource \"namespaces\"").build();
        assertThat(ClusterAgent.describe(new KubernetesClientException("Failure executing: GET at: https://h/api/v1/namespaces. "
                + "Message: Forbidden.", 403, forbidden)))
                .isEqualTo("HTTP 403 Forbidden: namespaces is forbidden: User \"ocid1.user.oc1..x\" cannot list resource"
                        + " \"namespaces\" (GET https://h/api/v1/namespaces)");
    }

    @Test
    void shouldNameTheConnectionFailureUnderFabric8sWrapper() {
        var e = new KubernetesClientException("Operation: [list] for kind: [Namespace] failed.",
                new ConnectException("Connection refused"));
        assertThat(ClusterAgent.describe(e)).isEqualTo("ConnectException: Connection refused");
        assertThat(ClusterAgent.describe(new RuntimeException("a\nb" + "x".repeat(500)))).hasSizeLessThanOrEqualTo(400)
                .doesNotContain("\n");
    }
}
