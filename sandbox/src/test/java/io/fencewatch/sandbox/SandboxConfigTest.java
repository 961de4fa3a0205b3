package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;

class SandboxConfigTest {

    @Test
    void aPortItPicksIsFreeAndBelowTheEphemeralRangeWhereTheKernelTellsIt() throws Exception {
        int low = SandboxConfig.ephemeralLow();
        for (int i = 0; i < 20; i++) {
            int port = SandboxConfig.freePort();
            assertThat(SandboxConfig.portFree("127.0.0.1", port)).isTrue();
            if (low > SandboxConfig.BELOW_EPHEMERAL_FROM + 100) {
                // Outbound connections take their local ports from the ephemeral range: this one they cannot take.
                assertThat(port).isBetween(SandboxConfig.BELOW_EPHEMERAL_FROM, low - 1);
            }
        }
    }

    @Test
    void shouldUseTheSandboxDefaultsWhenNoFlagIsGiven() {
        SandboxConfig c = SandboxConfig.parse(new String[0]);
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.kafkaPort()).isEqualTo(9092);
        assertThat(c.apiPort()).isEqualTo(18443);
        assertThat(c.httpBind()).isEqualTo("127.0.0.1");
        assertThat(c.dataDir()).isEqualTo(Path.of("data/sandbox"));
        assertThat(c.scenario()).isEqualTo(SandboxConfig.Scenario.DEMO);
        assertThat(c.grace()).isEqualTo(Duration.ZERO);
        assertThat(c.simulated()).isTrue();
        assertThat(c.clusterId()).isEqualTo("sandbox");
    }

    @Test
    void shouldReadBothFlagFormsWhenGiven() {
        SandboxConfig c = SandboxConfig.parse(new String[] {"--http-port", "9000", "--grace=30s", "--scenario", "none"});
        assertThat(c.httpPort()).isEqualTo(9000);
        assertThat(c.grace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.scenario()).isEqualTo(SandboxConfig.Scenario.NONE);
    }

    @Test
    void shouldWatchTheRealClusterWithoutTheDemoWhenAContextIsGiven() {
        SandboxConfig c = SandboxConfig.parse(new String[] {"--context=prod"});
        assertThat(c.simulated()).isFalse();
        assertThat(c.scenario()).isEqualTo(SandboxConfig.Scenario.NONE);
    }

    @Test
    void shouldReadFencewatchVariablesWhenNoFlagIsGiven() {
        SandboxConfig c = SandboxConfig.parse(new String[] {"--grace=5s"}, Map.of("FENCEWATCH_HTTP_PORT", "9001",
                "FENCEWATCH_GRACE", "9s"));
        assertThat(c.httpPort()).isEqualTo(9001);
        assertThat(c.grace()).isEqualTo(java.time.Duration.ofSeconds(5));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "--http-port=http        | --http-port: 'http' is not a port number",
        "--kafka-port=70000      | --kafka-port: 70000 is outside 0..65535",
        "--scenario=movie        | --scenario: 'movie' is not a scenario (demo, oke or none)",
        "--grace=soon            | --grace: 'soon' is not a duration (use e.g. 0s, 500ms, 30s, 5m)",
        "--kubeconfig=/nope/cfg  | --kubeconfig: '/nope/cfg' is not a readable file",
        "--cluster-id=a/b        | --cluster-id: 'a/b' ",
        "--api-port              | --api-port: needs a value",
        "--verbose               | --verbose: unknown flag (see --help)",
        "sandbox                 | '''sandbox'': not a flag (flags look like --name=value; see --help)'",
        "--http-port=9092        | --http-port, --kafka-port and --api-port must differ",
        "--control-plane=kind    | --control-plane: 'kind' is not simulated or real",
        "--transport=x           | --transport: 'x' is not one of kafka, oci-streaming",
        "--transport=oci         | --transport: 'oci' is not one of kafka, oci-streaming",
    })
    void shouldRefuseWithOneLineNamingTheFlagWhenAFlagIsBad(String arg, String message) {
        assertThatThrownBy(() -> SandboxConfig.parse(new String[] {arg}))
                .isInstanceOf(SandboxConfig.BadFlag.class)
                .hasMessageStartingWith(message.strip())
                .hasMessageNotContaining("\n");
    }

    @Test
    void shouldRefuseTheRealControlPlaneWithOneLineWhenItsBinariesAreNotBuilt() {
        String before = System.getProperty("fencewatch.control-plane.dir");
        System.setProperty("fencewatch.control-plane.dir", "/nonexistent/control-plane");
        try {
            assertThatThrownBy(() -> SandboxConfig.parse(new String[] {"--control-plane=real"}))
                    .isInstanceOf(SandboxConfig.BadFlag.class)
                    .hasMessage("--control-plane: real needs the binaries: no etcd, kube-apiserver, kube-controller-manager"
                            + " in /nonexistent/control-plane (built by test-support/control-plane/build.sh, which needs Go)");
        } finally {
            if (before == null) {
                System.clearProperty("fencewatch.control-plane.dir");
            } else {
                System.setProperty("fencewatch.control-plane.dir", before);
            }
        }
        assertThat(SandboxConfig.parse(new String[0]).realControlPlane()).isFalse();
    }

    @Test
    void shouldRefuseTheDemoWhenItWouldPlayOnARealCluster() {
        assertThatThrownBy(() -> SandboxConfig.parse(new String[] {"--context=prod", "--scenario=demo"}))
                .hasMessage("--scenario: demo plays on the simulated cluster only, never on the real one named by"
                        + " --context");
    }

    @Test
    void shouldRefuseTheOkeFleetBesideARealClusterOrTheRealControlPlane() {
        assertThatThrownBy(() -> SandboxConfig.parse(new String[] {"--context=prod", "--scenario=oke"}))
                .hasMessage("--scenario: oke plays its own simulated OKE fleet; it cannot be combined with --context");
        assertThatThrownBy(() -> SandboxConfig.parse(new String[] {"--control-plane=real", "--scenario=oke"}))
                .hasMessage("--scenario: oke plays its own simulated OKE fleet; it cannot be combined with"
                        + " --control-plane=real");
        assertThat(SandboxConfig.parse(new String[] {"--scenario=oke"}).okeFleet()).isTrue();
    }

    /** The flag's name, env variable and values are what the README, --help and scripts say: pinned here. */
    @Test
    void shouldPinTheTransportFlagItsVariableAndItsValues() {
        var flag = SandboxConfig.FLAGS.stream().filter(f -> f.flag().equals("transport")).findFirst().orElseThrow();
        assertThat(flag.option()).isEqualTo("--transport");
        assertThat(flag.env()).isEqualTo("FENCEWATCH_TRANSPORT");
        assertThat(flag.defaultValue()).isEqualTo("kafka");
        assertThat(Arrays.stream(SandboxConfig.Transport.values()).map(SandboxConfig.Transport::flagValue))
                .containsExactly("kafka", "oci-streaming");
        assertThat(SandboxConfig.usage()).contains("--transport").contains("oci-streaming");

        assertThat(SandboxConfig.parse(new String[0]).transport()).isEqualTo(SandboxConfig.Transport.KAFKA);
        assertThat(SandboxConfig.parse(new String[0]).ociStreaming()).isFalse();
        assertThat(SandboxConfig.parse(new String[] {"--transport=kafka"}).transport())
                .isEqualTo(SandboxConfig.Transport.KAFKA);
        SandboxConfig oci = SandboxConfig.parse(new String[] {"--transport", "oci-streaming"});
        assertThat(oci.transport()).isEqualTo(SandboxConfig.Transport.OCI_STREAMING);
        assertThat(oci.ociStreaming()).isTrue();
        assertThat(SandboxConfig.parse(new String[0], Map.of("FENCEWATCH_TRANSPORT", "oci-streaming")).transport())
                .isEqualTo(SandboxConfig.Transport.OCI_STREAMING);
        assertThat(SandboxConfig.parse(new String[] {"--transport=kafka"}, Map.of("FENCEWATCH_TRANSPORT", "oci-streaming"))
                .transport()).as("the flag wins").isEqualTo(SandboxConfig.Transport.KAFKA);
    }

    /** Every cluster the sandbox can watch can go through OCI Streaming: none is refused. */
    @Test
    void shouldTakeOciStreamingWithTheSimulatedClusterARealOneAndTheOkeFleet() {
        assertThat(SandboxConfig.parse(new String[] {"--transport=oci-streaming", "--scenario=none"}).simulated()).isTrue();
        SandboxConfig real = SandboxConfig.parse(new String[] {"--transport=oci-streaming", "--context=prod"});
        assertThat(real.simulated()).isFalse();
        assertThat(real.ociStreaming()).isTrue();
        SandboxConfig fleet = SandboxConfig.parse(new String[] {"--transport=oci-streaming", "--scenario=oke"});
        assertThat(fleet.okeFleet()).isTrue();
        assertThat(fleet.ociStreaming()).isTrue();
    }

    @Test
    void shouldPrintOneConciseLineWhenADriftArrives() {
        assertThat(DriftPrinter.line(drift(null, state(Status.NON_COMPLIANT, Grade.NONE, 0),
                DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY))).endsWith(
                "  drift  sandbox/payments  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY");
        assertThat(DriftPrinter.line(drift(state(Status.COMPLIANT, Grade.ALL_PODS, 1),
                state(Status.COMPLIANT, Grade.DEFAULT_DENY, 2), DriftReason.POLICY_ADDED)))
                .contains("COMPLIANT [ingress ALL_PODS, egress NONE, 1 policy] → "
                        + "COMPLIANT [ingress DEFAULT_DENY, egress NONE, 2 policies]  POLICY_ADDED");
        assertThat(DriftPrinter.line(drift(state(Status.TERMINATING, Grade.NONE, 0), null,
                DriftReason.NAMESPACE_DELETED))).endsWith("sandbox/payments  TERMINATING → (gone)  NAMESPACE_DELETED");
        CoverageState open = state(Status.NON_COMPLIANT, Grade.NONE, 0);
        CoverageState fenced = state(Status.NON_COMPLIANT, Grade.NONE, 0);
        fenced.setEffectiveIngress(Grade.DEFAULT_DENY);
        fenced.setEffectiveEgress(Grade.DEFAULT_DENY);
        fenced.setFencedBy(List.of("cluster:GlobalNetworkPolicy:default-deny"));
        assertThat(DriftPrinter.line(drift(open, fenced, DriftReason.CLUSTER_POLICY_ADDED))).endsWith(
                "NON_COMPLIANT [ingress NONE, egress NONE, 0 policies; every kind: ingress DEFAULT_DENY, egress DEFAULT_DENY]"
                        + "  CLUSTER_POLICY_ADDED  fenced by GlobalNetworkPolicy default-deny");
    }

    private static DriftEvent drift(CoverageState before, CoverageState after, DriftReason reason) {
        return DriftEvent.newBuilder().setId("1").setCluster("sandbox").setNamespace("payments").setBefore(before)
                .setAfter(after).setReason(reason).setCause(null)
                .setDetectedAt(Instant.parse("2026-11-27T14:02:07.512Z")).build();
    }

    private static CoverageState state(Status status, Grade ingress, int policies) {
        return CoverageState.newBuilder().setStatus(status).setIngress(ingress).setEgress(Grade.NONE)
                .setPolicyCount(policies).build();
    }
}
