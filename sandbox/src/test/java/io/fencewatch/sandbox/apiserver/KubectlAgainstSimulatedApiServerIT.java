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

/** kubectl 1.32 driven for real, never with {@code --validate=false}. */
class KubectlAgainstSimulatedApiServerIT {

  private static final String DEFAULT_DENY = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: default-deny
        namespace: payments
      spec:
        podSelector: {}
        policyTypes: [Ingress, Egress]
      """;

  private static final String DEFAULT_DENY_ALLOWING_DNS = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: default-deny
        namespace: payments
        labels:
          fencewatch.io/remediation: dns-only
      spec:
        podSelector: {}
        policyTypes: [Ingress, Egress]
        egress:
        - to:
          - namespaceSelector:
              matchLabels:
                kubernetes.io/metadata.name: kube-system
          ports:
          - {port: 53, protocol: UDP}
          - {port: 53, protocol: TCP}
      """;

  private static final String ALLOW_WEB = """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: allow-web
        namespace: %s
      spec:
        podSelector:
          matchLabels: {app: web}
        ingress:
        - {}
      """;

  @TempDir
  Path home;

  private SimulatedApiServer api;
  private Kubectl kubectl;

  @BeforeEach
  void startServer() {
    Kubectl.assumeInstalled();
    api = new SimulatedApiServer().start(0);
    kubectl = new Kubectl(api.writeKubeconfig(home.resolve("kubeconfig")), home);
  }

  @AfterEach
  void stopServer() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void shouldLabelNamespaceWithItsNameWhenKubectlCreatesIt() {
    assertThat(kubectl.run("create", "namespace", "payments").assertSucceeded().out())
        .contains("namespace/payments created");

    JsonNode ns = json(kubectl.run("get", "ns", "payments", "-o", "json").assertSucceeded());

    assertThat(ns.path("metadata").path("labels").path("kubernetes.io/metadata.name").asString()).isEqualTo("payments");
    assertThat(ns.path("metadata").path("uid").asString()).isNotBlank();
    assertThat(ns.path("metadata").path("creationTimestamp").asString()).isNotBlank();
    assertThat(ns.path("metadata").path("resourceVersion").asString()).isNotBlank();
    assertThat(ns.path("status").path("phase").asString()).isEqualTo("Active");
    assertThat(kubectl.run("get", "namespaces").assertSucceeded().out()).as("server-side printing")
        .containsPattern("NAME\\s+STATUS\\s+AGE").containsPattern("payments\\s+Active\\s+\\d+s");
  }

  @Test
  void shouldPatchPolicyWhenKubectlAppliesChangedManifest() {
    kubectl.run("create", "namespace", "payments").assertSucceeded();
    Path first = kubectl.manifest("deny.yaml", DEFAULT_DENY);
    Path second = kubectl.manifest("deny-dns.yaml", DEFAULT_DENY_ALLOWING_DNS);

    assertThat(kubectl.run("apply", "-f", first.toString()).assertSucceeded().out()).contains("created");
    assertThat(kubectl.run("apply", "-f", second.toString()).assertSucceeded().out()).contains("configured");
    assertThat(kubectl.run("apply", "-f", second.toString()).assertSucceeded().out()).contains("unchanged");

    JsonNode policy = json(kubectl.run("get", "networkpolicy", "default-deny", "-n", "payments", "-o", "json")
        .assertSucceeded());
    assertThat(policy.path("metadata").path("labels").path("fencewatch.io/remediation").asString())
        .isEqualTo("dns-only");
    assertThat(policy.path("spec").path("egress").get(0).path("ports")).hasSize(2);
    assertThat(policy.path("metadata").path("annotations").path("kubectl.kubernetes.io/last-applied-configuration")
        .asString()).contains("dns-only");
    assertThat(policy.path("metadata").path("generation").asLong()).isEqualTo(2);
  }

  @Test
  void shouldListLabelAndAnnotateWhenKubectlDrivesPoliciesAndNamespaces() {
    kubectl.run("create", "namespace", "payments").assertSucceeded();
    kubectl.run("apply", "-f", kubectl.manifest("deny.yaml", DEFAULT_DENY).toString()).assertSucceeded();
    kubectl.run("create", "-f", kubectl.manifest("web.yaml", ALLOW_WEB.formatted("payments")).toString())
        .assertSucceeded();

    kubectl.run("label", "namespace", "payments", "fencewatch.io/exempt=legacy").assertSucceeded();
    kubectl.run("annotate", "namespace", "payments", "fencewatch.io/owner=team-payments").assertSucceeded();
    kubectl.run("annotate", "networkpolicy", "allow-web", "-n", "payments", "fencewatch.io/reviewed=yes")
        .assertSucceeded();

    JsonNode ns = json(kubectl.run("get", "namespace", "payments", "-o", "json").assertSucceeded());
    assertThat(ns.path("metadata").path("labels").path("fencewatch.io/exempt").asString()).isEqualTo("legacy");
    assertThat(ns.path("metadata").path("labels").path("kubernetes.io/metadata.name").asString()).isEqualTo("payments");
    assertThat(ns.path("metadata").path("annotations").path("fencewatch.io/owner").asString())
        .isEqualTo("team-payments");

    assertThat(kubectl.run("get", "netpol", "-A").assertSucceeded().out())
        .containsPattern("payments\\s+allow-web\\s+app=web\\s+").containsPattern("payments\\s+default-deny\\s+<none>");
    JsonNode policies = json(kubectl.run("get", "networkpolicies", "-A", "-o", "json").assertSucceeded());
    assertThat(names(policies)).containsExactly("payments/allow-web", "payments/default-deny");
    JsonNode web = policies.path("items").get(0);
    assertThat(web.path("metadata").path("annotations").path("fencewatch.io/reviewed").asString()).isEqualTo("yes");
    assertThat(web.path("spec").path("policyTypes").get(0).asString()).as("defaulted as a real server does")
        .isEqualTo("Ingress");
  }

  @Test
  void shouldRemovePoliciesAndNamespaceWhenKubectlDeletesNamespace() {
    kubectl.run("create", "namespace", "payments").assertSucceeded();
    kubectl.run("create", "namespace", "orders").assertSucceeded();
    kubectl.run("apply", "-f", kubectl.manifest("deny.yaml", DEFAULT_DENY).toString()).assertSucceeded();
    kubectl.run("create", "-f", kubectl.manifest("web.yaml", ALLOW_WEB.formatted("payments")).toString())
        .assertSucceeded();
    kubectl.run("create", "-f", kubectl.manifest("web-orders.yaml", ALLOW_WEB.formatted("orders")).toString())
        .assertSucceeded();

    // kubectl waits for the namespace to be gone, over an HTTP streaming watch.
    assertThat(kubectl.run("delete", "namespace", "payments").assertSucceeded().out())
        .contains("namespace \"payments\" deleted");

    assertThat(names(json(kubectl.run("get", "networkpolicies", "-A", "-o", "json").assertSucceeded())))
        .containsExactly("orders/allow-web");
    Kubectl.Result gone = kubectl.run("get", "namespace", "payments");
    assertThat(gone.exitCode()).isNotZero();
    assertThat(gone.err()).contains("(NotFound)").contains("namespaces \"payments\" not found");
  }

  @Test
  void shouldFailWithNotFoundWhenPolicyTargetsMissingNamespace() {
    Path manifest = kubectl.manifest("nowhere.yaml", ALLOW_WEB.formatted("nowhere"));

    Kubectl.Result applied = kubectl.run("apply", "-f", manifest.toString());
    Kubectl.Result created = kubectl.run("create", "-f", manifest.toString());

    for (Kubectl.Result r : List.of(applied, created)) {
      assertThat(r.exitCode()).isNotZero();
      assertThat(r.err()).contains("Error from server (NotFound)").contains("namespaces \"nowhere\" not found");
    }
  }

  @Test
  void shouldRefuseUnknownFieldWhenKubectlValidatesStrictlyByDefault() {
    kubectl.run("create", "namespace", "payments").assertSucceeded();
    Path typo = kubectl.manifest("typo.yaml", DEFAULT_DENY.replace("podSelector", "podSelectr"));

    Kubectl.Result refused = kubectl.run("apply", "-f", typo.toString());
    Kubectl.Result warned = kubectl.run("apply", "--validate=warn", "-f", typo.toString());

    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.err()).contains("Error from server (BadRequest)")
        .contains("strict decoding error: unknown field \"spec.podSelectr\"");
    assertThat(warned.exitCode()).isZero();
    assertThat(warned.err()).contains("Warning: unknown field \"spec.podSelectr\"");
    JsonNode stored = json(kubectl.run("get", "netpol", "default-deny", "-n", "payments", "-o", "json")
        .assertSucceeded());
    assertThat(stored.path("spec").has("podSelectr")).isFalse();
  }

  private static JsonNode json(Kubectl.Result r) {
    return Serialization.jsonMapper().readTree(r.out());
  }

  private static List<String> names(JsonNode list) {
    List<String> names = new ArrayList<>();
    list.path("items").values().forEach(i -> names.add(i.path("metadata").path("namespace").asString() + "/"
        + i.path("metadata").path("name").asString()));
    return names;
  }
}
