package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The policy kinds seen by a collector: fabric8 watches through {@code genericKubernetesResources}, raw HTTP
 * lists and watches, CRDs appearing and going as the kinds are turned on and off.
 */
class PolicyKindsWatchIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final ResourceDefinitionContext GNP = context("projectcalico.org", "v3", "GlobalNetworkPolicy",
      "globalnetworkpolicies", false);
  private static final ResourceDefinitionContext CNP = context("cilium.io", "v2", "CiliumNetworkPolicy",
      "ciliumnetworkpolicies", true);
  private static final ResourceDefinitionContext CALICO_NP = context("projectcalico.org", "v3", "NetworkPolicy",
      "networkpolicies", true);
  private static final ResourceDefinitionContext CRD = context("apiextensions.k8s.io", "v1",
      "CustomResourceDefinition", "customresourcedefinitions", false);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private SimulatedApiServer api;
  private KubernetesClient client;

  private void start(SimulatedApiServer server) {
    api = server.start(0);
    client = api.client();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void shouldSeeAddedModifiedDeletedWithIncreasingVersionsWhenFabric8WatchesCalicoAndCiliumPolicies() {
    start(new SimulatedApiServer());
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata()
        .build()).create();
    List<String> gnpEvents = new CopyOnWriteArrayList<>();
    List<String> cnpEvents = new CopyOnWriteArrayList<>();
    toClose.add(client.genericKubernetesResources(GNP).watch(recorder(gnpEvents)));
    toClose.add(client.genericKubernetesResources(CNP).inAnyNamespace().watch(recorder(cnpEvents)));

    client.genericKubernetesResources(GNP).resource(policy(GNP, "default-deny", null,
        Map.of("selector", "projectcalico.org/namespace not in {'kube-system'}", "types", List.of("Ingress"))))
        .create();
    client.genericKubernetesResources(CNP).inNamespace("payments").resource(policy(CNP, "deny-all", "payments",
        Map.of("endpointSelector", Map.of(), "ingress", List.of(Map.of())))).create();
    client.genericKubernetesResources(GNP).withName("default-deny").edit(p -> {
      p.setAdditionalProperty("spec", Map.of("selector", "all()", "types", List.of("Ingress", "Egress")));
      return p;
    });
    client.genericKubernetesResources(CNP).inNamespace("payments").withName("deny-all").edit(p -> {
      p.getMetadata().setLabels(Map.of("fencewatch.io/reviewed", "yes"));
      return p;
    });
    client.genericKubernetesResources(GNP).withName("default-deny").delete();
    client.genericKubernetesResources(CNP).inNamespace("payments").withName("deny-all").delete();

    await().atMost(WAIT).until(() -> gnpEvents.size() == 3 && cnpEvents.size() == 3);
    assertThat(types(gnpEvents)).containsExactly("ADDED default-deny", "MODIFIED default-deny",
        "DELETED default-deny");
    assertThat(types(cnpEvents)).containsExactly("ADDED payments/deny-all", "MODIFIED payments/deny-all",
        "DELETED payments/deny-all");
    assertThat(versions(gnpEvents)).isSorted().doesNotHaveDuplicates();
    assertThat(versions(cnpEvents)).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void shouldReplayLaterChangesAndKeepKindsApartWhenHttpWatchResumesFromResourceVersion() throws Exception {
    start(new SimulatedApiServer());
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata()
        .build()).create();
    client.genericKubernetesResources(CALICO_NP).inNamespace("payments").resource(policy(CALICO_NP, "early",
        "payments", Map.of("selector", "all()"))).create();
    String from = get("/apis/projectcalico.org/v3/networkpolicies").path("metadata").path("resourceVersion")
        .asString();
    client.genericKubernetesResources(CALICO_NP).inNamespace("payments").resource(policy(CALICO_NP, "late",
        "payments", Map.of("selector", "all()", "types", List.of("Ingress")))).create();
    client.network().v1().networkPolicies().inNamespace("payments").resource(
        new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder().withNewMetadata()
            .withName("k8s").endMetadata().withNewSpec().withNewPodSelector().endPodSelector().endSpec().build())
        .create();
    client.genericKubernetesResources(CALICO_NP).inNamespace("payments").withName("early").delete();

    List<JsonNode> events = httpWatch("/apis/projectcalico.org/v3/networkpolicies?watch=true&timeoutSeconds=1"
        + "&resourceVersion=" + from);

    assertThat(events).extracting(e -> e.path("type").asString() + " "
            + e.path("object").path("metadata").path("name").asString())
        .as("networking.k8s.io's policy is not Calico's").containsExactly("ADDED late", "DELETED early");
    assertThat(events).extracting(e -> e.path("object").path("metadata").path("resourceVersion").asLong())
        .isSorted().allMatch(rv -> rv > Long.parseLong(from));
    JsonNode list = get("/apis/projectcalico.org/v3/networkpolicies");
    assertThat(list.path("kind").asString()).isEqualTo("NetworkPolicyList");
    assertThat(list.path("apiVersion").asString()).isEqualTo("projectcalico.org/v3");
    assertThat(list.path("items")).extracting(i -> i.path("metadata").path("name").asString())
        .containsExactly("late");
    assertThat(get("/apis/networking.k8s.io/v1/networkpolicies").path("items"))
        .extracting(i -> i.path("metadata").path("name").asString()).containsExactly("k8s");
  }

  @Test
  void shouldSeeCrdAddedAndNewKindsInDiscoveryWhenPolicyKindsAreTurnedOnLater() throws Exception {
    start(new SimulatedApiServer().servePolicyKinds(false));
    assertThat(client.genericKubernetesResources(CRD).list().getItems()).isEmpty();
    assertThat(status("/apis/cilium.io/v2/ciliumnetworkpolicies")).isEqualTo(404);
    assertThat(get("/apis").toString()).doesNotContain("cilium.io").doesNotContain("projectcalico.org");
    String from = client.genericKubernetesResources(CRD).list().getMetadata().getResourceVersion();
    List<String> crdEvents = new CopyOnWriteArrayList<>();
    toClose.add(client.genericKubernetesResources(CRD).watch(recorder(crdEvents)));

    api.servePolicyGroup("cilium.io", true);

    await().atMost(WAIT).until(() -> crdEvents.size() == 2);
    assertThat(types(crdEvents)).containsExactlyInAnyOrder("ADDED ciliumnetworkpolicies.cilium.io",
        "ADDED ciliumclusterwidenetworkpolicies.cilium.io");
    JsonNode crd = get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ciliumnetworkpolicies.cilium.io");
    assertThat(crd.path("spec").path("scope").asString()).isEqualTo("Namespaced");
    assertThat(crd.path("spec").path("names").path("shortNames").toString()).contains("cnp");
    assertThat(crd.path("status").path("conditions").toString()).contains("Established");
    assertThat(get("/apis/cilium.io/v2").path("resources")).extracting(r -> r.path("name").asString())
        .containsExactly("ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies");
    assertThat(status("/apis/cilium.io/v2/ciliumnetworkpolicies")).isEqualTo(200);
    assertThat(status("/apis/projectcalico.org/v3/globalnetworkpolicies")).as("still off").isEqualTo(404);

    api.servePolicyGroup("projectcalico.org", true);
    api.servePolicyGroup("policy.networking.k8s.io", true);

    assertThat(get("/apis/projectcalico.org").path("preferredVersion").path("version").asString()).isEqualTo("v3");
    JsonNode npApi = get("/apis/policy.networking.k8s.io");
    assertThat(npApi.path("versions")).extracting(v -> v.path("version").asString())
        .containsExactly("v1alpha2", "v1alpha1");
    await().atMost(WAIT).until(() -> crdEvents.size() == 5);
    assertThat(types(crdEvents)).as("Calico's projectcalico.org is an aggregated API: no CRD")
        .noneMatch(e -> e.contains("projectcalico.org"));
    List<JsonNode> replay = httpWatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=true"
        + "&timeoutSeconds=1&resourceVersion=" + from);
    assertThat(replay).extracting(e -> e.path("type").asString()).containsOnly("ADDED").hasSize(5);
  }

  @Test
  void shouldDeleteObjectsThenCrdWhenPolicyGroupIsTurnedOff() throws Exception {
    start(new SimulatedApiServer());
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata()
        .build()).create();
    client.genericKubernetesResources(CNP).inNamespace("payments").resource(policy(CNP, "deny-all", "payments",
        Map.of("endpointSelector", Map.of()))).create();
    String from = get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").path("metadata")
        .path("resourceVersion").asString();
    List<String> cnpEvents = new CopyOnWriteArrayList<>();
    List<String> closed = new CopyOnWriteArrayList<>();
    toClose.add(client.genericKubernetesResources(CNP).inAnyNamespace().watch(recorder(cnpEvents, closed)));
    await().atMost(WAIT).until(() -> cnpEvents.size() == 1);

    api.servePolicyGroup("cilium.io", false);

    await().atMost(WAIT).until(() -> cnpEvents.size() == 2);
    assertThat(types(cnpEvents)).containsExactly("ADDED payments/deny-all", "DELETED payments/deny-all");
    assertThat(status("/apis/cilium.io/v2/ciliumnetworkpolicies")).isEqualTo(404);
    assertThat(status("/apis/cilium.io/v2/ciliumnetworkpolicies?watch=true")).isEqualTo(404);
    List<JsonNode> crdEvents = httpWatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=true"
        + "&timeoutSeconds=1&resourceVersion=" + from);
    assertThat(crdEvents).extracting(e -> e.path("type").asString() + " "
            + e.path("object").path("metadata").path("name").asString())
        .containsExactlyInAnyOrder("DELETED ciliumnetworkpolicies.cilium.io",
            "DELETED ciliumclusterwidenetworkpolicies.cilium.io");
    assertThat(client.genericKubernetesResources(CRD).list().getItems())
        .extracting(c -> c.getMetadata().getName()).noneMatch(n -> n.endsWith(".cilium.io"));
  }

  @Test
  void shouldStopAndStartServingKindWhenItsCrdIsDeletedAndCreatedThroughTheApi() throws Exception {
    start(new SimulatedApiServer());
    client.genericKubernetesResources(context("cilium.io", "v2", "CiliumClusterwideNetworkPolicy",
        "ciliumclusterwidenetworkpolicies", false)).resource(policy(context("cilium.io", "v2",
        "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", false), "deny", null,
        Map.of("endpointSelector", Map.of()))).create();
    GenericKubernetesResource crd = client.genericKubernetesResources(CRD)
        .withName("ciliumclusterwidenetworkpolicies.cilium.io").get();

    client.genericKubernetesResources(CRD).withName("ciliumclusterwidenetworkpolicies.cilium.io").delete();

    assertThat(status("/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies")).isEqualTo(404);
    assertThat(status("/apis/cilium.io/v2/ciliumnetworkpolicies")).as("the other CRD stays").isEqualTo(200);
    crd.getMetadata().setResourceVersion(null);
    crd.getMetadata().setUid(null);
    client.genericKubernetesResources(CRD).resource(crd).create();
    assertThat(get("/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies").path("items")).as("its objects went")
        .isEmpty();
  }

  @Test
  void shouldAnswerAsRealServerWhenPolicyIsInMissingNamespaceOrClusterPolicyHasNamespacePath() throws Exception {
    start(new SimulatedApiServer());

    KubernetesClientException missing = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> client.genericKubernetesResources(CNP).inNamespace("nowhere").resource(policy(CNP, "deny-all",
            "nowhere", Map.of("endpointSelector", Map.of()))).create());
    assertThat(missing.getCode()).isEqualTo(404);
    assertThat(missing.getStatus().getMessage()).isEqualTo("namespaces \"nowhere\" not found");

    HttpResponse<String> namespacedPath = post("/apis/projectcalico.org/v3/namespaces/default/globalnetworkpolicies",
        "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"x\"}}");
    assertThat(namespacedPath.statusCode()).isEqualTo(404);
    assertThat(namespacedPath.body()).contains("the server could not find the requested resource");

    HttpResponse<String> wrongKind = post("/apis/projectcalico.org/v3/globalnetworkpolicies",
        "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"x\"}}");
    assertThat(wrongKind.statusCode()).isEqualTo(400);
    HttpResponse<String> noName = post("/apis/projectcalico.org/v3/globalnetworkpolicies",
        "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{}}");
    assertThat(noName.statusCode()).isEqualTo(422);
    assertThat(noName.body()).contains("metadata.name");
    HttpResponse<String> labelled = post("/apis/projectcalico.org/v3/globalnetworkpolicies",
        "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"x\","
            + "\"labels\":{\"team\":\"platform\"}},\"spec\":{\"order\":10,\"anything\":{\"goes\":true}}}");
    assertThat(labelled.statusCode()).isEqualTo(201);
    assertThat(Serialization.jsonMapper().readTree(labelled.body()).path("spec").path("anything").path("goes")
        .asBoolean()).as("spec stored as written").isTrue();
    assertThat(client.genericKubernetesResources(GNP).withLabel("team", "platform").list().getItems()).hasSize(1);
    assertThat(client.genericKubernetesResources(GNP).withLabel("team", "other").list().getItems()).isEmpty();
  }

  // ------------------------------------------------------------------------------------ helpers

  private static ResourceDefinitionContext context(String group, String version, String kind, String plural,
                                                   boolean namespaced) {
    return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
        .withPlural(plural).withNamespaced(namespaced).build();
  }

  private static GenericKubernetesResource policy(ResourceDefinitionContext c, String name, String namespace,
                                                  Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResourceBuilder()
        .withApiVersion(c.getGroup() + "/" + c.getVersion()).withKind(c.getKind())
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata().build();
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  private static Watcher<GenericKubernetesResource> recorder(List<String> events) {
    return recorder(events, new ArrayList<>());
  }

  /** Records {@code TYPE namespace/name resourceVersion}; {@code closed} hears of the watch ending. */
  private static Watcher<GenericKubernetesResource> recorder(List<String> events, List<String> closed) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, GenericKubernetesResource r) {
        String ns = r.getMetadata().getNamespace();
        events.add(action + " " + (ns == null ? "" : ns + "/") + r.getMetadata().getName() + " "
            + r.getMetadata().getResourceVersion());
      }

      @Override
      public void onClose(WatcherException cause) {
        closed.add(String.valueOf(cause));
      }
    };
  }

  private static List<String> types(List<String> events) {
    return events.stream().map(e -> e.substring(0, e.lastIndexOf(' '))).toList();
  }

  private static List<Long> versions(List<String> events) {
    return events.stream().map(e -> Long.parseLong(e.substring(e.lastIndexOf(' ') + 1))).toList();
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + path))
        .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return Serialization.jsonMapper().readTree(r.body());
  }

  private int status(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(WAIT)
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(WAIT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> httpWatch(String path) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    try (java.util.stream.Stream<String> lines = response.body()) {
      return lines.filter(l -> !l.isBlank()).map(l -> Serialization.jsonMapper().readTree(l)).toList();
    }
  }
}
