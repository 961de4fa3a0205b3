package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * Issue 16 on a real kube-apiserver: the collector with {@code --watch-pods} publishes workload shapes
 * of what the controllers make. The shared control plane's kube-controller-manager runs only the
 * namespace and garbage-collector controllers, so this class runs a second one with the deployment and
 * replicaset controllers (and stops it after); there is no scheduler and no kubelet, so pods stay
 * Pending, are never Ready, and go at once when deleted. A Deployment of 3 is one shape of 3; scaled to 5,
 * an UPSERT of 5; a new template label rolls it (maxUnavailable 100%: no pod ever becomes available) into
 * a new shape and the old one is deleted; deleting it deletes its shape. A bare pod with hostNetwork is a
 * shape of its own. Without {@code --watch-pods} no WORKLOAD event goes out and the markers say pods are
 * not watched. With {@code k8s/}'s ClusterRoles the collector lists and watches pods and cannot write them;
 * without the pods role it is not held up and its markers say so until the role is granted.
 */
@ExtendWith({KafkaBrokerExtension.class, KubeControlPlaneExtension.class})
class WorkloadsRealApiServerIT {
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path K8S = Path.of("..", "k8s");
    private static final String CLUSTER = "pods";
    private static KubeControlPlane controlPlane;
    private static Process workloadControllers;
    private static Path controllersLog;

    private final TestAgents agents = new TestAgents();
    private final List<String> clusterScoped = new ArrayList<>();
    private RealCluster cluster;

    @BeforeAll
    static void controlPlane(KubeControlPlane cp) throws IOException {
        controlPlane = cp;
        controllersLog = Files.createTempFile("fencewatch-workload-controllers-", ".log");
        // Under the same watchdog as the control plane's own processes: it dies with this JVM.
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "exec 3<&0; \"$@\" </dev/null & child=$!; "
                + "(cat <&3 >/dev/null; kill -9 $child 2>/dev/null) & watcher=$!; "
                + "wait $child; status=$?; kill $watcher 2>/dev/null; exit $status", "sh",
                KubeControlPlane.binariesDir().resolve("kube-controller-manager").toString(),
                "--kubeconfig=" + cp.kubeconfig(), "--controllers=deployment-controller,replicaset-controller",
                "--leader-elect=false", "--secure-port=0", "--v=1"));
        workloadControllers = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(controllersLog.toFile()).start();
    }

    @AfterAll
    static void stopWorkloadControllers() throws Exception {
        if (workloadControllers != null) {
            workloadControllers.getOutputStream().close(); // the watchdog kills the controller manager
            workloadControllers.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(30),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            workloadControllers.destroy();
        }
        if (controllersLog != null) {
            Files.deleteIfExists(controllersLog);
        }
    }

    @BeforeEach
    void cluster() {
        cluster = new RealCluster(controlPlane);
    }

    @AfterEach
    void tearDown() {
        agents.closeAll();
        var rbac = cluster.api().rbac();
        for (String name : clusterScoped) {
            rbac.clusterRoleBindings().withName(name).delete();
            rbac.clusterRoles().withName(name).delete();
        }
        cluster.close(); // deletes the test's namespaces; the garbage collector takes their pods
    }

    /** A namespace pods can be created in: the ServiceAccount admission wants its default ServiceAccount. */
    private void namespace(String name) {
        cluster.createNamespace(name);
        cluster.api().serviceAccounts().inNamespace(name).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("default").endMetadata().build()).create();
    }

    private static Deployment deployment(String namespace, String name, int replicas, Map<String, String> labels) {
        return new DeploymentBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().addToMatchLabels("app", name).endSelector()
                // No pod is ever Ready here: without maxUnavailable 100% a rollout would never finish.
                .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxUnavailable(new IntOrString("100%")).withMaxSurge(new IntOrString("25%")).endRollingUpdate()
                .endStrategy()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withNewSpec()
                .addNewContainer().withName("web").withImage("nginx:1.27").endContainer().endSpec().endTemplate()
                .endSpec().build();
    }

    private ClusterAgent agent(EmbeddedKafkaBroker broker, String prefix, KubernetesClient client,
            Map<String, String> extra) {
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        Map<String, String> settings = new java.util.HashMap<>(Map.of("heartbeat-interval", "1h",
                "policy-engine-namespaces", "", "policy-kinds", "none", "list-page-size", "500"));
        settings.putAll(extra);
        CollectorConfig config = TestAgents.config(broker.bootstrapServers(), CLUSTER, prefix, settings);
        ClusterAgent agent = agents.agent(config, client);
        agent.start();
        return agent;
    }

    private static Predicate<InventoryEvent> shape(Op op, String namespace, String idPrefix, int pods) {
        return e -> e.getKind() == Kind.WORKLOAD && e.getOp() == op && namespace.equals(e.getNamespace())
                && e.getName().startsWith(idPrefix) && e.getWorkloadFacts().getPods() == pods;
    }

    /** Everything read until one event matches; fails when none does within {@link #WAIT}. */
    private static List<InventoryEvent> until(TopicReader<String, InventoryEvent> reader, Predicate<InventoryEvent> p) {
        return read(reader, es -> es.stream().anyMatch(p));
    }

    /** Everything read until {@code done} holds; fails when it does not within {@link #WAIT}. */
    private static List<InventoryEvent> read(TopicReader<String, InventoryEvent> reader,
            Predicate<List<InventoryEvent>> done) {
        List<InventoryEvent> events = TestAgents.readUntil(reader, done, WAIT);
        assertThat(done.test(events)).as("read within %s", WAIT).isTrue();
        return events;
    }

    private static Predicate<List<InventoryEvent>> syncEnds(int n) {
        return es -> es.stream().filter(e -> e.getOp() == Op.SYNC_END).count() >= n;
    }

    @Test
    void shouldPublishTheShapesOfADeploymentAsItIsScaledRolledAndDeletedAndOfABareHostNetworkPod(
            EmbeddedKafkaBroker broker) {
        namespace("shop");
        cluster.api().apps().deployments().inNamespace("shop")
                .resource(deployment("shop", "web", 3, Map.of("app", "web", "tier", "front"))).create();
        await().atMost(WAIT).until(() -> cluster.api().pods().inNamespace("shop").list().getItems().size() == 3);
        String prefix = TestAgents.uniquePrefix();
        ClusterAgent agent = agent(broker, prefix, cluster.newClient(), Map.of("watch-pods", "true"));
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            // The epoch: SYNC_START says pods are watched, and the one shape of 3 is in the snapshot.
            List<InventoryEvent> sync = read(reader, syncEnds(PARTITIONS));
            assertThat(sync).filteredOn(e -> e.getOp() == Op.SYNC_START).hasSize(PARTITIONS)
                    .allSatisfy(e -> assertThat(e.getCluster().getWatchesPods()).isTrue());
            InventoryEvent snapshot = sync.stream().filter(shape(Op.SNAPSHOT, "shop", "Deployment/web/", 3))
                    .findFirst().orElseThrow();
            assertThat(sync).filteredOn(e -> e.getKind() == Kind.WORKLOAD).hasSize(1);
            assertThat(snapshot.getName()).matches("Deployment/web/[0-9a-f]{8}");
            assertThat(snapshot.getUid()).isNull();
            assertThat(snapshot.getWorkloadFacts().getOwnerKind()).isEqualTo("Deployment");
            assertThat(snapshot.getWorkloadFacts().getOwnerName()).isEqualTo("web");
            assertThat(snapshot.getWorkloadFacts().getLabels()).isEqualTo(Map.of("app", "web", "tier", "front"));
            assertThat(snapshot.getWorkloadFacts().getUnknownLabels()).containsExactly("pod-template-hash");
            assertThat(snapshot.getWorkloadFacts().getHostNetwork()).isFalse();
            await().atMost(WAIT).until(() -> agent.informerStates().stream()
                    .anyMatch(s -> s.resource().equals("pods") && s.synced() && s.watching()));

            // Scaled to 5: the same shape, counted 5.
            cluster.api().apps().deployments().inNamespace("shop").withName("web").scale(5);
            InventoryEvent five = until(reader, shape(Op.UPSERT, "shop", "Deployment/web/", 5)).stream()
                    .filter(shape(Op.UPSERT, "shop", "Deployment/web/", 5)).findFirst().orElseThrow();
            assertThat(five.getName()).isEqualTo(snapshot.getName());

            // A rollout that changes the template's labels: the new shape comes, the old one goes.
            cluster.api().apps().deployments().inNamespace("shop").withName("web").edit(d -> new DeploymentBuilder(d)
                    .editSpec().editTemplate().editMetadata().addToLabels("version", "2").endMetadata().endTemplate()
                    .endSpec().build());
            List<InventoryEvent> rolled = read(reader, es -> es.stream()
                    .anyMatch(e -> e.getKind() == Kind.WORKLOAD && e.getOp() == Op.DELETE
                            && e.getName().equals(snapshot.getName()))
                    && es.stream().anyMatch(e -> shape(Op.UPSERT, "shop", "Deployment/web/", 5).test(e)
                            && e.getWorkloadFacts().getLabels().containsKey("version")));
            InventoryEvent gone = rolled.stream().filter(e -> e.getOp() == Op.DELETE && e.getKind() == Kind.WORKLOAD)
                    .findFirst().orElseThrow();
            assertThat(gone.getWorkloadFacts().getPods()).isZero();
            assertThat(gone.getWorkloadFacts().getLabels()).as("its last facts").doesNotContainKey("version");
            String rolledId = rolled.stream().filter(e -> shape(Op.UPSERT, "shop", "Deployment/web/", 5).test(e)
                    && e.getWorkloadFacts().getLabels().containsKey("version")).findFirst().orElseThrow().getName();
            assertThat(rolledId).isNotEqualTo(snapshot.getName());
            await().atMost(WAIT).until(() -> agent.workloadShapes().shapes("shop").size() == 1);

            // A bare pod on the host's network is a shape of its own.
            cluster.api().pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("debug")
                    .addToLabels("run", "debug").endMetadata().withNewSpec().withHostNetwork(true).addNewContainer()
                    .withName("sh").withImage("busybox").endContainer().endSpec().build()).create();
            InventoryEvent bare = until(reader, shape(Op.UPSERT, "shop", "Pod/debug/", 1)).stream()
                    .filter(shape(Op.UPSERT, "shop", "Pod/debug/", 1)).findFirst().orElseThrow();
            assertThat(bare.getWorkloadFacts().getHostNetwork()).isTrue();
            assertThat(bare.getWorkloadFacts().getOwnerKind()).isEqualTo("Pod");

            // Deleted: the garbage collector takes its ReplicaSets and pods, and the shape is deleted.
            cluster.api().apps().deployments().inNamespace("shop").withName("web").delete();
            InventoryEvent deleted = until(reader, e -> e.getKind() == Kind.WORKLOAD && e.getOp() == Op.DELETE
                    && e.getName().equals(rolledId)).stream().filter(e -> e.getOp() == Op.DELETE
                            && rolledId.equals(e.getName())).findFirst().orElseThrow();
            assertThat(deleted.getWorkloadFacts().getPods()).isZero();
            assertThat(deleted.getKind()).isEqualTo(Kind.WORKLOAD);
            assertThat(agent.workloadShapes().shapes("shop")).hasSize(1); // the bare pod's
        }
        assertThat(agents.fatalReasons).isEmpty();
    }

    @Test
    void shouldPublishNoShapesAndSayPodsAreNotWatchedWhenWatchPodsIsOff(EmbeddedKafkaBroker broker) {
        namespace("quiet");
        cluster.api().pods().inNamespace("quiet").resource(new PodBuilder().withNewMetadata().withName("one")
                .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec().build()).create();
        String prefix = TestAgents.uniquePrefix();
        ClusterAgent agent = agent(broker, prefix, cluster.newClient(), Map.of());
        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
            read(reader, syncEnds(PARTITIONS));
            cluster.api().pods().inNamespace("quiet").resource(new PodBuilder().withNewMetadata().withName("two")
                    .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer()
                    .endSpec().build()).create();
            cluster.createNamespace("after-the-pod"); // an event after the pod's, to know the pod's was seen
            List<InventoryEvent> events = until(reader, e -> "after-the-pod".equals(e.getName()));
            assertThat(events).noneMatch(e -> e.getKind() == Kind.WORKLOAD);
            assertThat(events).filteredOn(e -> e.getOp() == Op.SYNC_START).hasSize(PARTITIONS)
                    .allSatisfy(e -> assertThat(e.getCluster() == null || !e.getCluster().getWatchesPods()).isTrue());
        }
        assertThat(agent.informerStates()).noneMatch(s -> s.resource().equals("pods"));
        assertThat(agent.workloadShapes()).isNull();
    }

    /**
     * {@code k8s/}'s collector identity with the pods ClusterRole (11-, 12-): the collector with
     * {@code --watch-pods} lists and watches pods and publishes their shapes; it may not get, create or
     * delete one. First without 11-/12- applied: the epoch is not held up and says pods are not watched;
     * once they are applied, a new epoch brings the shapes.
     */
    @Test
    void shouldWatchPodsWithTheShippedClusterRoleAndNothingMoreAndWaitForItWithoutHoldingTheEpoch(
            EmbeddedKafkaBroker broker) throws IOException {
        apply("01-namespace.yaml", "02-serviceaccount-collector.yaml", "03-clusterrole-collector.yaml",
                "04-clusterrolebinding-collector.yaml");
        namespace("shop");
        cluster.api().pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("api")
                .addToLabels("app", "api").endMetadata().withNewSpec().addNewContainer().withName("c")
                .withImage("busybox").endContainer().endSpec().build()).create();
        String token = cluster.api().serviceAccounts().inNamespace("fencewatch").withName("fencewatch-collector")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        Config config = Config.fromKubeconfig(controlPlane.tokenKubeconfig("fencewatch-collector", token));
        config.setWatchReconnectInterval(200); // the refused list is retried soon once the role is granted
        try (KubernetesClient asCollector = new KubernetesClientBuilder().withConfig(config).build()) {
            String prefix = TestAgents.uniquePrefix();
            ClusterAgent agent = agent(broker, prefix, asCollector, Map.of("watch-pods", "true",
                    "pod-shape-delay", "0"));
            try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                List<InventoryEvent> first = read(reader, syncEnds(PARTITIONS));
                assertThat(first).as("not held up by the refused list of pods")
                        .filteredOn(e -> e.getOp() == Op.SYNC_START).hasSize(PARTITIONS)
                        .allSatisfy(e -> assertThat(e.getCluster() == null || !e.getCluster().getWatchesPods())
                                .isTrue());
                assertThat(first).noneMatch(e -> e.getKind() == Kind.WORKLOAD);
                assertThatForbidden(() -> asCollector.pods().inAnyNamespace().list());

                apply("11-clusterrole-collector-pods.yaml", "12-clusterrolebinding-collector-pods.yaml");
                List<InventoryEvent> later = until(reader, e -> e.getOp() == Op.SNAPSHOT && e.getKind() == Kind.WORKLOAD);
                long epoch = later.stream().filter(e -> e.getOp() == Op.SNAPSHOT && e.getKind() == Kind.WORKLOAD)
                        .findFirst().orElseThrow().getSource().getEpoch();
                assertThat(later).filteredOn(e -> e.getOp() == Op.SYNC_START && e.getSource().getEpoch() == epoch)
                        .hasSize(PARTITIONS).allSatisfy(e -> assertThat(e.getCluster().getWatchesPods()).isTrue());
                assertThat(later).filteredOn(e -> e.getKind() == Kind.WORKLOAD && e.getSource().getEpoch() == epoch)
                        .extracting(InventoryEvent::getName).anyMatch(n -> n.startsWith("Pod/api/"));

                // Watched: a pod created now is published from the watch.
                cluster.api().pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("worker")
                        .addToLabels("app", "worker").endMetadata().withNewSpec().addNewContainer().withName("c")
                        .withImage("busybox").endContainer().endSpec().build()).create();
                until(reader, shape(Op.UPSERT, "shop", "Pod/worker/", 1));
            }
            assertThat(agent.readinessProblem()).isNull();

            // List and watch, nothing else.
            assertThat(asCollector.pods().inAnyNamespace().list().getItems()).extracting(p -> p.getMetadata().getName())
                    .contains("api", "worker");
            assertThatForbidden(() -> asCollector.pods().inNamespace("shop").withName("api").get());
            assertThatForbidden(() -> asCollector.pods().inNamespace("shop").withName("api").delete());
            assertThatForbidden(() -> asCollector.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata()
                    .withName("by-the-collector").endMetadata().withNewSpec().addNewContainer().withName("c")
                    .withImage("busybox").endContainer().endSpec().build()).create());
            assertThatForbidden(() -> asCollector.pods().inNamespace("shop").withName("api")
                    .edit(p -> new PodBuilder(p).editMetadata().addToLabels("x", "y").endMetadata().build()));
            agents.closeAll(); // before its client closes, which would stop its informers under it
        }
        assertThat(cluster.api().pods().inNamespace("shop").withName("api").get()).isNotNull();
        assertThat(agents.fatalReasons).isEmpty();
    }

    private static void assertThatForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }

    /** Applies k8s/ files (server-side apply); cluster-scoped objects are deleted after the test. */
    private void apply(String... files) throws IOException {
        for (String f : files) {
            try (InputStream in = new FileInputStream(K8S.resolve(f).toFile())) {
                for (HasMetadata o : cluster.api().load(in).items()) {
                    cluster.api().resource(o).forceConflicts().serverSideApply();
                    if (o.getMetadata().getNamespace() == null && !o.getKind().equals("Namespace")) {
                        clusterScoped.add(o.getMetadata().getName());
                    }
                }
            }
        }
    }
}
