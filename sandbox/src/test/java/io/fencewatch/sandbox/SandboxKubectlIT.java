package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/**
 * Issue 6's "Done when", automated: the sandbox (scenario none) driven with the real kubectl through
 * the kubeconfig it writes, and with the fabric8 client; the REST answers, the drift printed in the
 * terminal, and the whole table against the rule's audit of {@code kubectl get} output.
 * {@link SandboxKubectlRealApiServerIT} runs the same tests with {@code --control-plane=real},
 * {@link SandboxOciStreamingIT} with {@code --transport=oci-streaming}.
 */
class SandboxKubectlIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SYSTEM = Set.of("kube-system", "kube-public", "kube-node-lease", "default");
    /** Egress rules and no policyTypes: the API server defaults them to [Ingress, Egress]. */
    private static final String EGRESS_ONLY_RULES = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: dns-only
              namespace: reports
            spec:
              podSelector: {}
              egress:
              - ports:
                - {protocol: UDP, port: 53}
            """;
    static final String DEFAULT_DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: default-deny
              namespace: payments
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
              egress:
              - to:
                - namespaceSelector:
                    matchLabels:
                      kubernetes.io/metadata.name: kube-system
                ports:
                - {protocol: UDP, port: 53}
                - {protocol: TCP, port: 53}
            """;

    final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream terminalBytes = new ByteArrayOutputStream();
    final PrintStream terminal = new PrintStream(terminalBytes, true, StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void shouldFollowKubectlAndFabric8ChangesWhenDrivenThroughTheWrittenKubeconfig() throws Exception {
        Assumptions.assumeTrue(kubectlOnPath(), "kubectl is not on PATH: skipping the sandbox test that drives it"
                + " with the real kubectl (install kubectl 1.32 to run it)");
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data")), terminal).start()) {
            sandbox.announce();
            assertThat(terminal()).contains("export KUBECONFIG=" + sandbox.kubeconfig())
                    .contains("Kafka      " + sandbox.bootstrapServers()).contains(sandbox.dashboardUrl())
                    .contains("             It starts with no NetworkPolicy engine: its policies are not enforced until"
                            + " an engine runs (e.g. Calico's calico-node DaemonSet in kube-system).");
            assertThat(sandbox.kubeconfig()).exists();
            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));

            kubectl.ok("create", "namespace", "payments");
            awaitStatus(base + "/payments", "NON_COMPLIANT");
            awaitTerminal("sandbox/payments  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY");

            kubectl.ok("apply", "-f", kubectl.manifest("default-deny.yaml", DEFAULT_DENY).toString());
            awaitStatus(base + "/payments", "COMPLIANT");
            awaitTerminal("sandbox/payments  NON_COMPLIANT → COMPLIANT  POLICY_ADDED");
            JsonNode payments = get(base + "/payments").body;
            assertThat(payments.path("ingress").asText()).isEqualTo("DEFAULT_DENY");
            assertThat(payments.path("policies").toString()).contains("default-deny");

            kubectl.ok("create", "namespace", "legacy");
            awaitStatus(base + "/legacy", "NON_COMPLIANT");
            kubectl.ok("label", "namespace", "legacy", "fencewatch.io/exempt=legacy");
            awaitStatus(base + "/legacy", "EXEMPT");
            awaitTerminal("sandbox/legacy  NON_COMPLIANT → EXEMPT  EXEMPTED");

            // The grades follow the server's defaulting: no policyTypes, egress rules -> Ingress and Egress.
            kubectl.ok("create", "namespace", "reports");
            kubectl.ok("apply", "-f", kubectl.manifest("dns-only.yaml", EGRESS_ONLY_RULES).toString());
            assertThat(JSON.readTree(kubectl.ok("get", "networkpolicy", "dns-only", "-n", "reports", "-o", "json"))
                    .path("spec").path("policyTypes").toString()).isEqualTo("[\"Ingress\",\"Egress\"]");
            awaitStatus(base + "/reports", "COMPLIANT");
            JsonNode reports = get(base + "/reports").body;
            assertThat(reports.path("ingress").asText()).isEqualTo("DEFAULT_DENY");
            assertThat(reports.path("egress").asText()).isEqualTo("ALL_PODS");

            try (KubernetesClient k = sandbox.clusterClient()) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("orders").endMetadata()
                        .build()).create();
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("web").endMetadata()
                        .build()).create();
                k.network().v1().networkPolicies().inNamespace("web").resource(DemoScenario.defaultDeny("web"))
                        .create();
            }
            awaitStatus(base + "/orders", "NON_COMPLIANT");
            awaitStatus(base + "/web", "COMPLIANT");
            awaitTableMatchesAudit(base, kubectl);

            kubectl.ok("delete", "namespace", "payments");
            await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/payments").status == 404);
            awaitTerminal("sandbox/payments  COMPLIANT → TERMINATING");
            awaitTerminal("sandbox/payments  TERMINATING → (gone)  NAMESPACE_DELETED");
            awaitTableMatchesAudit(base, kubectl);
        }
    }

    @Test
    void shouldComeBackWithItsBrokerLogAndStateWhenStartedAgainWithTheSameDataDir() throws Exception {
        Path data = dir.resolve("data");
        try (Sandbox first = new Sandbox(config(data), terminal).start()) {
            assertThat(first.restarted()).isFalse();
            first.announce();
            try (KubernetesClient k = first.clusterClient()) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("before-restart")
                        .endMetadata().build()).create();
            }
            awaitTerminal("sandbox/before-restart  (new) → NON_COMPLIANT");
        }
        terminalBytes.reset();
        try (Sandbox second = new Sandbox(config(data), terminal).start()) {
            assertThat(second.restarted()).isTrue();
            second.announce();
            assertThat(terminal()).contains("restarted");
            // The simulated cluster starts afresh; the processor still knows the namespace from its
            // state, so the collector's new epoch sweeps it: proof that the state came back.
            awaitTerminal("sandbox/before-restart  NON_COMPLIANT → (gone)  REMOVED_BY_RESYNC");
            String base = second.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            await().atMost(Duration.ofSeconds(10)).until(() -> get(base + "/before-restart").status == 404);
            assertThat(get(base + "/kube-system").body.path("status").asText()).isEqualTo("EXEMPT");
        }
    }

    @Test
    void shouldWatchTheClusterOfAKubeconfigInsteadOfItsOwnWhenGivenOne() throws Exception {
        try (SimulatedApiServer elsewhere = new SimulatedApiServer().start(0)) {
            Path kubeconfig = elsewhere.writeKubeconfig(dir.resolve("other-kubeconfig"));
            SandboxConfig config = SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0",
                    "data-dir", dir.resolve("data").toString(), "kubeconfig", kubeconfig.toString(),
                    "context", SimulatedApiServer.NAME, "cluster-id", "elsewhere", "transport", transport()))
                    .withPortsChosen();
            assertThat(config.scenario()).isEqualTo(SandboxConfig.Scenario.NONE);
            try (Sandbox sandbox = new Sandbox(config, terminal).start()) {
                sandbox.announce();
                assertThat(sandbox.apiServer()).isNull();
                assertThat(terminal()).contains("watching context 'sandbox' of " + kubeconfig)
                        .doesNotContain("export KUBECONFIG");
                try (KubernetesClient k = elsewhere.client()) {
                    k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("billing").endMetadata()
                            .build()).create();
                }
                awaitStatus(sandbox.dashboardUrl() + "api/v1/clusters/elsewhere/namespaces/billing", "NON_COMPLIANT");
                awaitTerminal("elsewhere/billing  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY");
            }
        }
    }

    /** The sandbox under test, with its own simulated cluster. */
    SandboxConfig config(Path data) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "transport", transport())).withPortsChosen();
    }

    /** {@code --transport} of the sandboxes these tests start ({@link SandboxOciStreamingIT}: oci-streaming). */
    String transport() {
        return "kafka";
    }

    private void awaitTableMatchesAudit(String base, Kubectl kubectl) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Audit audit = Audit.of(JSON.readTree(kubectl.ok("get", "ns,networkpolicies", "-A", "-o", "json")));
            Reply all = get(base);
            assertThat(all.status).isEqualTo(200);
            Set<String> table = new TreeSet<>();
            Set<String> nonCompliant = new TreeSet<>();
            for (JsonNode n : all.body) {
                table.add(n.path("namespace").asText());
                if (n.path("status").asText().equals("NON_COMPLIANT")) {
                    nonCompliant.add(n.path("namespace").asText());
                }
            }
            assertThat(table).as("namespaces in the table").isEqualTo(audit.namespaces);
            assertThat(nonCompliant).as("non-compliant: namespaces - system - exempt - fenced")
                    .isEqualTo(audit.nonCompliant());
        });
    }

    /** The rule's own audit over {@code kubectl get ns,networkpolicies -A -o json}. */
    private record Audit(Set<String> namespaces, Set<String> exempt, Set<String> fenced) {
        static Audit of(JsonNode list) {
            Audit a = new Audit(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
            for (JsonNode item : list.path("items")) {
                String kind = item.path("kind").asText();
                JsonNode meta = item.path("metadata");
                if (kind.equals("Namespace")) {
                    a.namespaces.add(meta.path("name").asText());
                    if (meta.path("labels").has("fencewatch.io/exempt")) {
                        a.exempt.add(meta.path("name").asText());
                    }
                } else if (kind.equals("NetworkPolicy")) {
                    a.fenced.add(meta.path("namespace").asText());
                }
            }
            return a;
        }

        Set<String> nonCompliant() {
            Set<String> s = new TreeSet<>(namespaces);
            s.removeAll(SYSTEM);
            s.removeAll(exempt);
            s.removeAll(fenced);
            return s;
        }
    }

    void awaitStatus(String url, String status) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Reply r = get(url);
            assertThat(r.status).as("GET %s", url).isEqualTo(200);
            assertThat(r.body.path("status").asText()).isEqualTo(status);
        });
    }

    void awaitTerminal(String line) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(terminal()).contains(line));
    }

    String terminal() {
        return terminalBytes.toString(StandardCharsets.UTF_8);
    }

    record Reply(int status, JsonNode body) {
    }

    Reply get(String url) throws IOException, InterruptedException {
        return get(http, url);
    }

    /** One GET of the sandbox's REST API: status and JSON body (null node when empty). */
    static Reply get(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
    }

    static boolean kubectlOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "kubectl"))) {
                return true;
            }
        }
        return false;
    }

    /** The real kubectl with a given kubeconfig, in a private HOME. */
    record Kubectl(Path kubeconfig, Path home) {
        Path manifest(String name, String yaml) throws IOException {
            return Files.writeString(home.resolve(name), yaml, StandardCharsets.UTF_8);
        }

        /** Runs kubectl and returns its stdout; fails the test on a non-zero exit. */
        String ok(String... args) throws IOException, InterruptedException {
            String[] outErr = run(true, args);
            return outErr[0];
        }

        /** Runs kubectl and returns its stderr; fails the test on a zero exit. */
        String fails(String... args) throws IOException, InterruptedException {
            String[] outErr = run(false, args);
            return outErr[1];
        }

        private String[] run(boolean succeed, String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("kubectl"));
            command.addAll(List.of(args));
            Path out = Files.createTempFile(home, "kubectl", ".out");
            Path err = Files.createTempFile(home, "kubectl", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("KUBECONFIG", kubeconfig.toString());
            pb.environment().put("HOME", home.toString());
            pb.environment().put("KUBECACHEDIR", home.resolve("cache").toString());
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within 60 s");
            }
            if (succeed) {
                assertThat(p.exitValue()).as("kubectl %s: %s", String.join(" ", args), Files.readString(err)).isZero();
            } else {
                assertThat(p.exitValue()).as("kubectl %s (expected to fail): %s", String.join(" ", args),
                        Files.readString(out)).isNotZero();
            }
            return new String[] {Files.readString(out), Files.readString(err)};
        }
    }
}
