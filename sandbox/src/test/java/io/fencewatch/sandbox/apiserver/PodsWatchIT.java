package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Pods seen by a collector that watches them (issue 16): fabric8 lists, watches and informers across namespaces,
 * label and field selectors, status updates through the status subresource, deletes and namespace deletion, and
 * raw HTTP watches resuming from a resourceVersion.
 */
class PodsWatchIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private SimulatedApiServer api;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    api = new SimulatedApiServer().start(0);
    client = api.client();
    for (String ns : List.of("shop", "billing")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
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
  void shouldSeeAddedModifiedDeletedAcrossNamespacesWhenFabric8WatchesPodsByLabel() {
    List<String> events = new CopyOnWriteArrayList<>();
    toClose.add(client.pods().inAnyNamespace().withLabel("app", "a").watch(recorder(events)));

    create("shop", "web", Map.of("app", "a"));
    create("billing", "api", Map.of("app", "a"));
    create("billing", "db", Map.of("app", "b"));
    client.pods().inNamespace("shop").withName("web").editStatus(p -> {
      p.getStatus().setPhase("Running");
      return p;
    });
    client.pods().inNamespace("billing").withName("db").editStatus(p -> {
      p.getStatus().setPhase("Running");
      return p;
    });
    client.pods().inNamespace("billing").withName("api").delete();

    await().atMost(WAIT).until(() -> events.size() == 4);
    assertThat(types(events)).containsExactly("ADDED shop/web Pending", "ADDED billing/api Pending",
        "MODIFIED shop/web Running", "DELETED billing/api Pending");
    assertThat(versions(events)).isSorted().doesNotHaveDuplicates();
    Pod web = client.pods().inNamespace("shop").withName("web").get();
    assertThat(web.getStatus().getPhase()).isEqualTo("Running");
    assertThat(web.getStatus().getQosClass()).isEqualTo("BestEffort");
    assertThat(web.getMetadata().getGeneration()).as("a status update is not a spec change").isEqualTo(1);
  }

  @Test
  void shouldListClusterWideAndReplayLaterChangesWhenHttpWatchResumesFromResourceVersion() throws Exception {
    create("shop", "early", Map.of());
    JsonNode list = get("/api/v1/pods");
    String from = list.path("metadata").path("resourceVersion").asString();
    assertThat(list.path("kind").asString()).isEqualTo("PodList");
    assertThat(list.path("apiVersion").asString()).isEqualTo("v1");
    create("shop", "late", Map.of("app", "a"));
    create("billing", "api", Map.of());
    client.pods().inNamespace("shop").withName("late").editStatus(p -> {
      p.getStatus().setPhase("Running");
      return p;
    });
    client.pods().inNamespace("shop").withName("early").delete();

    List<JsonNode> events = httpWatch("/api/v1/pods?watch=true&timeoutSeconds=1&resourceVersion=" + from);

    assertThat(events).extracting(PodsWatchIT::describe).containsExactly("ADDED shop/late Pending",
        "ADDED billing/api Pending", "MODIFIED shop/late Running", "DELETED shop/early Pending");
    assertThat(events).extracting(e -> e.path("object").path("metadata").path("resourceVersion").asLong())
        .isSorted().allMatch(rv -> rv > Long.parseLong(from));
    assertThat(get("/api/v1/pods").path("items")).extracting(i -> i.path("metadata").path("namespace").asString()
        + "/" + i.path("metadata").path("name").asString()).containsExactly("billing/api", "shop/late");
    assertThat(get("/api/v1/namespaces/shop/pods").path("items")).hasSize(1);
    assertThat(httpWatch("/api/v1/namespaces/billing/pods?watch=true&timeoutSeconds=1"))
        .extracting(PodsWatchIT::describe).as("without a resourceVersion: what is there now")
        .containsExactly("ADDED billing/api Pending");
  }

  @Test
  void shouldSelectPodsByPhaseAndNodeWhenListsAndWatchesUseFieldSelectors() throws Exception {
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("scheduled").endMetadata()
        .withNewSpec().withNodeName("worker-1").addNewContainer().withName("app").withImage("nginx").endContainer()
        .endSpec().build()).create();
    create("shop", "unscheduled", Map.of());
    String from = get("/api/v1/pods").path("metadata").path("resourceVersion").asString();

    assertThat(client.pods().inAnyNamespace().withField("spec.nodeName", "worker-1").list().getItems())
        .extracting(p -> p.getMetadata().getName()).containsExactly("scheduled");
    assertThat(client.pods().inAnyNamespace().withField("status.phase", "Running").list().getItems()).isEmpty();
    assertThat(client.pods().inAnyNamespace().withField("spec.hostNetwork", "false").list().getItems()).hasSize(2);

    client.pods().inNamespace("shop").withName("unscheduled").editStatus(p -> {
      p.getStatus().setPhase("Running");
      return p;
    });
    assertThat(client.pods().inAnyNamespace().withField("status.phase", "Running").list().getItems())
        .extracting(p -> p.getMetadata().getName()).containsExactly("unscheduled");
    client.pods().inNamespace("shop").withName("unscheduled").editStatus(p -> {
      p.getStatus().setPhase("Succeeded");
      return p;
    });

    List<JsonNode> running = httpWatch("/api/v1/pods?watch=true&timeoutSeconds=1&fieldSelector=status.phase%3DRunning"
        + "&resourceVersion=" + from);
    assertThat(running).extracting(PodsWatchIT::describe).as("into the selector and out of it")
        .containsExactly("ADDED shop/unscheduled Running", "DELETED shop/unscheduled Running");

    HttpResponse<String> unsupported = send("/api/v1/pods?fieldSelector=spec.image%3Dnginx");
    assertThat(unsupported.statusCode()).isEqualTo(400);
    assertThat(unsupported.body()).contains("field label not supported: spec.image");
    assertThat(send("/api/v1/pods?watch=true&fieldSelector=spec.image%3Dnginx").statusCode()).isEqualTo(400);
  }

  @Test
  void shouldEndInitialEventsWithBookmarkWhenPodWatchAsksForThem() throws Exception {
    create("shop", "web", Map.of());
    create("billing", "api", Map.of());

    List<JsonNode> events = httpWatch("/api/v1/pods?watch=true&timeoutSeconds=1&sendInitialEvents=true"
        + "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");

    assertThat(events).extracting(e -> e.path("type").asString()).containsExactly("ADDED", "ADDED", "BOOKMARK");
    JsonNode bookmark = events.get(2).path("object");
    assertThat(bookmark.path("kind").asString()).isEqualTo("Pod");
    assertThat(bookmark.path("apiVersion").asString()).isEqualTo("v1");
    assertThat(bookmark.path("metadata").path("annotations").path("k8s.io/initial-events-end").asString())
        .isEqualTo("true");
  }

  @Test
  void shouldKeepInformerInSyncWhenPodsAreCreatedLabelledDeletedAndTheirNamespaceGoes() {
    List<String> events = new CopyOnWriteArrayList<>();
    SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod p) {
        events.add("add " + key(p));
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        events.add("update " + key(after) + " " + after.getMetadata().getLabels());
      }

      @Override
      public void onDelete(Pod p, boolean finalStateUnknown) {
        events.add("delete " + key(p));
      }
    });
    toClose.add(informer::close);
    await().atMost(WAIT).until(informer::hasSynced);

    create("shop", "web", Map.of("app", "a"));
    create("billing", "api", Map.of("app", "a"));
    create("billing", "db", Map.of("app", "b"));
    await().atMost(WAIT).until(() -> informer.getStore().list().size() == 3);

    client.pods().inNamespace("shop").withName("web").edit(p -> {
      p.getMetadata().getLabels().put("tier", "frontend");
      return p;
    });
    await().atMost(WAIT).until(() -> informer.getStore().getByKey("shop/web").getMetadata().getLabels()
        .containsKey("tier"));

    client.pods().inNamespace("shop").withName("web").delete();
    await().atMost(WAIT).until(() -> informer.getStore().getByKey("shop/web") == null);
    assertThat(informer.getStore().list()).hasSize(2);

    client.namespaces().withName("billing").delete();
    await().atMost(WAIT).until(() -> informer.getStore().list().isEmpty());
    assertThat(events).containsExactlyInAnyOrder("add shop/web", "add billing/api", "add billing/db",
        "update shop/web {app=a, tier=frontend}", "delete shop/web", "delete billing/api", "delete billing/db");
    assertThat(events).containsSubsequence("add shop/web", "update shop/web {app=a, tier=frontend}",
        "delete shop/web", "delete billing/api");
  }

  @Test
  void shouldAllowImageChangeButRefuseOtherSpecChangesWhenFabric8UpdatesPod() {
    create("shop", "web", Map.of());

    Pod changed = client.pods().inNamespace("shop").withName("web").edit(p -> {
      p.getSpec().getContainers().get(0).setImage("nginx:1.28");
      return p;
    });
    assertThat(changed.getMetadata().getGeneration()).isEqualTo(2);

    KubernetesClientException refused = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace("shop").withName("web").edit(p -> {
          p.getSpec().setHostNetwork(true);
          return p;
        }));
    assertThat(refused.getCode()).isEqualTo(422);
    assertThat(refused.getStatus().getReason()).isEqualTo("Invalid");
    assertThat(refused.getStatus().getDetails().getCauses()).singleElement().satisfies(c -> {
      assertThat(c.getField()).isEqualTo("spec");
      assertThat(c.getReason()).isEqualTo("FieldValueForbidden");
      assertThat(c.getMessage()).startsWith("Forbidden: pod updates may not change fields other than");
    });
    assertThatThrownBy(() -> client.pods().inNamespace("shop").withName("web").edit(p -> {
      p.getSpec().getContainers().add(p.getSpec().getContainers().get(0));
      return p;
    })).isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.containers: Forbidden: pod updates may not add or remove containers");

    KubernetesClientException noImage = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("bad")
            .endMetadata().withNewSpec().addNewContainer().withName("app").endContainer().endSpec().build()).create());
    assertThat(noImage.getCode()).isEqualTo(422);
    assertThat(noImage.getStatus().getDetails().getCauses()).extracting(c -> c.getField())
        .containsExactly("spec.containers[0].image");
    assertThat(client.pods().inNamespace("shop").withName("bad").get()).isNull();
  }

  // ------------------------------------------------------------------------------------ helpers

  private void create(String namespace, String name, Map<String, String> labels) {
    client.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(name)
        .withLabels(labels.isEmpty() ? null : new java.util.HashMap<>(labels)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build())
        .create();
  }

  private static String key(Pod p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  /** Records {@code TYPE namespace/name phase resourceVersion}. */
  private static Watcher<Pod> recorder(List<String> events) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod p) {
        events.add(action + " " + key(p) + " " + p.getStatus().getPhase() + " " + p.getMetadata().getResourceVersion());
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    };
  }

  private static List<String> types(List<String> events) {
    return events.stream().map(e -> e.substring(0, e.lastIndexOf(' '))).toList();
  }

  private static List<Long> versions(List<String> events) {
    return events.stream().map(e -> Long.parseLong(e.substring(e.lastIndexOf(' ') + 1))).toList();
  }

  private static String describe(JsonNode event) {
    JsonNode o = event.path("object");
    return event.path("type").asString() + " " + o.path("metadata").path("namespace").asString() + "/"
        + o.path("metadata").path("name").asString() + " " + o.path("status").path("phase").asString();
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = send(path);
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return Serialization.jsonMapper().readTree(r.body());
  }

  private HttpResponse<String> send(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(WAIT).build(),
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
