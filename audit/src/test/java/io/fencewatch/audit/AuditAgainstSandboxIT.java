package io.fencewatch.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.sandbox.Sandbox;
import io.fencewatch.sandbox.SandboxConfig;

/**
 * The README's "Done when", automated, on the real sandbox (broker, simulated API server, collector,
 * processor, REST): audit agrees with the processor row by row, exits 1 while a namespace is unfenced;
 * remediate --apply fences it; the processor shows COMPLIANT with drift POLICY_ADDED; audit exits 0; a
 * second remediate creates nothing.
 */
class AuditAgainstSandboxIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fields both sides derive from the same facts (since, updatedAt and lastEvent are each observer's own). */
    private static final List<String> COMPARED = List.of("cluster", "namespace", "uid", "status", "reason", "policies",
            "ingress", "egress", "allowsAll", "exemption", "stale", "profile", "createdAt");

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldAgreeWithTheProcessorAndFenceWhatItFindsWhenRunAgainstTheSandbox() throws Exception {
        SandboxConfig config = SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", dir.resolve("data").toString(), "scenario", "none")).withPortsChosen();
        try (Sandbox sandbox = new Sandbox(config, new PrintStream(new ByteArrayOutputStream(), true)).start()) {
            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            try (KubernetesClient k = sandbox.apiServer().client()) {
                for (String ns : List.of("analytics", "web", "partial", "legacy", "expired", "strict-only")) {
                    k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                            .create();
                }
                k.namespaces().withName("legacy").edit(n -> new NamespaceBuilder(n).editMetadata()
                        .addToLabels("fencewatch.io/exempt", "batch jobs").endMetadata().build());
                k.namespaces().withName("expired").edit(n -> new NamespaceBuilder(n).editMetadata()
                        .addToLabels("fencewatch.io/exempt", "was legacy")
                        .addToAnnotations("fencewatch.io/exempt-until", "2020-01-01T00:00:00Z").endMetadata().build());
                k.network().v1().networkPolicies().inNamespace("web").resource(new NetworkPolicyBuilder()
                        .withNewMetadata().withName("deny").endMetadata().withNewSpec().withNewPodSelector()
                        .endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec().build()).create();
                k.network().v1().networkPolicies().inNamespace("partial").resource(new NetworkPolicyBuilder()
                        .withNewMetadata().withName("web-only").endMetadata().withNewSpec().withNewPodSelector()
                        .addToMatchLabels("app", "web").endPodSelector().endSpec().build()).create();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> rest(base).size() == 10);

            String[] target = {"--kubeconfig=" + sandbox.kubeconfig(), "--grace-period=0s"};
            awaitSameRows(base, target);
            Run audit = run(AuditCommand::run, target);
            assertThat(audit.exit).isEqualTo(AuditCommand.EXIT_NON_COMPLIANT);
            assertThat(audit.out).containsPattern("sandbox +analytics +NON_COMPLIANT +no NetworkPolicy")
                    .contains("cluster sandbox: 10 namespaces, 3 NON_COMPLIANT, 0 PENDING, 2 COMPLIANT, 5 EXEMPT");

            Run fix = run(RemediateCommand::run, concat(target, "--apply"));
            assertThat(fix.exit).isZero();
            assertThat(fix.out).contains(RemediateCommand.WARNING, "sandbox/analytics: created",
                    "sandbox/expired: created", "sandbox/legacy: skipped (exempt)", "sandbox/kube-system: skipped (exempt)",
                    "sandbox/web: already fenced", "sandbox/strict-only: created", "3 created, 2 already fenced, 5 skipped, 0 failed");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode analytics = JSON.readTree(get(base + "/analytics"));
                assertThat(analytics.path("status").asText()).isEqualTo("COMPLIANT");
                assertThat(analytics.path("policies").toString()).contains("fencewatch-default-deny");
                assertThat(get(sandbox.dashboardUrl() + "api/v1/drift?cluster=sandbox"))
                        .containsPattern("\"namespace\":\"analytics\",\"reason\":\"POLICY_ADDED\"");
            });
            awaitSameRows(base, target);
            assertThat(run(AuditCommand::run, target).exit).isEqualTo(AuditCommand.EXIT_OK);

            Run again = run(RemediateCommand::run, concat(target, "--apply"));
            assertThat(again.exit).isZero();
            assertThat(again.out).contains("0 created, 5 already fenced, 5 skipped, 0 failed")
                    .doesNotContain(": created");
        }
    }

    private void awaitSameRows(String base, String[] target) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Run json = run(AuditCommand::run, concat(target, "-o", "json", "--fail-on=none"));
            assertThat(json.exit).isZero();
            Map<String, JsonNode> audit = byNamespace(JSON.readTree(json.out));
            Map<String, JsonNode> processor = rest(base);
            assertThat(audit.keySet()).isEqualTo(processor.keySet());
            for (String ns : audit.keySet()) {
                for (String field : COMPARED) {
                    assertThat(audit.get(ns).get(field)).as(ns + "." + field).isEqualTo(processor.get(ns).get(field));
                }
            }
        });
    }

    private Map<String, JsonNode> rest(String url) throws Exception {
        return byNamespace(JSON.readTree(get(url)));
    }

    private static Map<String, JsonNode> byNamespace(JsonNode array) {
        Map<String, JsonNode> out = new TreeMap<>();
        array.forEach(n -> out.put(n.path("namespace").asText(), n));
        return out;
    }

    private String get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    interface Command {
        int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Clock clock);
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(Command c, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = c.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC());
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
