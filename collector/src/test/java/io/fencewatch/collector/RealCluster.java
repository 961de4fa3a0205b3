package io.fencewatch.collector;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.controlplane.KubeControlPlane;

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager) seen through the same
 * surface as {@link MockCluster}. The control plane is shared between tests, so {@link #close()}
 * deletes every namespace the test left behind and waits until the namespace controller has
 * removed them: the next test starts from the {@link #baseline()} again.
 */
final class RealCluster implements TestCluster {
    /** What a fresh kube-apiserver creates by itself. */
    static final Set<String> SYSTEM_NAMESPACES = Set.of("default", "kube-system", "kube-public", "kube-node-lease");
    static final Duration NAMESPACE_GONE = Duration.ofSeconds(60);

    private final KubeControlPlane controlPlane;
    private final Config config;
    private final KubernetesClient api;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final boolean cleanUp;

    /** On the shared control plane: {@link #close()} deletes what the test left. */
    RealCluster(KubeControlPlane controlPlane) {
        this(controlPlane, true);
    }

    /** {@code cleanUp} false: on a control plane of the class's own, which is thrown away with what is in it. */
    RealCluster(KubeControlPlane controlPlane, boolean cleanUp) {
        this.controlPlane = controlPlane;
        this.cleanUp = cleanUp;
        try {
            this.config = Config.fromKubeconfig(Files.readString(controlPlane.kubeconfig()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.api = newClient();
    }

    /** A fabric8 client for a kubeconfig of the same control plane (another user's, say). */
    static KubernetesClient client(String kubeconfigYaml) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
    }

    KubeControlPlane controlPlane() {
        return controlPlane;
    }

    @Override
    public KubernetesClient api() {
        return api;
    }

    @Override
    public KubernetesClient newClient() {
        KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
        clients.add(c);
        return c;
    }

    @Override
    public Namespace createNamespace(String name, Map<String, String> labels) {
        return api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).create();
    }

    @Override
    public NetworkPolicy createDefaultDeny(String namespace, String name) {
        return api.network().v1().networkPolicies().inNamespace(namespace).resource(new NetworkPolicyBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
                .build()).create();
    }

    @Override
    public void deleteNamespace(String name) {
        api.namespaces().withName(name).delete();
        await().atMost(NAMESPACE_GONE).until(() -> api.namespaces().withName(name).get() == null);
    }

    @Override
    public void deletePolicy(String namespace, String name) {
        api.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    @Override
    public Set<String> baseline() {
        return SYSTEM_NAMESPACES;
    }

    @Override
    public boolean terminatesNamespaces() {
        return true;
    }

    @Override
    public void close() {
        try {
            if (!cleanUp) {
                return;
            }
            List<String> left = api.namespaces().list().getItems().stream().map(n -> n.getMetadata().getName())
                    .filter(n -> !SYSTEM_NAMESPACES.contains(n)).toList();
            left.forEach(n -> api.namespaces().withName(n).delete());
            await().atMost(NAMESPACE_GONE).until(() -> api.namespaces().list().getItems().stream()
                    .allMatch(n -> SYSTEM_NAMESPACES.contains(n.getMetadata().getName())));
        } finally {
            for (KubernetesClient c : clients) {
                c.close();
            }
        }
    }
}
