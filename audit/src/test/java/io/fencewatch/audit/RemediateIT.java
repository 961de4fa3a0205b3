package io.fencewatch.audit;

import static io.fencewatch.audit.AuditAgainstSandboxIT.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.rules.RemediationPolicy;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/** fencewatch remediate against the sandbox's simulated API server: print, dry run, apply, and its safety rules. */
class RemediateIT {
    @TempDir
    Path dir;

    private SimulatedApiServer api;
    private KubernetesClient k;
    private String kubeconfig;

    @BeforeEach
    void start() {
        api = new SimulatedApiServer().start(0);
        kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));
        k = api.client();
        for (String ns : List.of("analytics", "orders", "legacy")) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }
        k.namespaces().withName("legacy").edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("fencewatch.io/exempt", "legacy").endMetadata().build());
    }

    @AfterEach
    void stop() {
        k.close();
        api.close();
    }

    @Test
    void shouldPrintOnlyYamlOnStdoutAndCreateNothingWhenNeitherApplyNorDryRunIsGiven() {
        var r = run(RemediateCommand::run, kubeconfig, "--grace-period=0s");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("---\n" + RemediationPolicy.defaultFor("analytics").toYaml()
                + "---\n" + RemediationPolicy.defaultFor("orders").toYaml());
        assertThat(r.err()).contains(RemediateCommand.WARNING, "sandbox/legacy: skipped (exempt)",
                "sandbox/kube-system: skipped (exempt)", "2 printed");
        // What it prints is what kubectl apply -f - would send: fabric8 reads it back as the same object.
        NetworkPolicy parsed = k.getKubernetesSerialization().unmarshal(
                RemediationPolicy.defaultFor("orders").toYaml(), NetworkPolicy.class);
        assertThat(parsed.getSpec().getEgress().get(0).getPorts()).hasSize(2);
        assertThat(k.network().v1().networkPolicies().inAnyNamespace().list().getItems()).isEmpty();
    }

    @Test
    void shouldAskTheServerAndCreateNothingWhenDryRunIsServer() {
        var r = run(RemediateCommand::run, kubeconfig, "--grace-period=0s", "--dry-run=server", "--namespaces=orders");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("sandbox/orders: would create", "1 accepted by a server dry run")
                .doesNotContain("sandbox/analytics");
        assertThat(k.network().v1().networkPolicies().inAnyNamespace().list().getItems()).isEmpty();
    }

    @Test
    void shouldCreateByServerSideApplyOnceAndNeverTouchExemptNamespacesWhenApplied() {
        var r = run(RemediateCommand::run, kubeconfig, "--grace-period=0s", "--apply", "--namespaces=analytics,legacy,nope");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("sandbox/analytics: created", "sandbox/legacy: skipped (exempt)",
                "sandbox/nope: skipped - no such namespace", "1 created, 0 already fenced, 2 skipped, 0 failed");
        NetworkPolicy created = k.network().v1().networkPolicies().inNamespace("analytics")
                .withName(RemediationPolicy.NAME).get();
        assertThat(created.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "fencewatch");
        assertThat(created.getMetadata().getManagedFields()).anySatisfy(f -> {
            assertThat(f.getManager()).isEqualTo(RemediateCommand.FIELD_MANAGER);
            assertThat(f.getOperation()).isEqualTo("Apply");
        });
        assertThat(created.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(k.network().v1().networkPolicies().inNamespace("legacy").list().getItems()).isEmpty();
        assertThat(k.network().v1().networkPolicies().inNamespace("orders").list().getItems()).isEmpty();

        var again = run(RemediateCommand::run, kubeconfig, "--grace-period=0s", "--apply", "--namespaces=analytics");
        assertThat(again.out()).contains("sandbox/analytics: already fenced", "0 created, 1 already fenced");
        assertThat(k.network().v1().networkPolicies().inNamespace("analytics").withName(RemediationPolicy.NAME).get()
                .getMetadata().getResourceVersion()).isEqualTo(created.getMetadata().getResourceVersion());
    }

    @Test
    void shouldLeaveAnExistingPolicyUnchangedWhenTheStrictProfileStillFailsIt() {
        // Ours exists but allows all egress (someone edited it): strict fails it, remediate must not change it.
        k.network().v1().networkPolicies().inNamespace("orders").resource(new NetworkPolicyBuilder().withNewMetadata()
                .withName(RemediationPolicy.NAME).endMetadata().withNewSpec().withNewPodSelector().endPodSelector()
                .withPolicyTypes("Ingress").endSpec().build()).create();
        String before = k.network().v1().networkPolicies().inNamespace("orders").withName(RemediationPolicy.NAME).get()
                .getMetadata().getResourceVersion();
        var r = run(RemediateCommand::run, kubeconfig, "--grace-period=0s", "--apply", "--profile=strict",
                "--namespaces=orders");
        assertThat(r.out()).contains("sandbox/orders: already fenced - fencewatch-default-deny exists; left unchanged");
        assertThat(k.network().v1().networkPolicies().inNamespace("orders").withName(RemediationPolicy.NAME).get()
                .getMetadata().getResourceVersion()).isEqualTo(before);
    }

    @Test
    void shouldVaryThePolicyWhenPolicyTypesAndAllowDnsAreGiven() {
        var r = run(RemediateCommand::run, kubeconfig, "--grace-period=0s", "--apply", "--namespaces=orders",
                "--policy-types=egress", "--allow-dns=false");
        assertThat(r.exit()).isZero();
        NetworkPolicy p = k.network().v1().networkPolicies().inNamespace("orders").withName(RemediationPolicy.NAME).get();
        assertThat(p.getSpec().getPolicyTypes()).containsExactly("Egress");
        assertThat(p.getSpec().getEgress()).isEmpty();
    }

    @Test
    void shouldStopWithOneLineAndExitTwoWhenAFlagIsBad() {
        var r = run(RemediateCommand::run, kubeconfig, "--apply", "--dry-run=server");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo(
                "fencewatch remediate: --dry-run: cannot be combined with --apply (a dry run creates nothing)");
        assertThat(run(RemediateCommand::run, "--policy-types=sideways").err().strip())
                .isEqualTo("fencewatch remediate: --policy-types: must be ingress, egress or both, not 'sideways'");
        assertThat(RemediateCommand.usage()).contains("cuts traffic");
    }
}
