package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fencewatch.collector.kube.WorkloadShapes.Change;
import io.fencewatch.collector.kube.WorkloadShapes.Shape;

class WorkloadShapesTest {

    static Pod pod(String namespace, String name, Map<String, String> labels, OwnerReference owner, boolean hostNetwork,
            String phase, String rv) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name).withUid("uid-" + name)
                .withResourceVersion(rv).withLabels(labels).withOwnerReferences(owner == null ? List.of() : List.of(owner))
                .endMetadata().withNewSpec().withHostNetwork(hostNetwork).addNewContainer().withName("c")
                .withImage("nginx").endContainer().endSpec().withNewStatus().withPhase(phase).endStatus().build();
    }

    static OwnerReference controller(String kind, String name) {
        return new OwnerReference("apps/v1", Boolean.TRUE, Boolean.TRUE, kind, name, "uid-" + name);
    }

    static Map<String, String> labels(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static Stream<Arguments> owners() {
        return Stream.of(
                Arguments.of("a Deployment's pod: its ReplicaSet is <deployment>-<pod-template-hash>",
                        pod("shop", "web-7d4b9c-x1", labels("app", "web", "pod-template-hash", "7d4b9c"),
                                controller("ReplicaSet", "web-7d4b9c"), false, "Running", "1"),
                        "Deployment", "web", labels("app", "web"), List.of("pod-template-hash")),
                Arguments.of("a ReplicaSet whose name does not end in the hash stays a ReplicaSet",
                        pod("shop", "legacy-x1", labels("app", "legacy", "pod-template-hash", "abc12"),
                                controller("ReplicaSet", "legacy-rs"), false, "Running", "1"),
                        "ReplicaSet", "legacy-rs", labels("app", "legacy"), List.of("pod-template-hash")),
                Arguments.of("a ReplicaSet named only the hash stays a ReplicaSet",
                        pod("shop", "x1", labels("pod-template-hash", "abc12"), controller("ReplicaSet", "-abc12"),
                                false, "Running", "1"),
                        "ReplicaSet", "-abc12", labels(), List.of("pod-template-hash")),
                Arguments.of("a ReplicaSet without the hash label stays a ReplicaSet",
                        pod("shop", "x1", labels("app", "a"), controller("ReplicaSet", "web-7d4b9c"), false, "Pending",
                                "1"),
                        "ReplicaSet", "web-7d4b9c", labels("app", "a"), List.of()),
                Arguments.of("a bare pod is its own owner",
                        pod("shop", "debug", labels("run", "debug"), null, false, null, "1"),
                        "Pod", "debug", labels("run", "debug"), List.of()),
                Arguments.of("an owner that is not the controller does not count",
                        pod("shop", "adopted", labels(), new OwnerReference("v1", null, Boolean.FALSE, "ConfigMap", "cm",
                                "u"), false, "Running", "1"),
                        "Pod", "adopted", labels(), List.of()),
                Arguments.of("a StatefulSet's pod: pod name, index and revision left out",
                        pod("db", "pg-0", labels("app", "pg", "statefulset.kubernetes.io/pod-name", "pg-0",
                                "controller-revision-hash", "pg-6c9f", "apps.kubernetes.io/pod-index", "0"),
                                controller("StatefulSet", "pg"), false, "Running", "1"),
                        "StatefulSet", "pg", labels("app", "pg"), List.of("apps.kubernetes.io/pod-index",
                                "controller-revision-hash", "statefulset.kubernetes.io/pod-name")),
                Arguments.of("a Job's pod: its controller uid and completion index left out",
                        pod("batch", "backup-x", labels("job-name", "backup", "controller-uid", "u1",
                                "batch.kubernetes.io/controller-uid", "u1", "batch.kubernetes.io/job-completion-index",
                                "3"), controller("Job", "backup"), false, "Running", "1"),
                        "Job", "backup", labels("job-name", "backup"), List.of("batch.kubernetes.io/controller-uid",
                                "batch.kubernetes.io/job-completion-index", "controller-uid")),
                Arguments.of("a DaemonSet's pod keeps its kind",
                        pod("kube-system", "calico-node-abc", labels("k8s-app", "calico-node",
                                "controller-revision-hash", "5f"), controller("DaemonSet", "calico-node"), true,
                                "Running", "1"),
                        "DaemonSet", "calico-node", labels("k8s-app", "calico-node"), List.of("controller-revision-hash")),
                Arguments.of("another controller's kind (an Argo Rollout) is kept as written",
                        pod("shop", "canary-x", labels("app", "canary", "rollouts-pod-template-hash", "9f"),
                                controller("Rollout", "canary"), false, "Running", "1"),
                        "Rollout", "canary", labels("app", "canary", "rollouts-pod-template-hash", "9f"), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("owners")
    void shouldResolveTheOwnerAndLeaveOutUnknownLabelsWhenShapingAPod(String why, Pod pod, String kind, String owner,
            Map<String, String> labels, List<String> unknown) {
        Shape shape = WorkloadShapes.shapeOf(pod);
        assertThat(shape).isNotNull();
        assertThat(shape.ownerKind()).isEqualTo(kind);
        assertThat(shape.ownerName()).isEqualTo(owner);
        assertThat(shape.labels()).containsExactlyInAnyOrderEntriesOf(labels);
        assertThat(shape.unknownLabels()).containsExactlyElementsOf(unknown);
        assertThat(shape.namespace()).isEqualTo(pod.getMetadata().getNamespace());
        assertThat(shape.id()).matches(java.util.regex.Pattern.quote(kind + "/" + owner + "/") + "[0-9a-f]{8}");
    }

    @ParameterizedTest(name = "phase {0}: counted {1}")
    @org.junit.jupiter.params.provider.CsvSource(nullValues = "none", value = {"Pending,true", "Running,true",
        "Unknown,true", "none,true", "Succeeded,false", "Failed,false"})
    void shouldCountOnlyPodsThatHaveNotEndedWhenShapingThem(String phase, boolean counted) {
        Pod p = pod("shop", "x", labels("app", "a"), null, false, phase, "1");
        assertThat(WorkloadShapes.shapeOf(p) != null).isEqualTo(counted);
    }

    @Test
    void shouldNameAShapeByItsLabelsWhateverTheirOrderAndSplitItOnHostNetwork() {
        Pod a = pod("shop", "a", labels("app", "web", "tier", "front"), controller("StatefulSet", "web"), false,
                "Running", "1");
        Pod b = pod("shop", "b", labels("tier", "front", "app", "web"), controller("StatefulSet", "web"), false,
                "Running", "1");
        Pod host = pod("shop", "c", labels("app", "web", "tier", "front"), controller("StatefulSet", "web"), true,
                "Running", "1");
        Pod other = pod("shop", "d", labels("app", "web", "tier", "back"), controller("StatefulSet", "web"), false,
                "Running", "1");
        assertThat(WorkloadShapes.shapeOf(a)).isEqualTo(WorkloadShapes.shapeOf(b));
        assertThat(WorkloadShapes.shapeOf(a).id()).isEqualTo(WorkloadShapes.shapeOf(b).id());
        assertThat(WorkloadShapes.shapeOf(host).id()).isNotEqualTo(WorkloadShapes.shapeOf(a).id())
                .startsWith("StatefulSet/web/");
        assertThat(WorkloadShapes.shapeOf(other).id()).isNotEqualTo(WorkloadShapes.shapeOf(a).id());

        WorkloadShapes shapes = new WorkloadShapes();
        for (Pod p : List.of(a, b, host, other)) {
            shapes.update(null, p);
        }
        assertThat(shapes.snapshot()).extracting(c -> c.shape().hostNetwork() + ":" + c.shape().labels().get("tier")
                + "=" + c.pods()).containsExactlyInAnyOrder("false:front=2", "true:front=1", "false:back=1");
    }

    @Test
    void shouldPublishADeleteWithTheLastFactsWhenAShapesCountFallsToZero() {
        WorkloadShapes shapes = new WorkloadShapes();
        Pod p1 = pod("shop", "web-1", labels("app", "web"), controller("StatefulSet", "web"), false, "Running", "1");
        Pod p2 = pod("shop", "web-2", labels("app", "web"), controller("StatefulSet", "web"), false, "Running", "2");
        assertThat(shapes.update(null, p1)).containsExactly("shop");
        assertThat(shapes.update(null, p2)).as("already marked changed").isEmpty();
        assertThat(shapes.drain("shop")).singleElement().satisfies(c -> {
            assertThat(c.change()).isEqualTo(ChangeType.UPSERT);
            assertThat(c.pods()).isEqualTo(2);
        });
        shapes.update(p1, null);
        assertThat(shapes.drain("shop")).singleElement().satisfies(c -> assertThat(c.pods()).isEqualTo(1));
        assertThat(shapes.update(p2, null)).containsExactly("shop");
        assertThat(shapes.drain("shop")).singleElement().satisfies(c -> {
            assertThat(c.change()).isEqualTo(ChangeType.DELETE);
            assertThat(c.pods()).isZero();
            assertThat(c.shape().labels()).containsEntry("app", "web");
            assertThat(c.shape().ownerName()).isEqualTo("web");
        });
        assertThat(shapes.size()).isZero();
        assertThat(shapes.drain("shop")).isEmpty();
    }

    @Test
    void shouldMoveAPodToItsNewShapeNewFirstWhenItsLabelsChange() {
        WorkloadShapes shapes = new WorkloadShapes();
        Pod v1 = pod("shop", "api", labels("app", "api", "version", "1"), controller("StatefulSet", "api"), false,
                "Running", "1");
        Pod v2 = pod("shop", "api", labels("app", "api", "version", "2"), controller("StatefulSet", "api"), false,
                "Running", "2");
        shapes.update(null, v1);
        Shape old = shapes.drain("shop").get(0).shape();
        shapes.update(v1, v2);
        List<Change> moved = shapes.drain("shop");
        assertThat(moved).extracting(Change::change).containsExactly(ChangeType.UPSERT, ChangeType.DELETE);
        assertThat(moved.get(0).shape().labels()).containsEntry("version", "2");
        assertThat(moved.get(0).pods()).isEqualTo(1);
        assertThat(moved.get(1).shape()).isEqualTo(old);
    }

    @Test
    void shouldPublishNothingWhenACrashLoopOnlyChangesTheStatus() {
        WorkloadShapes shapes = new WorkloadShapes();
        Pod running = pod("shop", "flaky", labels("app", "flaky"), controller("StatefulSet", "flaky"), false,
                "Running", "1");
        shapes.update(null, running);
        shapes.drain("shop");
        for (int restart = 1; restart <= 20; restart++) {
            Pod next = new PodBuilder(running).editMetadata().withResourceVersion(String.valueOf(restart + 1))
                    .endMetadata().editStatus().addNewContainerStatus().withName("c").withRestartCount(restart)
                    .withReady(false).endContainerStatus().addNewCondition().withType("Ready").withStatus("False")
                    .endCondition().endStatus().build();
            assertThat(shapes.update(running, next)).as("restart %d", restart).isEmpty();
            running = next;
        }
        Pod pending = new PodBuilder(running).editStatus().withPhase("Pending").endStatus().build();
        assertThat(shapes.update(running, pending)).as("Running to Pending: still counted").isEmpty();
        assertThat(shapes.drain("shop")).isEmpty();
        Pod failed = new PodBuilder(pending).editStatus().withPhase("Failed").endStatus().build();
        assertThat(shapes.update(pending, failed)).containsExactly("shop");
        assertThat(shapes.drain("shop")).extracting(Change::change).containsExactly(ChangeType.DELETE);
    }

    @Test
    void shouldSayNothingWhenCountsComeBackWithinOneDrainAndStartFromTheSnapshot() {
        WorkloadShapes shapes = new WorkloadShapes();
        Pod a = pod("shop", "a", labels("app", "a"), null, false, "Running", "1");
        Pod b = pod("ops", "b", labels("app", "b"), null, false, "Running", "1");
        shapes.update(null, a);
        shapes.update(null, b);
        assertThat(shapes.snapshot()).extracting(c -> c.shape().namespace()).containsExactly("ops", "shop");
        assertThat(shapes.drain("shop")).as("the snapshot said it").isEmpty();
        Pod a2 = pod("shop", "a2", labels("app", "a"), null, false, "Running", "1");
        shapes.update(null, a2);
        shapes.update(a2, null);
        assertThat(shapes.drain("shop")).as("came and went before the drain").isEmpty();
        assertThat(shapes.update(a, null)).as("marked again after the drain").containsExactly("shop");
    }

    /**
     * A 200-replica Deployment rolls (new ReplicaSet, same labels but pod-template-hash): each new pod is
     * created Pending, then Running, and an old one deleted, one pair every 50 ms over 10 s. With the
     * 1 s delay the one shape's count moves a handful of times; without it, once per pod created or deleted.
     */
    @Test
    void shouldCoalesceA200PodRolloutIntoAFewEventsWhenTheDelayGathersThem() {
        assertThat(rollout(Duration.ofSeconds(1))).hasSizeLessThanOrEqualTo(12)
                .allSatisfy(c -> assertThat(c.shape().ownerName()).isEqualTo("web"))
                .allSatisfy(c -> assertThat(c.change()).isEqualTo(ChangeType.UPSERT));
        assertThat(rollout(Duration.ZERO)).as("no delay: a count per pod created or deleted").hasSize(400);
    }

    /** The shape changes published while the rollout runs, on simulated time. */
    private static List<Change> rollout(Duration delay) {
        SimulatedTime time = new SimulatedTime();
        WorkloadShapes shapes = new WorkloadShapes();
        List<Change> published = new ArrayList<>();
        WorkloadFlusher flusher = new WorkloadFlusher(
                e -> published.addAll(shapes.drain(((AgentEvent.WorkloadsChanged) e).namespace())), time.clock(),
                delay, time::schedule);
        SlimPodStore store = new SlimPodStore(shapes, flusher);
        for (int i = 0; i < 200; i++) {
            Pod old = pod("shop", "web-aaaa-" + i, labels("app", "web", "pod-template-hash", "aaaa"),
                    controller("ReplicaSet", "web-aaaa"), false, "Running", "1");
            store.put(store.getKey(old), old);
        }
        shapes.snapshot();
        published.clear(); // the running Deployment before the roll: the epoch's snapshot
        for (int i = 0; i < 200; i++) {
            int n = i;
            time.at(n * 50L, () -> {
                Pod fresh = pod("shop", "web-bbbb-" + n, labels("app", "web", "pod-template-hash", "bbbb"),
                        controller("ReplicaSet", "web-bbbb"), false, "Pending", "2");
                store.put(store.getKey(fresh), fresh);
            });
            time.at(n * 50L + 20, () -> {
                Pod running = pod("shop", "web-bbbb-" + n, labels("app", "web", "pod-template-hash", "bbbb"),
                        controller("ReplicaSet", "web-bbbb"), false, "Running", "3");
                store.put(store.getKey(running), running);
            });
            time.at(n * 50L + 30, () -> store.remove("shop/web-aaaa-" + n));
        }
        time.runUntil(60_000);
        assertThat(shapes.shapes("shop").values()).containsExactly(200);
        return published;
    }

    /** A scheduler on simulated milliseconds, run in order of due time. */
    static final class SimulatedTime {
        private record Task(long due, long order, Runnable run) {
        }

        private final PriorityQueue<Task> tasks = new PriorityQueue<>(
                java.util.Comparator.comparingLong(Task::due).thenComparingLong(Task::order));
        private long now;
        private long order;

        Clock clock() {
            return new Clock() {
                @Override
                public ZoneOffset getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return Instant.ofEpochMilli(now);
                }
            };
        }

        void at(long millis, Runnable r) {
            tasks.add(new Task(millis, order++, r));
        }

        void schedule(Runnable r, Duration delay) {
            at(now + delay.toMillis(), r);
        }

        void runUntil(long end) {
            while (!tasks.isEmpty() && tasks.peek().due() <= end) {
                Task t = tasks.poll();
                now = t.due();
                t.run().run();
            }
        }
    }
}
