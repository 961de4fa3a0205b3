package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * Issue 12's "Done when", tried as a new user would: {@code sandbox --scenario oke} shows three
 * clusters in two compartments on REST, then the created one, the deleted one gone with
 * CLUSTER_REMOVED drift, and the unreachable one UNREACHABLE with its error; each cluster answers
 * kubectl through the kubeconfig the banner names. {@link SandboxOkeScenarioOciStreamingIT} plays it with
 * {@code --transport=oci-streaming}.
 */
class SandboxOkeScenarioIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream terminalBytes = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(terminalBytes, true, StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private Map<String, JsonNode> clusters(Sandbox sandbox) throws Exception {
        return clusters(http, sandbox);
    }

    /** {@code /api/v1/clusters} of the sandbox, by cluster id. */
    static Map<String, JsonNode> clusters(HttpClient http, Sandbox sandbox) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(sandbox.dashboardUrl() + "api/v1/clusters"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, JsonNode> byId = new TreeMap<>();
        JSON.readTree(r.body()).forEach(c -> byId.put(c.path("cluster").asText(), c));
        return byId;
    }

    private String terminal() {
        return terminalBytes.toString(StandardCharsets.UTF_8);
    }

    /** {@code --transport} of the sandbox ({@link SandboxOkeScenarioOciStreamingIT}: oci-streaming). */
    String transport() {
        return "kafka";
    }

    /** What the subclass checks of the transport at the end, the sandbox still running. */
    void checkTransport(Sandbox sandbox) {
    }

    @Test
    void shouldShowTheFleetThenTheCreatedTheDeletedAndTheUnreachableCluster() throws Exception {
        SandboxConfig config = SandboxConfig.fromMap(Map.of("http-port", "0", "kafka-port", "0", "api-port", "0",
                "data-dir", dir.resolve("data").toString(), "scenario", "oke", "transport", transport())).withPortsChosen();
        // No demo pause between the story's steps: each still waits its one or two rediscoveries (3 s each), and
        // nothing here looks at a state between two steps; a pause of 2 s only added 8 s to the story.
        try (Sandbox sandbox = new Sandbox(config, terminal, Duration.ZERO).start()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<String, JsonNode> c = clusters(sandbox);
                assertThat(c).containsOnlyKeys("shop", "payments", "dev-1");
                assertThat(c.values()).allSatisfy(j -> {
                    assertThat(j.path("provider").asText()).isEqualTo("oke");
                    assertThat(j.path("region").asText()).isEqualTo(OkeFleetScenario.REGION);
                    assertThat(j.path("ocid").asText()).startsWith("ocid1.cluster.");
                    assertThat(j.path("kubernetesVersion").asText()).isEqualTo("v1.34.1");
                    assertThat(j.path("state").asText()).isEqualTo("WATCHING");
                });
                assertThat(c.get("shop").path("compartment").asText()).isEqualTo("/prod");
                assertThat(c.get("dev-1").path("compartment").asText()).isEqualTo("/dev");
            });
            sandbox.announce();
            assertThat(terminal()).contains("compartment /prod", "compartment /dev", "kubeconfig-shop");

            // The banner's kubeconfig drives the cluster (the simulated server takes kubectl's token too).
            Path shopConfig = dir.resolve("data").resolve("oke").resolve("kubeconfig-shop");
            try (KubernetesClient k = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(java.nio.file.Files.readString(shopConfig))).build()) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("orders").endMetadata().build())
                        .create();
            }

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Map<String, JsonNode> c = clusters(sandbox);
                assertThat(c).containsKey("analytics");
                assertThat(c.get("analytics").path("compartment").asText()).isEqualTo("/dev");
                assertThat(c).doesNotContainKey("dev-1");
                assertThat(c.get("payments").path("state").asText()).isEqualTo("UNREACHABLE");
                assertThat(c.get("payments").path("error").asText()).contains("401");
                assertThat(c.get("shop").path("namespaces").asInt()).isGreaterThanOrEqualTo(7);
            });
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(terminal())
                    .contains("dev-1/experiments  NON_COMPLIANT → (gone)  CLUSTER_REMOVED")
                    .containsPattern("payments/ledger  COMPLIANT .*→ COMPLIANT \\(stale\\).*  CLUSTER_UNREACHABLE"));
            checkTransport(sandbox);
        }
    }
}
