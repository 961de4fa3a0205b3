package io.fencewatch.sandbox;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.fencewatch.sandbox.SandboxKubectlIT.Kubectl;

/**
 * {@link SandboxPolicyKindsIT}'s tests with {@code --control-plane=real}: a real kube-apiserver serves none of the
 * policy kinds, so each test first applies with kubectl the CRDs of those it uses (projectcalico.org/v3
 * GlobalNetworkPolicy, cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, schemas that preserve
 * unknown fields) and waits for them to be Established; the collector, started before, finds them through its CRD
 * watch. "Cilium served later" is its CRD applied after the start. Skips (one line) where Go is absent and nothing
 * is built, as {@link SandboxKubectlRealApiServerIT}.
 */
class SandboxPolicyKindsRealApiServerIT extends SandboxPolicyKindsIT {
    @RegisterExtension
    static final SandboxKubectlRealApiServerIT.BinariesPresent BINARIES = new SandboxKubectlRealApiServerIT.BinariesPresent();

    @Override
    SandboxConfig config(Path data, String profile) {
        return SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", data.toString(), "scenario", "none", "profile", profile, "control-plane", "real"))
                .withPortsChosen();
    }

    @Override
    void installKinds(Kubectl kubectl, String... plurals) throws Exception {
        List<String> args = new ArrayList<>(List.of("apply"));
        for (String f : crdFiles(plurals)) {
            args.add("-f");
            args.add(f);
        }
        kubectl.ok(args.toArray(String[]::new));
        List<String> wait = new ArrayList<>(List.of("wait", "--for=condition=Established", "--timeout=30s"));
        for (String p : plurals) {
            wait.add("crd/" + p + "." + (p.startsWith("cilium") ? "cilium.io" : "projectcalico.org"));
        }
        kubectl.ok(wait.toArray(String[]::new));
        // Established is not yet in kubectl's discovery: until then an apply says "no matches for kind".
        for (String p : plurals) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> kubectl.ok("get", p + "."
                    + (p.startsWith("cilium") ? "cilium.io" : "projectcalico.org"), "-A"));
        }
    }

    @Override
    void ciliumServed(Sandbox sandbox, Kubectl kubectl, boolean on) throws Exception {
        if (on) {
            installKinds(kubectl, "ciliumclusterwidenetworkpolicies");
        }
        // off: a real kube-apiserver serves no cilium.io kind until its CRD exists
    }
}
