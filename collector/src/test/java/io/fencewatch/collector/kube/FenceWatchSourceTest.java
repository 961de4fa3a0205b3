package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Where {@link FenceWatch} reads a kind from, given what discovery found: Calico's v3 API whenever it
 * is served, its CRDs only without it, never both; a failed look changes nothing for the source read now.
 */
class FenceWatchSourceTest {
    private static final PolicyKind GNP = PolicyKind.CALICO_GLOBAL_NETWORK_POLICY;
    private static final PolicyKind.Served V3 = GNP.servedAs().get(0);
    private static final PolicyKind.Served CRD = GNP.servedAs().get(1);

    private static Map<String, Set<String>> served(String v3, String crd) {
        Map<String, Set<String>> m = new HashMap<>();
        put(m, "projectcalico.org/v3", v3);
        put(m, "crd.projectcalico.org/v1", crd);
        return m;
    }

    /** "yes": the plural is served; "no": the group/version answers without it (or 404); "?": discovery failed. */
    private static void put(Map<String, Set<String>> m, String gv, String state) {
        switch (state) {
            case "yes" -> m.put(gv, Set.of("globalnetworkpolicies", "networkpolicies", "tiers"));
            case "no" -> m.put(gv, Set.of("ippools"));
            default -> { } // unknown
        }
    }

    @Test
    void shouldPreferTheV3ApiAndFallBackToTheCrds() {
        assertThat(FenceWatch.choose(GNP, null, served("yes", "yes"))).isEqualTo(V3);
        assertThat(FenceWatch.choose(GNP, CRD, served("yes", "yes"))).as("the API server appeared: switch").isEqualTo(V3);
        assertThat(FenceWatch.choose(GNP, null, served("no", "yes"))).isEqualTo(CRD);
        assertThat(FenceWatch.choose(GNP, V3, served("no", "yes"))).as("the API server went: switch").isEqualTo(CRD);
        assertThat(FenceWatch.choose(GNP, V3, served("no", "no"))).isNull();
        assertThat(FenceWatch.choose(GNP, null, served("yes", "no"))).isEqualTo(V3);
    }

    @Test
    void shouldKeepTheSourceReadNowWhenItsDiscoveryFails() {
        assertThat(FenceWatch.choose(GNP, V3, served("?", "yes"))).as("v3 answered 503: keep reading it").isEqualTo(V3);
        assertThat(FenceWatch.choose(GNP, CRD, served("?", "yes"))).isEqualTo(CRD);
        assertThat(FenceWatch.choose(GNP, null, served("?", "yes"))).as("an API server down at start: its CRDs")
                .isEqualTo(CRD);
        assertThat(FenceWatch.choose(GNP, CRD, served("no", "?"))).isEqualTo(CRD);
        assertThat(FenceWatch.choose(GNP, null, served("?", "?"))).isNull();
        assertThat(FenceWatch.choose(GNP, CRD, served("yes", "?"))).isEqualTo(V3);
    }

    @Test
    void shouldReadAKindOfOnePlaceWhereItIsServed() {
        PolicyKind cnp = PolicyKind.CILIUM_NETWORK_POLICY;
        assertThat(FenceWatch.choose(cnp, null, Map.of("cilium.io/v2", Set.of("ciliumnetworkpolicies"))))
                .isEqualTo(cnp.api());
        assertThat(FenceWatch.choose(cnp, cnp.api(), Map.of())).as("unknown: unchanged").isEqualTo(cnp.api());
        assertThat(FenceWatch.choose(cnp, cnp.api(), Map.of("cilium.io/v2", Set.of()))).isNull();
    }
}
