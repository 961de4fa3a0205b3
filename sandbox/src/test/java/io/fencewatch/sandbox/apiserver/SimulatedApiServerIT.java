package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The simulated API server seen through fabric8 clients and informers, and through raw HTTP watches. */
class SimulatedApiServerIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private SimulatedApiServer api;
  private KubernetesClient client;

  private void start(SimulatedApiServer server) {
    api = server.start(0);
    client = api.client();
  }

  @AfterEach
  void stop() throws Exception {
    // One at a time, informers first: the server then sees one watch end after another.
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
  void shouldServeSystemNamespacesWithNameLabelWhenStarted() {
    start(new SimulatedApiServer());

    List<Namespace> namespaces = client.namespaces().list().getItems();

    assertThat(namespaces).extracting(ns -> ns.getMetadata().getName())
        .containsExactly("default", "kube-node-lease", "kube-public", "kube-system");
    assertThat(namespaces).allSatisfy(ns -> {
      assertThat(ns.getMetadata().getLabels()).containsEntry(SimulatedApiDispatcher.NAME_LABEL,
          ns.getMetadata().getName());
      assertThat(ns.getStatus().getPhase()).isEqualTo("Active");
    });
  }

  @Test
  void shouldSeeTerminatingThenPolicyDeletedThenNamespaceDeletedWhenInformersWatchNamespaceDeletion() {
    start(new SimulatedApiServer());
    List<String> events = new CopyOnWriteArrayList<>();
    SharedIndexInformer<Namespace> namespaces = client.namespaces().inform(recorder(events, "namespace"));
    toClose.add(namespaces::close);
    SharedIndexInformer<NetworkPolicy> policies = client.network().v1().networkPolicies().inAnyNamespace()
        .inform(recorder(events, "networkpolicy"));
    toClose.add(policies::close);

    client.namespaces().resource(namespace("payments")).create();
    client.network().v1().networkPolicies().inNamespace("payments").resource(defaultDeny("default-deny")).create();
    await().atMost(WAIT).until(() -> events.contains("ADDED networkpolicy payments/default-deny Active"));
    assertThat(events).contains("ADDED namespace payments Active");
    assertThat(namespaces.getStore().getByKey("payments").getMetadata().getLabels())
        .containsEntry(SimulatedApiDispatcher.NAME_LABEL, "payments");

    client.namespaces().withName("payments").delete();

    await().atMost(WAIT).until(() -> events.contains("DELETED namespace payments Terminating"));
    assertThat(events).containsSubsequence(
        "MODIFIED namespace payments Terminating",
        "DELETED networkpolicy payments/default-deny Active",
        "DELETED namespace payments Terminating");
    assertThat(events).filteredOn(e -> e.startsWith("MODIFIED")).hasSize(1);
    assertThat(policies.getStore().list()).isEmpty();
    assertThat(namespaces.getStore().getByKey("payments")).isNull();
  }

  @Test
  void shouldRefuseWithNotFoundStatusWhenPolicyNamespaceIsMissing() {
    start(new SimulatedApiServer());

    assertThatThrownBy(() -> client.network().v1().networkPolicies().inNamespace("nowhere")
        .resource(defaultDeny("default-deny")).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(404);
          assertThat(e.getStatus().getKind()).isEqualTo("Status");
          assertThat(e.getStatus().getReason()).isEqualTo("NotFound");
          assertThat(e.getStatus().getMessage()).isEqualTo("namespaces \"nowhere\" not found");
        });
  }

  @Test
  void shouldRefuseNewContentAsRealServerDoesWhenNamespaceIsTerminating() {
    start(new SimulatedApiServer(Duration.ofSeconds(30)));
    client.namespaces().resource(namespace("payments")).create();
    client.namespaces().withName("payments").delete();

    assertThat(client.namespaces().withName("payments").get().getStatus().getPhase()).isEqualTo("Terminating");
    assertThatThrownBy(() -> client.network().v1().networkPolicies().inNamespace("payments")
        .resource(defaultDeny("late")).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(403);
          assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
          assertThat(e.getStatus().getDetails().getCauses()).extracting("reason").containsExactly("NamespaceTerminating");
        });
  }

  @Test
  void shouldKeepNameLabelAndServerFieldsWhenClientUpdatesNamespace() {
    start(new SimulatedApiServer());
    Namespace created = client.namespaces().resource(namespace("payments")).create();

    Namespace edited = client.namespaces().withName("payments").edit(ns -> new NamespaceBuilder(ns).editMetadata()
        .removeFromLabels(SimulatedApiDispatcher.NAME_LABEL).addToLabels("fencewatch.io/exempt", "legacy")
        .endMetadata().build());

    assertThat(edited.getMetadata().getLabels()).containsEntry(SimulatedApiDispatcher.NAME_LABEL, "payments")
        .containsEntry("fencewatch.io/exempt", "legacy");
    assertThat(edited.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
    assertThat(edited.getMetadata().getCreationTimestamp()).isEqualTo(created.getMetadata().getCreationTimestamp());
    assertThat(Long.parseLong(edited.getMetadata().getResourceVersion()))
        .isGreaterThan(Long.parseLong(created.getMetadata().getResourceVersion()));
  }

  @Test
  void shouldBumpGenerationOnlyWhenPolicySpecChanges() {
    start(new SimulatedApiServer());
    client.namespaces().resource(namespace("payments")).create();
    NetworkPolicy created = client.network().v1().networkPolicies().inNamespace("payments")
        .resource(defaultDeny("default-deny")).create();

    NetworkPolicy labelled = client.network().v1().networkPolicies().inNamespace("payments").withName("default-deny")
        .edit(p -> new NetworkPolicyBuilder(p).editMetadata().addToLabels("a", "b").endMetadata().build());
    NetworkPolicy narrowed = client.network().v1().networkPolicies().inNamespace("payments").withName("default-deny")
        .edit(p -> new NetworkPolicyBuilder(p).editSpec().withPolicyTypes("Ingress").endSpec().build());

    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(labelled.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(narrowed.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void shouldElectLeaderWhenClientUsesLeaseLock() {
    start(new SimulatedApiServer());
    List<String> leaseEvents = new CopyOnWriteArrayList<>();
    SharedIndexInformer<Lease> leases = client.leases().inNamespace("kube-system").inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Lease l) {
        leaseEvents.add("ADDED " + l.getSpec().getHolderIdentity());
      }

      @Override
      public void onUpdate(Lease before, Lease after) {
        leaseEvents.add("MODIFIED " + after.getSpec().getHolderIdentity());
      }

      @Override
      public void onDelete(Lease l, boolean unknownFinalState) {
        leaseEvents.add("DELETED");
      }
    });
    toClose.add(leases::close);
    AtomicBoolean leading = new AtomicBoolean();
    CompletableFuture<?> election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
        .withName("fencewatch-collector")
        .withLock(new LeaseLock("kube-system", "fencewatch-collector", "collector-a"))
        .withLeaseDuration(Duration.ofSeconds(4))
        .withRenewDeadline(Duration.ofSeconds(3))
        .withRetryPeriod(Duration.ofMillis(200))
        .withLeaderCallbacks(new LeaderCallbacks(() -> leading.set(true), () -> { }, id -> { }))
        .build()).build().start();
    toClose.add(() -> election.cancel(true));

    await().atMost(WAIT).untilTrue(leading);
    await().atMost(WAIT).until(() -> leaseEvents.contains("MODIFIED collector-a"));

    assertThat(leaseEvents.get(0)).isEqualTo("ADDED collector-a");
    assertThat(client.leases().inNamespace("kube-system").withName("fencewatch-collector").get().getSpec()
        .getHolderIdentity()).isEqualTo("collector-a");
  }

  @Test
  void shouldReplayOnlyLaterChangesWhenHttpWatchResumesFromResourceVersion() throws Exception {
    start(new SimulatedApiServer());
    client.namespaces().resource(namespace("payments")).create();
    String from = client.namespaces().list().getMetadata().getResourceVersion();
    client.namespaces().resource(namespace("orders")).create();
    client.namespaces().withName("payments").edit(ns -> new NamespaceBuilder(ns).editMetadata()
        .addToLabels("team", "pay").endMetadata().build());

    List<JsonNode> events = httpWatch("/api/v1/namespaces?watch=true&timeoutSeconds=1&resourceVersion=" + from);

    assertThat(events).extracting(e -> e.path("type").asString() + " "
            + e.path("object").path("metadata").path("name").asString())
        .containsExactly("ADDED orders", "MODIFIED payments");
  }

  @Test
  void shouldStartWithCurrentObjectsWhenHttpWatchHasNoResourceVersion() throws Exception {
    start(new SimulatedApiServer());
    client.namespaces().resource(namespace("payments")).create();

    List<JsonNode> events = httpWatch("/api/v1/namespaces?watch=true&timeoutSeconds=1"
        + "&fieldSelector=metadata.name%3Dpayments");

    assertThat(events).extracting(e -> e.path("type").asString() + " "
        + e.path("object").path("metadata").path("name").asString()).containsExactly("ADDED payments");
  }

  @Test
  void shouldEndWithExpiredWhenResourceVersionIsOlderThanHistory() throws Exception {
    start(new SimulatedApiServer(SimulatedApiServer.DEFAULT_NAMESPACE_CLEANUP_STEP, 3));
    for (String name : List.of("a", "b", "c", "d", "e")) {
      client.namespaces().resource(namespace(name)).create();
    }

    List<JsonNode> events = httpWatch("/api/v1/namespaces?watch=true&timeoutSeconds=5&resourceVersion=1");

    assertThat(events).hasSize(1);
    assertThat(events.get(0).path("type").asString()).isEqualTo("ERROR");
    assertThat(events.get(0).path("object").path("code").asInt()).isEqualTo(410);
    assertThat(events.get(0).path("object").path("reason").asString()).isEqualTo("Expired");
  }

  @Test
  void shouldStayResponsiveWhenManyWatchesCloseAtOnce() {
    start(new SimulatedApiServer());
    List<KubernetesClient> clients = new ArrayList<>();
    List<SharedIndexInformer<Namespace>> informers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      KubernetesClient c = api.client();
      clients.add(c);
      informers.add(c.namespaces().inform());
    }
    await().atMost(WAIT).until(() -> api.openWatches() == 6);

    // fabric8's own mock server blocks its event loop here; this one does not.
    informers.parallelStream().forEach(SharedIndexInformer::close);
    clients.parallelStream().forEach(KubernetesClient::close);

    assertThat(client.namespaces().withName("default").get()).isNotNull();
    await().atMost(WAIT).until(() -> api.openWatches() == 0);
  }

  @Test
  void shouldWriteKubeconfigPointingAtServerWhenAsked(@TempDir Path dir) throws Exception {
    start(new SimulatedApiServer());

    Path file = api.writeKubeconfig(dir.resolve("sandbox/kubeconfig"));

    String yaml = Files.readString(file);
    assertThat(yaml).contains("server: " + api.url()).contains("current-context: sandbox")
        .contains("token: " + SimulatedApiServer.TOKEN);
    assertThat(api.url()).isEqualTo("http://127.0.0.1:" + api.port());
  }

  private List<JsonNode> httpWatch(String path) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<java.util.stream.Stream<String>> response = http.send(
        HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    try (java.util.stream.Stream<String> lines = response.body()) {
      // The server ends the stream after timeoutSeconds, as a real one does.
      return lines.filter(l -> !l.isBlank()).map(l -> Serialization.jsonMapper().readTree(l)).toList();
    }
  }

  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> ResourceEventHandler<T> recorder(
      List<String> events, String kind) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T o) {
        events.add("ADDED " + kind + " " + describe(o));
      }

      @Override
      public void onUpdate(T before, T after) {
        events.add("MODIFIED " + kind + " " + describe(after));
      }

      @Override
      public void onDelete(T o, boolean unknownFinalState) {
        events.add("DELETED " + kind + " " + describe(o));
      }
    };
  }

  private static String describe(io.fabric8.kubernetes.api.model.HasMetadata o) {
    String name = o.getMetadata().getNamespace() == null ? o.getMetadata().getName()
        : o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    String phase = o instanceof Namespace ns && ns.getStatus() != null ? ns.getStatus().getPhase() : "Active";
    return name + " " + phase;
  }

  private static Namespace namespace(String name) {
    return new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  private static NetworkPolicy defaultDeny(String name) {
    return new NetworkPolicyBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec().build();
  }
}
