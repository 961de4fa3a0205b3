package io.fencewatch.collector;

import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * An API server the collector tests run against: fabric8's CRUD mock ({@link MockCluster}) or a real
 * control plane ({@link RealCluster}). The same test bodies run on both; where a real API server
 * behaves otherwise (system namespaces, Terminating, defaulting, validation) the test asks here.
 */
interface TestCluster extends AutoCloseable {
    /** A client for the test's own writes. */
    KubernetesClient api();

    /** A new client for an agent; closed with the cluster. */
    KubernetesClient newClient();

    Namespace createNamespace(String name, Map<String, String> labels);

    default Namespace createNamespace(String name) {
        return createNamespace(name, Map.of("kubernetes.io/metadata.name", name));
    }

    NetworkPolicy createDefaultDeny(String namespace, String name);

    /** Deletes a namespace and returns once it is gone (a real one goes through Terminating first). */
    void deleteNamespace(String name);

    void deletePolicy(String namespace, String name);

    /** Namespaces that exist before the test creates any (a real server's default, kube-system, ...). */
    Set<String> baseline();

    /** True when deleting a namespace first marks it Terminating (a MODIFIED event) before it is gone. */
    boolean terminatesNamespaces();

    @Override
    void close();
}
