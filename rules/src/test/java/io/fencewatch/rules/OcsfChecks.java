package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The checks an opened OCSF Compliance Finding must pass, wherever it comes from: the findings topic
 * (stream-processor's FindingsAndHeadersTest) and {@code fencewatch audit -o ocsf} (audit's tests).
 * Shared through this module's test jar.
 */
public final class OcsfChecks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OcsfChecks() {
    }

    /** Parses {@code json} and checks it is an open FW-NP-001 finding for {@code cluster/namespace} at {@code time}. */
    public static JsonNode assertOpenFinding(String json, String cluster, String namespace, long time) {
        JsonNode create;
        try {
            create = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
        assertThat(create.get("class_uid").asInt()).isEqualTo(2003);
        assertThat(create.get("class_name").asText()).isEqualTo("Compliance Finding");
        assertThat(create.get("category_uid").asInt()).isEqualTo(2);
        assertThat(create.get("activity_id").asInt()).isEqualTo(1);
        assertThat(create.get("activity_name").asText()).isEqualTo("Create");
        assertThat(create.get("type_uid").asLong()).isEqualTo(200301);
        assertThat(create.get("severity_id").asInt()).isEqualTo(3);
        assertThat(create.get("severity").asText()).isEqualTo("Medium");
        assertThat(create.get("status").asText()).isEqualTo("New");
        assertThat(create.get("time").asLong()).isEqualTo(time);
        assertThat(create.at("/metadata/version").asText()).startsWith("1.");
        assertThat(create.at("/metadata/product/name").asText()).isEqualTo("Fencewatch");
        assertThat(create.at("/compliance/control").asText()).isEqualTo("FW-NP-001");
        assertThat(create.at("/compliance/status").asText()).isEqualTo("Fail");
        assertThat(create.at("/finding_info/uid").asText()).isEqualTo("FW-NP-001:" + cluster + "/" + namespace);
        List<String> resources = new ArrayList<>();
        create.get("resources").forEach(r -> resources.add(r.get("type").asText() + "=" + r.get("name").asText()));
        assertThat(resources).containsExactly("Kubernetes Cluster=" + cluster, "Kubernetes Namespace=" + namespace);
        String remediation = create.at("/remediation/desc").asText();
        assertThat(remediation)
                .contains("kind: NetworkPolicy", "namespace: " + namespace, "podSelector: {}", "- Ingress", "- Egress",
                        "kubernetes.io/metadata.name: kube-system", "protocol: UDP", "protocol: TCP", "port: 53");
        return create;
    }
}
