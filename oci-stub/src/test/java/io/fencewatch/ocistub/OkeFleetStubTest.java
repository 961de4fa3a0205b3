package io.fencewatch.ocistub;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Identity / Container Engine stand-in through signed HTTP requests: what discovery reads
 * (compartment tree, clusters, paging) and what it refuses, as Oracle's API reference says.
 */
class OkeFleetStubTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENANCY = OciTestCredentials.TENANCY;

    @TempDir
    Path dir;
    private OkeFleetStub stub;
    private RequestSigner signer;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        stub = OkeFleetStub.start(Clock.systemUTC(), "eu-frankfurt-1", TENANCY);
        OciTestCredentials creds = OciTestCredentials.create(dir, "DEFAULT");
        stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        signer = creds.signer();
    }

    @AfterEach
    void tearDown() {
        stub.close();
    }

    private HttpResponse<String> call(String method, String pathAndQuery, String body) throws Exception {
        URI uri = URI.create(stub.endpoint() + pathAndQuery);
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = signer.sign(method, uri.getHost() + ":" + uri.getPort(), pathAndQuery, bytes,
                Instant.now());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
        headers.forEach((k, v) -> {
            if (!Set.of("host", "content-length", "date").contains(k)) {
                b.header(k, v);
            }
        });
        b.header("date", headers.get("date"));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(String method, String pathAndQuery, String body) throws Exception {
        HttpResponse<String> r = call(method, pathAndQuery, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void shouldListTheCompartmentTreeFromTheRootAndOnlyChildrenElsewhere() throws Exception {
        String prod = stub.addCompartment(TENANCY, "prod");
        String prodEu = stub.addCompartment(prod, "prod-eu");
        String dev = stub.addCompartment(TENANCY, "dev");
        stub.setCompartmentState(dev, "DELETED");

        JsonNode subtree = ok("GET", "/20160918/compartments?compartmentId=" + TENANCY
                + "&compartmentIdInSubtree=true&accessLevel=ANY&lifecycleState=ACTIVE", null);
        assertThat(subtree.findValuesAsText("id")).containsExactlyInAnyOrder(prod, prodEu);
        assertThat(ok("GET", "/20160918/compartments?compartmentId=" + prod, null).findValuesAsText("id"))
                .containsExactly(prodEu);

        HttpResponse<String> refused = call("GET", "/20160918/compartments?compartmentId=" + prod
                + "&compartmentIdInSubtree=true", null);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).path("code").asText()).isEqualTo("InvalidParameter");
    }

    @Test
    void shouldPageClustersAndDescribeEachAsGetClusterDoes() throws Exception {
        String prod = stub.addCompartment(TENANCY, "prod");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(stub.addCluster(prod, "oke-" + i, "10.0.0." + i + ":6443").id);
        }
        stub.cluster(ids.get(4)).lifecycleState = "DELETING";

        List<String> seen = new ArrayList<>();
        String page = null;
        int pages = 0;
        do {
            HttpResponse<String> r = call("GET", "/20180222/clusters?compartmentId=" + prod + "&limit=2"
                    + (page == null ? "" : "&page=" + page), null);
            assertThat(r.statusCode()).isEqualTo(200);
            JSON.readTree(r.body()).forEach(c -> seen.add(c.path("id").asText()));
            page = r.headers().firstValue("opc-next-page").orElse(null);
            pages++;
        } while (page != null);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(pages).isEqualTo(3);
        assertThat(ok("GET", "/20180222/clusters?compartmentId=" + prod + "&lifecycleState=ACTIVE", null))
                .hasSize(4);

        JsonNode c = ok("GET", "/20180222/clusters/" + ids.get(0), null);
        assertThat(c.path("name").asText()).isEqualTo("oke-0");
        assertThat(c.path("endpoints").path("publicEndpoint").asText()).isEqualTo("10.0.0.0:6443");
        assertThat(c.path("clusterPodNetworkOptions").get(0).path("cniType").asText()).isEqualTo("FLANNEL_OVERLAY");
        assertThat(call("GET", "/20180222/clusters?limit=2", null).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/20180222/clusters?compartmentId=" + prod + "&limit=1001", null).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/20180222/clusters/ocid1.cluster.oc1.eu-frankfurt-1.none", null).statusCode()).isEqualTo(404);
    }

    @Test
    void shouldWriteTheKubeconfigTheCliWritesForAnEndpointTheClusterHas() throws Exception {
        String prod = stub.addCompartment(TENANCY, "prod");
        OkeFleetStub.Cluster c = stub.addCluster(prod, "oke-prod", "129.0.0.1:6443");
        HttpResponse<String> r = call("POST", "/20180222/clusters/" + c.id + "/kubeconfig/content",
                "{\"tokenVersion\":\"2.0.0\",\"endpoint\":\"PUBLIC_ENDPOINT\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("application/octet-stream");
        assertThat(r.body()).contains("server: https://129.0.0.1:6443", "command: oci", "- generate-token",
                "- " + c.id, "- eu-frankfurt-1", "certificate-authority-data: ");

        assertThat(call("POST", "/20180222/clusters/" + c.id + "/kubeconfig/content",
                "{\"tokenVersion\":\"2.0.0\",\"endpoint\":\"PRIVATE_ENDPOINT\"}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/20180222/clusters/" + c.id + "/kubeconfig/content",
                "{\"tokenVersion\":\"1.0.0\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void shouldRefuseUnsignedRequestsAndInjectFaults() throws Exception {
        HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create(stub.endpoint()
                + "/20160918/tenancies/" + TENANCY + "/regionSubscriptions")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(401);
        assertThat(stub.rejectedUnauthenticated()).isEqualTo(1);

        stub.subscribeRegion("us-ashburn-1");
        JsonNode regions = ok("GET", "/20160918/tenancies/" + TENANCY + "/regionSubscriptions", null);
        assertThat(regions.findValuesAsText("regionName")).containsExactly("eu-frankfurt-1", "us-ashburn-1");

        stub.faults().on("ListClusters").serverErrors(1);
        String prod = stub.addCompartment(TENANCY, "prod");
        assertThat(call("GET", "/20180222/clusters?compartmentId=" + prod, null).statusCode()).isEqualTo(500);
        assertThat(call("GET", "/20180222/clusters?compartmentId=" + prod, null).statusCode()).isEqualTo(200);
    }
}
