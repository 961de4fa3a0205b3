package io.fencewatch.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import com.oracle.bmc.auth.SimpleAuthenticationDetailsProvider;
import com.oracle.bmc.http.signing.DefaultRequestSigner;
import com.oracle.bmc.http.signing.RequestSigner;

/**
 * The in-process OKE token against a golden vector: {@code src/test/resources/oke-token/golden.py}
 * computes it without Java and without the OCI SDK (openssl signs, Python builds the URL the way the
 * OCI CLI's {@code generate-token} does), from the committed test key, a fixed date and cluster.
 */
class OkeTokenTest {
    private static final String REGION = "eu-frankfurt-1";
    private static final String CLUSTER = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaafencewatchgolden";
    private static final String TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy";
    private static final String USER = "ocid1.user.oc1..aaaaaaaauser";
    private static final String FINGERPRINT = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
    /** Thu, 05 Jan 2023 21:31:40 GMT, plus a fraction of a second the HTTP date drops. */
    private static final Instant AT = Instant.parse("2023-01-05T21:31:40.750Z");
    private static final String GOLDEN_SIGNATURE = "FKqi5bky/pZaRkYIzpbrsm6nFyeeSvOFmZ5sdzS0WK62weBwZ3GPioSzK5H/HFdiCG2pfL7cwGelNV8xj1mOMJCszwiSuJHICam+OMNr8Wpx1M9NjcuvVMsZf9NOxbz1sKbpWfx8V7DNMkzEhdKsAkkL8J6r2sZO+GaKg9Sn6+NmkrvNtDnfd2Ot8t2AmKABO95A2o65dS9JqHjd1rkva4mjZq+On4zc/xEEFlg10f5lKbMsoIquX75QN7aVFdBLNTz54CARSwVYcn4z5ITac+FeFtO9zYQbKOF5okaFCElBQTizUK0Q9PsBd0jnWBsbqDb5Doyx7LY5IRtEetdW5A==";
    private static final String GOLDEN_TOKEN = "aHR0cHM6Ly9jb250YWluZXJlbmdpbmUuZXUtZnJhbmtmdXJ0LTEub3JhY2xlY2xvdWQuY29tL2NsdXN0ZXJfcmVxdWVzdC9vY2lkMS5jbHVzdGVyLm9jMS5ldS1mcmFua2Z1cnQtMS5hYWFhYWFhYWZlbmNld2F0Y2hnb2xkZW4_YXV0aG9yaXphdGlvbj1TaWduYXR1cmUrdmVyc2lvbiUzRCUyMjElMjIlMkNoZWFkZXJzJTNEJTIyZGF0ZSslMjhyZXF1ZXN0LXRhcmdldCUyOStob3N0JTIyJTJDa2V5SWQlM0QlMjJvY2lkMS50ZW5hbmN5Lm9jMS4uYWFhYWFhYWF0ZW5hbmN5JTJGb2NpZDEudXNlci5vYzEuLmFhYWFhYWFhdXNlciUyRjIwJTNBM2IlM0E5NyUzQTEzJTNBNTUlM0ExYyUzQTViJTNBMGQlM0FkMyUzQTM3JTNBZDglM0E1MCUzQTRlJTNBYzUlM0EzYSUzQTM0JTIyJTJDYWxnb3JpdGhtJTNEJTIycnNhLXNoYTI1NiUyMiUyQ3NpZ25hdHVyZSUzRCUyMkZLcWk1Ymt5JTJGcFphUmtZSXpwYnJzbTZuRnllZVN2T0ZtWjVzZHpTMFdLNjJ3ZUJ3WjNHUGlvU3pLNUglMkZIRmRpQ0cycGZMN2N3R2VsTlY4eGoxbU9NSkNzendpU3VKSElDYW0lMkJPTU5yOFdweDFNOU5qY3V2Vk1zWmY5Tk94Ynoxc0ticFdmeDhWN0ROTWt6RWhkS3NBa2tMOEo2cjJzWk8lMkJHYUtnOVNuNiUyQk5ta3J2TnREbmZkMk90OHQyQW1LQUJPOTVBMm82NWRTOUpxSGpkMXJrdmE0bWpacSUyQk9uNHpjJTJGeEVFRmxnMTBmNWxLYk1zb0lxdVg3NVFON2FWRmRCTE5UejU0Q0FSU3dWWWNuNHo1SVRhYyUyQkZlRnRPOXpZUWJLT0Y1b2thRkNFbEJRVGl6VUswUTlQc0JkMGpuV0JzYnFEYjVEb3l4N0xZNUlSdEVldGRXNUElM0QlM0QlMjImZGF0ZT1UaHUlMkMrMDUrSmFuKzIwMjMrMjElM0EzMSUzQTQwK0dNVA==";

    @Test
    void shouldMakeByteForByteTheTokenTheCliMakesForTheSameKeyAndDate() {
        OkeToken token = OkeToken.generate(signer(), REGION, CLUSTER, Clock.fixed(AT, ZoneOffset.UTC));

        assertThat(token.token()).isEqualTo(GOLDEN_TOKEN);
        assertThat(token.expiresAt()).isEqualTo(Instant.parse("2023-01-05T21:35:40Z"));
        String url = new String(Base64.getUrlDecoder().decode(token.token()), StandardCharsets.UTF_8);
        assertThat(url).startsWith("https://containerengine.eu-frankfurt-1.oraclecloud.com/cluster_request/" + CLUSTER
                + "?authorization=Signature+version%3D%221%22%2Cheaders%3D%22date+%28request-target%29+host%22%2CkeyId%3D%22")
                .endsWith("&date=Thu%2C+05+Jan+2023+21%3A31%3A40+GMT");
        assertThat(URLDecoder.decode(url, StandardCharsets.UTF_8)).contains("signature=\"" + GOLDEN_SIGNATURE + "\"");
    }

    @Test
    void shouldSignTheStringOkeRebuildsFromTheUrlWithTheProvidersKey() throws Exception {
        OkeToken token = OkeToken.generate(signer(), REGION, CLUSTER, Clock.fixed(AT.plusSeconds(3600), ZoneOffset.UTC));
        String url = URLDecoder.decode(new String(Base64.getUrlDecoder().decode(token.token()), StandardCharsets.UTF_8),
                StandardCharsets.UTF_8);
        String signature = url.replaceAll(".*signature=\"([^\"]+)\".*", "$1");
        String date = url.substring(url.indexOf("&date=") + "&date=".length());
        assertThat(date).isEqualTo("Thu, 05 Jan 2023 22:31:40 GMT");

        Signature verify = Signature.getInstance("SHA256withRSA");
        verify.initVerify(publicKey());
        verify.update(("date: " + date + "\n(request-target): get /cluster_request/" + CLUSTER
                + "\nhost: containerengine." + REGION + ".oraclecloud.com").getBytes(StandardCharsets.UTF_8));
        assertThat(verify.verify(Base64.getDecoder().decode(signature))).isTrue();
        assertThat(token.token()).isNotEqualTo(GOLDEN_TOKEN);
    }

    @Test
    void shouldKeepAttributesTheCliDoesNotKnowAfterItsOwn() {
        assertThat(OkeToken.inCliOrder("Signature signature=\"s\",keyId=\"k\",extra=\"x\",algorithm=\"rsa-sha256\","
                + "headers=\"date (request-target) host\",version=\"1\""))
                .isEqualTo("Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"k\","
                        + "algorithm=\"rsa-sha256\",signature=\"s\",extra=\"x\"");
        assertThatThrownBy(() -> OkeToken.inCliOrder("Bearer abc")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> OkeToken.inCliOrder("Signature keyId=\"k\"")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldEncodeQueryValuesAsPythonsQuotePlus() {
        assertThat(OkeToken.quotePlus("a b*c~d/e=f\"g,h:i+j")).isEqualTo("a+b%2Ac~d%2Fe%3Df%22g%2Ch%3Ai%2Bj");
    }

    @Test
    void shouldRefuseARegionOrClusterIdThatCannotBeInTheUrl() {
        RequestSigner signer = signer();
        Clock clock = Clock.fixed(AT, ZoneOffset.UTC);
        assertThatThrownBy(() -> OkeToken.generate(signer, "evil.example/x", CLUSTER, clock))
                .hasMessage("not an OCI region identifier: evil.example/x");
        assertThatThrownBy(() -> OkeToken.generate(signer, REGION, "ocid1.instance.oc1.iad.abc", clock))
                .hasMessage("not a cluster OCID: ocid1.instance.oc1.iad.abc");
        assertThat(OkeToken.clusterRequestUri("iad", "ocid1.cluster.oc1.iad.aaaabbbb"))
                .hasToString("https://containerengine.iad.oraclecloud.com/cluster_request/ocid1.cluster.oc1.iad.aaaabbbb");
    }

    private static RequestSigner signer() {
        return DefaultRequestSigner.createRequestSigner(SimpleAuthenticationDetailsProvider.builder()
                .tenantId(TENANCY).userId(USER).fingerprint(FINGERPRINT).region(com.oracle.bmc.Region.EU_FRANKFURT_1)
                .privateKeySupplier(OkeTokenTest::key).build());
    }

    private static InputStream key() {
        InputStream in = OkeTokenTest.class.getResourceAsStream("/oke-token/test-key.pem");
        if (in == null) {
            throw new UncheckedIOException(new IOException("test-key.pem is missing"));
        }
        return in;
    }

    private static PublicKey publicKey() throws Exception {
        try (InputStream in = OkeTokenTest.class.getResourceAsStream("/oke-token/test-key.pub.pem")) {
            String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
        }
    }
}
