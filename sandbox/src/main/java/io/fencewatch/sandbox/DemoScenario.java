package io.fencewatch.sandbox;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The {@code --scenario demo} story, played once on the simulated cluster with pauses so that each
 * drift shows as it happens: three teams' namespaces appear (two fenced by default-deny, one not),
 * a policy is deleted, a legacy namespace is exempted with {@code fencewatch.io/exempt}, a team fences
 * only some of its pods (FW-NP-003) and then all of them; last, the
 * platform team installs Calico ({@link CalicoNode}), so that the policies are enforced (FW-NP-002),
 * and adds a Calico GlobalNetworkPolicy default deny that fences every team's namespace, the
 * forgotten one included. Then the cluster is the user's.
 */
final class DemoScenario extends ScenarioThread {
    private static final Logger LOG = LoggerFactory.getLogger(DemoScenario.class);
    static final String INSTALL_CALICO = "the platform team installs Calico (a calico-node DaemonSet in kube-system)"
            + " → policies are now enforced";
    static final String UNINSTALL_HINT = "kubectl delete daemonset calico-node -n kube-system turns it back: the"
            + " policies stay, nothing enforces them";

    static final String GLOBAL_DENY = "the platform team adds a Calico GlobalNetworkPolicy 'default-deny' for every"
            + " namespace with a team label → it fences analytics too (FW-NP-001 still counts NetworkPolicy objects;"
            + " --profile=effective counts it)";
    static final String SHOP_PARTIAL = "team shop creates 'shop' with 2 api and 2 web pods, and a policy for its api"
            + " pods only → FW-NP-001 passes, yet FW-NP-003 finds Deployment shop-web unfenced";
    static final String SHOP_FENCED = "shop adds a default-deny for every pod → every workload is selected";
    private static final ResourceDefinitionContext GNP = new ResourceDefinitionContext.Builder()
            .withGroup("projectcalico.org").withVersion("v3").withKind("GlobalNetworkPolicy")
            .withPlural("globalnetworkpolicies").withNamespaced(false).build();

    /** One step: what the terminal says, then what is done. */
    private record Step(String say, Runnable action) {
    }

    private final Supplier<KubernetesClient> clients;
    private final PrintStream out;
    private final Duration pause;

    DemoScenario(Supplier<KubernetesClient> clients, PrintStream out, Duration pause) {
        super("fencewatch-sandbox-demo");
        this.clients = clients;
        this.out = out;
        this.pause = pause;
    }

    @Override
    void play() {
        try (KubernetesClient k = clients.get()) {
            List<Step> steps = List.of(
                    new Step("team payments creates namespace 'payments' and fences it with a default-deny policy",
                            () -> {
                                namespace(k, "payments", Map.of("team", "payments"));
                                policy(k, defaultDeny("payments"));
                            }),
                    new Step("team checkout creates 'checkout', also with default-deny", () -> {
                        namespace(k, "checkout", Map.of("team", "checkout"));
                        policy(k, defaultDeny("checkout"));
                    }),
                    new Step("team analytics creates 'analytics' and forgets the policy", () ->
                            namespace(k, "analytics", Map.of("team", "analytics"))),
                    new Step("someone deletes checkout's only policy", () ->
                            k.network().v1().networkPolicies().inNamespace("checkout").withName("default-deny").delete()),
                    new Step("'legacy-batch' appears without a policy...", () ->
                            namespace(k, "legacy-batch", Map.of("team", "data"))),
                    new Step("...and is exempted: label fencewatch.io/exempt=batch-jobs-until-q3-migration", () ->
                            k.namespaces().withName("legacy-batch").edit(ns -> new NamespaceBuilder(ns).editMetadata()
                                    .addToLabels("fencewatch.io/exempt", "batch-jobs-until-q3-migration").endMetadata()
                                    .build())),
                    new Step("checkout restores its default-deny", () -> policy(k, defaultDeny("checkout"))),
                    new Step(SHOP_PARTIAL, () -> {
                        namespace(k, "shop", Map.of("team", "shop"));
                        policy(k, allowApi("shop"));
                        for (int i = 0; i < 2; i++) {
                            pod(k, "shop", "api", i);
                            pod(k, "shop", "web", i);
                        }
                    }),
                    new Step(SHOP_FENCED, () -> policy(k, defaultDeny("shop"))),
                    new Step(INSTALL_CALICO, () -> k.apps().daemonSets().inNamespace(CalicoNode.NAMESPACE)
                            .resource(CalicoNode.daemonSet()).create()),
                    new Step(GLOBAL_DENY, () -> k.genericKubernetesResources(GNP).resource(globalDefaultDeny())
                            .create()));
            if (waitStop(pause)) {
                return;
            }
            for (Step s : steps) {
                out.println("demo:  " + s.say());
                s.action().run();
                if (waitStop(pause)) {
                    return;
                }
            }
            out.println("demo:  " + UNINSTALL_HINT);
            out.println("demo:  done; the cluster is yours (analytics is fenced by the GlobalNetworkPolicy, yet FW-NP-001 still"
                    + " finds it NON_COMPLIANT: try kubectl apply -f a default-deny policy in it)");
        } catch (KubernetesClientException e) {
            LOG.warn("demo scenario stopped: {}", e.getMessage());
            out.println("demo:  stopped: " + e.getMessage());
        }
    }

    private static void namespace(KubernetesClient k, String name, Map<String, String> labels) {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .build()).create();
    }

    private static void policy(KubernetesClient k, NetworkPolicy p) {
        k.network().v1().networkPolicies().inNamespace(p.getMetadata().getNamespace()).resource(p).create();
    }

    /**
     * A pod of Deployment {@code shop-<app>} as its ReplicaSet would create it (the simulated cluster
     * runs no controllers): the ReplicaSet as controlling owner, {@code pod-template-hash}, phase Pending.
     */
    private static void pod(KubernetesClient k, String namespace, String app, int i) {
        String hash = "5d8f7c9b4";
        String rs = namespace + "-" + app + "-" + hash;
        k.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(rs + "-" + i).withNamespace(namespace)
                .addToLabels("app", app).addToLabels("pod-template-hash", hash)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(rs)
                .withUid("00000000-0000-4000-8000-00000000000" + (app.equals("api") ? 1 : 2)).withController(true)
                .endOwnerReference().endMetadata()
                .withNewSpec().addNewContainer().withName(app).withImage("registry.example/" + app + ":1.0").endContainer()
                .endSpec().build()).create();
    }

    /** Ingress to the api pods from the web pods only: it selects app=api, nothing else. */
    static NetworkPolicy allowApi(String namespace) {
        return new NetworkPolicyBuilder()
                .withNewMetadata().withName("allow-web-to-api").withNamespace(namespace).endMetadata()
                .withNewSpec()
                .withNewPodSelector().addToMatchLabels("app", "api").endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress().addNewFrom().withNewPodSelector().addToMatchLabels("app", "web").endPodSelector()
                .endFrom().endIngress()
                .endSpec()
                .build();
    }

    /**
     * Calico's documented cluster-wide default deny, for the namespaces that carry a team label:
     * ingress and egress, DNS to kube-system allowed (projectcalico.org/v3 GlobalNetworkPolicy).
     */
    static GenericKubernetesResource globalDefaultDeny() {
        return Serialization.unmarshal("""
                apiVersion: projectcalico.org/v3
                kind: GlobalNetworkPolicy
                metadata:
                  name: default-deny
                spec:
                  namespaceSelector: has(team)
                  types:
                  - Ingress
                  - Egress
                  egress:
                  - action: Allow
                    protocol: UDP
                    destination:
                      selector: k8s-app == 'kube-dns'
                      namespaceSelector: projectcalico.org/name == 'kube-system'
                      ports:
                      - 53
                """, GenericKubernetesResource.class);
    }

    /** Deny all ingress and all egress except DNS to kube-system: the rule's own remediation. */
    static NetworkPolicy defaultDeny(String namespace) {
        return new NetworkPolicyBuilder()
                .withNewMetadata().withName("default-deny").withNamespace(namespace).endMetadata()
                .withNewSpec()
                .withNewPodSelector().endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .addNewEgress()
                .addNewTo().withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", "kube-system")
                .endNamespaceSelector().endTo()
                .addNewPort().withProtocol("UDP").withNewPort(53).endPort()
                .addNewPort().withProtocol("TCP").withNewPort(53).endPort()
                .endEgress()
                .endSpec()
                .build();
    }
}
