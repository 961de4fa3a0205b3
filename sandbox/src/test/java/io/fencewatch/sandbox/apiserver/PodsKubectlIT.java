package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * kubectl 1.32 against the simulated server's core/v1 Pods (issue 16): {@code run}, {@code get} (server-side
 * printing, {@code -o wide}, {@code -A}, label and field selectors), {@code label}, {@code annotate}, {@code patch}
 * of the status subresource, {@code apply} of an owned host-network pod, {@code delete}, and upstream's errors.
 */
class PodsKubectlIT {

  /** A DaemonSet's pod as a real cluster has it, written directly: there is no DaemonSet controller here. */
  private static final String OWNED_HOST_NETWORK_POD = """
      apiVersion: v1
      kind: Pod
      metadata:
        name: node-agent-x7k2p
        namespace: shop
        labels:
          app: node-agent
        ownerReferences:
        - apiVersion: apps/v1
          kind: DaemonSet
          name: node-agent
          uid: 6f1c2a3e-0d4b-4c1e-9a7f-2b8e5d4c3a21
          controller: true
          blockOwnerDeletion: true
      spec:
        hostNetwork: true
        nodeName: worker-1
        containers:
        - name: agent
          image: registry.example/node-agent:2.1
          ports:
          - containerPort: 9100
            name: metrics
      """;

  private static final Pattern TABLE_HEADER = Pattern.compile("(?m)^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE$");
  private static final Pattern WIDE_HEADER = Pattern.compile(
      "(?m)^NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE\\s+NOMINATED NODE\\s+READINESS GATES$");

  @TempDir
  Path home;

  private SimulatedApiServer api;
  private Kubectl kubectl;

  @BeforeEach
  void startServer() {
    Kubectl.assumeInstalled();
    api = new SimulatedApiServer().start(0);
    kubectl = new Kubectl(api.writeKubeconfig(home.resolve("kubeconfig")), home);
    kubectl.run("create", "namespace", "shop").assertSucceeded();
    kubectl.run("create", "namespace", "billing").assertSucceeded();
  }

  @AfterEach
  void stopServer() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void shouldCreateDefaultedPendingPodWhenKubectlRunsIt() {
    assertThat(kubectl.run("run", "web", "--image=nginx:1.27", "-n", "shop", "--labels=app=a").assertSucceeded().out())
        .isEqualTo("pod/web created\n");
    kubectl.run("run", "tool", "--image=busybox", "-n", "shop").assertSucceeded();

    JsonNode web = json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(web.path("metadata").path("labels").toString()).isEqualTo("{\"app\":\"a\"}");
    assertThat(web.path("metadata").path("uid").asString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
        + "-[0-9a-f]{12}");
    assertThat(Instant.parse(web.path("metadata").path("creationTimestamp").asString()))
        .isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(1, ChronoUnit.MINUTES));
    assertThat(web.path("metadata").path("resourceVersion").asLong()).isPositive();
    assertThat(web.path("metadata").path("generation").asLong()).isEqualTo(1);
    JsonNode spec = web.path("spec");
    assertThat(spec.path("restartPolicy").asString()).isEqualTo("Always");
    assertThat(spec.path("dnsPolicy").asString()).isEqualTo("ClusterFirst");
    assertThat(spec.path("schedulerName").asString()).isEqualTo("default-scheduler");
    assertThat(spec.path("terminationGracePeriodSeconds").asInt()).isEqualTo(30);
    assertThat(spec.has("hostNetwork")).as("hostNetwork is not defaulted").isFalse();
    JsonNode container = spec.path("containers").path(0);
    assertThat(container.path("name").asString()).isEqualTo("web");
    assertThat(container.path("image").asString()).isEqualTo("nginx:1.27");
    assertThat(container.path("imagePullPolicy").asString()).isEqualTo("IfNotPresent");
    assertThat(container.path("terminationMessagePath").asString()).isEqualTo("/dev/termination-log");
    assertThat(web.path("status").path("phase").asString()).isEqualTo("Pending");
    assertThat(web.path("status").path("qosClass").asString()).isEqualTo("BestEffort");

    JsonNode tool = json(kubectl.run("get", "po", "tool", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(tool.path("metadata").path("labels").toString()).as("kubectl run's default label")
        .isEqualTo("{\"run\":\"tool\"}");
    assertThat(tool.path("spec").path("containers").path(0).path("imagePullPolicy").asString())
        .as("an image without a tag is :latest").isEqualTo("Always");
  }

  @Test
  void shouldPrintReadyStatusRestartsAndWideColumnsWhenKubectlGetsPods() {
    kubectl.run("run", "web", "--image=nginx:1.27", "-n", "shop").assertSucceeded();

    String table = kubectl.run("get", "pods", "-n", "shop").assertSucceeded().out();
    assertThat(table).containsPattern(TABLE_HEADER).containsPattern("(?m)^web\\s+0/1\\s+Pending\\s+0\\s+\\d+s$");
    String wide = kubectl.run("get", "pods", "-n", "shop", "-o", "wide").assertSucceeded().out();
    assertThat(wide).containsPattern(WIDE_HEADER)
        .containsPattern("(?m)^web\\s+0/1\\s+Pending\\s+0\\s+\\d+s\\s+<none>\\s+<none>\\s+<none>\\s+<none>$");

    kubectl.run("apply", "-f", kubectl.manifest("agent.yaml", OWNED_HOST_NETWORK_POD).toString()).assertSucceeded();
    String finishedAt = Instant.now().minusSeconds(40).truncatedTo(ChronoUnit.SECONDS).toString();
    kubectl.run("patch", "pod", "node-agent-x7k2p", "-n", "shop", "--subresource=status", "--type=merge", "-p",
        "{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.7\",\"podIPs\":[{\"ip\":\"10.0.0.7\"}],"
            + "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
            + "\"containerStatuses\":[{\"name\":\"agent\",\"ready\":true,\"restartCount\":2,\"image\":\"x\","
            + "\"imageID\":\"\",\"state\":{\"running\":{\"startedAt\":\"" + finishedAt + "\"}},"
            + "\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"" + finishedAt + "\"}}}]}}")
        .assertSucceeded();
    kubectl.run("patch", "pod", "web", "-n", "shop", "--subresource=status", "--type=merge", "-p",
        "{\"status\":{\"phase\":\"Succeeded\"}}").assertSucceeded();

    String after = kubectl.run("get", "pods", "-n", "shop", "-o", "wide").assertSucceeded().out();
    assertThat(after).containsPattern("(?m)^node-agent-x7k2p\\s+1/1\\s+Running\\s+2 \\([4-9]\\ds ago\\)\\s+\\d+s"
        + "\\s+10\\.0\\.0\\.7\\s+worker-1\\s+<none>\\s+<none>$");
    assertThat(after).containsPattern("(?m)^web\\s+0/1\\s+Succeeded\\s+0\\s+");
  }

  @Test
  void shouldListPodsOfEveryNamespaceByLabelAndFieldWhenKubectlGetsAllNamespaces() {
    kubectl.run("run", "web", "--image=nginx", "-n", "shop", "--labels=app=a").assertSucceeded();
    kubectl.run("run", "api", "--image=nginx", "-n", "billing", "--labels=app=a").assertSucceeded();
    kubectl.run("run", "db", "--image=postgres", "-n", "billing", "--labels=app=b").assertSucceeded();

    String table = kubectl.run("get", "pods", "-A", "-l", "app=a").assertSucceeded().out();
    assertThat(table).containsPattern("(?m)^NAMESPACE\\s+NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE$")
        .containsPattern("(?m)^billing\\s+api\\s+0/1\\s+Pending\\s+0\\s+")
        .containsPattern("(?m)^shop\\s+web\\s+0/1\\s+Pending\\s+0\\s+").doesNotContain("db");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "-l", "app=a", "-o", "json").assertSucceeded())))
        .containsExactly("billing/api", "shop/web");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "-l", "app!=a", "-o", "json").assertSucceeded())))
        .containsExactly("billing/db");

    kubectl.run("patch", "pod", "api", "-n", "billing", "--subresource=status", "--type=merge", "-p",
        "{\"status\":{\"phase\":\"Running\"}}").assertSucceeded();
    assertThat(names(json(kubectl.run("get", "pods", "-A", "--field-selector", "status.phase=Running", "-o", "json")
        .assertSucceeded()))).containsExactly("billing/api");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "--field-selector",
        "status.phase!=Running,metadata.namespace=billing", "-o", "json").assertSucceeded())))
        .containsExactly("billing/db");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "--field-selector", "spec.nodeName=", "-o", "json")
        .assertSucceeded()))).as("unscheduled").containsExactly("billing/api", "billing/db", "shop/web");

    Kubectl.Result unsupported = kubectl.run("get", "pods", "-A", "--field-selector", "spec.image=nginx");
    assertThat(unsupported.exitCode()).isNotZero();
    assertThat(unsupported.err()).contains("Error from server (BadRequest)")
        .contains("field label not supported: spec.image");
  }

  @Test
  void shouldChangeLabelsAndAnnotationsWhenKubectlLabelsAndAnnotatesPod() {
    kubectl.run("run", "web", "--image=nginx", "-n", "shop", "--labels=app=a").assertSucceeded();
    long before = json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded())
        .path("metadata").path("resourceVersion").asLong();

    assertThat(kubectl.run("label", "pod", "web", "-n", "shop", "tier=frontend").assertSucceeded().out())
        .isEqualTo("pod/web labeled\n");
    assertThat(kubectl.run("annotate", "pod", "web", "-n", "shop", "fencewatch.io/owner=team-shop").assertSucceeded()
        .out()).isEqualTo("pod/web annotated\n");

    JsonNode web = json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(web.path("metadata").path("labels").path("tier").asString()).isEqualTo("frontend");
    assertThat(web.path("metadata").path("labels").path("app").asString()).isEqualTo("a");
    assertThat(web.path("metadata").path("annotations").path("fencewatch.io/owner").asString())
        .isEqualTo("team-shop");
    assertThat(web.path("metadata").path("resourceVersion").asLong()).isGreaterThan(before);
    assertThat(web.path("metadata").path("generation").asLong()).as("metadata only").isEqualTo(1);
    assertThat(kubectl.run("get", "pods", "-A", "-l", "tier=frontend", "--show-labels").assertSucceeded().out())
        .containsPattern("(?m)^shop\\s+web\\s+.*app=a,tier=frontend$");
    assertThat(kubectl.run("label", "pod", "web", "-n", "shop", "tier-").assertSucceeded().out())
        .isEqualTo("pod/web unlabeled\n");
    assertThat(kubectl.run("get", "pods", "-A", "-l", "tier=frontend").err())
        .contains("No resources found");
  }

  @Test
  void shouldChangePhaseOnlyThroughStatusSubresourceWhenKubectlPatchesPod() {
    kubectl.run("run", "web", "--image=nginx", "-n", "shop").assertSucceeded();

    assertThat(kubectl.run("patch", "pod", "web", "-n", "shop", "--subresource=status", "--type=merge", "-p",
        "{\"status\":{\"phase\":\"Running\"}}").assertSucceeded().out()).isEqualTo("pod/web patched\n");
    JsonNode running = json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(running.path("status").path("phase").asString()).isEqualTo("Running");
    assertThat(running.path("status").path("qosClass").asString()).as("kept").isEqualTo("BestEffort");
    assertThat(kubectl.run("get", "pods", "-n", "shop").assertSucceeded().out())
        .containsPattern("(?m)^web\\s+0/1\\s+Running\\s+0\\s+");

    kubectl.run("patch", "pod", "web", "-n", "shop", "--type=merge", "-p", "{\"status\":{\"phase\":\"Failed\"}}")
        .assertSucceeded();
    assertThat(json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded())
        .path("status").path("phase").asString()).as("the pod itself cannot change its status").isEqualTo("Running");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "--field-selector", "status.phase=Running", "-o", "json")
        .assertSucceeded()))).as("still selected after an update that changed nothing").containsExactly("shop/web");

    Kubectl.Result spec = kubectl.run("patch", "pod", "web", "-n", "shop", "--subresource=status", "--type=merge",
        "-p", "{\"spec\":{\"nodeName\":\"worker-9\"},\"status\":{\"phase\":\"Succeeded\"}}");
    spec.assertSucceeded();
    JsonNode after = json(kubectl.run("get", "pod", "web", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(after.path("spec").has("nodeName")).as("status updates leave the spec").isFalse();
    assertThat(after.path("status").path("phase").asString()).isEqualTo("Succeeded");
  }

  @Test
  void shouldKeepOwnerReferencesAndHostNetworkAndAllowOnlyImageChangesWhenKubectlAppliesPod() {
    Path manifest = kubectl.manifest("agent.yaml", OWNED_HOST_NETWORK_POD);

    assertThat(kubectl.run("apply", "-f", manifest.toString()).assertSucceeded().out())
        .isEqualTo("pod/node-agent-x7k2p created\n");
    assertThat(kubectl.run("apply", "-f", manifest.toString()).assertSucceeded().out())
        .isEqualTo("pod/node-agent-x7k2p unchanged\n");

    JsonNode pod = json(kubectl.run("get", "pod", "node-agent-x7k2p", "-n", "shop", "-o", "json").assertSucceeded());
    assertThat(pod.path("metadata").path("ownerReferences"))
        .isEqualTo(Serialization.yamlMapper().readTree(OWNED_HOST_NETWORK_POD).path("metadata").path("ownerReferences"));
    assertThat(pod.path("spec").path("hostNetwork").asBoolean()).isTrue();
    assertThat(pod.path("spec").path("dnsPolicy").asString()).as("kept as the API server defaults it")
        .isEqualTo("ClusterFirst");
    JsonNode port = pod.path("spec").path("containers").path(0).path("ports").path(0);
    assertThat(port.path("hostPort").asInt()).as("host network: host port = container port").isEqualTo(9100);
    assertThat(port.path("protocol").asString()).isEqualTo("TCP");
    assertThat(kubectl.run("get", "pods", "-n", "shop", "-o", "yaml").assertSucceeded().out())
        .contains("kind: List").contains("hostNetwork: true").contains("kind: DaemonSet");

    Path newImage = kubectl.manifest("agent-2.2.yaml", OWNED_HOST_NETWORK_POD.replace("node-agent:2.1",
        "node-agent:2.2"));
    assertThat(kubectl.run("apply", "-f", newImage.toString()).assertSucceeded().out())
        .isEqualTo("pod/node-agent-x7k2p configured\n");
    JsonNode updated = json(kubectl.run("get", "pod", "node-agent-x7k2p", "-n", "shop", "-o", "json")
        .assertSucceeded());
    assertThat(updated.path("spec").path("containers").path(0).path("image").asString())
        .isEqualTo("registry.example/node-agent:2.2");
    assertThat(updated.path("metadata").path("generation").asLong()).isEqualTo(2);

    Path offHost = kubectl.manifest("agent-pod-network.yaml", OWNED_HOST_NETWORK_POD.replace("node-agent:2.1",
        "node-agent:2.2").replace("hostNetwork: true", "hostNetwork: false"));
    Kubectl.Result refused = kubectl.run("apply", "-f", offHost.toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.err()).startsWith("The Pod \"node-agent-x7k2p\" is invalid: spec: Forbidden: pod updates may"
        + " not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        + "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
        + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")
        .contains("hostNetwork");
    assertThat(json(kubectl.run("get", "pod", "node-agent-x7k2p", "-n", "shop", "-o", "json").assertSucceeded())
        .path("spec").path("hostNetwork").asBoolean()).isTrue();
  }

  @Test
  void shouldRefuseWithUpstreamErrorsWhenPodIsInvalid() {
    Kubectl.Result noImage = kubectl.run("apply", "-f", kubectl.manifest("no-image.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: no-image
          namespace: shop
        spec:
          containers:
          - name: app
        """).toString());
    assertThat(noImage.exitCode()).isNotZero();
    assertThat(noImage.err()).isEqualTo("The Pod \"no-image\" is invalid: spec.containers[0].image: Required value\n");

    Kubectl.Result noContainers = kubectl.run("create", "-f", kubectl.manifest("none.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: none
          namespace: shop
        spec:
          containers: []
        """).toString());
    assertThat(noContainers.err()).isEqualTo("The Pod \"none\" is invalid: spec.containers: Required value\n");

    Kubectl.Result several = kubectl.run("create", "-f", kubectl.manifest("several.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: several
          namespace: shop
        spec:
          containers:
          - image: nginx
          - name: Web
            image: nginx
        """).toString());
    assertThat(several.err()).isEqualTo("The Pod \"several\" is invalid: \n"
        + "* spec.containers[0].name: Required value\n"
        + "* spec.containers[1].name: Invalid value: \"Web\": " + SimulatedApiDispatcher.DNS1123_LABEL_MESSAGE + "\n");

    Kubectl.Result badName = kubectl.run("run", "Bad_Name", "--image=nginx", "-n", "shop");
    assertThat(badName.exitCode()).isNotZero();
    assertThat(badName.err()).startsWith("The Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\":"
        + " a lowercase RFC 1123 subdomain must consist of");

    Kubectl.Result typo = kubectl.run("apply", "-f", kubectl.manifest("typo.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: typo
          namespace: shop
        spec:
          containers:
          - name: app
            image: nginx
            imagePullPolicyy: Always
        """).toString());
    assertThat(typo.err()).contains("Error from server (BadRequest)")
        .contains("strict decoding error: unknown field \"spec.containers[0].imagePullPolicyy\"");

    Kubectl.Result missingNamespace = kubectl.run("run", "web", "--image=nginx", "-n", "nowhere");
    assertThat(missingNamespace.err()).contains("Error from server (NotFound): namespaces \"nowhere\" not found");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "-o", "json").assertSucceeded()))).isEmpty();
  }

  @Test
  void shouldDeletePodAndThenANamespacesPodsWhenKubectlDeletesThem() {
    kubectl.run("run", "web", "--image=nginx", "-n", "shop").assertSucceeded();
    kubectl.run("run", "api", "--image=nginx", "-n", "billing").assertSucceeded();
    kubectl.run("run", "db", "--image=postgres", "-n", "billing").assertSucceeded();

    assertThat(kubectl.run("delete", "pod", "web", "-n", "shop").assertSucceeded().out())
        .isEqualTo("pod \"web\" deleted\n");
    Kubectl.Result gone = kubectl.run("get", "pod", "web", "-n", "shop");
    assertThat(gone.exitCode()).isNotZero();
    assertThat(gone.err()).isEqualTo("Error from server (NotFound): pods \"web\" not found\n");

    kubectl.run("delete", "namespace", "billing").assertSucceeded();

    assertThat(kubectl.run("get", "pods", "-n", "billing").err()).isEqualTo("No resources found in billing"
        + " namespace.\n");
    assertThat(names(json(kubectl.run("get", "pods", "-A", "-o", "json").assertSucceeded()))).isEmpty();
  }

  @Test
  void shouldListPodsInDiscoveryWithShortNameAndCategoryWhenKubectlAsks() {
    kubectl.run("run", "web", "--image=nginx", "-n", "shop").assertSucceeded();

    assertThat(kubectl.run("api-resources", "--api-group=").assertSucceeded().out())
        .containsPattern("(?m)^pods\\s+po\\s+v1\\s+true\\s+Pod$");
    assertThat(kubectl.run("get", "all", "-n", "shop").assertSucceeded().out()).containsPattern("(?m)^web\\s+0/1\\s+");
    assertThat(kubectl.run("get", "po", "-n", "shop", "-o", "name").assertSucceeded().out()).isEqualTo("pod/web\n");
  }

  private static JsonNode json(Kubectl.Result r) {
    return Serialization.jsonMapper().readTree(r.out());
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.path("items").forEach(i -> out.add(i.path("metadata").path("namespace").asString() + "/"
        + i.path("metadata").path("name").asString()));
    return out;
  }
}
