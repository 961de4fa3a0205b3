package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * {@link CollectorProcessorEndToEndIT}'s tests, unchanged, against a real kube-apiserver, etcd and
 * namespace controller: the deletion's Terminating, policy deletion and removal are the namespace
 * controller's own.
 */
class CollectorProcessorEndToEndRealApiServerIT extends CollectorProcessorEndToEndIT {
    @RegisterExtension
    static final KubeControlPlaneExtension KUBE = new KubeControlPlaneExtension();

    @Override
    Supplier<KubernetesClient> apiServer() {
        try {
            Config config = Config.fromKubeconfig(Files.readString(KUBE.controlPlane().kubeconfig()));
            return () -> new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The control plane is shared with other classes: leave only its system namespaces. */
    @AfterAll
    void deleteOurNamespaces() {
        try (KubernetesClient k = clients.get()) {
            k.namespaces().withName("payments").delete();
        }
    }
}
