package io.fencewatch.audit;

import static io.fencewatch.audit.AuditAgainstSandboxIT.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.sandbox.CalicoNode;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/**
 * fencewatch audit against the sandbox's simulated API server: exit statuses, contexts, unreadable
 * clusters, FW-NP-002 (no engine, Calico, a forbidden engine namespace), and FW-NP-003 with
 * {@code --pods} (a namespace whose policy selects some of its pods; pods forbidden).
 */
class AuditCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private SimulatedApiServer api;

    @BeforeEach
    void start() {
        api = new SimulatedApiServer().start(0);
        try (KubernetesClient k = api.client()) {
            for (int i = 0; i < 25; i++) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team-" + i).endMetadata()
                        .build()).create();
            }
        }
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void shouldExitOneWhenANamespaceIsNonCompliantAndZeroWhenFailOnIsNone() {
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));
        var r = run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--page-size=10");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("cluster sandbox: 29 namespaces, 25 NON_COMPLIANT, 0 PENDING, 0 COMPLIANT, 4 EXEMPT");
        assertThat(run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--fail-on=none").exit()).isZero();
        // Inside the default 30 s grace period the new namespaces are PENDING, as in the processor.
        var pending = run(AuditCommand::run, kubeconfig);
        assertThat(pending.exit()).isZero();
        assertThat(pending.out()).contains("0 NON_COMPLIANT, 25 PENDING");
    }

    @Test
    void shouldReportWhatFencesEachNamespaceAndCountItUnderEffectiveButNotUnderBaseline() throws IOException {
        try (KubernetesClient k = api.client()) {
            k.namespaces().withName("team-0").edit(ns -> new NamespaceBuilder(ns).editMetadata()
                    .addToLabels("env", "prod").endMetadata().build());
            k.genericKubernetesResources("projectcalico.org/v3", "GlobalNetworkPolicy").resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: projectcalico.org/v3
                            kind: GlobalNetworkPolicy
                            metadata:
                              name: prod-deny
                            spec:
                              namespaceSelector: env == 'prod'
                              types: [Ingress, Egress]
                            """, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)).create();
            k.genericKubernetesResources("cilium.io/v2", "CiliumNetworkPolicy").inNamespace("team-1").resource(
                    io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                            apiVersion: cilium.io/v2
                            kind: CiliumNetworkPolicy
                            metadata:
                              name: deny-all-ingress
                              namespace: team-1
                            spec:
                              endpointSelector: {}
                              ingress:
                              - {}
                            """, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)).create();
        }
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));
        var baseline = run(AuditCommand::run, kubeconfig, "--grace-period=0s", "-o", "table");
        assertThat(baseline.out()).as("FW-NP-001 counts NetworkPolicy objects").contains("25 NON_COMPLIANT");
        assertThat(baseline.out().lines().filter(l -> l.contains(" team-0 ")).findFirst().orElseThrow())
                .contains("NON_COMPLIANT").endsWith("GlobalNetworkPolicy/prod-deny");
        assertThat(baseline.out().lines().filter(l -> l.contains(" team-1 ")).findFirst().orElseThrow())
                .endsWith("CiliumNetworkPolicy/deny-all-ingress");

        var effective = run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--profile=effective", "-o", "json");
        com.fasterxml.jackson.databind.JsonNode rows = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(effective.out());
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byName = new java.util.TreeMap<>();
        rows.forEach(r -> byName.put(r.path("namespace").asText(), r));
        assertThat(byName.get("team-0").path("status").asText()).isEqualTo("COMPLIANT");
        assertThat(byName.get("team-0").path("profile").asText()).isEqualTo("effective");
        assertThat(byName.get("team-0").at("/fencedBy/0/name").asText()).isEqualTo("prod-deny");
        assertThat(byName.get("team-0").at("/fencedBy/0/directions").toString()).isEqualTo("[\"ingress\",\"egress\"]");
        assertThat(byName.get("team-1").path("status").asText()).isEqualTo("COMPLIANT");
        assertThat(byName.get("team-1").at("/fencedBy/0/scope").asText()).isEqualTo("namespace");
        assertThat(byName.get("team-2").path("status").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(byName.get("team-2").path("fencedBy").isEmpty()).isTrue();

        var none = run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--profile=effective", "--policy-kinds=none");
        assertThat(none.out()).as("nothing but NetworkPolicies read").contains("25 NON_COMPLIANT");
    }

    @Test
    void shouldReadEveryContextAndExitThreeNamingTheClusterWhenOneCannotBeRead() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Path file = dir.resolve("two-contexts");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: live
                  cluster: {server: "%s"}
                - name: gone
                  cluster: {server: "http://127.0.0.1:%d"}
                users:
                - name: u
                  user: {token: %s}
                contexts:
                - name: live
                  context: {cluster: live, user: u}
                - name: gone
                  context: {cluster: gone, user: u}
                current-context: live
                """.formatted(api.url(), dead, SimulatedApiServer.TOKEN));
        var r = run(AuditCommand::run, "--kubeconfig=" + file, "--contexts=prod=live,gone", "--grace-period=0s",
                "--request-timeout=3s", "-o", "table");
        assertThat(r.exit()).isEqualTo(AuditCommand.EXIT_UNREADABLE);
        assertThat(r.out()).contains("cluster prod: 29 namespaces, 25 NON_COMPLIANT").contains("prod     team-0")
                .contains("cluster gone: not read (");
        assertThat(r.err()).contains("fencewatch audit: cluster gone could not be read: ");
    }

    @Test
    void shouldReportNotEnforcedAndExitOneUnderRequireEnforcementWhenNoEngineRuns() throws IOException {
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var plain = run(AuditCommand::run, kubeconfig);
        var required = run(AuditCommand::run, kubeconfig, "--require-enforcement");
        var json = run(AuditCommand::run, kubeconfig, "-o", "json");

        // Inside the grace period nothing is NON_COMPLIANT: only FW-NP-002 can fail the run.
        assertThat(plain.exit()).isEqualTo(AuditCommand.EXIT_OK);
        assertThat(plain.out()).contains("cluster sandbox: enforcement NOT_ENFORCED (no network policy engine found in"
                + " kube-system, calico-system)");
        assertThat(required.exit()).isEqualTo(AuditCommand.EXIT_NOT_ENFORCED);
        JsonNode rows = JSON.readTree(json.out());
        assertThat(rows).hasSize(29).allSatisfy(row -> {
            assertThat(row.path("enforced").isBoolean()).isTrue();
            assertThat(row.path("enforced").asBoolean()).isFalse();
            assertThat(row.path("enforcement").path("state").asText()).isEqualTo("NOT_ENFORCED");
            assertThat(row.path("enforcement").path("engines")).isEmpty();
        });
    }

    @Test
    void shouldReportEnforcedAndExitZeroUnderRequireEnforcementWhenCalicoNodeRuns() throws IOException {
        try (KubernetesClient k = api.client()) {
            k.apps().daemonSets().inNamespace(CalicoNode.NAMESPACE)
                    .resource(new DaemonSetBuilder(CalicoNode.daemonSet()).withNewStatus()
                            .withDesiredNumberScheduled(3).withNumberReady(3).endStatus().build())
                    .create();
        }
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var required = run(AuditCommand::run, kubeconfig, "--require-enforcement");
        var json = run(AuditCommand::run, kubeconfig, "-o", "json");

        assertThat(required.exit()).isEqualTo(AuditCommand.EXIT_OK);
        assertThat(required.out()).contains("cluster sandbox: enforcement ENFORCED (enforced by Calico v3.28.0"
                + " (kube-system/calico-node))");
        JsonNode first = JSON.readTree(json.out()).get(0);
        assertThat(first.path("enforced").asBoolean(false)).isTrue();
        JsonNode engine = first.path("enforcement").path("engines").get(0);
        assertThat(engine.path("id").asText()).isEqualTo("calico");
        assertThat(engine.path("namespace").asText()).isEqualTo("kube-system");
        assertThat(engine.path("workload").asText()).isEqualTo("calico-node");
        assertThat(engine.path("desired").asInt()).isEqualTo(3);
        assertThat(engine.path("ready").asInt()).isEqualTo(3);
        // Where the audit is told to look decides: calico-node in kube-system is not seen from calico-system alone.
        var elsewhere = run(AuditCommand::run, kubeconfig, "--policy-engine-namespaces=calico-system",
                "--require-enforcement");
        assertThat(elsewhere.exit()).isEqualTo(AuditCommand.EXIT_NOT_ENFORCED);
        assertThat(elsewhere.out()).contains("cluster sandbox: enforcement NOT_ENFORCED (no network policy engine found"
                + " in calico-system)");
    }

    @Test
    void shouldReportUnknownWithTheReasonWhenAnExistingEngineNamespaceIsForbidden() throws IOException {
        try (KubernetesClient k = api.client()) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("calico-system").endMetadata()
                    .build()).create();
        }
        api.forbid("apps", "daemonsets", "calico-system");
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var required = run(AuditCommand::run, kubeconfig, "--require-enforcement");
        var json = run(AuditCommand::run, kubeconfig, "-o", "json");

        assertThat(required.exit()).as("the namespaces are read all the same")
                .isEqualTo(AuditCommand.EXIT_NOT_ENFORCED);
        assertThat(required.out()).contains("cluster sandbox: 30 namespaces")
                .contains("cluster sandbox: enforcement UNKNOWN (cannot tell: forbidden: list daemonsets.apps in"
                        + " calico-system)");
        assertThat(required.err()).isEmpty();
        JsonNode first = JSON.readTree(json.out()).get(0);
        assertThat(first.path("enforced").isNull()).as("unknown").isTrue();
        assertThat(first.path("enforcement").path("state").asText()).isEqualTo("UNKNOWN");
    }

    @Test
    void shouldIgnoreAForbiddenEngineNamespaceThatDoesNotExistAndLookNowhereWhenTheFlagIsEmpty() {
        api.forbid("apps", "daemonsets", "calico-system");
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var absent = run(AuditCommand::run, kubeconfig);
        var nowhere = run(AuditCommand::run, kubeconfig, "--policy-engine-namespaces=", "--require-enforcement");

        assertThat(absent.out()).as("calico-system does not exist: nothing hidden there").contains("cluster sandbox:"
                + " enforcement NOT_ENFORCED (no network policy engine found in kube-system, calico-system)");
        assertThat(nowhere.exit()).isEqualTo(AuditCommand.EXIT_NOT_ENFORCED);
        assertThat(nowhere.out()).contains("cluster sandbox: enforcement UNKNOWN (not looked for"
                + " (--policy-engine-namespaces is empty))");
    }

    /** Namespace shop: a NetworkPolicy selecting app=api, Deployments api (2 pods) and web (1), a hostNetwork pod. */
    private void shopWithPods() {
        try (KubernetesClient k = api.client()) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
                    .create();
            k.network().v1().networkPolicies().inNamespace("shop").resource(new NetworkPolicyBuilder().withNewMetadata()
                    .withName("allow-api").endMetadata().withNewSpec().withNewPodSelector()
                    .addToMatchLabels("app", "api").endPodSelector().withPolicyTypes("Ingress").endSpec().build()).create();
            for (var pod : List.of(
                    ClusterReaderPodsTest.deploymentPod("shop", "api-1a2b-x", "api", "1a2b", Map.of("app", "api"), "Running"),
                    ClusterReaderPodsTest.deploymentPod("shop", "api-1a2b-y", "api", "1a2b", Map.of("app", "api"), "Running"),
                    ClusterReaderPodsTest.deploymentPod("shop", "web-3c4d-x", "web", "3c4d", Map.of("app", "web"), "Running"),
                    ClusterReaderPodsTest.hostNetworkPod("shop", "agent"))) {
                k.pods().inNamespace("shop").resource(pod).create();
            }
        }
    }

    @Test
    void shouldJudgeFwNp003WithPodsAndFailOnItOnlyWhenAskedTo() throws IOException {
        shopWithPods();
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var without = run(AuditCommand::run, kubeconfig);
        var table = run(AuditCommand::run, kubeconfig, "--pods", "--page-size=2");
        var json = run(AuditCommand::run, kubeconfig, "--pods", "-o", "json");
        var ocsf = run(AuditCommand::run, kubeconfig, "--pods", "-o", "ocsf");
        var failOn = run(AuditCommand::run, kubeconfig, "--pods", "--fail-on=workloads");

        // Inside the grace period the team-* namespaces are PENDING: only FW-NP-003 can fail the run.
        assertThat(without.exit()).isEqualTo(AuditCommand.EXIT_OK);
        assertThat(without.out()).doesNotContain("WORKLOADS");
        assertThat(table.exit()).as("FW-NP-003 is reported, not failed on, by default").isEqualTo(AuditCommand.EXIT_OK);
        assertThat(table.out().lines().findFirst().orElseThrow()).endsWith("  WORKLOADS");
        assertThat(table.out().lines().filter(l -> l.startsWith("sandbox  shop ")).findFirst().orElseThrow())
                .contains("  COMPLIANT  ").endsWith("  NON_COMPLIANT (1 unfenced)");
        assertThat(failOn.exit()).isEqualTo(AuditCommand.EXIT_NON_COMPLIANT);
        JsonNode shop = null;
        for (JsonNode row : JSON.readTree(json.out())) {
            if (row.path("namespace").asText().equals("shop")) {
                shop = row;
            } else {
                assertThat(row.path("workloadStatus").asText()).as(row.path("namespace").asText())
                        .isIn("EXEMPT", "COMPLIANT");
            }
        }
        assertThat(shop).isNotNull();
        assertThat(shop.path("status").asText()).as("FW-NP-001").isEqualTo("COMPLIANT");
        assertThat(shop.path("workloadStatus").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(shop.at("/unisolatedWorkloads/0/kind").asText()).isEqualTo("Deployment");
        assertThat(shop.at("/unisolatedWorkloads/0/name").asText()).isEqualTo("web");
        assertThat(shop.path("unisolatedWorkloads")).hasSize(1);
        assertThat(shop.at("/pods/total").asInt()).isEqualTo(4);
        assertThat(shop.at("/pods/hostNetwork").asInt()).as("apart").isEqualTo(1);
        assertThat(shop.at("/pods/isolatedIngress").asInt()).isEqualTo(2);
        assertThat(shop.path("workloadReason").asText()).contains("Deployment web", "1 hostNetwork pod apart");
        assertThat(ocsf.out().lines().toList()).singleElement().satisfies(l -> assertThat(JSON.readTree(l)
                .at("/finding_info/uid").asText()).isEqualTo("FW-NP-003:sandbox/shop"));
        // FENCEWATCH_PODS turns it on as well.
        var env = new java.io.ByteArrayOutputStream();
        AuditCommand.run(new String[] {kubeconfig}, Map.of("FENCEWATCH_PODS", "true"),
                new java.io.PrintStream(env, true, java.nio.charset.StandardCharsets.UTF_8), System.err,
                java.time.Clock.systemUTC());
        assertThat(env.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("NON_COMPLIANT (1 unfenced)");
    }

    @Test
    void shouldSayThePodsWereNotReadAndGiveNoPodVerdictWhenPodsAreForbidden() throws IOException {
        shopWithPods();
        api.forbid("", "pods", null);
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));

        var table = run(AuditCommand::run, kubeconfig, "--pods");
        var json = run(AuditCommand::run, kubeconfig, "--pods", "-o", "json");
        var failOn = run(AuditCommand::run, kubeconfig, "--pods", "--fail-on=workloads");

        assertThat(table.exit()).as("the namespaces are audited all the same").isEqualTo(AuditCommand.EXIT_OK);
        assertThat(table.err()).isEmpty();
        assertThat(table.out()).contains("cluster sandbox: 30 namespaces")
                .contains("cluster sandbox: pods not read (forbidden: list pods): no FW-NP-003 verdict");
        assertThat(table.out().lines().filter(l -> l.startsWith("sandbox  shop ")).findFirst().orElseThrow())
                .endsWith("  -");
        assertThat(JSON.readTree(json.out())).hasSize(30).allSatisfy(row -> {
            assertThat(row.path("workloadStatus").isNull()).isTrue();
            assertThat(row.path("pods").isNull()).isTrue();
            assertThat(row.path("podsError").asText()).isEqualTo("forbidden: list pods");
        });
        assertThat(failOn.exit()).as("a gate on FW-NP-003 does not pass unseen pods")
                .isEqualTo(AuditCommand.EXIT_NON_COMPLIANT);
    }

    @Test
    void shouldStopWithOneLineAndExitTwoWhenAFlagIsBad() {
        for (List<String> args : List.of(List.of("-o", "xml"), List.of("--profile=lax"), List.of("--colour"),
                List.of("--kubeconfig=/nope"), List.of("--policy-engine-namespaces=Kube_System"),
                List.of("--require-enforcement=maybe"), List.of("--pods=some"), List.of("--fail-on=workloads"))) {
            var r = run(AuditCommand::run, args.toArray(String[]::new));
            assertThat(r.exit()).as(args.toString()).isEqualTo(2);
            assertThat(r.err().strip()).as(args.toString()).startsWith("fencewatch audit: --").doesNotContain("\n");
        }
        assertThat(run(AuditCommand::run, "-o", "xml").err().strip())
                .isEqualTo("fencewatch audit: --output: must be table, json, ocsf or junit, not 'xml'");
        assertThat(run(AuditCommand::run, "--fail-on=workloads").err().strip())
                .isEqualTo("fencewatch audit: --fail-on: workloads needs --pods (FW-NP-003 is judged on the pods)");
    }
}
