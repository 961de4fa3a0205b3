package io.fencewatch.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.oracle.bmc.auth.BasicAuthenticationDetailsProvider;
import com.oracle.bmc.http.signing.DefaultRequestSigner;

import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.OkeFleetStub;

/**
 * One discovery pass against the Identity / Container Engine stand-in (two regions, each its own
 * stand-in), every request signed by the SDK's signer and verified by the stand-in.
 */
class OkeDiscoveryTest {
    private static final String TENANCY = OciTestCredentials.TENANCY;

    @TempDir
    Path dir;
    private OkeFleetStub frankfurt;
    private OkeFleetStub ashburn;
    private OkeDiscovery discovery;
    private String prod;
    private String prodEu;
    private String dev;

    @BeforeEach
    void setUp() throws Exception {
        OciTestCredentials creds = OciTestCredentials.create(dir, "DEFAULT");
        frankfurt = OkeFleetStub.start(Clock.systemUTC(), "eu-frankfurt-1", TENANCY);
        ashburn = frankfurt.startRegion("us-ashburn-1");
        for (OkeFleetStub s : List.of(frankfurt, ashburn)) {
            s.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        }
        // Identity is one tenancy-wide tree: both regions' stand-ins share the compartments.
        prod = frankfurt.addCompartment(TENANCY, "prod");
        prodEu = frankfurt.addCompartment(prod, "eu");
        dev = frankfurt.addCompartment(TENANCY, "dev");
        frankfurt.subscribeRegion("us-ashburn-1");
        Map<String, OkeFleetStub> byRegion = Map.of("eu-frankfurt-1", frankfurt, "us-ashburn-1", ashburn);
        var signer = DefaultRequestSigner.createRequestSigner(
                (BasicAuthenticationDetailsProvider) OciClients.auth(OciClients.API_KEY, creds.configFile(), "DEFAULT"));
        discovery = new OkeDiscovery(signer, region -> URI.create(frankfurt.endpoint()),
                region -> URI.create(byRegion.get(region).endpoint()));
    }

    @AfterEach
    void tearDown() {
        frankfurt.close();
        ashburn.close();
    }

    @Test
    void shouldFindEveryClusterOfTheTenancyInEveryRegionWithItsCompartmentPath() throws Exception {
        frankfurt.addCluster(prodEu, "shop", "10.0.0.1:6443");
        frankfurt.addCluster(dev, "Dev Cluster", "10.0.0.2:6443");
        ashburn.addCluster(prod, "billing", "10.1.0.1:6443");
        ashburn.cluster(ashburn.addCluster(prod, "old", "10.1.0.2:6443").id).lifecycleState = "DELETING";

        List<String> regions = discovery.subscribedRegions(TENANCY, "eu-frankfurt-1");
        assertThat(regions).containsExactly("eu-frankfurt-1", "us-ashburn-1");
        List<OkeDiscovery.OkeCluster> found = discovery.discover(List.of(TENANCY), true, regions, List.of(), List.of());

        assertThat(found).extracting(OkeDiscovery.OkeCluster::id, OkeDiscovery.OkeCluster::region,
                OkeDiscovery.OkeCluster::compartmentPath, OkeDiscovery.OkeCluster::lifecycleState)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("shop", "eu-frankfurt-1", "/prod/eu", "ACTIVE"),
                        org.assertj.core.groups.Tuple.tuple("dev-cluster", "eu-frankfurt-1", "/dev", "ACTIVE"),
                        org.assertj.core.groups.Tuple.tuple("billing", "us-ashburn-1", "/prod", "ACTIVE"),
                        org.assertj.core.groups.Tuple.tuple("old", "us-ashburn-1", "/prod", "DELETING"));
        assertThat(found).filteredOn(c -> c.name().equals("shop")).singleElement().satisfies(c -> {
            assertThat(c.cniTypes()).containsExactly("FLANNEL_OVERLAY");
            assertThat(c.endpoints()).containsEntry("publicEndpoint", "10.0.0.1:6443");
            assertThat(c.active()).isTrue();
        });
    }

    @Test
    void shouldWalkASubCompartmentsTreeItselfWhereTheApiListsOnlyChildren() throws Exception {
        frankfurt.addCluster(prodEu, "shop", "10.0.0.1:6443");
        frankfurt.addCluster(dev, "elsewhere", "10.0.0.2:6443");
        List<OkeDiscovery.OkeCluster> found = discovery.discover(List.of(prod), true, List.of("eu-frankfurt-1"),
                List.of(), List.of());
        assertThat(found).extracting(OkeDiscovery.OkeCluster::name).containsExactly("shop");
        // The root named by OCID gets its path of names from the tenancy (GetCompartment upwards).
        assertThat(found.get(0).compartmentPath()).isEqualTo("/prod/eu");
        assertThat(discovery.discover(List.of(prod), false, List.of("eu-frankfurt-1"), List.of(), List.of())).isEmpty();
    }

    @Test
    void shouldFilterByGlobsAndTheWatchTagAndMakeClashingNamesUnique() throws Exception {
        var a = frankfurt.addCluster(prod, "oke-prod", "10.0.0.1:6443");
        var b = frankfurt.addCluster(dev, "OKE_prod", "10.0.0.2:6443");
        frankfurt.addCluster(prod, "sandbox-1", "10.0.0.3:6443");
        frankfurt.addCluster(prod, "tagged", "10.0.0.4:6443").freeformTags.put(OkeDiscovery.WATCH_TAG, "false");
        // b came a minute after a: a keeps the bare name, so b's arrival renames nothing already watched.
        a.timeCreated = java.time.Instant.parse("2026-06-01T10:00:00Z");
        b.timeCreated = a.timeCreated.plusSeconds(60);

        List<OkeDiscovery.OkeCluster> found = discovery.discover(List.of(TENANCY), true, List.of("eu-frankfurt-1"),
                List.of(), List.of("sandbox-*"));
        assertThat(found).extracting(OkeDiscovery.OkeCluster::id).containsExactlyInAnyOrder(
                "oke-prod", "oke-prod-" + b.id.substring(b.id.length() - 6));
        assertThat(found).filteredOn(c -> c.ocid().equals(b.id)).singleElement()
                .extracting(OkeDiscovery.OkeCluster::timeCreated).isEqualTo(b.timeCreated);
        assertThat(discovery.discover(List.of(TENANCY), true, List.of("eu-frankfurt-1"), List.of("oke-*"), List.of()))
                .extracting(OkeDiscovery.OkeCluster::ocid).containsExactly(a.id);
        assertThat(OkeDiscovery.label("--Prod.EU__1--", 63)).isEqualTo("prod-eu-1");
    }

    @Test
    void shouldFetchTheKubeconfigOfTheChosenEndpointAndSayWhyItCannot() throws Exception {
        frankfurt.addCluster(prod, "shop", "129.0.0.1:6443");
        OkeDiscovery.OkeCluster shop = discovery.discover(List.of(TENANCY), true, List.of("eu-frankfurt-1"), List.of(),
                List.of()).get(0);
        assertThat(discovery.kubeconfig(shop, "PUBLIC_ENDPOINT")).contains("server: https://129.0.0.1:6443",
                "- generate-token", "- " + shop.ocid());
        assertThatThrownBy(() -> discovery.kubeconfig(shop, "PRIVATE_ENDPOINT")).isInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 400 InvalidParameter").hasMessageContaining("has no PRIVATE_ENDPOINT")
                .hasMessageContaining("opc-request-id");
    }
}
