package io.fencewatch.ocistub;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What an OKE cluster's API server does with a bearer token of token version 2.0.0 (the one
 * {@code oci ce cluster generate-token} makes), strictly: the token is the URL-safe base64 of
 * {@code https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster-ocid>?authorization=..&date=..};
 * the URL must name this cluster in this region, with exactly those two parameters, and its
 * authorization must be a valid OCI request signature of a GET of that URL (signed headers
 * {@code date (request-target) host}, a trusted key, a date within five minutes). This is a stand-in:
 * real OKE also checks the principal's IAM policy and maps it to a Kubernetes user.
 */
public final class OkeTokenVerifier {
    private final RequestSignatureVerifier signatures;
    private final String region;
    private final String clusterOcid;

    public OkeTokenVerifier(RequestSignatureVerifier signatures, String region, String clusterOcid) {
        this.signatures = Objects.requireNonNull(signatures);
        this.region = Objects.requireNonNull(region);
        this.clusterOcid = Objects.requireNonNull(clusterOcid);
    }

    /**
     * The principal that signed {@code token}.
     *
     * @throws OciError 401 NotAuthenticated, saying why, for any token this cluster must refuse
     */
    public RequestSignatureVerifier.Principal verify(String token) {
        if (token == null || token.isEmpty()) {
            throw OciError.notAuthenticated("no bearer token");
        }
        String url;
        try {
            url = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw OciError.notAuthenticated("the token is not URL-safe base64");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw OciError.notAuthenticated("the token is not a URL");
        }
        String host = "containerengine." + region + ".oraclecloud.com";
        String path = "/cluster_request/" + clusterOcid;
        if (!"https".equals(uri.getScheme()) || uri.getRawUserInfo() != null || uri.getPort() != -1
                || !host.equals(uri.getHost()) || uri.getRawFragment() != null) {
            throw OciError.notAuthenticated("the token is not for " + host);
        }
        if (!path.equals(uri.getRawPath())) {
            throw OciError.notAuthenticated("the token is not for cluster " + clusterOcid);
        }
        Map<String, String> query = query(uri.getRawQuery());
        if (!query.keySet().equals(java.util.Set.of("authorization", "date"))) {
            throw OciError.notAuthenticated("the token's URL must carry exactly authorization and date");
        }
        Map<String, String> headers = Map.of("authorization", query.get("authorization"), "date", query.get("date"),
                "host", host);
        return signatures.verify("GET", path, name -> headers.get(name.toLowerCase(Locale.ROOT)), new byte[0]);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw OciError.notAuthenticated("the token's URL has a malformed parameter");
            }
            String name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            if (out.put(name, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)) != null) {
                throw OciError.notAuthenticated("the token's URL repeats parameter " + name);
            }
        }
        return out;
    }
}
