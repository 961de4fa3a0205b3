package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fencewatch.rules.Enforcement.State;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

class EnforcementTest {

    private static ClusterFacts.Builder oke(String... cni) {
        return ClusterFacts.newBuilder().setProvider("oke").setCniTypes(List.of(cni))
                .setPolicyEngineNamespaces(List.of("kube-system", "calico-system"));
    }

    private static PolicyEngineFacts calico(Integer desired, Integer ready) {
        return PolicyEngineFacts.newBuilder().setEngine("calico").setNamespace("kube-system").setName("calico-node")
                .setImage("docker.io/calico/node:v3.28.0").setDesired(desired).setReady(ready).build();
    }

    @Test
    void okeFlannelWithoutCalicoIsNotEnforcedAndSaysWhy() {
        Enforcement e = Enforcement.of(oke("FLANNEL_OVERLAY").setPolicyEngines(List.of()).build());
        assertThat(e.state()).isEqualTo(State.NOT_ENFORCED);
        assertThat(e.enforced()).isFalse();
        assertThat(e.reason()).isEqualTo("no network policy engine found (OKE flannel overlay, no Calico)");
        assertThat(Enforcement.of(oke("OCI_VCN_IP_NATIVE").setPolicyEngines(List.of()).build()).reason())
                .isEqualTo("no network policy engine found (OKE VCN-native pod networking, no Calico)");
    }

    @Test
    void anotherClusterSaysWhereItLooked() {
        Enforcement e = Enforcement.of(ClusterFacts.newBuilder().setPolicyEngines(List.of())
                .setPolicyEngineNamespaces(List.of("kube-system", "calico-system")).build());
        assertThat(e.reason()).isEqualTo("no network policy engine found in kube-system, calico-system");
    }

    @Test
    void anEngineEnforcesWithItsVersionAndReadinessShown() {
        Enforcement e = Enforcement.of(oke("FLANNEL_OVERLAY").setPolicyEngines(List.of(calico(3, 2))).build());
        assertThat(e.state()).isEqualTo(State.ENFORCED);
        assertThat(e.enforced()).isTrue();
        assertThat(e.engines()).singleElement().satisfies(x -> {
            assertThat(x.name()).isEqualTo("Calico");
            assertThat(x.version()).isEqualTo("v3.28.0");
        });
        assertThat(e.reason()).isEqualTo("enforced by Calico v3.28.0 (kube-system/calico-node, 2/3 ready)");
        // No status yet (an API server without nodes): installed is what counts.
        assertThat(Enforcement.of(oke().setPolicyEngines(List.of(calico(null, null))).build()).reason())
                .isEqualTo("enforced by Calico v3.28.0 (kube-system/calico-node)");
    }

    @Test
    void anEngineFoundWinsOverAForbiddenNamespace() {
        assertThat(Enforcement.of(oke().setPolicyEngines(List.of(calico(1, 1)))
                .setPolicyEnginesError("forbidden: list daemonsets.apps in calico-system").build()).state())
                .isEqualTo(State.ENFORCED);
    }

    @Test
    void neverAGuess() {
        assertThat(Enforcement.of(null).state()).isEqualTo(State.UNKNOWN);
        Enforcement old = Enforcement.of(oke("FLANNEL_OVERLAY").build());
        assertThat(old.state()).isEqualTo(State.UNKNOWN);
        assertThat(old.enforced()).isNull();
        Enforcement forbidden = Enforcement.of(oke().setPolicyEngines(List.of())
                .setPolicyEnginesError("forbidden: list daemonsets.apps in calico-system").build());
        assertThat(forbidden.state()).isEqualTo(State.UNKNOWN);
        assertThat(forbidden.reason()).isEqualTo("cannot tell: forbidden: list daemonsets.apps in calico-system");
    }

    @Test
    void theShortcutAgreesWithTheVerdict() {
        List<ClusterFacts> cases = List.of(oke("FLANNEL_OVERLAY").build(),
                oke("FLANNEL_OVERLAY").setPolicyEngines(List.of()).build(),
                oke().setPolicyEngines(List.of(calico(1, 1))).build(),
                oke().setPolicyEngines(List.of()).setPolicyEnginesError("forbidden").build(),
                oke().setPolicyEngines(List.of()).setPolicyEnginesError(" ").build(),
                oke().setPolicyEngines(List.of(calico(null, null))).setPolicyEnginesError("forbidden").build());
        for (ClusterFacts f : cases) {
            assertThat(Enforcement.enforced(f)).as(f.toString()).isEqualTo(Enforcement.of(f).enforced());
        }
        assertThat(Enforcement.enforced(null)).isNull();
    }
}
