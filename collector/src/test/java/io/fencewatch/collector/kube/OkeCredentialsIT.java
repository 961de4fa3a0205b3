package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.oracle.bmc.auth.BasicAuthenticationDetailsProvider;
import com.oracle.bmc.http.signing.DefaultRequestSigner;
import com.oracle.bmc.http.signing.RequestSigner;
import com.sun.net.httpserver.HttpServer;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fencewatch.oci.OciClients;
import io.fencewatch.ocistub.OciError;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.OkeTokenVerifier;
import io.fencewatch.testing.MovableClock;
import io.fencewatch.ocistub.RequestSignatureVerifier;

/**
 * The in-process OKE token through a real fabric8 client, against an API endpoint that accepts only
 * a valid OKE token for its cluster, verified by the stand-in ({@link OkeTokenVerifier}: signature
 * against the trusted test key, date within five minutes). One clock drives both sides, so expiry
 * and refresh are tested without waiting.
 */
class OkeCredentialsIT {
    private static final String REGION = "eu-frankfurt-1";
    private static final String CLUSTER = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaprodeu";
    private static final String OTHER_CLUSTER = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaother";

    private final MovableClock clock = MovableClock.fixed(Instant.parse("2026-12-02T10:00:00Z"));
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private RequestSignatureVerifier signatures;
    private RequestSigner signer;
    private HttpServer server;

    private Path dir;
    private OciTestCredentials creds;
    /** What the API endpoint checks tokens with (which cluster it is). */
    private volatile OkeTokenVerifier oke;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        OciTestCredentials creds = OciTestCredentials.create(dir, "DEFAULT");
        this.creds = creds;
        signatures = new RequestSignatureVerifier(clock);
        signatures.trust(creds.keyId(), creds.keyPair().getPublic());
        signer = DefaultRequestSigner.createRequestSigner(
                (BasicAuthenticationDetailsProvider) OciClients.auth(OciClients.API_KEY, creds.configFile(), "DEFAULT"));
        oke = new OkeTokenVerifier(signatures, REGION, CLUSTER);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/namespaces", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String token = auth != null && auth.startsWith("Bearer ") ? auth.substring("Bearer ".length()) : null;
            byte[] body;
            int status;
            try {
                this.oke.verify(token);
                accepted.add(token);
                status = 200;
                body = "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[]}"
                        .getBytes(StandardCharsets.UTF_8);
            } catch (OciError e) {
                refused.add(e.getMessage());
                status = 401;
                body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Unauthorized\",\"code\":401}"
                        .getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private KubernetesClient client(OkeTokenProvider provider) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
                .withRequestRetryBackoffLimit(0).build();
        config.setOauthTokenProvider(provider);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    @Test
    void shouldBeAcceptedAndMadeAgainAMinuteBeforeItsFourMinutesRunOut() {
        OkeTokenProvider provider = new OkeTokenProvider(signer, REGION, CLUSTER, clock);
        try (KubernetesClient client = client(provider)) {
            assertThat(client.namespaces().list().getMetadata().getResourceVersion()).isEqualTo("7");
            clock.advance(Duration.ofMinutes(2).plusSeconds(59));
            client.namespaces().list();
            assertThat(provider.tokensGenerated()).isEqualTo(1);
            assertThat(accepted).hasSize(2).containsOnly(accepted.get(0));

            // Three minutes after it was made: one minute before its expiry, it is made again.
            clock.advance(Duration.ofSeconds(1));
            client.namespaces().list();
            assertThat(provider.tokensGenerated()).isEqualTo(2);
            assertThat(accepted).hasSize(3);
            assertThat(accepted.get(2)).isNotEqualTo(accepted.get(0));
            assertThat(refused).isEmpty();
        }
    }

    @Test
    void shouldBeRefusedByAnotherClusterAndOnceStale() {
        OkeTokenProvider forOther = new OkeTokenProvider(signer, REGION, OTHER_CLUSTER, clock);
        try (KubernetesClient client = client(forOther)) {
            assertThatThrownBy(() -> client.namespaces().list()).isInstanceOfSatisfying(KubernetesClientException.class,
                    e -> assertThat(e.getCode()).isEqualTo(401));
        }
        // fabric8 asks the provider again after a 401 and retries once: refused both times, saying why.
        assertThat(refused).isNotEmpty().allSatisfy(m -> assertThat(m).endsWith("(the token is not for cluster " + CLUSTER + ")"));

        OkeTokenVerifier oke = new OkeTokenVerifier(signatures, REGION, CLUSTER);
        String token = new OkeTokenProvider(signer, REGION, CLUSTER, clock).getToken();
        assertThat(oke.verify(token).tenancy()).isEqualTo(OciTestCredentials.TENANCY);
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThatThrownBy(() -> oke.verify(token)).hasMessageContaining("more than 5 minutes");

        String fresh = new OkeTokenProvider(signer, REGION, CLUSTER, clock).getToken();
        String url = new String(java.util.Base64.getUrlDecoder().decode(fresh), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> oke.verify(encode(url.replace(REGION + ".oraclecloud.com", "us-ashburn-1.oraclecloud.com"))))
                .hasMessageContaining("not for containerengine." + REGION);
        assertThatThrownBy(() -> oke.verify(encode(url + "&date=Thu%2C+01+Jan+2026+00%3A00%3A00+GMT")))
                .hasMessageContaining("repeats parameter date");
        assertThatThrownBy(() -> oke.verify(encode(url.replace("signature%3D%22", "signature%3D%22AAAA"))))
                .hasMessageContaining("signature does not verify");
        assertThatThrownBy(() -> oke.verify("not base64!")).hasMessageContaining("not URL-safe base64");
    }

    @Test
    void shouldRefuseABadRegionOrOcidWhenMadeNotAtTheFirstRequest() {
        assertThatThrownBy(() -> new OkeTokenProvider(signer, "eu frankfurt", CLUSTER, clock))
                .hasMessage("not an OCI region identifier: eu frankfurt");
    }

    /** A kubeconfig as 'oci ce cluster create-kubeconfig --token-version 2.0.0' writes it. */
    private Path ociKubeconfig(String clusterOcid, String regionArgs) throws java.io.IOException {
        String args = "      - ce\n      - cluster\n      - generate-token\n      - --cluster-id\n      - " + clusterOcid + "\n" + regionArgs;
        return java.nio.file.Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                clusters:
                - cluster:
                    server: http://127.0.0.1:%d
                  name: cluster-c1
                contexts:
                - context:
                    cluster: cluster-c1
                    user: user-c1
                  name: context-c1
                current-context: context-c1
                kind: ""
                preferences: {}
                users:
                - name: user-c1
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1beta1
                      args:
                %s      command: oci
                      env: []
                      interactiveMode: Never
                      provideClusterInfo: false
                """.formatted(server.getAddress().getPort(), args));
    }

    private io.fencewatch.collector.config.CollectorConfig collectorConfig(Path kubeconfig, String execPlugin) {
        return io.fencewatch.collector.config.CollectorConfig.fromMap(java.util.Map.of("cluster-id", "prod-eu",
                "bootstrap-servers", "127.0.0.1:9", "kubeconfig", kubeconfig.toString(),
                "oci-config-file", creds.configFile().toString(), "oci-exec-plugin", execPlugin));
    }

    @Test
    void shouldServeTheKubeconfigsOciExecEntryInProcessWithNoCliInstalled() throws Exception {
        // The fixed clock is the verifier's; the collector's token is signed at the real time, so the
        // verifier's clock is set to now for this test.
        clock.set(Instant.now());
        var config = collectorConfig(ociKubeconfig(CLUSTER, "      - --region\n      - " + REGION + "\n"), "serve");
        try (KubernetesClient client = io.fencewatch.collector.Collector.defaultClient(config, config.targets().get(0))) {
            assertThat(client.namespaces().list().getMetadata().getResourceVersion()).isEqualTo("7");
        }
        assertThat(accepted).hasSize(1);
        assertThat(refused).isEmpty();
    }

    @Test
    void shouldReachAClusterFoundByDiscoveryWithTheKubeconfigItsContainerEngineWrites() throws Exception {
        clock.set(Instant.now());
        try (io.fencewatch.ocistub.OkeFleetStub oci = io.fencewatch.ocistub.OkeFleetStub.start(Clock.systemUTC(), REGION,
                OciTestCredentials.TENANCY)) {
            oci.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
            String prod = oci.addCompartment(OciTestCredentials.TENANCY, "prod");
            // The stand-in cluster's OCID is not CLUSTER, so its API endpoint checks tokens for that one.
            var cluster = oci.addCluster(prod, "shop", "http://127.0.0.1:" + server.getAddress().getPort());
            oke = new OkeTokenVerifier(signatures, REGION, cluster.id);
            var discovery = new io.fencewatch.oci.OkeDiscovery(signer, r -> java.net.URI.create(oci.endpoint()),
                    r -> java.net.URI.create(oci.endpoint()));
            var found = discovery.discover(List.of(OciTestCredentials.TENANCY), true, List.of(REGION), List.of(), List.of());
            assertThat(found).extracting(io.fencewatch.oci.OkeDiscovery.OkeCluster::id).containsExactly("shop");

            String kubeconfig = discovery.kubeconfig(found.get(0), "PUBLIC_ENDPOINT");
            Config config = OciExecKubeconfig.configure(kubeconfig, null,
                    profile -> OciClients.auth(OciClients.API_KEY, creds.configFile(), "DEFAULT"), Clock.systemUTC())
                    .orElseThrow();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                assertThat(client.namespaces().list().getMetadata().getResourceVersion()).isEqualTo("7");
            }
        }
        assertThat(accepted).hasSize(1);
        assertThat(refused).isEmpty();
    }

    @Test
    void shouldRecogniseOnlyTheOciClisTokenCall() {
        var exec = new io.fabric8.kubernetes.api.model.ExecConfigBuilder().withCommand("/usr/local/bin/oci")
                .withArgs("ce", "cluster", "generate-token", "--cluster-id=" + CLUSTER, "--region", REGION, "--profile", "OPS")
                .build();
        assertThat(OciExecKubeconfig.recognise(exec)).contains(new OciExecKubeconfig.OciExec(CLUSTER, REGION, "OPS"));
        assertThat(OciExecKubeconfig.recognise(new io.fabric8.kubernetes.api.model.ExecConfigBuilder().withCommand("aws")
                .withArgs("eks", "get-token", "--cluster-name", "x").build())).isEmpty();
        assertThat(OciExecKubeconfig.recognise(new io.fabric8.kubernetes.api.model.ExecConfigBuilder().withCommand("oci")
                .withArgs("ce", "cluster", "generate-token").build())).isEmpty();
        assertThat(OciExecKubeconfig.recognise(null)).isEmpty();
    }

    @Test
    void shouldLeaveTheExecEntryToFabric8WhenToldToKeepIt() throws Exception {
        clock.set(Instant.now());
        var config = collectorConfig(ociKubeconfig(CLUSTER, "      - --region\n      - " + REGION + "\n"), "keep");
        // fabric8 runs 'oci', which this machine does not have: no token reaches the API server.
        try (KubernetesClient client = io.fencewatch.collector.Collector.defaultClient(config, config.targets().get(0))) {
            assertThatThrownBy(() -> client.namespaces().list()).isInstanceOf(KubernetesClientException.class);
        }
        assertThat(accepted).isEmpty();
    }

    private static String encode(String url) {
        return java.util.Base64.getUrlEncoder().encodeToString(url.getBytes(StandardCharsets.UTF_8));
    }
}
