package io.fencewatch.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fencewatch.bench.BenchMain.Figures;
import io.fencewatch.collector.AgentSettings;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.SlimPodStore;
import io.fencewatch.collector.kube.WorkloadFlusher;
import io.fencewatch.collector.kube.WorkloadShapes;

/**
 * Section 12 (issue 16): what {@code --watch-pods} costs the inventory and the collector's heap. A
 * synthetic pod stream on simulated time, through the collector's own {@link SlimPodStore},
 * {@link WorkloadShapes} and {@link WorkloadFlusher} (the informer's store calls, the publisher's drain
 * on each queued WorkloadsChanged): a 200-replica Deployment rolling every 10 s (200 new pods of a new
 * ReplicaSet created Pending, Running a second later, an old one deleted half a second after that, spread
 * over 8 s) and 50 pods crash-looping (a status update every 2 s each), for 60 s. Counted: the inventory
 * events of the shape design, with the default {@code --pod-shape-delay} and with 0, against a design
 * that publishes each pod's add, update and delete. The epoch's snapshot (2 shapes, or 250 pods) is not
 * counted. Then the heap of N pods in the slim store against the same pods as fabric8 objects (what an
 * informer's default store holds), measured after full GCs: rough, as any heap figure.
 */
final class PodChurnBenchmark {
    private static final long SIMULATED_MS = 60_000;
    private static final int REPLICAS = 200;
    private static final int CRASH_LOOPING = 50;

    private PodChurnBenchmark() {
    }

    static void run(Figures figures, boolean quick) {
        Counts withDelay = churn(AgentSettings.DEFAULT_POD_SHAPE_DELAY);
        Counts noDelay = churn(Duration.ZERO);
        if (withDelay.perPod() != noDelay.perPod()) {
            throw new IllegalStateException("the two runs saw different pod streams");
        }
        double ratio = withDelay.perPod() / (double) withDelay.shapes();
        BenchMain.progress(String.format(Locale.ROOT, "pod churn: %d shape events (delay %s), %d (no delay), %d per pod",
                withDelay.shapes(), AgentSettings.DEFAULT_POD_SHAPE_DELAY, noDelay.shapes(), withDelay.perPod()));
        figures.row("12 pod churn", String.format(Locale.ROOT, "60 s simulated: a %d-replica Deployment rolling every"
                + " 10 s (6 rolls), %d pods crash-looping (status every 2 s); inventory events of workload shapes vs one"
                + " per pod add/update/delete", REPLICAS, CRASH_LOOPING),
                String.format(Locale.ROOT, "shapes %,d (--pod-shape-delay=%ds), %,d (=0); per pod %,d; %s x fewer",
                        withDelay.shapes(), AgentSettings.DEFAULT_POD_SHAPE_DELAY.toSeconds(), noDelay.shapes(),
                        withDelay.perPod(), Figures.fmt(ratio)), "", "");
        figures.put("pod_churn_shape_events", String.valueOf(withDelay.shapes()));
        figures.put("pod_churn_shape_events_nodelay", String.valueOf(noDelay.shapes()));
        figures.put("pod_churn_per_pod_events", String.valueOf(withDelay.perPod()));
        figures.put("pod_churn_ratio", ratio);

        bytesPerPod(2_000, true); // warm-up: the parser's and the store's first-use costs are no pod's
        int slimN = quick ? 20_000 : 50_000;
        int fullN = quick ? 5_000 : 20_000;
        double slim = bytesPerPod(slimN, true);
        double full = bytesPerPod(fullN, false);
        BenchMain.progress(String.format(Locale.ROOT, "pod store: %.0f bytes per pod slim (n=%d), %.0f as fabric8 objects"
                + " (n=%d)", slim, slimN, full, fullN));
        figures.row("12 pod churn", String.format(Locale.ROOT, "heap per pod held (%,d / %,d pods of one Deployment:"
                + " 4 labels, 1 container, managedFields, status), after full GCs", slimN, fullN),
                String.format(Locale.ROOT, "slim store %s bytes; fabric8 objects %s bytes", Figures.fmt(slim),
                        Figures.fmt(full)), "", "");
        figures.put("pod_store_slim_bytes_per_pod", slim);
        figures.put("pod_store_full_bytes_per_pod", full);
    }

    /** Inventory events of the shape design, and of a design with one event per pod notification. */
    record Counts(long shapes, long perPod) {
    }

    static Counts churn(Duration delay) {
        SimulatedTime time = new SimulatedTime();
        WorkloadShapes shapes = new WorkloadShapes();
        long[] shapeEvents = {0};
        // The publisher's part: on each WorkloadsChanged, one inventory event per shape change drained.
        WorkloadFlusher flusher = new WorkloadFlusher(e -> shapeEvents[0] += shapes.drain(
                ((AgentEvent.WorkloadsChanged) e).namespace()).size(), time.clock(), delay, time::schedule);
        SlimPodStore store = new SlimPodStore(shapes, flusher);
        long[] perPod = {0}; // the per-pod design: one event per add, update and delete

        // The state the epoch's snapshot holds: the Deployment's first ReplicaSet and the crash-looping pods.
        for (int i = 0; i < REPLICAS; i++) {
            put(store, pod("web-r0-" + i, "web", "r0", "Running", 1));
        }
        for (int i = 0; i < CRASH_LOOPING; i++) {
            put(store, pod("flaky-x-" + i, "flaky", "x", "Running", 1));
        }
        shapes.snapshot();
        shapeEvents[0] = 0;

        for (int roll = 1; roll <= 6; roll++) {
            long start = (roll - 1) * 10_000L;
            String rs = "r" + roll;
            String old = "r" + (roll - 1);
            for (int i = 0; i < REPLICAS; i++) {
                long at = start + i * 40L;
                String name = "web-" + rs + "-" + i;
                String gone = "web-" + old + "-" + i;
                time.at(at, () -> {
                    put(store, pod(name, "web", rs, "Pending", 1));
                    perPod[0]++;
                });
                time.at(at + 1_000, () -> {
                    put(store, pod(name, "web", rs, "Running", 2));
                    perPod[0]++;
                });
                time.at(at + 1_500, () -> {
                    store.remove("shop/" + gone);
                    perPod[0]++;
                });
            }
        }
        for (int i = 0; i < CRASH_LOOPING; i++) {
            String name = "flaky-x-" + i;
            for (long at = 2_000 + i * 37L, restarts = 1; at < SIMULATED_MS; at += 2_000, restarts++) {
                int r = (int) restarts;
                time.at(at, () -> {
                    put(store, new PodBuilder(pod(name, "flaky", "x", "Running", 1 + r)).editStatus()
                            .addNewContainerStatus().withName("app").withRestartCount(r).withReady(false)
                            .endContainerStatus().endStatus().build());
                    perPod[0]++;
                });
            }
        }
        time.runUntil(SIMULATED_MS + 10_000); // the last changes' delay runs out
        if (!shapes.shapes("shop").values().containsAll(List.of(REPLICAS, CRASH_LOOPING))) {
            throw new IllegalStateException("shapes at the end: " + shapes.shapes("shop").values());
        }
        return new Counts(shapeEvents[0], perPod[0]);
    }

    private static void put(SlimPodStore store, Pod pod) {
        store.put(store.getKey(pod), pod);
    }

    private static Pod pod(String name, String app, String hash, String phase, int version) {
        return new PodBuilder().withNewMetadata().withNamespace("shop").withName(name).withUid(name + "-uid")
                .withResourceVersion(String.valueOf(version)).addToLabels("app", app)
                .addToLabels("pod-template-hash", hash).addNewOwnerReference().withApiVersion("apps/v1")
                .withKind("ReplicaSet").withName(app + "-" + hash).withController(true).withUid(hash).endOwnerReference()
                .endMetadata().withNewStatus().withPhase(phase).endStatus().build();
    }

    /** A pod as the API server sends one of a Deployment: what a default informer store would keep. */
    private static final String TYPICAL_POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: checkout-7d4b9c5f6-abcde
              generateName: checkout-7d4b9c5f6-
              namespace: shop
              uid: 00000000-0000-0000-0000-000000000000
              resourceVersion: "123456"
              creationTimestamp: "2026-12-01T10:00:00Z"
              labels:
                app.kubernetes.io/name: checkout
                app.kubernetes.io/part-of: shop
                tier: backend
                pod-template-hash: 7d4b9c5f6
              annotations:
                kubectl.kubernetes.io/restartedAt: "2026-12-01T09:59:00Z"
              ownerReferences:
              - apiVersion: apps/v1
                kind: ReplicaSet
                name: checkout-7d4b9c5f6
                uid: 11111111-1111-1111-1111-111111111111
                controller: true
                blockOwnerDeletion: true
              managedFields:
              - manager: kube-controller-manager
                operation: Update
                apiVersion: v1
                time: "2026-12-01T10:00:00Z"
                fieldsType: FieldsV1
                fieldsV1: {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app.kubernetes.io/name": {}}}}
              - manager: kubelet
                operation: Update
                apiVersion: v1
                time: "2026-12-01T10:00:05Z"
                fieldsType: FieldsV1
                subresource: status
                fieldsV1: {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}}}
            spec:
              serviceAccountName: checkout
              nodeName: node-1
              containers:
              - name: checkout
                image: registry.example.com/shop/checkout:1.42.0
                ports:
                - containerPort: 8080
                  name: http
                env:
                - name: JAVA_TOOL_OPTIONS
                  value: -XX:MaxRAMPercentage=75
                - name: SPRING_PROFILES_ACTIVE
                  value: prod
                resources:
                  requests: {cpu: 250m, memory: 512Mi}
                  limits: {memory: 1Gi}
                readinessProbe:
                  httpGet: {path: /ready, port: http}
                volumeMounts:
                - name: kube-api-access
                  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
                  readOnly: true
              volumes:
              - name: kube-api-access
                projected:
                  sources:
                  - serviceAccountToken: {path: token, expirationSeconds: 3607}
            status:
              phase: Running
              hostIP: 10.0.10.5
              podIP: 10.244.1.17
              startTime: "2026-12-01T10:00:01Z"
              conditions:
              - {type: Initialized, status: "True"}
              - {type: Ready, status: "True"}
              - {type: ContainersReady, status: "True"}
              - {type: PodScheduled, status: "True"}
              containerStatuses:
              - name: checkout
                image: registry.example.com/shop/checkout:1.42.0
                imageID: registry.example.com/shop/checkout@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                containerID: containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                ready: true
                restartCount: 0
                started: true
            """;

    /** Heap per pod held: in the slim store, or as fabric8 objects (each parsed, as from the API server). */
    static double bytesPerPod(int n, boolean slim) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        SlimPodStore store = new SlimPodStore(new WorkloadShapes(), ns -> { });
        List<Pod> full = new ArrayList<>(slim ? 0 : n);
        String json = Serialization.asJson(Serialization.unmarshal(TYPICAL_POD, Pod.class));
        for (int i = 0; i < n; i++) {
            // Parsed one by one, as pods come from the API server: no string shared between two pods.
            Pod p = Serialization.unmarshal(json.replace("abcde", Integer.toString(i, 36))
                    .replace("00000000-0000-0000-0000-000000000000", UUID.randomUUID().toString())
                    .replace("\"123456\"", "\"" + (123456 + i) + "\""), Pod.class);
            if (slim) {
                store.put(store.getKey(p), p);
            } else {
                full.add(p);
            }
        }
        long after = usedAfterGc(memory);
        double perPod = (after - before) / (double) n;
        if (store.size() + full.size() != n) {
            throw new IllegalStateException("held " + (store.size() + full.size()) + " of " + n);
        }
        return perPod;
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Tasks on simulated milliseconds, run in order of due time (then of scheduling). */
    static final class SimulatedTime {
        private record Task(long due, long order, Runnable run) {
        }

        private final PriorityQueue<Task> tasks = new PriorityQueue<>(
                Comparator.comparingLong(Task::due).thenComparingLong(Task::order));
        private long now;
        private long order;

        Clock clock() {
            return new Clock() {
                @Override
                public ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(ZoneId zone) {
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
