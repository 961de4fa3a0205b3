package io.fencewatch.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceList;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetList;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.kube.FenceTranslator;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.collector.kube.ChangeType;
import io.fencewatch.collector.kube.WorkloadShapes;
import io.fencewatch.rules.Fence;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;

/**
 * One cluster's namespaces and NetworkPolicies, read with one paged list of each, as facts: the
 * same translation the collector publishes, so the audit sees what the processor sees; so are the
 * policies of the other kinds it serves (Calico, Cilium, admin network policies). For
 * FW-NP-002 also the DaemonSets of the policy-engine namespaces, matched by the rule's detection
 * table ({@link PolicyEngines}), as the cluster facts a collector reports. For FW-NP-003 (when
 * asked) every pod, grouped into the collector's workload shapes ({@link WorkloadShapes}).
 */
public final class ClusterReader {

    /** A namespace as listed: its facts, uid, and its policies' names and facts (by name). */
    public record Listed(String name, String uid, NamespaceFacts facts, TreeMap<String, PolicyFacts> policies) {
    }

    /**
     * The policies of the other kinds the cluster serves (Calico, Cilium, the admin network
     * policies), as the collector translates them: the namespaced ones by namespace, the
     * cluster-scoped ones apart, and what could not be listed (a forbidden kind: the audit then
     * under-states isolation, never over-states it). A kind the cluster does not serve is empty.
     */
    public record PolicyFences(Map<String, List<Fence>> byNamespace, List<Fence> clusterWide, List<String> errors) {
        public static final PolicyFences NONE = new PolicyFences(Map.of(), List.of(), List.of());

        /** What may fence {@code namespace}: its own policies of other kinds and every cluster-scoped one. */
        public List<Fence> of(String namespace) {
            List<Fence> own = byNamespace.getOrDefault(namespace, List.of());
            if (own.isEmpty()) {
                return clusterWide;
            }
            List<Fence> out = new ArrayList<>(own);
            out.addAll(clusterWide);
            return out;
        }

        /** Why the listing is incomplete, or null. */
        public String problem() {
            return errors.isEmpty() ? null : String.join("; ", errors);
        }
    }

    /**
     * The cluster's workload shapes by namespace, as the collector publishes them (a namespace without
     * pods is absent); or, when the pods could not be listed, none and why ({@code problem}): the
     * audit then has no FW-NP-003 verdict, as a processor whose collector does not watch pods.
     */
    public record PodShapes(Map<String, List<NamespaceState.Workload>> byNamespace, String problem) {
        /** The shapes of {@code namespace} ([] when it has no pods), or null when the pods are not known. */
        public List<NamespaceState.Workload> of(String namespace) {
            return problem != null ? null : byNamespace.getOrDefault(namespace, List.of());
        }
    }

    private final EventTranslator translator = new EventTranslator(List.of(CollectorConfig.FENCEWATCH_ANNOTATIONS));
    private final int pageSize;

    public ClusterReader(int pageSize) {
        this.pageSize = pageSize;
    }

    /** fabric8's client for a target: a named context of {@code kubeconfig} (or auto-configuration). */
    public static KubernetesClient client(Path kubeconfig, String context, Duration timeout) {
        Config config = kubeconfig != null ? Config.fromKubeconfig(context, kubeconfig.toFile())
                : Config.autoConfigure(context);
        config.setRequestTimeout((int) timeout.toMillis());
        config.setConnectionTimeout((int) Math.min(timeout.toMillis(), 10_000));
        config.setRequestRetryBackoffLimit(1);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** The cluster's current context name, for a default cluster id; null in-cluster. */
    public static String currentContext(KubernetesClient client) {
        var ctx = client.getConfiguration().getCurrentContext();
        return ctx == null ? null : ctx.getName();
    }

    /** Every namespace with its policies, sorted by name. */
    public List<Listed> read(KubernetesClient client, String cluster) {
        Source source = new Source(cluster, "fencewatch-audit", 0L, 0L, java.time.Instant.now());
        Map<String, Listed> byName = new TreeMap<>();
        String token = null;
        do {
            NamespaceList page = client.namespaces().list(new ListOptionsBuilder().withLimit((long) pageSize)
                    .withContinue(token).build());
            for (Namespace ns : page.getItems()) {
                InventoryEvent e = translator.namespaceEvent(ns, Op.SNAPSHOT, source);
                if (e != null) {
                    byName.put(e.getName(), new Listed(e.getName(), e.getUid(), e.getNamespaceFacts(), new TreeMap<>()));
                }
            }
            token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (token != null && !token.isEmpty());
        token = null;
        do {
            NetworkPolicyList page = client.network().v1().networkPolicies().inAnyNamespace()
                    .list(new ListOptionsBuilder().withLimit((long) pageSize).withContinue(token).build());
            for (NetworkPolicy np : page.getItems()) {
                InventoryEvent e = translator.policyEvent(np, Op.SNAPSHOT, source);
                Listed ns = e == null ? null : byName.get(e.getNamespace());
                if (ns != null) {
                    ns.policies().put(e.getName(), e.getPolicyFacts());
                }
            }
            token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (token != null && !token.isEmpty());
        return new ArrayList<>(byName.values());
    }

    /**
     * The policies of {@code kinds} the cluster serves, one paged list of each: a kind it does not
     * serve (404) is empty; one the audit may not list (403) or that fails otherwise is an error. A kind
     * served in two places (Calico: {@code projectcalico.org/v3}, else its CRDs
     * {@code crd.projectcalico.org/v1}) is read from the first that answers, as the collector does, never
     * both: when v3 is not served (404) or fails (403, 503 from an API server that is down) its CRDs are
     * read instead, and the v3 failure is an error only if they cannot be read either.
     */
    public PolicyFences fences(KubernetesClient client, String cluster, Collection<PolicyKind> kinds) {
        if (kinds.isEmpty()) {
            return PolicyFences.NONE;
        }
        Source source = new Source(cluster, "fencewatch-audit", 0L, 0L, java.time.Instant.now());
        Map<String, List<Fence>> byNamespace = new TreeMap<>();
        List<Fence> clusterWide = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (PolicyKind kind : kinds) {
            String firstError = null;
            for (PolicyKind.Served served : kind.servedAs()) {
                List<Fence> read = new ArrayList<>();
                try {
                    String token = null;
                    do {
                        var resources = client.genericKubernetesResources(served.context());
                        var options = new ListOptionsBuilder().withLimit((long) pageSize).withContinue(token).build();
                        GenericKubernetesResourceList page = kind.clusterScoped() ? resources.list(options)
                                : resources.inAnyNamespace().list(options);
                        for (GenericKubernetesResource r : page.getItems()) {
                            InventoryEvent e = FenceTranslator.event(kind, r, Op.SNAPSHOT, source);
                            if (e != null) {
                                read.add(new Fence(e.getKind(), e.getNamespace(), e.getName(), e.getFenceFacts()));
                            }
                        }
                        token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
                    } while (token != null && !token.isEmpty());
                } catch (KubernetesClientException e) {
                    if (firstError == null && e.getCode() == 403) {
                        firstError = "forbidden: list " + served.resource();
                    } else if (firstError == null && e.getCode() != 404) {
                        firstError = "list " + served.resource() + " failed: " + Targets.oneLine(e);
                    }
                    continue; // not served here (or not readable): the next place, if any
                }
                for (Fence f : read) {
                    if (f.clusterScoped()) {
                        clusterWide.add(f);
                    } else {
                        byNamespace.computeIfAbsent(f.namespace(), k -> new ArrayList<>()).add(f);
                    }
                }
                firstError = null;
                break;
            }
            if (firstError != null) {
                errors.add(firstError);
            }
        }
        return new PolicyFences(byNamespace, List.copyOf(clusterWide), List.copyOf(errors));
    }

    /**
     * Every pod of every namespace, one paged list, counted by {@link WorkloadShapes#shapeOf} (an ended
     * pod counts nowhere) and translated by {@link EventTranslator#workloadEvent} as the collector's
     * snapshot would be. A 403 or another failure gives no shapes and a one-line problem.
     */
    public PodShapes workloads(KubernetesClient client, String cluster) {
        Map<WorkloadShapes.Shape, Integer> counts = new LinkedHashMap<>();
        try {
            String token = null;
            do {
                PodList page = client.pods().inAnyNamespace()
                        .list(new ListOptionsBuilder().withLimit((long) pageSize).withContinue(token).build());
                count(counts, page.getItems());
                token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
            } while (token != null && !token.isEmpty());
        } catch (KubernetesClientException e) {
            return new PodShapes(Map.of(), e.getCode() == 403 ? "forbidden: list pods"
                    : "list pods failed: " + Targets.oneLine(e));
        }
        return shapes(cluster, counts);
    }

    /** Adds each pod that has not ended to its shape's count; returns {@code counts}. */
    static Map<WorkloadShapes.Shape, Integer> count(Map<WorkloadShapes.Shape, Integer> counts, List<Pod> pods) {
        for (Pod pod : pods) {
            WorkloadShapes.Shape shape = WorkloadShapes.shapeOf(pod);
            if (shape != null) {
                counts.merge(shape, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Counted shapes as the collector's snapshot events carry them, by namespace, each namespace's by id. */
    static PodShapes shapes(String cluster, Map<WorkloadShapes.Shape, Integer> counts) {
        Source source = new Source(cluster, "fencewatch-audit", 0L, 0L, java.time.Instant.now());
        Map<String, List<NamespaceState.Workload>> byNamespace = new TreeMap<>();
        counts.forEach((shape, n) -> {
            InventoryEvent e = EventTranslator.workloadEvent(new WorkloadShapes.Change(ChangeType.UPSERT, shape, n),
                    Op.SNAPSHOT, source);
            byNamespace.computeIfAbsent(e.getNamespace(), k -> new ArrayList<>())
                    .add(new NamespaceState.Workload(e.getName(), e.getWorkloadFacts()));
        });
        byNamespace.values().forEach(l -> l.sort(java.util.Comparator.comparing(NamespaceState.Workload::name)));
        return new PodShapes(byNamespace, null);
    }

    /**
     * The cluster facts FW-NP-002 is judged on: the NetworkPolicy engines among the DaemonSets of
     * {@code namespaces} (one paged list each). A namespace whose list is forbidden (403) is an
     * error when it exists (it is one of {@code existing}: it may hold an engine the audit cannot
     * see), and is ignored when it does not; one the server does not know (404) is ignored. Any
     * other failure is an error too. Empty {@code namespaces}: nothing is looked at, and the facts
     * say so (no engine list).
     *
     * @param existing the names of the cluster's namespaces, as {@link #read} listed them
     */
    public ClusterFacts policyEngines(KubernetesClient client, List<String> namespaces, Collection<String> existing) {
        ClusterFacts.Builder facts = ClusterFacts.newBuilder().setProvider("kubernetes")
                .setPolicyEngineNamespaces(new ArrayList<>(namespaces));
        if (namespaces.isEmpty()) {
            return facts.setPolicyEngines(null).build();
        }
        List<PolicyEngineFacts> engines = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (String ns : namespaces) {
            try {
                String token = null;
                do {
                    DaemonSetList page = client.apps().daemonSets().inNamespace(ns)
                            .list(new ListOptionsBuilder().withLimit((long) pageSize).withContinue(token).build());
                    for (DaemonSet ds : page.getItems()) {
                        PolicyEngines.detect(workload(ds)).ifPresent(engines::add);
                    }
                    token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
                } while (token != null && !token.isEmpty());
            } catch (KubernetesClientException e) {
                if (e.getCode() == 403 && existing.contains(ns)) {
                    errors.add("forbidden: list daemonsets.apps in " + ns);
                } else if (e.getCode() != 403 && e.getCode() != 404) {
                    errors.add("list daemonsets.apps in " + ns + " failed: " + Targets.oneLine(e));
                }
            }
        }
        return facts.setPolicyEngines(engines).setPolicyEnginesError(errors.isEmpty() ? null : String.join("; ", errors))
                .build();
    }

    /** A DaemonSet as the detection table reads it: its labels and its pod template's, containers, status counts. */
    public static PolicyEngines.Workload workload(DaemonSet ds) {
        Map<String, String> labels = new LinkedHashMap<>();
        PodTemplateSpec template = ds.getSpec() == null ? null : ds.getSpec().getTemplate();
        if (template != null && template.getMetadata() != null && template.getMetadata().getLabels() != null) {
            labels.putAll(template.getMetadata().getLabels());
        }
        if (ds.getMetadata().getLabels() != null) {
            labels.putAll(ds.getMetadata().getLabels()); // the DaemonSet's own label wins a clash
        }
        List<PolicyEngines.Container> containers = new ArrayList<>();
        if (template != null && template.getSpec() != null && template.getSpec().getContainers() != null) {
            template.getSpec().getContainers().forEach(c -> containers.add(new PolicyEngines.Container(c.getName(),
                    c.getImage(), c.getArgs())));
        }
        var status = ds.getStatus();
        return new PolicyEngines.Workload("DaemonSet", ds.getMetadata().getNamespace(), ds.getMetadata().getName(),
                labels, containers, status == null ? null : status.getDesiredNumberScheduled(),
                status == null ? null : status.getNumberReady());
    }
}
