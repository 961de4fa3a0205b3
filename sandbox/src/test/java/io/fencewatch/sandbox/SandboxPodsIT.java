package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.kafka.TopicReader;
import io.fencewatch.sandbox.SandboxKubectlIT.Kubectl;
import io.fencewatch.sandbox.SandboxKubectlIT.Reply;

/**
 * Issue 16 "ITs with pods created by kubectl in the simulated cluster": the sandbox ({@code --scenario none},
 * {@code --watch-pods} on by default) driven with the real kubectl. A namespace whose only NetworkPolicy selects
 * {@code app=api} passes FW-NP-001 while its web Deployment is open: FW-NP-003 says so on the REST row
 * ({@code pods}, {@code unisolatedWorkloads}, {@code workloadStatus}), in the terminal
 * ({@code WORKLOAD_UNISOLATED}) and as an OCSF finding; a hostNetwork pod is counted apart; a default deny for
 * every pod isolates every workload ({@code WORKLOAD_ISOLATED}, the finding closes); deleting a Deployment's pods
 * takes its shape away. With {@code --watch-pods=false} the same namespace has no pod verdict at all.
 * {@link SandboxPodsRealApiServerIT} runs the same on a real kube-apiserver, where
 * {@code kubectl create deployment} has kube-controller-manager create the ReplicaSet and its (Pending) pods.
 */
class SandboxPodsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String ALLOW_API = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: allow-web-to-api
              namespace: shop
            spec:
              podSelector:
                matchExpressions:
                - {key: app, operator: In, values: [api]}
              policyTypes: [Ingress]
              ingress:
              - from:
                - podSelector: {matchLabels: {app: web}}
            """;
    static final String DEFAULT_DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: default-deny
              namespace: shop
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
            """;
    static final String HOST_AGENT = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: node-agent
              namespace: shop
              labels: {app: node-agent}
            spec:
              hostNetwork: true
              containers:
              - {name: agent, image: registry.example/agent:1.0}
            """;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream terminalBytes = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(terminalBytes, true, StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @BeforeEach
    void kubectlPresent() {
        Assumptions.assumeTrue(SandboxKubectlIT.kubectlOnPath(), "kubectl is not on PATH: skipping the sandbox test"
                + " that drives it with the real kubectl (install kubectl 1.32 to run it)");
    }

    @Test
    void shouldFindTheWorkloadsNoNetworkPolicySelectsWhileTheNamespacePassesFwNp001() throws Exception {
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data"), true), terminal).start()) {
            sandbox.announce();
            String shopUrl = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces/shop";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));

            // 1. A namespace with a policy for its api pods, then the api Deployment: every workload selected.
            kubectl.ok("create", "namespace", "shop");
            kubectl.ok("apply", "-f", kubectl.manifest("allow-api.yaml", ALLOW_API).toString());
            deploy(kubectl, "shop", "api", 2);
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode shop = get(shopUrl).body();
                assertThat(shop.path("status").asText()).isEqualTo("COMPLIANT");
                assertThat(shop.path("workloadStatus").asText()).isEqualTo("COMPLIANT");
                assertThat(shop.path("pods").toString())
                        .isEqualTo("{\"total\":2,\"isolatedIngress\":2,\"isolatedEgress\":0,\"hostNetwork\":0}");
            });

            // 2. The web Deployment: FW-NP-001 still passes, FW-NP-003 does not.
            deploy(kubectl, "shop", "web", 3);
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode shop = get(shopUrl).body();
                assertThat(shop.path("workloadStatus").asText()).isEqualTo("NON_COMPLIANT");
                assertThat(shop.path("pods").path("total").asInt()).isEqualTo(5);
            });
            JsonNode shop = get(shopUrl).body();
            assertThat(shop.path("status").asText()).as("FW-NP-001 keeps its meaning").isEqualTo("COMPLIANT");
            assertThat(shop.path("pods").toString())
                    .isEqualTo("{\"total\":5,\"isolatedIngress\":2,\"isolatedEgress\":0,\"hostNetwork\":0}");
            assertThat(shop.path("unisolatedWorkloads")).containsExactly(JSON.readTree("""
                    {"kind": "Deployment", "name": "web", "labels": {"app": "web"}, "pods": 3,
                     "directions": ["ingress", "egress"]}"""));
            assertThat(shop.path("unisolatedWorkloadCount").asInt()).isEqualTo(1);
            assertThat(shop.path("workloadReason").asText())
                    .isEqualTo("1 workload (3 of 5 pods) not selected by a NetworkPolicy: Deployment web");
            awaitTerminal("WORKLOAD_UNISOLATED  workloads COMPLIANT → NON_COMPLIANT (1 unfenced)");

            // 3. A hostNetwork pod: counted apart, never judged.
            kubectl.ok("apply", "-f", kubectl.manifest("node-agent.yaml", HOST_AGENT).toString());
            await().atMost(WAIT).untilAsserted(() -> assertThat(get(shopUrl).body().path("pods").toString())
                    .isEqualTo("{\"total\":6,\"isolatedIngress\":2,\"isolatedEgress\":0,\"hostNetwork\":1}"));
            assertThat(get(shopUrl).body().path("unisolatedWorkloadCount").asInt()).isEqualTo(1);

            // 4. A default deny for every pod: every workload is isolated both ways.
            kubectl.ok("apply", "-f", kubectl.manifest("default-deny.yaml", DEFAULT_DENY).toString());
            await().atMost(WAIT).untilAsserted(() -> assertThat(get(shopUrl).body().path("workloadStatus").asText())
                    .isEqualTo("COMPLIANT"));
            shop = get(shopUrl).body();
            assertThat(shop.path("pods").toString())
                    .isEqualTo("{\"total\":6,\"isolatedIngress\":5,\"isolatedEgress\":5,\"hostNetwork\":1}");
            assertThat(shop.path("unisolatedWorkloads")).isEmpty();
            assertThat(shop.path("workloadReason").asText())
                    .isEqualTo("every workload selected by a NetworkPolicy; 1 hostNetwork pod apart (no NetworkPolicy applies)");
            // The default deny changes FW-NP-001's grades too, so its reason names the drift; the workloads follow.
            awaitTerminal("POLICY_ADDED  workloads NON_COMPLIANT → COMPLIANT");

            // The FW-NP-003 finding opened with the web Deployment as a resource, and closed.
            List<JsonNode> findings = workloadFindings(sandbox, 2);
            assertThat(findings).extracting(f -> f.path("activity_name").asText()).containsExactly("Create", "Close");
            assertThat(findings.get(0).path("resources").findValuesAsText("type"))
                    .containsExactly("Kubernetes Cluster", "Kubernetes Namespace", "Kubernetes Deployment");
            assertThat(findings.get(0).at("/resources/2/name").asText()).isEqualTo("web");

            // 5. The web Deployment goes: its shape goes with its pods.
            undeploy(kubectl, "shop", "web");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get(shopUrl).body().path("pods")
                    .path("total").asInt()).isEqualTo(3));
            assertThat(sandbox.healthProblem()).isNull();
        }
    }

    @Test
    void shouldGiveNoPodVerdictWhenPodsAreNotWatched() throws Exception {
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data"), false), terminal).start()) {
            sandbox.announce();
            String shopUrl = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces/shop";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));
            kubectl.ok("create", "namespace", "shop");
            kubectl.ok("apply", "-f", kubectl.manifest("allow-api.yaml", ALLOW_API).toString());
            deploy(kubectl, "shop", "web", 1);
            await().atMost(WAIT).untilAsserted(() -> assertThat(get(shopUrl).body().path("status").asText())
                    .isEqualTo("COMPLIANT"));
            JsonNode shop = get(shopUrl).body();
            assertThat(shop.path("pods").isNull()).as("pods: null").isTrue();
            assertThat(shop.path("workloadStatus").isNull()).isTrue();
            assertThat(shop.path("unisolatedWorkloads")).isEmpty();
            assertThat(terminal()).doesNotContain("WORKLOAD_");
        }
    }

    // ------------------------------------------------------------------ hooks of the real-API-server variant

    SandboxConfig config(Path data, boolean watchPods) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "watch-pods", String.valueOf(watchPods)))
                .withPortsChosen();
    }

    /**
     * {@code replicas} pods of Deployment {@code name} (label {@code app=<name>}). The simulated cluster runs no
     * controllers: the pods are applied as the Deployment's ReplicaSet would create them (controlling owner, the
     * {@code pod-template-hash} label its name ends in).
     */
    void deploy(Kubectl kubectl, String namespace, String name, int replicas) throws Exception {
        String hash = "6c9f8d7b5";
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < replicas; i++) {
            yaml.append("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: %1$s-%2$s-%3$d
                      namespace: %4$s
                      labels: {app: %1$s, pod-template-hash: %2$s}
                      ownerReferences:
                      - {apiVersion: apps/v1, kind: ReplicaSet, name: %1$s-%2$s, uid: 3f0c9d1e-0000-4000-8000-00000000000%3$d, controller: true}
                    spec:
                      containers:
                      - {name: %1$s, image: registry.example/%1$s:1.0}
                    ---
                    """.formatted(name, hash, i, namespace));
        }
        kubectl.ok("apply", "-f", kubectl.manifest(name + "-pods.yaml", yaml.toString()).toString());
    }

    void undeploy(Kubectl kubectl, String namespace, String name) throws Exception {
        kubectl.ok("delete", "pods", "-n", namespace, "-l", "app=" + name);
    }

    // ------------------------------------------------------------------ helpers

    private List<JsonNode> workloadFindings(Sandbox sandbox, int count) {
        try (TopicReader<String, String> reader = new TopicReader<>(sandbox.bootstrapServers(),
                sandbox.topics().findings(), new StringDeserializer(), new StringDeserializer())) {
            List<JsonNode> out = new ArrayList<>();
            reader.pollUntil(rs -> {
                out.clear();
                for (ConsumerRecord<String, String> r : rs) {
                    JsonNode f = parse(r.value());
                    if (f.at("/compliance/control").asText().equals("FW-NP-003")) {
                        out.add(f);
                    }
                }
                return out.size() >= count;
            }, WAIT);
            return out;
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }

    void awaitTerminal(String text) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(terminal()).contains("sandbox/shop").contains(text));
    }

    String terminal() {
        return terminalBytes.toString(StandardCharsets.UTF_8);
    }

    Reply get(String url) throws IOException, InterruptedException {
        return SandboxKubectlIT.get(http, url);
    }
}
