package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.kafka.TopicReader;
import io.fencewatch.sandbox.SandboxKubectlIT.Kubectl;
import io.fencewatch.sandbox.SandboxKubectlIT.Reply;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Issue 15 "ITs via kubectl on the sandbox": the sandbox ({@code --scenario none}) driven with the real kubectl
 * through the kubeconfig it writes, with the policy kinds of other engines. Calico's documented GlobalNetworkPolicy
 * {@code default-deny} over {@code namespaceSelector: has(team)} fences the team namespaces under
 * {@code --profile=effective} ({@code CLUSTER_POLICY_ADDED}), relabelling a namespace moves it in or out
 * ({@code NAMESPACE_RELABELED}), a CiliumNetworkPolicy fences its own namespace, deleting the global policy unfences
 * the others ({@code CLUSTER_POLICY_REMOVED}); under {@code --profile=baseline} FW-NP-001 still counts
 * networking.k8s.io NetworkPolicies only (the table equals the rule's audit of {@code kubectl get}) while the
 * namespace's {@code fencedBy} and {@code effective} show the global policy; and the collector notices a kind that is
 * served only after it started (the cilium.io group turned on later, a CiliumClusterwideNetworkPolicy applied).
 * {@link SandboxPolicyKindsOciStreamingIT} runs the same with {@code --transport=oci-streaming} (cluster-scoped
 * policies then go through the OCI Streaming stand-in and the oci-bridge's fan-out to every partition),
 * {@link SandboxPolicyKindsRealApiServerIT} on a real kube-apiserver with the kinds' CRDs applied first.
 */
class SandboxPolicyKindsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SYSTEM = Set.of("kube-system", "kube-public", "kube-node-lease", "default");
    /** What the REST answer says of the GlobalNetworkPolicy in a namespace it selects. */
    static final String GNP_REF = """
            {"kind": "GlobalNetworkPolicy", "apiVersion": "projectcalico.org/v3", "name": "default-deny",
             "scope": "cluster", "directions": ["ingress", "egress"], "pods": "all"}""";
    static final String CNP_REF = """
            {"kind": "CiliumNetworkPolicy", "apiVersion": "cilium.io/v2", "name": "deny-all",
             "scope": "namespace", "directions": ["ingress"], "pods": "all"}""";
    static final String CCNP_REF = """
            {"kind": "CiliumClusterwideNetworkPolicy", "apiVersion": "cilium.io/v2", "name": "default-deny",
             "scope": "cluster", "directions": ["egress"], "pods": "all"}""";
    static final String NETWORK_POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: default-deny
              namespace: tools
            spec:
              podSelector: {}
              policyTypes: [Ingress]
            """;
    /** How long the processor may take to follow one kubectl command. */
    static final Duration WAIT = Duration.ofSeconds(15);

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
    void shouldFenceTeamNamespacesByCalicoAndCiliumPoliciesAppliedWithKubectlUnderTheEffectiveProfile()
            throws Exception {
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data"), "effective"), terminal).start()) {
            sandbox.announce();
            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));
            installKinds(kubectl, "globalnetworkpolicies", "ciliumnetworkpolicies");

            // 1. Three namespaces, two with a team label: none has a policy of any kind.
            createNamespace(kubectl, "team-a", "team=a");
            createNamespace(kubectl, "team-b", "team=b");
            createNamespace(kubectl, "tools", null);
            for (String ns : List.of("team-a", "team-b", "tools")) {
                awaitStatus(base + "/" + ns, "NON_COMPLIANT");
                awaitTerminal("sandbox/" + ns + "  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY");
            }
            assertThat(get(base + "/team-a").body().path("profile").asText()).isEqualTo("effective");

            // 2. Calico's global default deny over has(team): the team namespaces are fenced, tools is not.
            apply(kubectl, "gnp-default-deny.yaml");
            awaitStatus(base + "/team-a", "COMPLIANT");
            awaitStatus(base + "/team-b", "COMPLIANT");
            awaitTerminal("sandbox/team-a  NON_COMPLIANT → COMPLIANT  CLUSTER_POLICY_ADDED"
                    + "  fenced by GlobalNetworkPolicy default-deny");
            awaitTerminal("sandbox/team-b  NON_COMPLIANT → COMPLIANT  CLUSTER_POLICY_ADDED"
                    + "  fenced by GlobalNetworkPolicy default-deny");
            JsonNode teamA = get(base + "/team-a").body();
            assertThat(teamA.path("fencedBy")).containsExactly(JSON.readTree(GNP_REF));
            assertThat(teamA.path("effective").path("ingress").asText()).isEqualTo("DEFAULT_DENY");
            assertThat(teamA.path("effective").path("egress").asText()).as("egress to kube-dns allowed")
                    .isEqualTo("ALL_PODS");
            assertThat(teamA.path("effective").path("allowsAll").toString())
                    .isEqualTo("{\"ingress\":false,\"egress\":false}");
            // ingress/egress and policies stay NetworkPolicy-only (FW-NP-001's grades).
            assertThat(teamA.path("ingress").asText()).isEqualTo("NONE");
            assertThat(teamA.path("egress").asText()).isEqualTo("NONE");
            assertThat(teamA.path("policies")).isEmpty();
            assertThat(teamA.path("reason").asText()).contains("default-deny");
            JsonNode tools = get(base + "/tools").body();
            assertThat(tools.path("status").asText()).isEqualTo("NON_COMPLIANT");
            assertThat(tools.path("fencedBy")).isEmpty();
            globalPolicyDelivered(sandbox);
            assertThat(tools.path("effective").path("ingress").asText()).isEqualTo("NONE");

            // 3. Relabelled into the selector and out of it.
            kubectl.ok("label", "namespace", "tools", "team=tools");
            awaitStatus(base + "/tools", "COMPLIANT");
            awaitTerminal("sandbox/tools  NON_COMPLIANT → COMPLIANT  NAMESPACE_RELABELED"
                    + "  fenced by GlobalNetworkPolicy default-deny");
            assertThat(get(base + "/tools").body().path("fencedBy")).containsExactly(JSON.readTree(GNP_REF));
            kubectl.ok("label", "namespace", "team-b", "team-");
            awaitStatus(base + "/team-b", "NON_COMPLIANT");
            awaitTerminal("sandbox/team-b  COMPLIANT → NON_COMPLIANT  NAMESPACE_RELABELED\n");
            assertThat(get(base + "/team-b").body().path("fencedBy")).isEmpty();

            // 4. Cilium's ingress default deny in team-b: fenced by a namespaced policy of another kind.
            apply(kubectl, "cnp-deny-all.yaml");
            awaitStatus(base + "/team-b", "COMPLIANT");
            awaitTerminal("sandbox/team-b  NON_COMPLIANT → COMPLIANT  POLICY_ADDED  fenced by CiliumNetworkPolicy deny-all");
            JsonNode teamB = get(base + "/team-b").body();
            assertThat(teamB.path("fencedBy")).containsExactly(JSON.readTree(CNP_REF));
            assertThat(teamB.path("effective").path("ingress").asText()).isEqualTo("DEFAULT_DENY");
            assertThat(teamB.path("effective").path("egress").asText()).isEqualTo("NONE");
            assertThat(teamB.path("policies")).as("the NetworkPolicy list").isEmpty();
            assertThat(teamB.path("ingress").asText()).isEqualTo("NONE");
            // kubectl's networkpolicies are networking.k8s.io's: still none anywhere.
            assertThat(JSON.readTree(kubectl.ok("get", "networkpolicies", "-A", "-o", "json")).path("items")).isEmpty();

            // 5. The global policy goes: what it fenced is unfenced, team-b keeps its Cilium policy.
            kubectl.ok("delete", "globalnetworkpolicies.projectcalico.org", "default-deny");
            awaitStatus(base + "/team-a", "NON_COMPLIANT");
            awaitStatus(base + "/tools", "NON_COMPLIANT");
            awaitTerminal("sandbox/team-a  COMPLIANT → NON_COMPLIANT  CLUSTER_POLICY_REMOVED\n");
            awaitTerminal("sandbox/tools  COMPLIANT → NON_COMPLIANT  CLUSTER_POLICY_REMOVED\n");
            assertThat(get(base + "/team-a").body().path("fencedBy")).isEmpty();
            assertThat(get(base + "/team-a").body().path("effective").path("ingress").asText()).isEqualTo("NONE");
            JsonNode teamBAfter = get(base + "/team-b").body();
            assertThat(teamBAfter.path("status").asText()).isEqualTo("COMPLIANT");
            assertThat(teamBAfter.path("fencedBy")).containsExactly(JSON.readTree(CNP_REF));
            assertThat(terminal()).as("team-b was not selected by the global policy: no drift of it")
                    .doesNotContain("sandbox/team-b  COMPLIANT → NON_COMPLIANT  CLUSTER_POLICY_REMOVED");
            assertThat(nonCompliant(base)).containsExactly("team-a", "tools");
        }
    }

    @Test
    void shouldCountOnlyNetworkPoliciesUnderTheBaselineProfileWhileShowingTheGlobalPolicyInFencedBy()
            throws Exception {
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data"), "baseline"), terminal).start()) {
            sandbox.announce();
            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));
            installKinds(kubectl, "globalnetworkpolicies");
            createNamespace(kubectl, "team-a", "team=a");
            createNamespace(kubectl, "tools", "team=tools");
            awaitStatus(base + "/team-a", "NON_COMPLIANT");
            awaitStatus(base + "/tools", "NON_COMPLIANT");

            apply(kubectl, "gnp-default-deny.yaml");
            // The global policy fences team-a counting every kind, but FW-NP-001 wants a NetworkPolicy.
            await().atMost(WAIT).untilAsserted(() -> assertThat(get(base + "/team-a").body().path("fencedBy"))
                    .containsExactly(JSON.readTree(GNP_REF)));
            JsonNode teamA = get(base + "/team-a").body();
            assertThat(teamA.path("status").asText()).isEqualTo("NON_COMPLIANT");
            assertThat(teamA.path("profile").asText()).isEqualTo("baseline");
            assertThat(teamA.path("reason").asText()).contains("no NetworkPolicy");
            assertThat(teamA.path("effective").path("ingress").asText()).isEqualTo("DEFAULT_DENY");
            assertThat(teamA.path("ingress").asText()).isEqualTo("NONE");
            assertThat(teamA.path("policies")).isEmpty();
            awaitTerminal("sandbox/team-a  NON_COMPLIANT [ingress NONE, egress NONE, 0 policies] → NON_COMPLIANT"
                    + " [ingress NONE, egress NONE, 0 policies; every kind: ingress DEFAULT_DENY, egress ALL_PODS]"
                    + "  CLUSTER_POLICY_ADDED  fenced by GlobalNetworkPolicy default-deny");

            // A networking.k8s.io NetworkPolicy does make tools compliant; the table is FW-NP-001's audit.
            kubectl.ok("apply", "-f", kubectl.manifest("tools-default-deny.yaml", NETWORK_POLICY).toString());
            awaitStatus(base + "/tools", "COMPLIANT");
            awaitTableMatchesAudit(base, kubectl);
            assertThat(nonCompliant(base)).containsExactly("team-a");
            JsonNode tools = get(base + "/tools").body();
            assertThat(tools.path("policies").toString()).contains("default-deny");
            assertThat(tools.path("fencedBy")).extracting(f -> f.path("kind").asText())
                    .containsExactly("NetworkPolicy", "GlobalNetworkPolicy");
        }
    }

    @Test
    void shouldNoticeAPolicyKindServedOnlyAfterTheCollectorStarted() throws Exception {
        Sandbox sandbox = new Sandbox(config(dir.resolve("data"), "effective"), terminal);
        try (sandbox) {
            ciliumServed(sandbox, null, false);
            sandbox.start();
            sandbox.announce();
            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));
            createNamespace(kubectl, "team-a", "team=a");
            createNamespace(kubectl, "tools", null);
            awaitStatus(base + "/team-a", "NON_COMPLIANT");
            awaitStatus(base + "/tools", "NON_COMPLIANT");
            assertThat(kubectl.fails("apply", "-f", manifest("ccnp-default-deny.yaml").toString()))
                    .contains("no matches for kind \"CiliumClusterwideNetworkPolicy\" in version \"cilium.io/v2\"");

            // Cilium installed: its CRDs appear, the collector's CRD watch looks again and starts an informer.
            ciliumServed(sandbox, kubectl, true);
            await().atMost(WAIT).untilAsserted(() -> apply(kubectl, "ccnp-default-deny.yaml"));
            for (String ns : List.of("team-a", "tools")) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Reply r = get(base + "/" + ns);
                    assertThat(r.body().path("fencedBy")).as(ns).containsExactly(JSON.readTree(CCNP_REF));
                    assertThat(r.body().path("status").asText()).isEqualTo("COMPLIANT");
                });
                awaitTerminal("sandbox/" + ns + "  NON_COMPLIANT → COMPLIANT  CLUSTER_POLICY_ADDED"
                        + "  fenced by CiliumClusterwideNetworkPolicy default-deny");
            }
            JsonNode teamA = get(base + "/team-a").body();
            assertThat(teamA.path("effective").path("ingress").asText()).isEqualTo("NONE");
            assertThat(teamA.path("effective").path("egress").asText()).isEqualTo("ALL_PODS");
            assertThat(get(base + "/kube-system").body().path("fencedBy")).as("endpointSelector NotIn kube-system")
                    .isEmpty();
            assertThat(sandbox.healthProblem()).isNull();
        }
    }

    // ------------------------------------------------------------------ hooks of the variants

    /** The sandbox under test, with its own simulated cluster. */
    SandboxConfig config(Path data, String profile) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "profile", profile, "transport", transport()))
                .withPortsChosen();
    }

    /** {@code --transport} of the sandboxes these tests start ({@link SandboxPolicyKindsOciStreamingIT}: oci-streaming). */
    String transport() {
        return "kafka";
    }

    /**
     * Makes these kinds (plurals) servable before the test applies them: nothing on the simulated API server, which
     * serves all seven; their CRDs on a real one.
     */
    void installKinds(Kubectl kubectl, String... plurals) throws Exception {
    }

    /**
     * Turns Cilium's kinds off (before the sandbox starts, {@code kubectl} null) or on (after): the simulated API
     * server's cilium.io group; on a real one the kinds are not served until their CRDs are applied.
     */
    void ciliumServed(Sandbox sandbox, Kubectl kubectl, boolean on) throws Exception {
        sandbox.apiServer().servePolicyGroup("cilium.io", on);
    }

    /**
     * The GlobalNetworkPolicy reached the processor on every partition of the inventory topic, under the cluster's
     * {@code sandbox/*} key: the namespaces it fences are spread over more than one of them.
     * {@link SandboxPolicyKindsOciStreamingIT} also looks at the stand-in's stream.
     */
    void globalPolicyDelivered(Sandbox sandbox) {
        int partitions = 3; // the sandbox's processor creates the inventory topic with 3
        assertThat(Stream.of("team-a", "team-b", "tools").map(ns -> kafkaPartition(Keys.of("sandbox", ns), partitions))
                .distinct().count()).as("the namespaces span partitions, so that the fan-out matters").isGreaterThan(1);
        try (TopicReader<String, InventoryEvent> reader = new TopicReader<>(sandbox.bootstrapServers(),
                sandbox.topics().inventory(), new StringDeserializer(), FencewatchSerdes.inventoryEvent().deserializer())) {
            List<ConsumerRecord<String, InventoryEvent>> gnp = reader.pollUntil(rs -> globalUpserts(rs).size() >= partitions,
                    WAIT).stream().filter(r -> isGlobalUpsert(r)).toList();
            assertThat(gnp).extracting(ConsumerRecord::partition).containsExactlyInAnyOrder(0, 1, 2);
            assertThat(gnp).extracting(ConsumerRecord::key).containsOnly(Keys.marker("sandbox"));
            assertThat(gnp).extracting(r -> r.value().getFenceFacts().getNamespaceExpression()).containsOnly("has(team)");
        }
    }

    private static List<ConsumerRecord<String, InventoryEvent>> globalUpserts(List<ConsumerRecord<String, InventoryEvent>> rs) {
        return rs.stream().filter(SandboxPolicyKindsIT::isGlobalUpsert).toList();
    }

    static boolean isGlobalUpsert(ConsumerRecord<String, InventoryEvent> r) {
        return r.value().getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY && r.value().getOp() == Op.UPSERT
                && "default-deny".equals(r.value().getName());
    }

    /** Kafka's default partitioner: murmur2 of the key. */
    static int kafkaPartition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    // ------------------------------------------------------------------ helpers

    static Path manifest(String name) throws URISyntaxException {
        return Path.of(SandboxPolicyKindsIT.class.getResource("policykinds/" + name).toURI());
    }

    static void apply(Kubectl kubectl, String name) throws IOException, InterruptedException, URISyntaxException {
        kubectl.ok("apply", "-f", manifest(name).toString());
    }

    static void createNamespace(Kubectl kubectl, String name, String label) throws IOException, InterruptedException {
        kubectl.ok("create", "namespace", name);
        if (label != null) {
            kubectl.ok("label", "namespace", name, label);
        }
    }

    private Set<String> nonCompliant(String base) throws IOException, InterruptedException {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : get(base).body()) {
            if (n.path("status").asText().equals("NON_COMPLIANT")) {
                out.add(n.path("namespace").asText());
            }
        }
        return out;
    }

    /** FW-NP-001's audit over {@code kubectl get ns,networkpolicies -A -o json}: only networking.k8s.io counts. */
    private void awaitTableMatchesAudit(String base, Kubectl kubectl) {
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode list = JSON.readTree(kubectl.ok("get", "ns,networkpolicies", "-A", "-o", "json"));
            Set<String> namespaces = new TreeSet<>();
            Set<String> fenced = new TreeSet<>();
            for (JsonNode item : list.path("items")) {
                if (item.path("kind").asText().equals("Namespace")) {
                    namespaces.add(item.path("metadata").path("name").asText());
                } else {
                    assertThat(item.path("apiVersion").asText()).isEqualTo("networking.k8s.io/v1");
                    fenced.add(item.path("metadata").path("namespace").asText());
                }
            }
            Set<String> expected = new TreeSet<>(namespaces);
            expected.removeAll(SYSTEM);
            expected.removeAll(fenced);
            Set<String> table = new TreeSet<>();
            for (JsonNode n : get(base).body()) {
                table.add(n.path("namespace").asText());
            }
            assertThat(table).as("namespaces in the table").isEqualTo(namespaces);
            assertThat(nonCompliant(base)).as("non-compliant: namespaces - system - with a NetworkPolicy")
                    .isEqualTo(expected);
        });
    }

    void awaitStatus(String url, String status) {
        await().atMost(WAIT).untilAsserted(() -> {
            Reply r = get(url);
            assertThat(r.status()).as("GET %s", url).isEqualTo(200);
            assertThat(r.body().path("status").asText()).as("GET %s", url).isEqualTo(status);
        });
    }

    /** A drift line in the terminal; {@code line} ending in a newline: nothing (no "fenced by") after it. */
    void awaitTerminal(String line) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(terminal()).contains(line.replace("\n",
                System.lineSeparator())));
    }

    String terminal() {
        return terminalBytes.toString(StandardCharsets.UTF_8);
    }

    Reply get(String url) throws IOException, InterruptedException {
        return SandboxKubectlIT.get(http, url);
    }

    /** The CRD manifests of {@code plurals}, for {@link SandboxPolicyKindsRealApiServerIT}. */
    static List<String> crdFiles(String... plurals) throws URISyntaxException {
        List<String> files = new ArrayList<>();
        for (String p : plurals) {
            files.add(manifest("crd-" + p + ".yaml").toString());
        }
        return files;
    }
}
