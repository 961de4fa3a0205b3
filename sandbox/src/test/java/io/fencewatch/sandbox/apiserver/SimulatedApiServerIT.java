package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
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
import io.fencewatch.sandbox.CalicoNode;
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
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The simulated API server seen through fabric8 clients and informers, through raw HTTP watches,
 * and (for DaemonSets) through kubectl.
 */
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
  void shouldApplyGetWatchAndDeleteCalicoNodeWhenKubectlAndAnInformerDriveDaemonSets(@TempDir Path home) {
    Kubectl.assumeInstalled();
    start(new SimulatedApiServer());
    Kubectl kubectl = new Kubectl(api.writeKubeconfig(home.resolve("kubeconfig")), home);
    List<String> events = new CopyOnWriteArrayList<>();
    SharedIndexInformer<DaemonSet> daemonSets = client.apps().daemonSets().inNamespace("kube-system")
        .inform(recorder(events, "daemonset"));
    toClose.add(daemonSets::close);
    Path manifest = kubectl.manifest("calico-node.yaml", CalicoNode.yaml());

    assertThat(kubectl.run("apply", "-f", manifest.toString()).assertSucceeded().out())
        .contains("daemonset.apps/calico-node created");

    await().atMost(WAIT).until(() -> events.contains("ADDED daemonset kube-system/calico-node Active"));
    DaemonSet seen = daemonSets.getStore().getByKey("kube-system/calico-node");
    assertThat(seen.getMetadata().getLabels()).containsEntry("k8s-app", "calico-node");
    assertThat(seen.getSpec().getTemplate().getSpec().getContainers()).extracting("name", "image")
        .containsExactly(tuple("calico-node", CalicoNode.IMAGE));
    assertThat(kubectl.run("get", "ds", "-n", "kube-system").assertSucceeded().out()).as("server-side printing")
        .containsPattern("NAME\\s+DESIRED\\s+CURRENT\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+NODE SELECTOR\\s+AGE")
        .containsPattern("calico-node\\s+0\\s+0\\s+0\\s+0\\s+0\\s+kubernetes.io/os=linux\\s+\\d+s");
    assertThat(kubectl.run("get", "daemonsets", "-A", "-o", "wide").assertSucceeded().out())
        .containsPattern("kube-system\\s+calico-node\\s+.*\\s+calico-node\\s+"
            + Pattern.quote(CalicoNode.IMAGE) + "\\s+k8s-app=calico-node");
    JsonNode created = Serialization.jsonMapper().readTree(kubectl.run("get", "daemonset", "calico-node", "-n",
        "kube-system", "-o", "json").assertSucceeded().out());
    assertThat(created.path("metadata").path("generation").asLong()).isEqualTo(1);
    assertThat(created.path("spec").path("revisionHistoryLimit").asInt()).as("defaulted").isEqualTo(10);
    assertThat(created.path("spec").path("updateStrategy").path("rollingUpdate").path("maxSurge").asInt())
        .as("defaulted").isZero();
    assertThat(created.has("status")).as("no controller writes a status").isFalse();

    Path upgrade = kubectl.manifest("calico-node-v3.28.1.yaml",
        CalicoNode.yaml().replace("node:v3.28.0", "node:v3.28.1"));
    assertThat(kubectl.run("apply", "-f", upgrade.toString()).assertSucceeded().out())
        .contains("daemonset.apps/calico-node configured");
    JsonNode upgraded = Serialization.jsonMapper().readTree(kubectl.run("get", "ds", "calico-node", "-n",
        "kube-system", "-o", "json").assertSucceeded().out());
    JsonNode container = upgraded.path("spec").path("template").path("spec").path("containers").get(0);
    assertThat(container.path("image").asString()).isEqualTo("docker.io/calico/node:v3.28.1");
    assertThat(container.path("env")).as("the strategic merge patch merged the container by name").hasSize(7);
    assertThat(upgraded.path("metadata").path("generation").asLong()).isEqualTo(2);
    await().atMost(WAIT).until(() -> events.contains("MODIFIED daemonset kube-system/calico-node Active"));

    assertThat(kubectl.run("delete", "daemonset", "calico-node", "-n", "kube-system").assertSucceeded().out())
        .contains("daemonset.apps \"calico-node\" deleted");

    await().atMost(WAIT).until(() -> events.contains("DELETED daemonset kube-system/calico-node Active"));
    assertThat(daemonSets.getStore().list()).isEmpty();
    Kubectl.Result gone = kubectl.run("get", "ds", "calico-node", "-n", "kube-system");
    assertThat(gone.exitCode()).isNotZero();
    assertThat(gone.err()).contains("(NotFound)").contains("daemonsets.apps \"calico-node\" not found");
  }

  @Test
  void shouldDeleteDaemonSetsWithTheirNamespaceWhenNamespaceIsDeleted() {
    start(new SimulatedApiServer());
    List<String> events = new CopyOnWriteArrayList<>();
    SharedIndexInformer<DaemonSet> daemonSets = client.apps().daemonSets().inAnyNamespace()
        .inform(recorder(events, "daemonset"));
    toClose.add(daemonSets::close);
    client.namespaces().resource(namespace("calico-system")).create();
    DaemonSet operatorInstalled = CalicoNode.daemonSet();
    operatorInstalled.getMetadata().setNamespace("calico-system");
    client.apps().daemonSets().inNamespace("calico-system").resource(operatorInstalled).create();
    client.apps().daemonSets().inNamespace("kube-system").resource(CalicoNode.daemonSet()).create();
    await().atMost(WAIT).until(() -> events.contains("ADDED daemonset calico-system/calico-node Active"));

    client.namespaces().withName("calico-system").delete();

    await().atMost(WAIT).until(() -> events.contains("DELETED daemonset calico-system/calico-node Active"));
    await().atMost(WAIT).until(() -> client.namespaces().withName("calico-system").get() == null);
    assertThat(client.apps().daemonSets().inAnyNamespace().list().getItems())
        .extracting(d -> d.getMetadata().getNamespace() + "/" + d.getMetadata().getName())
        .containsExactly("kube-system/calico-node");
  }

  @Test
  void shouldRefuseAsInvalidWhenDaemonSetSelectorDoesNotMatchItsTemplate() {
    start(new SimulatedApiServer());
    DaemonSet mismatched = CalicoNode.daemonSet();
    mismatched.getSpec().getSelector().setMatchLabels(java.util.Map.of("k8s-app", "cilium"));

    assertThatThrownBy(() -> client.apps().daemonSets().inNamespace("kube-system").resource(mismatched).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getReason()).isEqualTo("Invalid");
          assertThat(e.getStatus().getDetails().getCauses()).extracting("field")
              .containsExactly("spec.template.metadata.labels");
          assertThat(e.getStatus().getMessage()).contains("`selector` does not match template `labels`");
        });
    assertThat(client.apps().daemonSets().inNamespace("kube-system").list().getItems()).isEmpty();
  }

  @Test
  void shouldKeepStatusAsWrittenAndChangeItOnlyThroughTheStatusSubresource() {
    start(new SimulatedApiServer());
    DaemonSet withStatus = new DaemonSetBuilder(CalicoNode.daemonSet()).withNewStatus()
        .withDesiredNumberScheduled(3).withNumberReady(1).endStatus().build();
    client.apps().daemonSets().inNamespace("kube-system").resource(withStatus).create();

    DaemonSet relabelled = client.apps().daemonSets().inNamespace("kube-system").withName("calico-node")
        .edit(d -> new DaemonSetBuilder(d).editMetadata().addToLabels("tier", "node").endMetadata()
            .editStatus().withNumberReady(0).endStatus().build());
    DaemonSet counted = client.apps().daemonSets().inNamespace("kube-system")
        .resource(new DaemonSetBuilder(relabelled).editStatus().withNumberReady(3).endStatus().build())
        .updateStatus();

    assertThat(relabelled.getStatus().getNumberReady()).as("an update of the object leaves its status").isEqualTo(1);
    assertThat(counted.getStatus().getNumberReady()).isEqualTo(3);
    assertThat(client.apps().daemonSets().inNamespace("kube-system").withName("calico-node").get().getStatus())
        .extracting("desiredNumberScheduled", "numberReady").containsExactly(3, 3);
  }

  @Test
  void shouldAnswerForbiddenAsRbacWouldWhenAResourceIsForbiddenInANamespace() {
    start(new SimulatedApiServer());
    client.namespaces().resource(namespace("calico-system")).create();
    api.forbid("apps", "daemonsets", "calico-system");

    assertThatThrownBy(() -> client.apps().daemonSets().inNamespace("calico-system").list())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(403);
          assertThat(e.getStatus().getReason()).isEqualTo("Forbidden");
          assertThat(e.getStatus().getMessage()).isEqualTo("daemonsets.apps is forbidden: User \"sandbox\" cannot list"
              + " resource \"daemonsets\" in API group \"apps\" in the namespace \"calico-system\"");
        });
    assertThat(client.apps().daemonSets().inNamespace("kube-system").list().getItems()).isEmpty();
    assertThat(client.namespaces().withName("calico-system").get()).isNotNull();
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
