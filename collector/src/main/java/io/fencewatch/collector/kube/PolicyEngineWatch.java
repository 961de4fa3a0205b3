package io.fencewatch.collector.kube;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

/**
 * Which NetworkPolicy engines run in a cluster (FW-NP-002): one DaemonSet informer per namespace
 * engines install into (namespaced, so a Role in each namespace suffices: no cluster-wide read of
 * workloads), each DaemonSet matched against the detection table ({@link PolicyEngines}). What it
 * publishes is facts: the engine workloads found, the namespaces looked in, and why it could not
 * look somewhere. A namespace whose watch is forbidden is an error only while that namespace
 * exists (no Role can be granted in a namespace that does not exist, and no engine can run there).
 * Container arguments are read to match (the AWS agent's switch) and never published.
 */
public final class PolicyEngineWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngineWatch.class);

    /** What the collector knows of the cluster's engines; {@code engines} null until every namespace was looked at. */
    public record Facts(List<PolicyEngineFacts> engines, List<String> namespaces, String error) {
    }

    private final String cluster;
    private final KubernetesClient client;
    private final List<String> namespaces;
    private final Supplier<Set<String>> existingNamespaces;
    private final Consumer<Facts> onChange;
    private final Map<String, SharedIndexInformer<DaemonSet>> informers = new TreeMap<>();
    /** Per namespace, why its last list or watch failed; absent: no failure since it last synced. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private Facts last;
    private volatile boolean closed;

    /**
     * @param existingNamespaces the namespaces the cluster has now (the namespace informer's cache)
     * @param onChange called (on an informer or the caller's thread, one call at a time) when the facts
     *        change; it must not block
     */
    public PolicyEngineWatch(String cluster, KubernetesClient client, List<String> namespaces,
            Supplier<Set<String>> existingNamespaces, Consumer<Facts> onChange) {
        this.cluster = Objects.requireNonNull(cluster);
        this.client = Objects.requireNonNull(client);
        this.namespaces = List.copyOf(namespaces);
        this.existingNamespaces = Objects.requireNonNull(existingNamespaces);
        this.onChange = Objects.requireNonNull(onChange);
    }

    public synchronized void start() {
        for (String ns : namespaces) {
            SharedIndexInformer<DaemonSet> inf = client.apps().daemonSets().inNamespace(ns).runnableInformer(0);
            inf.exceptionHandler((isStarted, t) -> {
                String why = describe(ns, t);
                if (!why.equals(failures.put(ns, why))) {
                    LOG.info("cluster {}: policy engines: {} (retrying)", cluster, why);
                }
                refresh();
                return true; // keep retrying: a Role granted later is picked up
            });
            inf.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(DaemonSet obj) {
                    refresh();
                }

                @Override
                public void onUpdate(DaemonSet oldObj, DaemonSet newObj) {
                    refresh();
                }

                @Override
                public void onDelete(DaemonSet obj, boolean deletedFinalStateUnknown) {
                    refresh();
                }
            });
            informers.put(ns, inf);
            inf.start().whenComplete((v, t) -> {
                if (t == null) {
                    failures.remove(ns);
                    refresh();
                }
            });
        }
        refresh();
    }

    /** Every namespace was listed, or failed for a reason on record. */
    public boolean looked() {
        for (Map.Entry<String, SharedIndexInformer<DaemonSet>> e : informers.entrySet()) {
            if (!e.getValue().hasSynced() && !failures.containsKey(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Re-derives the facts and reports them if they changed (cheap: a few DaemonSets). Reported
     * under the lock, so that two threads refreshing at once can never hand over the older facts last.
     */
    public synchronized void refresh() {
        if (closed) {
            return;
        }
        Facts now = current();
        if (!now.equals(last)) {
            last = now;
            onChange.accept(now);
        }
    }

    /** The facts as of now. */
    public synchronized Facts current() {
        if (!looked()) {
            return new Facts(null, namespaces, null);
        }
        Set<String> existing = existingNamespaces.get();
        List<PolicyEngineFacts> found = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, SharedIndexInformer<DaemonSet>> e : informers.entrySet()) {
            SharedIndexInformer<DaemonSet> inf = e.getValue();
            if (inf.hasSynced()) {
                for (DaemonSet ds : inf.getStore().list()) {
                    if (ds.getMetadata().getDeletionTimestamp() == null) {
                        PolicyEngines.detect(workload(ds)).ifPresent(found::add);
                    }
                }
            }
            // A failure counts while the informer is not watching (a watch that works again clears it).
            String failure = inf.isWatching() ? null : failures.get(e.getKey());
            if (failure != null && existing.contains(e.getKey())) {
                errors.add(failure);
            }
        }
        found.sort(Comparator.comparing(PolicyEngineFacts::getNamespace).thenComparing(PolicyEngineFacts::getName));
        return new Facts(List.copyOf(found), namespaces, errors.isEmpty() ? null : String.join("; ", errors));
    }

    /** A DaemonSet as the detection table reads it: its and its pods' labels, containers, status counts. */
    static PolicyEngines.Workload workload(DaemonSet ds) {
        Map<String, String> labels = new HashMap<>();
        var spec = ds.getSpec();
        var template = spec == null ? null : spec.getTemplate();
        if (template != null && template.getMetadata() != null && template.getMetadata().getLabels() != null) {
            labels.putAll(template.getMetadata().getLabels());
        }
        if (ds.getMetadata().getLabels() != null) {
            labels.putAll(ds.getMetadata().getLabels());
        }
        List<PolicyEngines.Container> containers = new ArrayList<>();
        if (template != null && template.getSpec() != null && template.getSpec().getContainers() != null) {
            for (Container c : template.getSpec().getContainers()) {
                List<String> args = new ArrayList<>();
                if (c.getArgs() != null) {
                    args.addAll(c.getArgs());
                }
                if (c.getCommand() != null) {
                    args.addAll(c.getCommand());
                }
                containers.add(new PolicyEngines.Container(c.getName(), c.getImage(), args));
            }
        }
        var status = ds.getStatus();
        return new PolicyEngines.Workload("DaemonSet", ds.getMetadata().getNamespace(), ds.getMetadata().getName(),
                labels, containers, status == null ? null : status.getDesiredNumberScheduled(),
                status == null ? null : status.getNumberReady());
    }

    /** Why a list of DaemonSets in {@code ns} failed, in one line, without credentials. */
    static String describe(String ns, Throwable t) {
        Throwable c = t;
        while (c != null && !(c instanceof KubernetesClientException) && c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        if (c instanceof KubernetesClientException k && k.getCode() == 403) {
            return "forbidden: list daemonsets.apps in " + ns
                    + " (grant the collector the fencewatch-collector-policy-engines Role there)";
        }
        if (c instanceof KubernetesClientException k && k.getCode() > 0) {
            return "list daemonsets.apps in " + ns + " failed: HTTP " + k.getCode();
        }
        return "list daemonsets.apps in " + ns + " failed: " + (t == null ? "?" : t.getClass().getSimpleName());
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (SharedIndexInformer<DaemonSet> inf : informers.values()) {
            try {
                inf.stop();
            } catch (RuntimeException e) {
                LOG.debug("cluster {}: stopping a DaemonSet informer: {}", cluster, e.toString());
            }
        }
    }
}
