package io.fencewatch.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceList;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;

/**
 * One cluster's namespaces and NetworkPolicies, read with one paged list of each, as facts: the
 * same translation the collector publishes, so the audit sees what the processor sees.
 */
public final class ClusterReader {

    /** A namespace as listed: its facts, uid, and its policies' names and facts (by name). */
    public record Listed(String name, String uid, NamespaceFacts facts, TreeMap<String, PolicyFacts> policies) {
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
}
