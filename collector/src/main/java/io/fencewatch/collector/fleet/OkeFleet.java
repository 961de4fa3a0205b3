package io.fencewatch.collector.fleet;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.oci.OkeDiscovery;
import io.fencewatch.oci.OkeDiscovery.OkeCluster;
import io.fencewatch.schema.inventory.ClusterFacts;

/**
 * An OKE fleet: at start and every {@code --oci-rediscover-interval}, lists the clusters of the
 * named compartments ({@link OkeDiscovery}) and reconciles the agents with them.
 * <ul>
 * <li>A cluster ACTIVE (or UPDATING) and not watched gets an agent, reached with the kubeconfig its
 * CreateKubeconfig writes (endpoint type {@code --oci-endpoint-type}) and a token made in process.
 * If that kubeconfig cannot be had, the cluster is reported UNREACHABLE with the reason, and tried
 * again at the next pass.</li>
 * <li>A watched cluster that is gone from the list, DELETING, DELETED or FAILED, or now excluded,
 * is retired: its agent stops and sends CLUSTER_REMOVED, so the processor removes its rows. A
 * cluster found DELETED that is not watched here (it went while the collector was down) gets a
 * CLUSTER_REMOVED once per process too.</li>
 * <li>A pass that fails (OCI unreachable, throttled, refused) changes nothing: a cluster is
 * never retired because a list failed.</li>
 * </ul>
 * Cluster ids stay as they were first given in this process (by OCID), and are deterministic across
 * restarts ({@link OkeDiscovery}: the oldest of clashing names keeps the bare name).
 */
public final class OkeFleet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OkeFleet.class);

    /** What the collector does for the fleet. */
    public interface Watcher {
        /** Starts watching a cluster with the kubeconfig its CreateKubeconfig wrote. */
        ClusterAgent start(String clusterId, String kubeconfig, ClusterFacts facts) throws Exception;

        /** Sends an epoch-neutral marker (UNREACHABLE or CLUSTER_REMOVED) for a cluster with no agent here. */
        void mark(String clusterId, io.fencewatch.schema.common.Op op, ClusterFacts facts);
    }

    /** What to discover and how often. {@code regions} are resolved (all-subscribed already read) by {@code regionsSource}. */
    public record Plan(List<String> compartments, boolean subtree, RegionsSource regions, List<String> include,
            List<String> exclude, String endpointType, Duration interval, Duration retireTimeout, boolean watchesPods) {
        /** Without pods (--watch-pods off). */
        public Plan(List<String> compartments, boolean subtree, RegionsSource regions, List<String> include,
                List<String> exclude, String endpointType, Duration interval, Duration retireTimeout) {
            this(compartments, subtree, regions, include, exclude, endpointType, interval, retireTimeout, false);
        }

        public Plan {
            compartments = List.copyOf(compartments);
            include = List.copyOf(include);
            exclude = List.copyOf(exclude);
            Objects.requireNonNull(regions, "regions");
            Objects.requireNonNull(endpointType, "endpointType");
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(retireTimeout, "retireTimeout");
        }
    }

    /** The regions to look in, asked at every pass (all-subscribed may grow). */
    @FunctionalInterface
    public interface RegionsSource {
        List<String> regions() throws IOException;
    }

    /** One watched cluster. */
    public record Member(String id, OkeCluster cluster, ClusterAgent agent) {
    }

    /** What a pass did. */
    public record Pass(Instant at, int found, List<String> started, List<String> retired, List<String> unreachable,
            String error) {
    }

    private final OkeDiscovery discovery;
    private final Plan plan;
    private final Watcher watcher;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Member> members = new LinkedHashMap<>(); // by OCID
    private final Map<String, String> ids = new HashMap<>(); // OCID -> id given in this process
    private final Set<String> retired = new HashSet<>(); // OCIDs whose CLUSTER_REMOVED went out here
    private volatile Pass lastPass;
    private volatile long failedPasses;
    private boolean closed;

    public OkeFleet(OkeDiscovery discovery, Plan plan, Watcher watcher, Clock clock) {
        this.discovery = Objects.requireNonNull(discovery);
        this.plan = Objects.requireNonNull(plan);
        this.watcher = Objects.requireNonNull(watcher);
        this.clock = Objects.requireNonNull(clock);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fencewatch-oke-fleet");
            t.setDaemon(true);
            return t;
        });
    }

    /** The first pass now, then one every interval. */
    public void start() {
        scheduler.scheduleWithFixedDelay(this::passQuietly, 0, plan.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void passQuietly() {
        try {
            rediscover();
        } catch (RuntimeException e) {
            LOG.error("OKE fleet: pass failed unexpectedly", e);
        }
    }

    /** One pass: list, then start, retire and report. Never throws for an OCI failure (see {@link Pass#error()}). */
    public synchronized Pass rediscover() {
        if (closed) {
            return lastPass;
        }
        List<OkeCluster> found;
        try {
            found = discovery.discover(plan.compartments(), plan.subtree(), plan.regions().regions(), plan.include(),
                    plan.exclude());
        } catch (IOException | RuntimeException e) {
            failedPasses++;
            String error = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.warn("OKE fleet: discovery failed ({}); the {} watched clusters stay as they are, next try in {}", error,
                    members.size(), plan.interval());
            Pass pass = new Pass(clock.instant(), -1, List.of(), List.of(), List.of(), error);
            lastPass = pass;
            return pass;
        }
        Map<String, OkeCluster> wanted = new LinkedHashMap<>();
        List<OkeCluster> gone = new ArrayList<>();
        for (OkeCluster c : found) {
            if (c.watchable()) {
                wanted.put(c.ocid(), c);
            } else if (c.gone()) {
                gone.add(c);
            }
        }
        List<String> started = new ArrayList<>();
        List<String> retiredNow = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        // Retire first: a deleted cluster's name may come back as a new cluster in the same pass.
        for (Member m : List.copyOf(members.values())) {
            if (!wanted.containsKey(m.cluster().ocid())) {
                retire(m, found.stream().filter(c -> c.ocid().equals(m.cluster().ocid())).findFirst().orElse(null));
                retiredNow.add(m.id());
            }
        }
        for (OkeCluster c : gone) {
            if (!members.containsKey(c.ocid()) && retired.add(c.ocid())) {
                String id = idOf(c);
                LOG.info("OKE fleet: cluster {} ({}) is {}: removing its rows", id, c.ocid(), c.lifecycleState());
                watcher.mark(id, io.fencewatch.schema.common.Op.CLUSTER_REMOVED, facts(c, id));
                retiredNow.add(id);
            }
        }
        Set<String> taken = new HashSet<>();
        members.values().forEach(m -> taken.add(m.id()));
        for (OkeCluster c : wanted.values()) {
            Member m = members.get(c.ocid());
            if (m != null) {
                m.agent().publisher().clusterFacts(facts(c, m.id()));
                continue;
            }
            String id = idOf(c);
            if (taken.contains(id)) {
                // Only possible when an id given earlier in this process collides with a newcomer's.
                id = c.id() + "-" + c.ocid().substring(c.ocid().length() - 6).toLowerCase(java.util.Locale.ROOT);
            }
            ClusterFacts facts = facts(c, id);
            String kubeconfig;
            try {
                kubeconfig = discovery.kubeconfig(c, plan.endpointType());
            } catch (IOException | RuntimeException e) {
                String error = "CreateKubeconfig (" + plan.endpointType() + ") failed: " + e.getMessage();
                LOG.warn("OKE fleet: cluster {}: {}; reported UNREACHABLE, next try in {}", id, error, plan.interval());
                watcher.mark(id, io.fencewatch.schema.common.Op.UNREACHABLE, ClusterFacts.newBuilder(facts)
                        .setError(error).setUnreachableSince(clock.instant()).build());
                unreachable.add(id);
                continue;
            }
            try {
                ClusterAgent agent = watcher.start(id, kubeconfig, facts);
                members.put(c.ocid(), new Member(id, c, agent));
                ids.put(c.ocid(), id);
                taken.add(id);
                retired.remove(c.ocid());
                started.add(id);
                LOG.info("OKE fleet: watching cluster {} ({}, {} in {}, Kubernetes {})", id, c.name(), c.region(),
                        c.compartmentPath(), c.kubernetesVersion());
            } catch (Exception e) {
                String error = "cannot start watching: " + e.getMessage();
                LOG.warn("OKE fleet: cluster {}: {}; next try in {}", id, error, plan.interval());
                watcher.mark(id, io.fencewatch.schema.common.Op.UNREACHABLE, ClusterFacts.newBuilder(facts)
                        .setError(error).setUnreachableSince(clock.instant()).build());
                unreachable.add(id);
            }
        }
        Pass pass = new Pass(clock.instant(), found.size(), List.copyOf(started), List.copyOf(retiredNow),
                List.copyOf(unreachable), null);
        lastPass = pass;
        if (!started.isEmpty() || !retiredNow.isEmpty()) {
            LOG.info("OKE fleet: {} clusters found, {} watched; started {}, retired {}", found.size(), members.size(),
                    started, retiredNow);
        }
        return pass;
    }

    private String idOf(OkeCluster c) {
        return ids.getOrDefault(c.ocid(), c.id());
    }

    private void retire(Member m, OkeCluster now) {
        LOG.info("OKE fleet: cluster {} ({}) is {}: retiring its agent and removing its rows", m.id(),
                m.cluster().ocid(), now == null ? "no longer listed (deleted, moved or excluded)" : now.lifecycleState());
        members.remove(m.cluster().ocid());
        retired.add(m.cluster().ocid());
        m.agent().retire(plan.retireTimeout());
    }

    /**
     * The cluster facts an OKE cluster's markers carry. {@code watchesPods} says what the collector is
     * configured to do; an agent's own markers say whether its epoch's snapshot held the pods.
     */
    ClusterFacts facts(OkeCluster c, String id) {
        return ClusterFacts.newBuilder().setProvider("oke").setOcid(c.ocid()).setRegion(c.region())
                .setCompartmentId(c.compartmentId()).setCompartment(c.compartmentPath())
                .setEndpointType(plan.endpointType()).setWatchesPods(plan.watchesPods())
                .setKubernetesVersion(blankToNull(c.kubernetesVersion())).setCniTypes(c.cniTypes()).build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** The clusters watched now, by id. */
    public synchronized List<Member> members() {
        return List.copyOf(members.values());
    }

    public Pass lastPass() {
        return lastPass;
    }

    public long failedPasses() {
        return failedPasses;
    }

    /** Stops rediscovering; the agents are closed (not retired) by their owner, the collector. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        scheduler.shutdownNow();
    }
}
