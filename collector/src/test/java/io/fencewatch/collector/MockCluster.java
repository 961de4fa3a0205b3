package io.fencewatch.collector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * fabric8's mock API server in CRUD mode, with a client for the test to write through and fresh
 * clients for agents. Clients are closed one at a time (closing many watches at once can stall
 * the mock server's event loop).
 */
final class MockCluster implements TestCluster {
    final KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher(List.of());
    final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            dispatcher, false);
    final KubernetesClient api;
    private final List<KubernetesClient> clients = new ArrayList<>();

    MockCluster() {
        server.init();
        api = newClient();
    }

    @Override
    public KubernetesClient api() {
        return api;
    }

    @Override
    public Set<String> baseline() {
        return Set.of();
    }

    @Override
    public boolean terminatesNamespaces() {
        return false;
    }

    @Override
    public KubernetesClient newClient() {
        KubernetesClient c = server.createClient();
        clients.add(c);
        return c;
    }

    @Override
    public Namespace createNamespace(String name, Map<String, String> labels) {
        return api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().withNewStatus().withPhase("Active").endStatus().build()).create();
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
    }

    @Override
    public void deletePolicy(String namespace, String name) {
        api.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    @Override
    public void close() {
        for (KubernetesClient c : clients) {
            c.close();
        }
        server.destroy();
    }
}
