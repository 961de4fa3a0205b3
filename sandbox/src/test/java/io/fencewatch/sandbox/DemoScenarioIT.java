package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/** The demo's story played without pauses on the simulated API server: what it says, and what it leaves behind. */
class DemoScenarioIT {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private SimulatedApiServer api;

    @BeforeEach
    void start() {
        api = new SimulatedApiServer().start(0);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void shouldFenceSomePodsThenAllThenInstallCalicoAndAGlobalDefaultDenyAndSayHowToTurnItBackWhenTheDemoPlays() {
        new DemoScenario(api::client, terminal, Duration.ZERO).play();

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).as("nothing stopped the story").noneMatch(l -> l.startsWith("demo:  stopped"));
        assertThat(lines).endsWith(
                "demo:  checkout restores its default-deny",
                "demo:  " + DemoScenario.SHOP_PARTIAL,
                "demo:  " + DemoScenario.SHOP_FENCED,
                "demo:  the platform team installs Calico (a calico-node DaemonSet in kube-system) → policies are now"
                        + " enforced",
                "demo:  " + DemoScenario.GLOBAL_DENY,
                "demo:  kubectl delete daemonset calico-node -n kube-system turns it back: the policies stay, nothing"
                        + " enforces them",
                "demo:  done; the cluster is yours (analytics is fenced by the GlobalNetworkPolicy, yet FW-NP-001 still"
                        + " finds it NON_COMPLIANT: try kubectl apply -f a default-deny policy in it)");
        try (KubernetesClient k = api.client()) {
            List<DaemonSet> daemonSets = k.apps().daemonSets().inAnyNamespace().list().getItems();
            assertThat(daemonSets).singleElement().satisfies(ds -> {
                assertThat(ds.getMetadata().getNamespace()).isEqualTo("kube-system");
                assertThat(ds.getMetadata().getName()).isEqualTo("calico-node");
                assertThat(ds.getMetadata().getLabels()).containsEntry("k8s-app", "calico-node");
                assertThat(ds.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                        .isEqualTo(CalicoNode.IMAGE);
            });
            assertThat(k.network().v1().networkPolicies().inAnyNamespace().list().getItems())
                    .extracting(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
                    .containsExactlyInAnyOrder("payments/default-deny", "checkout/default-deny", "shop/allow-web-to-api",
                            "shop/default-deny");
            assertThat(k.pods().inNamespace("shop").list().getItems())
                    .extracting(p -> p.getMetadata().getLabels().get("app") + " " + p.getMetadata().getOwnerReferences()
                            .get(0).getName())
                    .containsExactlyInAnyOrder("api shop-api-5d8f7c9b4", "api shop-api-5d8f7c9b4", "web shop-web-5d8f7c9b4",
                            "web shop-web-5d8f7c9b4");
            assertThat(k.genericKubernetesResources("projectcalico.org/v3", "GlobalNetworkPolicy").list().getItems())
                    .singleElement().satisfies(gnp -> {
                        assertThat(gnp.getMetadata().getName()).isEqualTo("default-deny");
                        assertThat(gnp.get("spec", "namespaceSelector").toString()).isEqualTo("has(team)");
                    });
        }
    }
}
