package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

/** The OCSF finding of FW-NP-002: the FW-NP-001 envelope, severity High, one uid per cluster. */
class EnforcementFindingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T = 1_790_000_000_000L;

    private static Enforcement flannel() {
        return Enforcement.of(ClusterFacts.newBuilder().setProvider("oke").setCniTypes(List.of("FLANNEL_OVERLAY"))
                .setPolicyEngines(List.of()).build());
    }

    private static Enforcement calico() {
        return Enforcement.of(ClusterFacts.newBuilder().setProvider("oke").setPolicyEngines(List.of(
                PolicyEngineFacts.newBuilder().setEngine("calico").setNamespace("kube-system").setName("calico-node")
                        .setImage("docker.io/calico/node:v3.28.0").build())).build());
    }

    @Test
    void shouldOpenAHighFindingThatSaysWhyPoliciesHaveNoEffect() throws Exception {
        JsonNode f = JSON.readTree(Findings.enforcementJson("oke-a", "id-1", true, flannel(), T, null, "oke",
                "ocid1.cluster.x", "eu-frankfurt-1", "prod/eu", "1.2.3"));

        assertThat(f.get("class_uid").asInt()).isEqualTo(2003);
        assertThat(f.get("activity_name").asText()).isEqualTo("Create");
        assertThat(f.get("type_uid").asLong()).isEqualTo(200301);
        assertThat(f.get("severity_id").asInt()).isEqualTo(4);
        assertThat(f.get("severity").asText()).isEqualTo("High");
        assertThat(f.get("status").asText()).isEqualTo("New");
        assertThat(f.get("status_detail").asText())
                .isEqualTo("NetworkPolicies are not enforced: no network policy engine found (OKE flannel overlay, no Calico)");
        assertThat(f.get("message").asText()).contains("oke-a",
                "NetworkPolicies have no effect without an engine that implements them");
        assertThat(f.at("/metadata/uid").asText()).isEqualTo("id-1");
        assertThat(f.at("/metadata/correlation_uid").asText()).isEqualTo("FW-NP-002:oke-a");
        assertThat(f.at("/metadata/event_code").asText()).isEqualTo("FW-NP-002");
        assertThat(f.at("/finding_info/uid").asText()).isEqualTo("FW-NP-002:oke-a");
        assertThat(f.at("/finding_info/desc").asText()).contains("NetworkPolicies have no effect without an engine");
        assertThat(f.at("/compliance/control").asText()).isEqualTo("FW-NP-002");
        assertThat(f.at("/compliance/status").asText()).isEqualTo("Fail");
        assertThat(f.at("/compliance/requirements").toString()).contains("CIS Kubernetes Benchmark 5.3.1");
        assertThat(f.at("/resources/0/type").asText()).isEqualTo("Kubernetes Cluster");
        assertThat(f.at("/resources/0/region").asText()).isEqualTo("eu-frankfurt-1");
        assertThat(f.at("/remediation/desc").asText()).contains("Calico");
        assertThat(f.at("/unmapped/enforcement").asText()).isEqualTo("NOT_ENFORCED");
        assertThat(f.at("/unmapped/engines").size()).isZero();
    }

    @Test
    void shouldCloseWithTheEngineFoundOrTheGivenReason() throws Exception {
        JsonNode close = JSON.readTree(Findings.enforcementJson("oke-a", "id-2", false, calico(), T, null, null, null,
                null, null, "1.2.3"));
        assertThat(close.get("activity_name").asText()).isEqualTo("Close");
        assertThat(close.get("status").asText()).isEqualTo("Resolved");
        assertThat(close.get("severity").asText()).isEqualTo("High");
        assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");
        assertThat(close.get("status_detail").asText()).isEqualTo("enforced by Calico v3.28.0 (kube-system/calico-node)");
        assertThat(close.at("/unmapped/provider").asText()).isEqualTo("kubernetes");
        assertThat(close.at("/unmapped/engines/0").asText()).isEqualTo("Calico v3.28.0 (kube-system/calico-node)");
        assertThat(close.at("/resources/0").has("region")).isFalse();
        assertThat(close.at("/finding_info").has("created_time")).isFalse();

        JsonNode removed = JSON.readTree(Findings.enforcementJson("oke-a", "id-3", false, flannel(), T,
                "cluster removed", "oke", null, null, null, "1.2.3"));
        assertThat(removed.get("status_detail").asText()).isEqualTo("cluster removed");
    }

    @Test
    void shouldKeepFwNp001AndFwCl001AtMedium() throws Exception {
        JsonNode cl = JSON.readTree(Findings.clusterReachabilityJson("c", "id", true, "401", java.time.Instant.EPOCH, T,
                null, null, null, null, null, "1"));
        assertThat(cl.get("severity").asText()).isEqualTo("Medium");
        assertThat(cl.get("severity_id").asInt()).isEqualTo(3);
    }
}
