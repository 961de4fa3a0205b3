package io.fencewatch.sandbox;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * {@link SandboxKubectlIT}'s tests with {@code --control-plane=real}: the same kubectl commands, REST
 * answers, drift lines and audit against a real kube-apiserver, etcd and namespace controller that the
 * sandbox starts itself (the extension only checks that the binaries are built, or skips saying why).
 */
class SandboxKubectlRealApiServerIT extends SandboxKubectlIT {
    @RegisterExtension
    static final BinariesPresent BINARIES = new BinariesPresent();

    @Override
    SandboxConfig config(Path data) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "control-plane", "real")).withPortsChosen();
    }

    /** Not repeated here: watching another cluster's kubeconfig does not involve the sandbox's own control plane. */
    @Override
    void shouldWatchTheClusterOfAKubeconfigInsteadOfItsOwnWhenGivenOne() {
    }

    /** Skips (one line) where Go is absent and nothing is built; fails where Go is present but the build is missing. */
    static final class BinariesPresent implements org.junit.jupiter.api.extension.BeforeAllCallback {
        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) {
            KubeControlPlaneExtension.requireBinaries();
        }
    }
}
