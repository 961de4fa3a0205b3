package io.fencewatch.collector;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.kube.FenceWatch;
import io.fencewatch.collector.kube.NamespaceEventHandler;
import io.fencewatch.collector.kube.PolicyEngineWatch;
import io.fencewatch.collector.kube.PolicyEventHandler;
import io.fencewatch.collector.kube.PodWatch;
import io.fencewatch.collector.kube.WorkloadShapes;
import io.fencewatch.collector.publish.InventoryPublisher;
import io.fencewatch.collector.publish.InventorySink;
import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * Watches one cluster: shared informers on Namespaces and NetworkPolicies (all namespaces), and where
 * asked the policy kinds beyond them and pods ({@link PodWatch}, workload shapes), feed a
 * bounded queue that one {@link InventoryPublisher} drains. Optionally elects a leader on a Lease so
 * that only one replica publishes; each leadership gain opens an epoch.
 *
 * <p>An informer that stops while the agent runs is restarted (with a new epoch, since events may
 * have been missed); too many restarts in a row, or a full queue, are fatal: the agent never keeps
 * running while silently not watching, and never drops an event.
 */
public final class ClusterAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterAgent.class);
    private static final int MAX_RESTARTS = 5;
    private static final Duration RESTART_WINDOW = Duration.ofMinutes(10);

    private final AgentSettings settings;
    private final KubernetesClient client;
    private final FatalErrorHandler fatal;
    private final Clock clock;
    private final BlockingQueue<AgentEvent> queue;
    private final InventoryPublisher publisher;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean fatalRaised = new AtomicBoolean();
    private final Deque<Long> restarts = new ArrayDeque<>();

    private volatile SharedIndexInformer<Namespace> namespaceInformer;
    private volatile SharedIndexInformer<NetworkPolicy> policyInformer;
    private volatile CompletableFuture<?> election;
    private volatile boolean leader;
    private volatile String currentLeader;
    private volatile boolean started;
    private volatile boolean closing;
    private boolean closed;
    /** The last list or watch failure the informers reported, and when (clock ms); see {@link #outage()}. */
    private volatile String lastError;
    private volatile long lastErrorAt; // System.nanoTime(): durations never follow a wall clock's jumps
    /** Since when (clock ms) an informer has been unsynced or not watching; 0 while both watch. */
    private volatile long troubleSince; // System.nanoTime(); 0: no trouble
    private volatile long troubleSinceWall; // clock ms, for the report
    /** The NetworkPolicy engine watch (FW-NP-002); null when --policy-engine-namespaces is empty. */
    private volatile PolicyEngineWatch engineWatch;
    /** The policy kinds beyond NetworkPolicy (issue 15); null when --policy-kinds is none. */
    private volatile FenceWatch fenceWatch;
    /** How often the served policy kinds are looked up again whatever the CRD watch says. */
    static final Duration POLICY_KINDS_REDISCOVERY = Duration.ofMinutes(5);
    private volatile Duration policyKindsRediscovery = POLICY_KINDS_REDISCOVERY;
    /** The pod informer and its workload shapes (issue 16); null unless --watch-pods. */
    private volatile PodWatch podWatch;
    private final java.util.List<Runnable> onClosed = new java.util.concurrent.CopyOnWriteArrayList<>();

    public ClusterAgent(AgentSettings settings, KubernetesClient client, Producer<String, InventoryEvent> producer,
            FatalErrorHandler fatal, Clock clock) {
        this(settings, client, InventorySink.kafka(producer), fatal, clock);
    }

    public ClusterAgent(AgentSettings settings, KubernetesClient client, InventorySink producer, FatalErrorHandler fatal,
            Clock clock) {
        this.settings = Objects.requireNonNull(settings);
        this.client = Objects.requireNonNull(client);
        this.fatal = Objects.requireNonNull(fatal);
        this.clock = Objects.requireNonNull(clock);
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        this.publisher = new InventoryPublisher(settings.clusterId(), settings.collectorId(), settings.topic(), producer,
                queue, new InformerSnapshot(), new EventTranslator(settings.annotationPatterns()),
                settings.heartbeatInterval(), clock);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fencewatch-agent-" + settings.clusterId());
            t.setDaemon(true);
            return t;
        });
    }

    public String clusterId() {
        return settings.clusterId();
    }

    public InventoryPublisher publisher() {
        return publisher;
    }

    /** Starts the informers and the publisher, and either publishes or runs for leadership. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        publisher.onFailure(this::raiseFatal);
        publisher.start();
        namespaceInformer = startNamespaceInformer();
        policyInformer = startPolicyInformer();
        startFenceWatch();
        startPodWatch();
        startPolicyEngineWatch();
        if (settings.lease() == null) {
            publisher.setPublishing(true, "no leader election");
        } else {
            runForLeader();
        }
        LOG.info("cluster {}: agent started ({}; collector {})", settings.clusterId(),
                settings.lease() == null ? "no leader election"
                        : "leader election on Lease " + settings.lease().namespace() + "/" + settings.lease().name(),
                settings.collectorId());
    }

    // ------------------------------------------------------------------ informers

    private SharedIndexInformer<Namespace> startNamespaceInformer() {
        var op = client.namespaces();
        SharedIndexInformer<Namespace> inf = settings.listPageSize() > 0
                ? op.withLimit((long) settings.listPageSize()).runnableInformer(0)
                : op.runnableInformer(0);
        inf.addEventHandler(new NamespaceEventHandler(this::enqueue, clock,
                () -> publisher.requestEpoch("namespaces relisted after the watch was lost")));
        return startInformer(inf, "namespaces");
    }

    private SharedIndexInformer<NetworkPolicy> startPolicyInformer() {
        var op = client.network().v1().networkPolicies().inAnyNamespace();
        SharedIndexInformer<NetworkPolicy> inf = settings.listPageSize() > 0
                ? op.withLimit((long) settings.listPageSize()).runnableInformer(0)
                : op.runnableInformer(0);
        inf.addEventHandler(new PolicyEventHandler(this::enqueue, clock,
                () -> publisher.requestEpoch("networkpolicies relisted after the watch was lost")));
        return startInformer(inf, "networkpolicies");
    }

    /** Issue 15: the policy kinds beyond NetworkPolicy the cluster serves, each on a generic informer. */
    private void startFenceWatch() {
        if (settings.policyKinds().isEmpty()) {
            return;
        }
        fenceWatch = new FenceWatch(settings.clusterId(), client, settings.policyKinds(), this::enqueue, clock,
                publisher::requestEpoch, policyKindsRediscovery, settings.listPageSize());
        fenceWatch.start();
    }

    /** Issue 16 (--watch-pods): the pod informer; its shape changes go out after --pod-shape-delay. */
    private void startPodWatch() {
        if (!settings.watchPods()) {
            return;
        }
        podWatch = new PodWatch(settings.clusterId(), client, this::enqueue, clock, publisher::requestEpoch,
                settings.listPageSize(), settings.podShapeDelay(), scheduler);
        podWatch.start();
    }

    /** The workload shapes now (null unless --watch-pods), for tests and diagnostics. */
    public WorkloadShapes workloadShapes() {
        PodWatch w = podWatch;
        return w == null ? null : w.shapes();
    }

    /** Test hook, before {@link #start()}: re-discover the policy kinds this often (default 5 minutes). */
    void policyKindsRediscovery(Duration every) {
        policyKindsRediscovery = every;
    }

    /** The policy kinds beyond NetworkPolicy watched now (empty: none served, or --policy-kinds=none). */
    public java.util.Set<io.fencewatch.collector.kube.PolicyKind> policyKindsWatched() {
        FenceWatch w = fenceWatch;
        return w == null ? java.util.Set.of() : w.watching();
    }

    /**
     * FW-NP-002: DaemonSet informers in the namespaces engines install into. Their first look gates
     * the first epoch (its SYNC_START carries what they found), so a cluster never shows unknown
     * and then flips every namespace row; later changes go out at once on a HEARTBEAT.
     */
    private void startPolicyEngineWatch() {
        if (settings.policyEngineNamespaces().isEmpty()) {
            return;
        }
        SharedIndexInformer<Namespace> nsInformer = namespaceInformer;
        engineWatch = new PolicyEngineWatch(settings.clusterId(), client, settings.policyEngineNamespaces(),
                () -> java.util.Set.copyOf(nsInformer.getStore().listKeys()), facts -> {
                    publisher.policyEngines(facts);
                    if (facts.engines() != null) {
                        LOG.info("cluster {}: NetworkPolicy engines: {}{}", settings.clusterId(),
                                facts.engines().isEmpty() ? "none found in " + String.join(", ", facts.namespaces())
                                        : facts.engines().stream().map(e -> e.getEngine() + " (" + e.getNamespace() + "/"
                                                + e.getName() + ")").collect(java.util.stream.Collectors.joining(", ")),
                                facts.error() == null ? "" : "; " + facts.error());
                    }
                });
        engineWatch.start();
        // A namespace appearing or going changes whether a forbidden watch matters; cheap to re-check.
        scheduler.scheduleWithFixedDelay(engineWatch::refresh, 2, 2, java.util.concurrent.TimeUnit.SECONDS);
    }

    private <T> SharedIndexInformer<T> startInformer(SharedIndexInformer<T> inf, String what) {
        inf.exceptionHandler((isStarted, t) -> {
            // Keep retrying (the informer backs off); /healthz shows it is not watching meanwhile.
            LOG.warn("cluster {}: {} informer: {} ({}); retrying", settings.clusterId(), what,
                    isStarted ? "watch failed" : "list failed", t.toString());
            lastError = (isStarted ? "watch of " : "list of ") + what + " failed: " + describe(t);
            lastErrorAt = System.nanoTime();
            if (troubleSince == 0) {
                troubleSince = lastErrorAt;
                troubleSinceWall = clock.millis();
            }
            return true;
        });
        inf.start().whenComplete((v, t) -> {
            if (t == null) {
                LOG.info("cluster {}: {} informer synced at resourceVersion {}", settings.clusterId(), what,
                        inf.lastSyncResourceVersion());
            }
        });
        inf.stopped().whenComplete((v, t) -> onInformerStopped(inf, what, t));
        return inf;
    }

    private void onInformerStopped(SharedIndexInformer<?> inf, String what, Throwable cause) {
        if (closing || (inf != namespaceInformer && inf != policyInformer)) {
            return;
        }
        LOG.error("cluster {}: {} informer stopped ({}); restarting it and opening a new epoch", settings.clusterId(),
                what, cause == null ? "no error given" : cause.toString());
        synchronized (restarts) {
            long now = System.nanoTime();
            restarts.addLast(now);
            while (!restarts.isEmpty() && now - restarts.peekFirst() > RESTART_WINDOW.toNanos()) {
                restarts.removeFirst();
            }
            if (restarts.size() > MAX_RESTARTS) {
                raiseFatal(what + " informer stopped " + restarts.size() + " times within " + RESTART_WINDOW.toMinutes()
                        + " minutes");
                return;
            }
        }
        long delayMs = Math.min(30_000, 1000L << Math.min(5, restarts.size() - 1));
        scheduler.schedule(() -> restartInformer(inf), delayMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void restartInformer(SharedIndexInformer<?> stopped) {
        if (closing) {
            return;
        }
        if (stopped == namespaceInformer) {
            namespaceInformer = startNamespaceInformer();
        } else if (stopped == policyInformer) {
            policyInformer = startPolicyInformer();
        } else {
            return;
        }
        publisher.requestEpoch("informer restarted");
    }

    /**
     * What an API failure says, for UNREACHABLE and the logs: the HTTP status and reason, or the
     * connection or TLS failure. Never a header or a token (fabric8's messages name the URL only).
     */
    static String describe(Throwable t) {
        Throwable cause = t;
        for (int i = 0; i < 8 && cause.getCause() != null && cause.getCause() != cause; i++) {
            if (cause instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getCode() > 0) {
                break;
            }
            cause = cause.getCause();
        }
        String text;
        if (t instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getCode() > 0) {
            // fabric8's message repeats the whole Status; keep the code, reason, message and the request.
            var status = k.getStatus();
            String reason = status != null && status.getReason() != null ? status.getReason() : "";
            String message = status != null && status.getMessage() != null ? status.getMessage() : "";
            java.util.regex.Matcher at = java.util.regex.Pattern.compile("executing: (\\w+) at: ([^?\\s]+?)(?:\\?\\S*)?\\.(?:\\s|$)")
                    .matcher(String.valueOf(k.getMessage()));
            text = "HTTP " + k.getCode() + (reason.isEmpty() ? "" : " " + reason)
                    + (message.isEmpty() || message.equals(reason) ? "" : ": " + message)
                    + (at.find() ? " (" + at.group(1) + " " + at.group(2) + ")" : "");
        } else if (cause instanceof javax.net.ssl.SSLException) {
            text = "TLS: " + cause.getMessage();
        } else {
            text = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        text = text.replaceAll("[\\r\\n\\t]+", " ");
        return text.length() <= 400 ? text : text.substring(0, 397) + "...";
    }

    /**
     * The cluster is unreachable when an informer has been unsynced or not watching for
     * {@code unreachableAfter} and reported a failure meanwhile, or for six times as long without one
     * (a watch that cannot reconnect). A slow first list is not an outage.
     */
    InventoryPublisher.Outage outage() {
        SharedIndexInformer<Namespace> ns = namespaceInformer;
        SharedIndexInformer<NetworkPolicy> np = policyInformer;
        boolean trouble = ns == null || np == null || !ns.hasSynced() || !np.hasSynced() || !ns.isWatching()
                || !np.isWatching();
        long now = System.nanoTime();
        if (!trouble) {
            troubleSince = 0;
            lastError = null;
            return null;
        }
        long since = troubleSince;
        if (since == 0) {
            troubleSince = now;
            troubleSinceWall = clock.millis();
            return null;
        }
        long after = settings.unreachableAfter().toNanos();
        boolean failed = lastError != null && lastErrorAt - since >= 0;
        java.time.Instant sinceWall = java.time.Instant.ofEpochMilli(troubleSinceWall);
        if (now - since >= after && failed) {
            return new InventoryPublisher.Outage(lastError, sinceWall);
        }
        if (now - since >= after) {
            probe();
        }
        if (now - since >= 6 * after) {
            return new InventoryPublisher.Outage("not watching: the API server does not answer", sinceWall);
        }
        return null;
    }

    private final AtomicBoolean probing = new AtomicBoolean();

    /**
     * The informers retry a failed watch by themselves and do not always say why: ask the API server
     * once (a one-item list of namespaces, what the agent needs anyway) to learn the status or the
     * connection failure. Off the publisher's thread; one at a time.
     */
    private void probe() {
        if (closing || !probing.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                try {
                    client.namespaces().list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
                } catch (RuntimeException e) {
                    lastError = "list of namespaces failed: " + describe(e);
                    lastErrorAt = System.nanoTime();
                } finally {
                    probing.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            probing.set(false);
        }
    }

    /** Handlers call this: never blocks; a full queue is fatal rather than a dropped event. */
    private void enqueue(AgentEvent event) {
        if (!queue.offer(event)) {
            raiseFatal("event queue is full (capacity " + settings.queueCapacity()
                    + "): exiting rather than dropping events; the next epoch resyncs");
        }
    }

    private void raiseFatal(String reason) {
        if (fatalRaised.compareAndSet(false, true)) {
            LOG.error("cluster {}: fatal: {}", settings.clusterId(), reason);
            fatal.fatal(settings.clusterId(), reason);
        }
    }

    // ------------------------------------------------------------------ leader election

    private void runForLeader() {
        AgentSettings.LeaseSettings lease = settings.lease();
        LeaderElectionConfig config = new LeaderElectionConfigBuilder()
                .withName("fencewatch-collector-" + settings.clusterId())
                .withLeaseDuration(lease.leaseDuration())
                .withRenewDeadline(lease.renewDeadline())
                .withRetryPeriod(lease.retryPeriod())
                .withLock(new LeaseLock(lease.namespace(), lease.name(), settings.collectorId()))
                .withLeaderCallbacks(new LeaderCallbacks(this::onStartLeading, this::onStopLeading, this::onNewLeader))
                .withReleaseOnCancel()
                .build();
        CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
        election = f;
        f.whenComplete((v, t) -> {
            if (closing) {
                return;
            }
            // fabric8's elector ends after leadership is lost (or on an error): stand again.
            LOG.info("cluster {}: leader election round ended{}; standing again", settings.clusterId(),
                    t == null ? "" : " (" + t + ")");
            scheduler.schedule(this::runForLeaderIfOpen, lease.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    private synchronized void runForLeaderIfOpen() {
        if (!closing) {
            runForLeader();
        }
    }

    private void onStartLeading() {
        leader = true;
        publisher.setPublishing(true, "leadership of Lease " + settings.lease().namespace() + "/"
                + settings.lease().name() + " gained by " + settings.collectorId());
    }

    private void onStopLeading() {
        leader = false;
        publisher.setPublishing(false, "leadership lost by " + settings.collectorId());
    }

    private void onNewLeader(String identity) {
        currentLeader = identity;
        LOG.info("cluster {}: leader is now {}", settings.clusterId(), identity);
    }

    /** True if leader election is off, or this replica holds the Lease. */
    public boolean isLeader() {
        return settings.lease() == null || leader;
    }

    public String currentLeader() {
        return settings.lease() == null ? settings.collectorId() : currentLeader;
    }

    // ------------------------------------------------------------------ health

    /**
     * The cluster was deleted from its provider: stop watching, drop what is queued, send
     * CLUSTER_REMOVED to every partition (the processor removes its rows), close. Safe to call twice.
     */
    public void retire(Duration timeout) {
        shutDown(() -> publisher.retire(timeout), "retired");
    }

    /** Runs {@code action} once the agent is closed or retired (the fleet forgets it then). */
    public void onClosed(Runnable action) {
        onClosed.add(action);
    }

    /** Informers running and watching, publisher thread alive. */
    public boolean healthy() {
        return healthProblem() == null;
    }

    /** Why the agent is not healthy, or null. */
    public String healthProblem() {
        if (!started || closing) {
            return "not running";
        }
        if (fatalRaised.get()) {
            return "failed";
        }
        if (!publisher.running()) {
            return "publisher stopped";
        }
        String ns = informerProblem(namespaceInformer, "namespaces");
        return ns != null ? ns : informerProblem(policyInformer, "networkpolicies");
    }

    private static String informerProblem(SharedIndexInformer<?> inf, String what) {
        if (inf == null || !inf.isRunning()) {
            return what + " informer not running";
        }
        if (!inf.isWatching()) {
            return what + " informer not watching";
        }
        return null;
    }

    /** Why the agent is not ready, or null: informers synced, Kafka reachable, and (leader) epoch synced. */
    public String readinessProblem() {
        String health = healthProblem();
        if (health != null) {
            return health;
        }
        if (!informersSynced()) {
            return "informers not synced";
        }
        if (!publisher.kafkaReachable()) {
            return "Kafka not reachable";
        }
        if (publisher.publishing()) {
            long open = publisher.openEpoch();
            if (open < 0 || publisher.syncedEpoch() != open) {
                return "epoch not synced yet";
            }
        }
        return null;
    }

    public boolean informersSynced() {
        SharedIndexInformer<Namespace> ns = namespaceInformer;
        SharedIndexInformer<NetworkPolicy> np = policyInformer;
        return ns != null && np != null && ns.hasSynced() && np.hasSynced();
    }

    /** For metrics: "running", "watching", "synced" of each informer. */
    public List<InformerState> informerStates() {
        List<InformerState> states = new java.util.ArrayList<>(List.of(InformerState.of("namespaces", namespaceInformer),
                InformerState.of("networkpolicies", policyInformer)));
        FenceWatch w = fenceWatch;
        if (w != null) {
            w.states().forEach((resource, s) -> states.add(new InformerState(resource, s[0], s[1], s[2])));
        }
        PodWatch pods = podWatch;
        if (pods != null) {
            boolean[] s = pods.state();
            states.add(new InformerState("pods", s[0], s[1], s[2]));
        }
        return states;
    }

    /** One informer's state, for metrics. */
    public record InformerState(String resource, boolean running, boolean watching, boolean synced) {
        static InformerState of(String resource, SharedIndexInformer<?> inf) {
            return inf == null ? new InformerState(resource, false, false, false)
                    : new InformerState(resource, inf.isRunning(), inf.isWatching(), inf.hasSynced());
        }
    }

    /** The engine facts as of now (null: not looking), for tests and /healthz detail. */
    public PolicyEngineWatch.Facts policyEngines() {
        PolicyEngineWatch w = engineWatch;
        return w == null ? null : w.current();
    }

    /** Test hook: the namespace informer now in use. */
    SharedIndexInformer<Namespace> namespaceInformer() {
        return namespaceInformer;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Stops watching, publishes what was queued (bounded by {@code timeout}), closes the producer,
     * then gives up the Lease. Safe to call twice.
     */
    public void close(Duration timeout) {
        shutDown(() -> publisher.close(timeout), "closed");
    }

    /** Stops the informers, then {@code publisherEnd} (close or retire), then the Lease and the scheduler. */
    private void shutDown(Runnable publisherEnd, String how) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
        }
        // One at a time: closing many watches at once can stall a (mock) API server's event loop.
        stopQuietly(namespaceInformer);
        stopQuietly(policyInformer);
        if (fenceWatch != null) {
            fenceWatch.close();
        }
        if (podWatch != null) {
            podWatch.close();
        }
        if (engineWatch != null) {
            engineWatch.close();
        }
        publisherEnd.run();
        CompletableFuture<?> f = election;
        if (f != null) {
            f.cancel(true); // releaseOnCancel: the standby takes over without waiting for the lease to expire
        }
        scheduler.shutdownNow();
        LOG.info("cluster {}: agent {}", settings.clusterId(), how);
        onClosed.forEach(Runnable::run);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    private void stopQuietly(SharedIndexInformer<?> inf) {
        if (inf != null) {
            try {
                inf.stop();
            } catch (RuntimeException e) {
                LOG.warn("cluster {}: stopping an informer: {}", settings.clusterId(), e.toString());
            }
        }
    }

    /** The informers' caches, for the publisher's snapshots. */
    private final class InformerSnapshot implements InventoryPublisher.SnapshotSource {
        @Override
        public boolean synced() {
            FenceWatch fences = fenceWatch;
            if (fences != null && !fences.ready()) {
                return false; // the kinds found at start take part in the epoch's snapshot
            }
            PodWatch pods = podWatch;
            if (pods != null && !pods.ready()) {
                return false; // so do the workload shapes, once the first list of pods is in
            }
            PolicyEngineWatch engines = engineWatch;
            if (engines == null) {
                return informersSynced();
            }
            engines.refresh(); // hands the publisher what the watch found, before the epoch's SYNC_START
            PolicyEngineWatch.Facts given = publisher.policyEngines();
            return informersSynced() && given != null && given.engines() != null;
        }

        @Override
        public List<Namespace> namespaces() {
            return namespaceInformer.getStore().list();
        }

        @Override
        public List<NetworkPolicy> policies() {
            return policyInformer.getStore().list();
        }

        @Override
        public java.util.Map<io.fencewatch.collector.kube.PolicyKind, List<io.fabric8.kubernetes.api.model.GenericKubernetesResource>> fences() {
            FenceWatch fences = fenceWatch;
            return fences == null ? java.util.Map.of() : fences.caches();
        }

        @Override
        public boolean watchesPods() {
            PodWatch pods = podWatch;
            return pods != null && pods.watchesPods();
        }

        @Override
        public List<WorkloadShapes.Change> workloads() {
            PodWatch pods = podWatch;
            return pods == null ? List.of() : pods.snapshot();
        }

        @Override
        public List<WorkloadShapes.Change> workloadChanges(String namespace) {
            PodWatch pods = podWatch;
            return pods == null ? List.of() : pods.drain(namespace);
        }

        @Override
        public InventoryPublisher.Outage outage() {
            return ClusterAgent.this.outage();
        }
    }
}
