package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * kubectl 1.32 against the policy kinds of Calico, Cilium and the AdminNetworkPolicy API, with each project's
 * documented default-deny examples, never with {@code --validate=false}.
 */
class PolicyKindsKubectlIT {

  /** Calico's documented global default deny (docs: "Enable a default deny policy for Kubernetes pods"). */
  private static final String CALICO_GLOBAL_DEFAULT_DENY = """
      apiVersion: projectcalico.org/v3
      kind: GlobalNetworkPolicy
      metadata:
        name: default-deny
      spec:
        selector: projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}
        types:
        - Ingress
        - Egress
      """;

  private static final String CALICO_NAMESPACE_DEFAULT_DENY = """
      apiVersion: projectcalico.org/v3
      kind: NetworkPolicy
      metadata:
        name: default-deny
        namespace: payments
      spec:
        selector: all()
        types:
        - Ingress
        - Egress
      """;

  private static final String CILIUM_DEFAULT_DENY = """
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata:
        name: deny-all-ingress
        namespace: payments
      spec:
        endpointSelector: {}
        ingress:
        - {}
      """;

  private static final String CILIUM_CLUSTERWIDE = """
      apiVersion: cilium.io/v2
      kind: CiliumClusterwideNetworkPolicy
      metadata:
        name: default-deny-ingress
      spec:
        endpointSelector: {}
        ingress:
        - {}
      """;

  private static final String BASELINE_DEFAULT_DENY = """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: BaselineAdminNetworkPolicy
      metadata:
        name: default
      spec:
        subject:
          namespaces: {}
        ingress:
        - name: default-deny
          action: Deny
          from:
          - namespaces: {}
      """;

  private static final String ADMIN_POLICY = """
      apiVersion: policy.networking.k8s.io/v1alpha1
      kind: AdminNetworkPolicy
      metadata:
        name: cluster-control
      spec:
        priority: 20
        subject:
          namespaces: {}
        ingress:
        - name: allow-from-monitoring
          action: Allow
          from:
          - namespaces:
              matchLabels:
                kubernetes.io/metadata.name: monitoring
      """;

  private static final String CLUSTER_POLICY = """
      apiVersion: policy.networking.k8s.io/v1alpha2
      kind: ClusterNetworkPolicy
      metadata:
        name: isolate-payments
      spec:
        tier: Admin
        priority: 10
        subject:
          namespaces:
            matchLabels:
              kubernetes.io/metadata.name: payments
        ingress:
        - name: deny-all
          action: Deny
          from:
          - namespaces: {}
      """;

  private static final String K8S_DEFAULT_DENY = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: k8s-default-deny
        namespace: payments
      spec:
        podSelector: {}
        policyTypes: [Ingress, Egress]
      """;

  /** One example: its manifest, its resource in full, a short name (or null), name and namespace. */
  private record Example(String file, String yaml, String resource, String shortName, String name, String namespace) {
    List<String> getArgs(String how, String... more) {
      List<String> args = new ArrayList<>(List.of("get", how, name));
      if (namespace != null) {
        args.addAll(List.of("-n", namespace));
      }
      args.addAll(List.of(more));
      return args;
    }
  }

  private static final List<Example> EXAMPLES = List.of(
      new Example("calico-gnp.yaml", CALICO_GLOBAL_DEFAULT_DENY, "globalnetworkpolicies.projectcalico.org", "gnp",
          "default-deny", null),
      new Example("calico-np.yaml", CALICO_NAMESPACE_DEFAULT_DENY, "networkpolicies.projectcalico.org",
          "caliconetworkpolicies", "default-deny", "payments"),
      new Example("cnp.yaml", CILIUM_DEFAULT_DENY, "ciliumnetworkpolicies.cilium.io", "cnp", "deny-all-ingress",
          "payments"),
      new Example("ccnp.yaml", CILIUM_CLUSTERWIDE, "ciliumclusterwidenetworkpolicies.cilium.io", "ccnp",
          "default-deny-ingress", null),
      new Example("banp.yaml", BASELINE_DEFAULT_DENY, "baselineadminnetworkpolicies.policy.networking.k8s.io",
          "banp", "default", null),
      new Example("anp.yaml", ADMIN_POLICY, "adminnetworkpolicies.policy.networking.k8s.io", "anp",
          "cluster-control", null),
      new Example("cnp-v1alpha2.yaml", CLUSTER_POLICY, "clusternetworkpolicies.policy.networking.k8s.io",
          "clusternetworkpolicy", "isolate-payments", null));

  @TempDir
  Path home;

  private SimulatedApiServer api;
  private Kubectl kubectl;

  @BeforeEach
  void startServer() {
    Kubectl.assumeInstalled();
    api = new SimulatedApiServer().start(0);
    kubectl = new Kubectl(api.writeKubeconfig(home.resolve("kubeconfig")), home);
    kubectl.run("create", "namespace", "payments").assertSucceeded();
  }

  @AfterEach
  void stopServer() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void shouldCreateGetReconfigureAndDeleteWhenKubectlAppliesEachProjectsDefaultDeny() {
    for (Example e : EXAMPLES) {
      Path manifest = kubectl.manifest(e.file(), e.yaml());
      assertThat(kubectl.run("apply", "-f", manifest.toString()).assertSucceeded().out()).as(e.resource())
          .contains("created");
      assertThat(kubectl.run("apply", "-f", manifest.toString()).assertSucceeded().out()).as(e.resource())
          .contains("unchanged");

      JsonNode byFullName = json(kubectl.run(e.getArgs(e.resource(), "-o", "json").toArray(String[]::new))
          .assertSucceeded());
      JsonNode byShortName = json(kubectl.run(e.getArgs(e.shortName(), "-o", "json").toArray(String[]::new))
          .assertSucceeded());
      assertThat(byFullName.path("metadata").path("uid").asString()).as(e.resource()).isNotBlank()
          .isEqualTo(byShortName.path("metadata").path("uid").asString());
      assertThat(byFullName.path("spec")).as("%s stored as written", e.resource())
          .isEqualTo(Serialization.yamlMapper().readTree(e.yaml()).path("spec"));
      assertThat(kubectl.run(e.getArgs(e.resource()).toArray(String[]::new)).assertSucceeded().out())
          .as("server-side printing of %s", e.resource()).containsPattern("NAME\\s+")
          .containsPattern(e.name() + "\\s+");

      Path changed = kubectl.manifest("changed-" + e.file(), e.yaml().replaceFirst("(?m)^  name: (.*)$",
          "  name: $1\n  labels:\n    fencewatch.io/reviewed: \"yes\""));
      assertThat(kubectl.run("apply", "-f", changed.toString()).assertSucceeded().out()).as(e.resource())
          .contains("configured");
      JsonNode reconfigured = json(kubectl.run(e.getArgs(e.resource(), "-o", "json").toArray(String[]::new))
          .assertSucceeded());
      assertThat(reconfigured.path("metadata").path("labels").path("fencewatch.io/reviewed").asString())
          .as(e.resource()).isEqualTo("yes");
      assertThat(reconfigured.path("metadata").path("resourceVersion").asLong())
          .isGreaterThan(byFullName.path("metadata").path("resourceVersion").asLong());
    }

    assertThat(names(json(kubectl.run("get", "networkpolicies", "-A", "-o", "json").assertSucceeded())))
        .as("networkpolicies is networking.k8s.io's").isEmpty();
    kubectl.run("apply", "-f", kubectl.manifest("k8s.yaml", K8S_DEFAULT_DENY).toString()).assertSucceeded();
    JsonNode k8s = json(kubectl.run("get", "networkpolicies", "-A", "-o", "json").assertSucceeded());
    assertThat(names(k8s)).containsExactly("payments/k8s-default-deny");
    assertThat(kubectl.run("get", "netpol", "-A").assertSucceeded().out()).contains("k8s-default-deny")
        .doesNotContain("deny-all-ingress").doesNotContain(" default-deny");
    assertThat(names(json(kubectl.run("get", "networkpolicies.projectcalico.org", "-A", "-o", "json")
        .assertSucceeded()))).containsExactly("payments/default-deny");

    for (Example e : EXAMPLES) {
      List<String> delete = new ArrayList<>(List.of("delete", e.resource(), e.name()));
      if (e.namespace() != null) {
        delete.addAll(List.of("-n", e.namespace()));
      }
      assertThat(kubectl.run(delete.toArray(String[]::new)).assertSucceeded().out()).as(e.resource())
          .contains("deleted");
      Kubectl.Result gone = kubectl.run(e.getArgs(e.resource()).toArray(String[]::new));
      assertThat(gone.exitCode()).as(e.resource()).isNotZero();
      assertThat(gone.err()).contains("(NotFound)");
    }
    assertThat(names(json(kubectl.run("get", "networkpolicies", "-A", "-o", "json").assertSucceeded())))
        .containsExactly("payments/k8s-default-deny");
  }

  @Test
  void shouldListPolicyCrdsButNoCalicoCrdWhenKubectlGetsCrds() {
    JsonNode crds = json(kubectl.run("get", "crd", "-o", "json").assertSucceeded());

    assertThat(names(crds)).containsExactly("adminnetworkpolicies.policy.networking.k8s.io",
        "baselineadminnetworkpolicies.policy.networking.k8s.io", "ciliumclusterwidenetworkpolicies.cilium.io",
        "ciliumnetworkpolicies.cilium.io", "clusternetworkpolicies.policy.networking.k8s.io");
    assertThat(kubectl.run("get", "customresourcedefinitions").assertSucceeded().out())
        .containsPattern("NAME\\s+CREATED AT").contains("ciliumnetworkpolicies.cilium.io");
    assertThat(kubectl.run("api-resources", "--api-group=projectcalico.org").assertSucceeded().out())
        .contains("globalnetworkpolicies").contains("networkpolicies");
    assertThat(kubectl.run("api-versions").assertSucceeded().out()).contains("policy.networking.k8s.io/v1alpha1")
        .contains("policy.networking.k8s.io/v1alpha2").contains("cilium.io/v2").contains("projectcalico.org/v3");
  }

  @Test
  void shouldDeleteNamespacedCalicoAndCiliumPoliciesWhenKubectlDeletesNamespace() {
    kubectl.run("apply", "-f", kubectl.manifest("calico-np.yaml", CALICO_NAMESPACE_DEFAULT_DENY).toString())
        .assertSucceeded();
    kubectl.run("apply", "-f", kubectl.manifest("cnp.yaml", CILIUM_DEFAULT_DENY).toString()).assertSucceeded();
    kubectl.run("apply", "-f", kubectl.manifest("gnp.yaml", CALICO_GLOBAL_DEFAULT_DENY).toString()).assertSucceeded();

    kubectl.run("delete", "namespace", "payments").assertSucceeded();

    assertThat(names(json(kubectl.run("get", "networkpolicies.projectcalico.org", "-A", "-o", "json")
        .assertSucceeded()))).isEmpty();
    assertThat(names(json(kubectl.run("get", "cnp", "-A", "-o", "json").assertSucceeded()))).isEmpty();
    assertThat(names(json(kubectl.run("get", "gnp", "-o", "json").assertSucceeded())))
        .as("cluster-scoped, not in the namespace").containsExactly("default-deny");
  }

  @Test
  void shouldFailWithNotFoundWhenNamespacedPolicyTargetsMissingNamespace() {
    Path manifest = kubectl.manifest("cnp.yaml", CILIUM_DEFAULT_DENY.replace("payments", "nowhere"));

    Kubectl.Result applied = kubectl.run("apply", "-f", manifest.toString());

    assertThat(applied.exitCode()).isNotZero();
    assertThat(applied.err()).contains("Error from server (NotFound)").contains("namespaces \"nowhere\" not found");
  }

  @Test
  void shouldNotKnowPolicyKindsWhenTheyAreTurnedOff() throws Exception {
    api.servePolicyKinds(false);
    forgetDiscovery();

    Kubectl.Result refused = kubectl.run("apply", "-f", kubectl.manifest("cnp.yaml", CILIUM_DEFAULT_DENY).toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.err()).contains("no matches for kind \"CiliumNetworkPolicy\" in version \"cilium.io/v2\"");
    assertThat(names(json(kubectl.run("get", "crd", "-o", "json").assertSucceeded()))).isEmpty();

    api.servePolicyGroup("cilium.io", true);
    forgetDiscovery();

    assertThat(kubectl.run("apply", "-f", kubectl.manifest("cnp.yaml", CILIUM_DEFAULT_DENY).toString())
        .assertSucceeded().out()).contains("created");
    assertThat(names(json(kubectl.run("get", "crd", "-o", "json").assertSucceeded())))
        .containsExactly("ciliumclusterwidenetworkpolicies.cilium.io", "ciliumnetworkpolicies.cilium.io");
  }

  /** kubectl keeps discovery for hours in its cache directory; a new kubectl (user) has none. */
  private void forgetDiscovery() throws java.io.IOException {
    Path cache = home.resolve("cache");
    if (java.nio.file.Files.exists(cache)) {
      try (var files = java.nio.file.Files.walk(cache)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static JsonNode json(Kubectl.Result r) {
    return Serialization.jsonMapper().readTree(r.out());
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.path("items").forEach(i -> out.add((i.path("metadata").has("namespace")
        ? i.path("metadata").path("namespace").asString() + "/" : "") + i.path("metadata").path("name").asString()));
    return out;
  }
}
