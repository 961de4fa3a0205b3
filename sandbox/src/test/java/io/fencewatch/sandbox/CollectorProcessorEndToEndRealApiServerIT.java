package io.fencewatch.sandbox;

import java.nio.file.Files;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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

    /** Hides the superclass's start: the same pipeline, watching the real API server. */
    @BeforeAll
    static void startEverything() throws Exception {
        Config config = Config.fromKubeconfig(Files.readString(KUBE.controlPlane().kubeconfig()));
        startAgainst(() -> new KubernetesClientBuilder().withConfig(config).build());
    }

    /** The control plane is shared with other classes: leave only its system namespaces. */
    @AfterAll
    static void deleteOurNamespaces() {
        try (KubernetesClient k = clients.get()) {
            k.namespaces().withName("payments").delete();
        }
    }
}
