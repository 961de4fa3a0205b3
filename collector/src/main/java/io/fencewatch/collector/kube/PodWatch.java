package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * {@code --watch-pods}: one pod informer over every namespace (paged like the others), whose store
 * keeps each pod slim ({@link SlimPodStore}, no namespace index) and counts the namespaces' workload
 * shapes ({@link WorkloadShapes}); a namespace whose shapes changed is queued after
 * {@code --pod-shape-delay} ({@link WorkloadFlusher}). The epoch's snapshot takes every shape once the
 * first list has been handed over; a relist after the watch was lost, or a restart of the informer,
 * asks for a new epoch, as the other informers do.
 *
 * <p>A collector without list on pods (the ClusterRole of {@code k8s/11-…} not granted) is not held up:
 * while the list is refused (403) the epoch goes without shapes and its markers say pods are not
 * watched ({@code watchesPods} false); once the list works, a new epoch brings them.
 */
public final class PodWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodWatch.class);
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

    private final String cluster;
    private final KubernetesClient client;
    private final EventSink sink;
    private final Clock clock;
    private final Consumer<String> requestEpoch;
    private final int listPageSize;
    private final Duration shapeDelay;
    private final ScheduledExecutorService scheduler;

    private volatile SharedIndexInformer<Pod> informer;
    private volatile WorkloadShapes shapes = new WorkloadShapes();
    /** The informer's first list has been handed over: the shapes hold every pod. */
    private volatile boolean listed;
    /** The last list was refused (403): the snapshot does not wait for pods. */
    private volatile boolean refused;
    /** A list was refused since the last one that worked: the one that works next asks for an epoch. */
    private volatile boolean refusedSeen;
    private volatile boolean closed;

    public PodWatch(String cluster, KubernetesClient client, EventSink sink, Clock clock, Consumer<String> requestEpoch,
            int listPageSize, Duration shapeDelay, ScheduledExecutorService scheduler) {
        this.cluster = Objects.requireNonNull(cluster);
        this.client = Objects.requireNonNull(client);
        this.sink = Objects.requireNonNull(sink);
        this.clock = Objects.requireNonNull(clock);
        this.requestEpoch = Objects.requireNonNull(requestEpoch);
        this.listPageSize = listPageSize;
        this.shapeDelay = Objects.requireNonNull(shapeDelay);
        this.scheduler = Objects.requireNonNull(scheduler);
    }

    public synchronized void start() {
        if (!closed && informer == null) {
            startInformer();
        }
    }

    private void startInformer() {
        WorkloadShapes fresh = new WorkloadShapes();
        var op = client.pods().inAnyNamespace();
        SharedIndexInformer<Pod> inf = listPageSize > 0 ? op.withLimit((long) listPageSize).runnableInformer(0)
                : op.runnableInformer(0);
        inf.itemStore(new SlimPodStore(fresh, new WorkloadFlusher(sink, clock, shapeDelay, this::schedule)));
        inf.removeNamespaceIndex(); // nothing looks pods up by namespace: no index entry per pod
        inf.addEventHandler(new Lists(inf));
        inf.exceptionHandler((isStarted, t) -> {
            int code = statusCode(t);
            if (!isStarted && code == 403) {
                if (!refused) {
                    LOG.warn("cluster {}: list of pods refused (HTTP 403): epochs go without workload shapes"
                            + " (watchesPods false) until it is granted (k8s/11-clusterrole-collector-pods.yaml);"
                            + " retrying", cluster);
                }
                refused = true;
                refusedSeen = true;
            } else {
                LOG.warn("cluster {}: pods informer: {} ({}); retrying", cluster, isStarted ? "watch failed"
                        : "list failed", t.toString());
            }
            return true;
        });
        shapes = fresh;
        listed = false;
        informer = inf;
        inf.start().whenComplete((v, t) -> {
            if (t == null) {
                LOG.info("cluster {}: pods informer synced at resourceVersion {}", cluster, inf.lastSyncResourceVersion());
            }
        });
        inf.stopped().whenComplete((v, t) -> {
            if (closed || informer != inf) {
                return;
            }
            LOG.error("cluster {}: pods informer stopped ({}); starting it again and opening a new epoch", cluster,
                    t == null ? "no error given" : t.toString());
            schedule(() -> {
                synchronized (this) {
                    if (closed || informer != inf) {
                        return;
                    }
                    startInformer(); // a new store and new shapes: the new list counts every pod once
                }
                requestEpoch.accept("pods informer restarted");
            }, RESTART_DELAY);
        });
    }

    /** The HTTP status of a failure (fabric8 wraps it in a CompletionException), or 0. */
    static int statusCode(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() > 0) {
                return k.getCode();
            }
        }
        return 0;
    }

    /** Follows the informer's lists: the first makes the shapes whole, a later one is a relist. */
    private final class Lists implements ResourceEventHandler<Pod> {
        private final SharedIndexInformer<Pod> inf;

        Lists(SharedIndexInformer<Pod> inf) {
            this.inf = inf;
        }

        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            if (informer != inf) {
                return;
            }
            refused = false;
            if (!listed) {
                listed = true;
                if (refusedSeen) {
                    refusedSeen = false;
                    requestEpoch.accept("pods can be listed now");
                }
            } else {
                requestEpoch.accept("pods relisted after the watch was lost");
            }
        }

        // The store counts the shapes (SlimPodStore): the notifications themselves say nothing more.
        @Override
        public void onAdd(Pod pod) {
        }

        @Override
        public void onUpdate(Pod before, Pod after) {
        }

        @Override
        public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        }
    }

    /** True once the shapes hold every pod, or while pods may not be listed: the snapshot need not wait. */
    public boolean ready() {
        return listed || refused;
    }

    /** True once the shapes hold every pod (the first list handed over): markers say {@code watchesPods}. */
    public boolean watchesPods() {
        return listed;
    }

    /** Every shape, for an epoch's snapshot (empty before the first list); later changes count from it. */
    public List<WorkloadShapes.Change> snapshot() {
        return listed ? shapes.snapshot() : List.of();
    }

    /** What changed in {@code namespace} since it was last published (empty before the first list). */
    public List<WorkloadShapes.Change> drain(String namespace) {
        return listed ? shapes.drain(namespace) : List.of();
    }

    /** The shapes now (tests, diagnostics). */
    public WorkloadShapes shapes() {
        return shapes;
    }

    /** running, watching, synced: for the informer-state metric. */
    public boolean[] state() {
        SharedIndexInformer<Pod> inf = informer;
        return inf == null ? new boolean[3] : new boolean[] {inf.isRunning(), inf.isWatching(), inf.hasSynced()};
    }

    private void schedule(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("cluster {}: pods: {}", cluster, e.toString());
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The agent is closing: what was not queued is covered by the next start's epoch.
            LOG.debug("cluster {}: pods: not scheduled, closing", cluster);
        }
    }

    @Override
    public void close() {
        closed = true;
        SharedIndexInformer<Pod> inf = informer;
        if (inf != null) {
            try {
                inf.stop();
            } catch (RuntimeException e) {
                LOG.warn("cluster {}: stopping the pods informer: {}", cluster, e.toString());
            }
        }
    }
}
