package io.fencewatch.testing.kube;

import io.fencewatch.controlplane.KubeControlPlane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The control plane itself: the real binaries, TLS with a client CA, RBAC, and the namespace controller. */
class KubeControlPlaneIT {
    @RegisterExtension
    static final KubeControlPlaneExtension KUBE = KubeControlPlaneExtension.perClass();

    @Test
    void shouldReportThePinnedReleaseWhenAskedForItsVersion() throws Exception {
        String version = KUBE.controlPlane().request("GET", "/version", null).body();
        assertThat(version).contains("\"gitVersion\": \"v1.37.2\"").contains("\"minor\": \"37\"");
        assertThat(Files.readString(KUBE.controlPlane().kubeconfig()))
                .contains("server: " + KUBE.controlPlane().url()).contains("client-certificate-data:");
    }

    @Test
    void shouldRefuseAnonymousAndUnboundUsersWhenRbacIsOn() throws Exception {
        KubeControlPlane cp = KUBE.controlPlane();
        // TLS that trusts the CA but presents no client certificate: anonymous, which RBAC refuses.
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(cp.caPem().getBytes())));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        HttpResponse<String> anonymous = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).build().send(
                HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/namespaces")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(403);
        assertThat(anonymous.body()).contains("system:anonymous");
        HttpResponse<String> badToken = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).build().send(
                HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/namespaces"))
                        .header("Authorization", "Bearer not-a-token").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badToken.statusCode()).isEqualTo(401);
    }

    @Test
    void shouldGoThroughTerminatingAndDeleteTheContentWhenANamespaceIsDeleted() {
        KubeControlPlane cp = KUBE.controlPlane();
        assertThat(cp.request("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"doomed\"}}").statusCode())
                .isEqualTo(201);
        assertThat(cp.request("POST", "/apis/networking.k8s.io/v1/namespaces/doomed/networkpolicies",
                "{\"metadata\":{\"name\":\"deny\"},\"spec\":{\"podSelector\":{}}}").body())
                .contains("\"policyTypes\":[\"Ingress\"]"); // defaulted by the server
        HttpResponse<String> deleted = cp.request("DELETE", "/api/v1/namespaces/doomed", null);
        assertThat(deleted.body()).contains("\"phase\":\"Terminating\"");
        // The namespace controller (kube-controller-manager) empties it, then it is gone.
        await().atMost(Duration.ofSeconds(60)).until(() -> cp.request("GET", "/api/v1/namespaces/doomed", null)
                .statusCode() == 404);
        assertThat(cp.request("GET", "/apis/networking.k8s.io/v1/namespaces/doomed/networkpolicies", null).body())
                .contains("\"items\":[]");
    }

    @Test
    void shouldStopEveryProcessWhenClosedTwice() {
        List<ProcessHandle> before = binaries(); // the class's own control plane
        KubeControlPlane own = KubeControlPlane.start();
        // (ProcessHandle.info() may come back empty for a moment; the three show up.)
        List<ProcessHandle> children = await().atMost(Duration.ofSeconds(15))
                .until(() -> binaries().stream().filter(p -> !before.contains(p)).toList(), l -> l.size() == 3);
        assertThat(own.running()).isTrue();
        own.close();
        own.close();
        assertThat(own.running()).isFalse();
        await().atMost(Duration.ofSeconds(15)).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(own.dir()).doesNotExist();
    }

    private static List<ProcessHandle> binaries() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> KubeControlPlane.BINARIES.stream().anyMatch(c::endsWith))
                        .orElse(false))
                .toList();
    }
}
