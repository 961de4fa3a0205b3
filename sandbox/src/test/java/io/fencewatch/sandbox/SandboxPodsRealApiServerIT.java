package io.fencewatch.sandbox;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.fencewatch.sandbox.SandboxKubectlIT.Kubectl;

/**
 * {@link SandboxPodsIT}'s tests with {@code --control-plane=real}: {@code kubectl create deployment} makes a real
 * Deployment, kube-controller-manager creates its ReplicaSet and pods (Pending: there is no kubelet), and the
 * collector resolves each pod's owner through the ReplicaSet's {@code pod-template-hash} to the Deployment;
 * deleting the Deployment has the garbage collector delete its pods. Skips (one line) where Go is absent and
 * nothing is built, as {@link SandboxKubectlRealApiServerIT}.
 */
class SandboxPodsRealApiServerIT extends SandboxPodsIT {
    @RegisterExtension
    static final SandboxKubectlRealApiServerIT.BinariesPresent BINARIES = new SandboxKubectlRealApiServerIT.BinariesPresent();

    @Override
    SandboxConfig config(Path data, boolean watchPods) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "watch-pods", String.valueOf(watchPods),
                "control-plane", "real")).withPortsChosen();
    }

    @Override
    void deploy(Kubectl kubectl, String namespace, String name, int replicas) throws Exception {
        kubectl.ok("create", "deployment", name, "-n", namespace, "--image=registry.example/" + name + ":1.0",
                "--replicas=" + replicas);
    }

    @Override
    void undeploy(Kubectl kubectl, String namespace, String name) throws Exception {
        kubectl.ok("delete", "deployment", name, "-n", namespace);
    }
}
