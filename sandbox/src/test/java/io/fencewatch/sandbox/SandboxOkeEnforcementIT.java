package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * Issue 13's OKE case end to end (collector → Kafka → processor → REST): a stub OKE cluster on the
 * flannel overlay without Calico is NOT_ENFORCED and says why; installing calico-node makes it
 * ENFORCED, with drift on its namespaces; deleting it turns it back, with drift.
 */
class SandboxOkeEnforcementIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream terminalBytes = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(terminalBytes, true, StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private JsonNode shop(Sandbox sandbox) throws Exception {
        JsonNode shop = SandboxOkeScenarioIT.clusters(http, sandbox).get("shop");
        assertThat(shop).as("cluster shop on REST").isNotNull();
        return shop;
    }

    private String terminal() {
        return terminalBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldTellAFlannelClusterIsNotEnforcedUntilCalicoRunsAndAgainWhenItGoes() throws Exception {
        SandboxConfig config = SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", dir.resolve("data").toString(), "scenario", "oke")).withPortsChosen();
        try (Sandbox sandbox = new Sandbox(config, terminal, Duration.ofSeconds(2)).start()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode shop = shop(sandbox);
                assertThat(shop.at("/enforcement/state").asText()).isEqualTo("NOT_ENFORCED");
                assertThat(shop.at("/enforcement/reason").asText())
                        .isEqualTo("no network policy engine found (OKE flannel overlay, no Calico)");
                assertThat(shop.path("fenced").asInt()).isZero();
                assertThat(shop.path("namespaces").asInt()).isPositive();
            });
            sandbox.announce(); // drift lines print from here on
            Path shopConfig = dir.resolve("data").resolve("oke").resolve("kubeconfig-shop");
            try (KubernetesClient k = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(shopConfig))).build()) {
                k.apps().daemonSets().inNamespace(CalicoNode.NAMESPACE).resource(CalicoNode.daemonSet()).create();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode shop = shop(sandbox);
                    assertThat(shop.at("/enforcement/state").asText()).isEqualTo("ENFORCED");
                    assertThat(shop.at("/enforcement/engines/0/name").asText()).isEqualTo("Calico");
                    assertThat(shop.at("/enforcement/engines/0/version").asText()).isEqualTo("v3.28.0");
                    assertThat(shop.path("fenced").asInt()).isPositive();
                });
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(terminal())
                        .containsPattern("shop/\\S+ .* POLICY_ENGINE_ADDED"));

                k.apps().daemonSets().inNamespace(CalicoNode.NAMESPACE).withName(CalicoNode.NAME).delete();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode shop = shop(sandbox);
                    assertThat(shop.at("/enforcement/state").asText()).isEqualTo("NOT_ENFORCED");
                    assertThat(shop.path("fenced").asInt()).isZero();
                });
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(terminal())
                        .containsPattern("shop/\\S+ .* POLICY_ENGINE_REMOVED"));
            }
        }
    }
}
