package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * Watches the policy kinds beyond NetworkPolicy that the cluster serves (issue 15). Which of the
 * wanted {@link PolicyKind}s are served is found by API discovery ({@code /apis/<group>/<version>}),
 * at start, whenever a CustomResourceDefinition of their groups appears, changes or goes (a watch on
 * CRDs, listed as metadata only; the fast path), and every {@code rediscoverEvery} in any case
 * (Calico's projectcalico.org/v3 is an aggregated API, not a CRD; and the only path when CRDs cannot
 * be listed). A kind that appears gets a generic informer; one that goes has its informer stopped and
 * a DELETE queued for every object it knew.
 *
 * <p>A kind served in two places (Calico: {@code projectcalico.org/v3} with its API server, else only
 * its CRDs {@code crd.projectcalico.org/v1}; {@link PolicyKind#servedAs()}) has one informer, on the
 * first place served, never two: a policy never counts twice. When re-discovery finds the preferred
 * place appear or go, the informer is replaced by one on the other place, and only the policies the new
 * place does not hold are published as deleted (once it has synced): the others are published again as
 * UPSERTs by its first list, under the same key (same contract kind, namespace and name as users know
 * it), so they are never absent in between.
 *
 * <p>Discovery, starting and stopping run on this watch's own thread, one at a time; the informers'
 * handlers only enqueue ({@link FenceEventHandler}).
 */
public final class FenceWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FenceWatch.class);
    /** CRD groups whose changes call for a look: the kinds' own, and the CRDs behind Calico's API server. */
    private static final Set<String> CRD_GROUPS = Set.of("projectcalico.org", "crd.projectcalico.org", "cilium.io",
            "policy.networking.k8s.io");

    private final String cluster;
    private final KubernetesClient client;
    private final Set<PolicyKind> wanted;
    private final EventSink sink;
    private final Clock clock;
    private final Consumer<String> requestEpoch;
    private final Duration rediscoverEvery;
    private final int listPageSize;
    private final ScheduledExecutorService executor;
    /** Runs the group versions' discovery GETs side by side (idle threads end after a minute). */
    private final ExecutorService discovery;
    private final Map<PolicyKind, SharedIndexInformer<GenericKubernetesResource>> informers = new ConcurrentHashMap<>();
    /** Where each watched kind is read from (one of its {@link PolicyKind#servedAs()}: never two at once). */
    private final Map<PolicyKind, PolicyKind.Served> sources = new ConcurrentHashMap<>();
    /**
     * After a switch of source, what the previous one held, until the new one has synced: those it
     * does not hold are then published as deleted. Only this watch's thread touches it.
     */
    private final Map<PolicyKind, List<GenericKubernetesResource>> pendingDeletes = new ConcurrentHashMap<>();
    /** Kinds whose list the API server refused (403, 404): they do not hold up an epoch's snapshot. */
    private final Set<PolicyKind> refused = ConcurrentHashMap.newKeySet();
    private volatile boolean discovered;
    private volatile boolean closed;
    private volatile Watch crdWatch;
    private volatile boolean crdForbidden;

    public FenceWatch(String cluster, KubernetesClient client, Set<PolicyKind> wanted, EventSink sink, Clock clock,
            Consumer<String> requestEpoch, Duration rediscoverEvery, int listPageSize) {
        this.cluster = Objects.requireNonNull(cluster);
        this.client = Objects.requireNonNull(client);
        this.wanted = wanted.isEmpty() ? Set.of() : EnumSet.copyOf(wanted);
        this.sink = Objects.requireNonNull(sink);
        this.clock = Objects.requireNonNull(clock);
        this.requestEpoch = Objects.requireNonNull(requestEpoch);
        this.rediscoverEvery = Objects.requireNonNull(rediscoverEvery);
        this.listPageSize = listPageSize;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fencewatch-fences-" + cluster);
            t.setDaemon(true);
            return t;
        });
        this.discovery = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fencewatch-discovery-" + cluster);
            t.setDaemon(true);
            return t;
        });
    }

    /** Discovers now, starts the CRD watch, and re-discovers every {@code rediscoverEvery}. */
    public void start() {
        run(() -> {
            // The CRDs' resourceVersion before the first look, the watch from it after: a CRD added
            // meanwhile still wakes a re-discovery, and the first epoch waits for the look only.
            String crdVersion = crdResourceVersion();
            rediscover("start");
            discovered = true;
            watchCrdsFrom(crdVersion);
        });
        executor.scheduleWithFixedDelay(() -> {
            if (crdWatch == null && !crdForbidden) {
                watchCrds();
            }
            rediscover("timer");
        }, rediscoverEvery.toMillis(), rediscoverEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * True once the first discovery is done and every informer started has synced or been refused:
     * an epoch's snapshot then holds every object of the served kinds.
     */
    public boolean ready() {
        if (!discovered) {
            return false;
        }
        for (Map.Entry<PolicyKind, SharedIndexInformer<GenericKubernetesResource>> e : informers.entrySet()) {
            if (!e.getValue().hasSynced() && !refused.contains(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /** The kinds watched now (served and wanted). */
    public Set<PolicyKind> watching() {
        return informers.isEmpty() ? Set.of() : EnumSet.copyOf(informers.keySet());
    }

    /** Where each watched kind is read from now (its API, or for Calico without its API server its CRDs). */
    public Map<PolicyKind, PolicyKind.Served> sources() {
        Map<PolicyKind, PolicyKind.Served> out = new EnumMap<>(PolicyKind.class);
        for (PolicyKind k : informers.keySet()) {
            PolicyKind.Served s = sources.get(k);
            if (s != null) {
                out.put(k, s);
            }
        }
        return out;
    }

    /** The cached objects of every synced informer, by kind, for an epoch's snapshot. */
    public Map<PolicyKind, List<GenericKubernetesResource>> caches() {
        Map<PolicyKind, List<GenericKubernetesResource>> out = new EnumMap<>(PolicyKind.class);
        informers.forEach((kind, inf) -> {
            if (inf.hasSynced()) {
                out.put(kind, inf.getStore().list());
            }
        });
        return out;
    }

    /** Each informer's state, by resource ({@code plural.group}), for metrics. */
    public Map<String, boolean[]> states() {
        Map<String, boolean[]> out = new LinkedHashMap<>();
        for (PolicyKind k : PolicyKind.values()) {
            SharedIndexInformer<GenericKubernetesResource> inf = informers.get(k);
            PolicyKind.Served s = sources.get(k);
            if (inf != null) {
                out.put(s == null ? k.resource() : s.resource(),
                        new boolean[] {inf.isRunning(), inf.isWatching(), inf.hasSynced()});
            }
        }
        return out;
    }

    /** Looks again now (off the caller's thread); tests and a CRD change call this. */
    public void rediscoverSoon(String why) {
        run(() -> rediscover(why));
    }

    // ------------------------------------------------------------------ discovery

    private void rediscover(String why) {
        if (closed) {
            return;
        }
        Map<String, Set<String>> served = new LinkedHashMap<>(); // groupVersion -> plurals; absent: unknown
        // One GET /apis says which of the group versions exist at all (on most clusters: none of them); only
        // those are asked for their resources, at once. Asked one by one, behind the informers' first
        // lists, the five took seconds and held up the first epoch (issue 17: the initial sync regression).
        Set<String> listed = servedGroupVersions();
        Map<String, CompletableFuture<Set<String>>> asks = new LinkedHashMap<>();
        for (PolicyKind k : wanted) {
            for (PolicyKind.Served s : k.servedAs()) {
                String gv = s.apiVersion();
                if (served.containsKey(gv) || asks.containsKey(gv)) {
                    continue;
                }
                if (listed != null && !listed.contains(gv)) {
                    served.put(gv, Set.of()); // not served: what a 404 on it says
                } else {
                    asks.put(gv, CompletableFuture.supplyAsync(() -> resourcesOf(gv), discovery));
                }
            }
        }
        for (Map.Entry<String, CompletableFuture<Set<String>>> ask : asks.entrySet()) {
            String gv = ask.getKey();
            Throwable failure;
            try {
                served.put(gv, ask.getValue().join());
                continue;
            } catch (CompletionException e) {
                failure = e.getCause() == null ? e : e.getCause();
            } catch (CancellationException e) {
                failure = e;
            }
            if (failure instanceof KubernetesClientException e && e.getCode() == 404) {
                served.put(gv, Set.of());
            } else {
                // 503 from an aggregated API that is down, a dropped connection: change nothing for it.
                LOG.warn("cluster {}: discovery of {} failed ({}); its policy kinds stay as they were", cluster, gv,
                        failure instanceof KubernetesClientException e ? describe(e) : failure.toString());
            }
        }
        for (PolicyKind k : wanted) {
            PolicyKind.Served current = informers.containsKey(k) ? sources.get(k) : null;
            PolicyKind.Served target = choose(k, current, served);
            if (Objects.equals(target, current)) {
                continue;
            }
            if (current == null) {
                LOG.info("cluster {}: {} is served ({}): watching it", cluster, target.resource(), why);
                startInformer(k, target);
            } else if (target == null) {
                LOG.info("cluster {}: {} is no longer served ({}): its objects are published as deleted", cluster,
                        current.resource(), why);
                stopInformer(k, true);
            } else {
                LOG.info("cluster {}: {} is served ({}): watching it instead of {}; the policies both hold are not"
                        + " published as deleted", cluster, target.resource(), why, current.resource());
                switchInformer(k, target);
            }
        }
    }

    /** The group versions {@code GET /apis} lists; null if it could not be read (then each is asked). */
    private Set<String> servedGroupVersions() {
        try {
            var groups = client.getApiGroups();
            if (groups == null || groups.getGroups() == null) {
                return null;
            }
            Set<String> out = new java.util.HashSet<>();
            for (var g : groups.getGroups()) {
                if (g.getVersions() != null) {
                    g.getVersions().forEach(v -> out.add(v.getGroupVersion()));
                }
            }
            return out;
        } catch (RuntimeException e) {
            LOG.debug("cluster {}: GET /apis failed ({}); asking each group version", cluster, e.toString());
            return null;
        }
    }

    /** The resources (plurals, no subresources) {@code groupVersion} serves; a 404 is thrown as fabric8 throws it. */
    private Set<String> resourcesOf(String groupVersion) {
        APIResourceList list = client.getApiResources(groupVersion);
        Set<String> plurals = new java.util.HashSet<>();
        if (list != null && list.getResources() != null) {
            for (APIResource r : list.getResources()) {
                if (r.getName() != null && !r.getName().contains("/")) {
                    plurals.add(r.getName());
                }
            }
        }
        return plurals;
    }

    /**
     * Where to read {@code k} from: the first of {@link PolicyKind#servedAs()} that is served (so
     * Calico's v3 API whenever it is, its CRDs only without it), never two. One whose discovery failed
     * this time is kept if it is the one read now (as before: nothing changes on a failed look), else
     * skipped for the next (Calico's API server down, 503: its CRDs still hold the policies).
     */
    static PolicyKind.Served choose(PolicyKind k, PolicyKind.Served current, Map<String, Set<String>> served) {
        for (PolicyKind.Served s : k.servedAs()) {
            Set<String> plurals = served.get(s.apiVersion());
            if (plurals == null) {
                if (s.equals(current)) {
                    return current;
                }
            } else if (plurals.contains(s.plural())) {
                return s;
            }
        }
        return null;
    }

    private void startInformer(PolicyKind k, PolicyKind.Served s) {
        var op = client.genericKubernetesResources(s.context());
        var any = k.clusterScoped() ? op : op.inAnyNamespace();
        SharedIndexInformer<GenericKubernetesResource> inf = listPageSize > 0
                ? any.withLimit((long) listPageSize).runnableInformer(0) : any.runnableInformer(0);
        inf.addEventHandler(new FenceEventHandler(k, sink, clock,
                () -> requestEpoch.accept(s.resource() + " relisted after the watch was lost")));
        refused.remove(k);
        inf.exceptionHandler((isStarted, t) -> {
            int code = PodWatch.statusCode(t); // fabric8 may wrap it in a CompletionException
            if (!isStarted && (code == 403 || code == 404) && refused.add(k)) {
                LOG.warn("cluster {}: list of {} refused ({}): left out of the snapshot until it can be listed{}", cluster,
                        s.resource(), describe(t), code == 404 ? "; looking again" : "");
                if (code == 403) {
                    run(() -> {
                        if (informers.get(k) == inf) {
                            retire(k, List.of()); // what the source read before is not in this one's snapshot either
                        }
                    });
                }
                if (code == 404) {
                    rediscoverSoon("list of " + s.resource() + " answered 404");
                }
            } else {
                LOG.warn("cluster {}: {} informer: {} ({}); retrying", cluster, s.resource(),
                        isStarted ? "watch failed" : "list failed", describe(t));
            }
            return true;
        });
        informers.put(k, inf);
        sources.put(k, s);
        inf.start().whenComplete((v, t) -> {
            if (t == null) {
                refused.remove(k);
                LOG.info("cluster {}: {} informer synced at resourceVersion {}", cluster, s.resource(),
                        inf.lastSyncResourceVersion());
                run(() -> {
                    if (informers.get(k) == inf) {
                        retire(k, inf.getStore().list());
                    }
                });
            }
        });
        inf.stopped().whenComplete((v, t) -> {
            if (!closed && informers.get(k) == inf) {
                LOG.error("cluster {}: {} informer stopped ({}); starting it again and opening a new epoch", cluster,
                        s.resource(), t == null ? "no error given" : t.toString());
                run(() -> {
                    if (!closed && informers.remove(k, inf)) {
                        startInformer(k, s);
                        requestEpoch.accept(s.resource() + " informer restarted");
                    }
                });
            }
        });
    }

    /**
     * Reads {@code k} from {@code to} instead of where it reads it now (Calico's API server appeared or
     * went). The policies the new source holds too (same namespace and name as users know it) are not
     * published as deleted: its first list publishes each as an UPSERT (its apiVersion changes), which
     * replaces the old one under the same key. Those it does not hold are published as deleted once it
     * has synced (or been refused): no policy is ever absent in between, none counts twice.
     */
    private void switchInformer(PolicyKind k, PolicyKind.Served to) {
        SharedIndexInformer<GenericKubernetesResource> old = informers.remove(k);
        List<GenericKubernetesResource> retiring = new ArrayList<>(retiring(k));
        if (old != null) {
            try {
                old.stop();
            } catch (RuntimeException e) {
                LOG.warn("cluster {}: stopping the {} informer: {}", cluster, k.resource(), e.toString());
            }
            retiring.addAll(old.getStore().list());
        }
        pendingDeletes.put(k, retiring);
        startInformer(k, to);
    }

    private List<GenericKubernetesResource> retiring(PolicyKind k) {
        List<GenericKubernetesResource> pending = pendingDeletes.remove(k);
        return pending == null ? List.of() : pending;
    }

    /** Publishes as deleted what the source {@code k} was read from before held and {@code now} does not. */
    private void retire(PolicyKind k, List<GenericKubernetesResource> now) {
        List<GenericKubernetesResource> pending = retiring(k);
        if (pending.isEmpty()) {
            return;
        }
        Set<String> kept = new java.util.HashSet<>();
        for (GenericKubernetesResource o : now) {
            kept.add(identity(k, o));
        }
        Instant at = clock.instant();
        Set<String> sent = new java.util.HashSet<>();
        int deleted = 0;
        for (GenericKubernetesResource o : pending) {
            String id = identity(k, o);
            if (!kept.contains(id) && sent.add(id)) {
                sink.accept(new AgentEvent.FenceChanged(ChangeType.DELETE, k, o, at));
                deleted++;
            }
        }
        LOG.info("cluster {}: {} switched source: {} of its {} policies published as deleted (not in the new source)",
                cluster, k.resource(), deleted, pending.size());
    }

    /** A policy's identity across sources: namespace and name as users know it (see {@link FenceTranslator#name}). */
    private static String identity(PolicyKind k, GenericKubernetesResource o) {
        return (o.getMetadata() == null ? null : o.getMetadata().getNamespace()) + "/" + FenceTranslator.name(k, o);
    }

    /** Stops a kind's informer; {@code deleted}: the kind went, so each object it knew is published as deleted. */
    private void stopInformer(PolicyKind k, boolean deleted) {
        SharedIndexInformer<GenericKubernetesResource> inf = informers.remove(k);
        sources.remove(k);
        refused.remove(k);
        List<GenericKubernetesResource> pending = retiring(k);
        if (inf == null) {
            return;
        }
        try {
            inf.stop();
        } catch (RuntimeException e) {
            LOG.warn("cluster {}: stopping the {} informer: {}", cluster, k.resource(), e.toString());
        }
        if (deleted) {
            Instant now = clock.instant();
            Set<String> sent = new java.util.HashSet<>();
            List<GenericKubernetesResource> all = new ArrayList<>(inf.getStore().list());
            all.addAll(pending);
            for (GenericKubernetesResource o : all) {
                if (sent.add(identity(k, o))) {
                    sink.accept(new AgentEvent.FenceChanged(ChangeType.DELETE, k, o, now));
                }
            }
        }
    }

    // ------------------------------------------------------------------ CRD watch

    private void watchCrds() {
        watchCrdsFrom(crdResourceVersion());
    }

    /** Where a CRD watch starts: the list's resourceVersion now; null (logged) if CRDs cannot be listed. */
    private String crdResourceVersion() {
        if (closed || wanted.isEmpty()) {
            return null;
        }
        try {
            return client.apiextensions().v1().customResourceDefinitions()
                    .listAsPartialObjectMetadata(new ListOptionsBuilder().withLimit(1L).build()).getMetadata()
                    .getResourceVersion();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                crdForbidden = true;
                LOG.warn("cluster {}: cannot list customresourcedefinitions ({}): policy kinds are re-discovered every {}"
                        + " only", cluster, describe(e), rediscoverEvery);
            } else {
                LOG.warn("cluster {}: cannot list customresourcedefinitions ({}); trying again in {}", cluster,
                        describe(e), rediscoverEvery);
            }
            return null;
        }
    }

    /** Watches CRDs from {@code rv} (null: does nothing): a policy CRD's change wakes a re-discovery. */
    private void watchCrdsFrom(String rv) {
        if (rv == null || closed) {
            return;
        }
        try {
            var options = new ListOptionsBuilder().withResourceVersion(rv).withAllowWatchBookmarks(true).build();
            crdWatch = client.apiextensions().v1().customResourceDefinitions().watch(options,
                    new Watcher<CustomResourceDefinition>() {
                        @Override
                        public void eventReceived(Action action, CustomResourceDefinition crd) {
                            String group = crd == null || crd.getSpec() == null ? null : crd.getSpec().getGroup();
                            if (action != Action.BOOKMARK && group != null && CRD_GROUPS.contains(group)) {
                                String why = "CRD " + crd.getMetadata().getName() + " " + action.name().toLowerCase();
                                // The API server serves a new CRD once it is Established, a moment after: look a few times.
                                for (long delay : new long[] {0, 1, 3, 10}) {
                                    schedule(() -> rediscover(why), delay);
                                }
                            }
                        }

                        @Override
                        public void onClose(WatcherException cause) {
                            crdWatch = null;
                            if (!closed) {
                                LOG.info("cluster {}: CRD watch closed ({}); watching again", cluster, cause.getMessage());
                                schedule(() -> {
                                    watchCrds();
                                    rediscover("CRD watch restarted");
                                }, 2);
                            }
                        }
                    });
        } catch (KubernetesClientException e) {
            LOG.warn("cluster {}: cannot watch customresourcedefinitions ({}); trying again in {}", cluster, describe(e),
                    rediscoverEvery);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void run(Runnable r) {
        schedule(r, 0);
    }

    private void schedule(Runnable r, long delaySeconds) {
        if (closed) {
            return;
        }
        try {
            executor.schedule(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("cluster {}: policy kinds: {}", cluster, e.toString());
                }
            }, delaySeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof KubernetesClientException k && k.getCode() > 0) {
            return "HTTP " + k.getCode() + (k.getStatus() != null && k.getStatus().getReason() != null
                    ? " " + k.getStatus().getReason() : "");
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage().split("\n")[0]);
    }

    /** Stops the CRD watch and every informer; no DELETEs (the process stops, the kinds did not go). */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        discovery.shutdownNow();
        Watch w = crdWatch;
        if (w != null) {
            w.close();
        }
        for (PolicyKind k : new ArrayList<>(informers.keySet())) {
            stopInformer(k, false);
        }
    }
}
