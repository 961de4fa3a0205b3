package io.fencewatch.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fencewatch.query.JsonViews;
import io.fencewatch.rules.Enforcement;
import io.fencewatch.rules.OcsfChecks;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.rules.Rules;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * One golden file per output format, from one fixed listing of two clusters (one not readable) at
 * one instant. {@code -Dgolden.update=true} rewrites the files; review the diff before committing.
 */
class AuditOutputGoldenTest {
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Auditor.ClusterResult> results() {
        Auditor auditor = new Auditor(Rules.defaults().withExemptPatterns(List.of("sandbox-*")));
        List<ClusterReader.Listed> listing = List.of(
                ns("analytics", Map.of(), Map.of(), OLD),
                ns("fresh", Map.of(), Map.of(), NOW.minusSeconds(10)),
                ns("kube-system", Map.of(), Map.of(), OLD),
                ns("legacy", Map.of("fencewatch.io/exempt", "q3 <migration> & \"more\""), Map.of(), OLD),
                ns("sandbox-7", Map.of(), Map.of(), OLD),
                ns("shop", Map.of("env", "prod"), Map.of(), OLD),
                withPolicies(ns("web", Map.of(), Map.of(), OLD), Map.of("fencewatch-default-deny",
                        new PolicyFacts(new LabelSelector(Map.of(), List.of()), List.of("Ingress", "Egress"), null, null),
                        "allow-all", new PolicyFacts(new LabelSelector(Map.of(), List.of()), List.of("Ingress"),
                                List.of(new io.fencewatch.schema.inventory.PolicyRule(null, null)), null))));
        Enforcement calico = Auditor.enforcement(ClusterFacts.newBuilder().setProvider("kubernetes")
                .setPolicyEngineNamespaces(List.of("kube-system", "calico-system"))
                .setPolicyEngines(List.of(PolicyEngines.detect(new PolicyEngines.Workload("DaemonSet", "kube-system",
                        "calico-node", Map.of("k8s-app", "calico-node"), List.of(new PolicyEngines.Container(
                                "calico-node", "docker.io/calico/node:v3.28.0", List.of())), 3, 2)).orElseThrow()))
                .build());
        // A Calico cluster-wide default deny of env=prod namespaces; Cilium's kinds could not be listed.
        ClusterReader.PolicyFences fences = new ClusterReader.PolicyFences(Map.of(), List.of(new io.fencewatch.rules.Fence(
                io.fencewatch.schema.common.Kind.CALICO_GLOBAL_NETWORK_POLICY, null, "prod-deny",
                io.fencewatch.schema.inventory.FenceFacts.newBuilder().setApiVersion("projectcalico.org/v3")
                        .setNamespaceExpression("env == 'prod'").setTypes(List.of("Ingress", "Egress")).build())),
                List.of("forbidden: list ciliumnetworkpolicies.cilium.io"));
        return List.of(new Auditor.ClusterResult("prod-eu", auditor.evaluate("prod-eu", listing, fences, calico, NOW), null,
                        calico, fences.problem()),
                new Auditor.ClusterResult("prod-us", List.of(), "connect timed out"));
    }

    /**
     * With --pods: prod-eu's pods read (an api Deployment fenced, a web one not, a hostNetwork agent,
     * an ended Job pod), prod-ap's refused (403), prod-us not read at all.
     */
    static List<Auditor.ClusterResult> podsResults() {
        Auditor auditor = new Auditor(Rules.defaults());
        PolicyFacts defaultDeny = new PolicyFacts(new LabelSelector(Map.of(), List.of()), List.of("Ingress", "Egress"),
                null, null);
        PolicyFacts allowApi = new PolicyFacts(new LabelSelector(Map.of("app", "api"), List.of()), List.of("Ingress"),
                null, null);
        List<ClusterReader.Listed> listing = List.of(
                ns("fresh", Map.of(), Map.of(), NOW.minusSeconds(10)),
                ns("kube-system", Map.of(), Map.of(), OLD),
                withPolicies(ns("partial", Map.of(), Map.of(), OLD), Map.of("allow-api", allowApi)),
                ns("quiet", Map.of(), Map.of(), OLD),
                withPolicies(ns("web", Map.of(), Map.of(), OLD), Map.of("fencewatch-default-deny", defaultDeny)));
        List<io.fabric8.kubernetes.api.model.Pod> pods = List.of(
                ClusterReaderPodsTest.deploymentPod("fresh", "web-5c6d-a", "web", "5c6d", Map.of("app", "web"), "Running"),
                ClusterReaderPodsTest.hostNetworkPod("kube-system", "kube-proxy-x"),
                ClusterReaderPodsTest.deploymentPod("partial", "api-1a2b-a", "api", "1a2b", Map.of("app", "api"), "Running"),
                ClusterReaderPodsTest.deploymentPod("partial", "api-1a2b-b", "api", "1a2b", Map.of("app", "api"), "Running"),
                ClusterReaderPodsTest.deploymentPod("partial", "web-9f8e-a", "web", "9f8e", Map.of("app", "web"), "Running"),
                ClusterReaderPodsTest.deploymentPod("partial", "old-0000-a", "old", "0000", Map.of("app", "old"), "Failed"),
                ClusterReaderPodsTest.hostNetworkPod("partial", "agent"),
                ClusterReaderPodsTest.deploymentPod("web", "api-3c4d-a", "api", "3c4d", Map.of("app", "api"), "Running"));
        ClusterReader.PodShapes shapes = ClusterReader.shapes("prod-eu",
                ClusterReader.count(new java.util.LinkedHashMap<>(), pods));
        ClusterReader.PodShapes refused = new ClusterReader.PodShapes(Map.of(), "forbidden: list pods");
        return List.of(
                new Auditor.ClusterResult("prod-eu", auditor.evaluate("prod-eu", listing, ClusterReader.PolicyFences.NONE,
                        shapes, null, NOW), null, null, null, true, null),
                new Auditor.ClusterResult("prod-ap", auditor.evaluate("prod-ap", List.of(ns("shop", Map.of(), Map.of(),
                        OLD)), ClusterReader.PolicyFences.NONE, refused, null, NOW), null, null, null, true,
                        refused.problem()),
                new Auditor.ClusterResult("prod-us", List.of(), "connect timed out", null, null, true, null));
    }

    @ParameterizedTest
    @EnumSource(AuditOutput.Format.class)
    void shouldPrintTheGoldenOutputWhenAuditingTheFixedListing(AuditOutput.Format format) throws IOException {
        assertGolden("audit", format, results());
    }

    @ParameterizedTest
    @EnumSource(AuditOutput.Format.class)
    void shouldPrintTheGoldenOutputWhenAuditingTheFixedListingWithPods(AuditOutput.Format format) throws IOException {
        assertGolden("audit-pods", format, podsResults());
    }

    private static void assertGolden(String name, AuditOutput.Format format, List<Auditor.ClusterResult> results)
            throws IOException {
        String actual = AuditOutput.render(format, results, "0.1.0-test");
        Path golden = Path.of("src/test/resources/golden/" + name + "."
                + format.name().toLowerCase(java.util.Locale.ROOT));
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }

    @org.junit.jupiter.api.Test
    void shouldShowFwNp003InAWorkloadsColumnOnlyWithPods() {
        assertThat(AuditOutput.render(AuditOutput.Format.TABLE, results(), "v")).doesNotContain("WORKLOADS");
        List<String> lines = AuditOutput.render(AuditOutput.Format.TABLE, podsResults(), "v").lines().toList();
        assertThat(lines.get(0)).endsWith("  FENCED BY  WORKLOADS");
        assertThat(lines).filteredOn(l -> l.startsWith("prod-eu  partial ")).singleElement().satisfies(l -> assertThat(l)
                .contains("  COMPLIANT  ").endsWith("  NON_COMPLIANT (1 unfenced)"));
        assertThat(lines).filteredOn(l -> l.startsWith("prod-eu  fresh ")).singleElement()
                .satisfies(l -> assertThat(l).endsWith("  PENDING (1 unfenced)"));
        assertThat(lines).filteredOn(l -> l.startsWith("prod-eu  quiet ")).singleElement().satisfies(l -> assertThat(l)
                .contains("NON_COMPLIANT").endsWith("  COMPLIANT"));
        assertThat(lines).filteredOn(l -> l.startsWith("prod-ap  shop ")).singleElement()
                .satisfies(l -> assertThat(l).endsWith("  -"));
        assertThat(lines).contains("cluster prod-ap: pods not read (forbidden: list pods): no FW-NP-003 verdict")
                .noneMatch(l -> l.startsWith("cluster prod-eu: pods not read"));
    }

    @org.junit.jupiter.api.Test
    void shouldPrintTheRestApisWorkloadFieldsAndThePodsErrorWhenTheOutputIsJsonWithPods() throws IOException {
        List<Auditor.ClusterResult> results = podsResults();
        JsonNode array = JSON.readTree(AuditOutput.render(AuditOutput.Format.JSON, results, "v"));
        List<NamespaceCoverage> rows = new java.util.ArrayList<>(results.get(0).rows());
        rows.addAll(results.get(1).rows());
        assertThat(array.size()).isEqualTo(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            ObjectNode printed = (ObjectNode) array.get(i).deepCopy();
            boolean refused = rows.get(i).getCluster().equals("prod-ap");
            assertThat(printed.path("podsError").isMissingNode()).isEqualTo(!refused);
            printed.remove("podsError");
            assertThat(printed).as("the REST API's object").isEqualTo(JsonViews.coverage(rows.get(i)));
        }
        JsonNode partial = array.get(2);
        assertThat(partial.path("namespace").asText()).isEqualTo("partial");
        assertThat(partial.path("workloadStatus").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(partial.at("/pods/total").asInt()).as("the Failed pod is not counted").isEqualTo(4);
        assertThat(partial.at("/pods/hostNetwork").asInt()).isEqualTo(1);
        assertThat(partial.at("/unisolatedWorkloads/0/name").asText()).isEqualTo("web");
        assertThat(partial.path("unisolatedWorkloadCount").asInt()).isEqualTo(1);
        JsonNode shop = array.get(5);
        assertThat(shop.path("pods").isNull()).as("not known").isTrue();
        assertThat(shop.path("workloadStatus").isNull()).isTrue();
        assertThat(shop.path("podsError").asText()).isEqualTo("forbidden: list pods");
    }

    @org.junit.jupiter.api.Test
    void shouldAddOneFwNp003FindingPerNamespaceWhoseWorkloadsAreNonCompliantWhenTheOutputIsOcsf() throws IOException {
        String[] lines = AuditOutput.render(AuditOutput.Format.OCSF, podsResults(), "v").split("\n");
        List<String> uids = new java.util.ArrayList<>();
        for (String l : lines) {
            uids.add(JSON.readTree(l).at("/finding_info/uid").asText());
        }
        assertThat(uids).containsExactly("FW-NP-003:prod-eu/partial", "FW-NP-001:prod-eu/quiet",
                "FW-NP-001:prod-ap/shop");
        OcsfChecks.assertOpenFinding(lines[1], "prod-eu", "quiet", NOW.toEpochMilli());
        JsonNode partial = JSON.readTree(lines[0]);
        assertThat(partial.at("/compliance/control").asText()).isEqualTo("FW-NP-003");
        assertThat(partial.get("activity_name").asText()).isEqualTo("Create");
        assertThat(partial.get("time").asLong()).isEqualTo(NOW.toEpochMilli());
        assertThat(partial.at("/resources/2/type").asText()).isEqualTo("Kubernetes Deployment");
        assertThat(partial.at("/resources/2/name").asText()).isEqualTo("web");
        assertThat(partial.at("/unmapped/drift_reason").asText()).isEqualTo("WORKLOAD_UNISOLATED");
    }

    @org.junit.jupiter.api.Test
    void shouldPrintTheRestApisObjectsWithTheClustersEnforcementWhenTheOutputIsJson() throws IOException {
        JsonNode array = JSON.readTree(AuditOutput.render(AuditOutput.Format.JSON, results(), "v"));
        List<NamespaceCoverage> rows = results().get(0).rows();
        assertThat(array.size()).isEqualTo(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            ObjectNode printed = (ObjectNode) array.get(i).deepCopy();
            assertThat(printed.path("enforced").asBoolean(false)).as("the row's enforced").isTrue();
            assertThat(printed.path("enforcement").path("state").asText()).isEqualTo("ENFORCED");
            assertThat(printed.path("enforcement").path("engines").get(0).path("version").asText()).isEqualTo("v3.28.0");
            printed.remove("enforcement");
            assertThat(printed.remove("policyKindsError").asText()).as("the kinds it could not list")
                    .isEqualTo("forbidden: list ciliumnetworkpolicies.cilium.io");
            ObjectNode rest = JsonViews.coverage(rows.get(i));
            if (!rest.has("enforced")) {
                printed.remove("enforced");
            }
            assertThat(printed).as("otherwise the REST API's object").isEqualTo(rest);
        }
    }

    @org.junit.jupiter.api.Test
    void shouldPrintOneEnforcementLinePerReadClusterWhenTheOutputIsATable() {
        List<String> lines = AuditOutput.render(AuditOutput.Format.TABLE, results(), "v").lines().toList();
        assertThat(lines).endsWith(
                "cluster prod-eu: 7 namespaces, 2 NON_COMPLIANT, 1 PENDING, 1 COMPLIANT, 3 EXEMPT, 0 TERMINATING",
                "cluster prod-eu: enforcement ENFORCED (enforced by Calico v3.28.0 (kube-system/calico-node, 2/3"
                        + " ready))",
                "cluster prod-eu: policy kinds not all read (forbidden: list ciliumnetworkpolicies.cilium.io): isolation"
                        + " may be under-stated",
                "cluster prod-us: not read (connect timed out)");
    }

    @org.junit.jupiter.api.Test
    void shouldShowWhatFencesANamespaceBeyondNetworkPolicyWhileFwNp001StaysExact() throws IOException {
        List<String> lines = AuditOutput.render(AuditOutput.Format.TABLE, results(), "v").lines().toList();
        assertThat(lines.get(0)).endsWith("  FENCED BY");
        assertThat(lines).filteredOn(l -> l.startsWith("prod-eu  shop ")).singleElement().satisfies(l -> assertThat(l)
                .contains("NON_COMPLIANT  no NetworkPolicy").endsWith("  GlobalNetworkPolicy/prod-deny"));
        JsonNode shop = null;
        for (JsonNode row : JSON.readTree(AuditOutput.render(AuditOutput.Format.JSON, results(), "v"))) {
            if (row.path("namespace").asText().equals("shop")) {
                shop = row;
            }
        }
        assertThat(shop).isNotNull();
        assertThat(shop.at("/fencedBy/0/kind").asText()).isEqualTo("GlobalNetworkPolicy");
        assertThat(shop.at("/fencedBy/0/scope").asText()).isEqualTo("cluster");
        assertThat(shop.at("/effective/ingress").asText()).isEqualTo("DEFAULT_DENY");
        assertThat(shop.at("/ingress").asText()).as("FW-NP-001's grade counts NetworkPolicies").isEqualTo("NONE");
    }

    @org.junit.jupiter.api.Test
    void shouldPassTheFindingsTopicsChecksWhenTheOutputIsOcsf() {
        String[] lines = AuditOutput.render(AuditOutput.Format.OCSF, results(), "v").split("\n");
        assertThat(lines).hasSize(2);
        OcsfChecks.assertOpenFinding(lines[0], "prod-eu", "analytics", NOW.toEpochMilli());
        OcsfChecks.assertOpenFinding(lines[1], "prod-eu", "shop", NOW.toEpochMilli());
    }

    static ClusterReader.Listed ns(String name, Map<String, String> labels, Map<String, String> annotations,
            Instant created) {
        return new ClusterReader.Listed(name, "uid-" + name, new NamespaceFacts("Active", labels, annotations, created,
                null), new TreeMap<>());
    }

    static ClusterReader.Listed withPolicies(ClusterReader.Listed ns, Map<String, PolicyFacts> policies) {
        ns.policies().putAll(policies);
        return ns;
    }
}
