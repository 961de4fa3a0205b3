package io.fencewatch.collector;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/** Several mock API servers (CRUD mode) for a fleet test, each on a port of its own or a chosen one. */
public final class FleetTestClusters implements AutoCloseable {
    /** One cluster's API server and a client to write through. */
    public record Api(KubernetesMockServer server, KubernetesClient client) {
        public String url() {
            return "http://127.0.0.1:" + server.getPort();
        }

        public void createNamespace(String name) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                    .create();
        }
    }

    private final Map<String, Api> apis = new LinkedHashMap<>();

    public static String uniquePrefix() {
        return "t" + UUID.randomUUID().toString().substring(0, 8);
    }

    public Api start(String name) {
        return start(name, 0);
    }

    public synchronized Api start(String name, int port) {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        server.init(InetAddress.getLoopbackAddress(), port);
        Api api = new Api(server, server.createClient());
        apis.put(name, api);
        return api;
    }

    public synchronized Api get(String name) {
        return apis.get(name);
    }

    @Override
    public synchronized void close() {
        for (Api a : apis.values()) {
            a.client().close();
            a.server().destroy();
        }
        apis.clear();
    }
}
