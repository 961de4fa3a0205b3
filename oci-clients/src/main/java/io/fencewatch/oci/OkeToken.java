package io.fencewatch.oci;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.oracle.bmc.http.signing.RequestSigner;

/**
 * The bearer token an OKE cluster's API server accepts, made in process as
 * {@code oci ce cluster generate-token --cluster-id X --region R} makes it (token version 2.0.0), so
 * no image needs the OCI CLI as a kubeconfig exec plugin:
 * <ol>
 *   <li>sign a GET of {@code https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster-ocid>}
 *       with the authentication provider's request signer (headers {@code date (request-target) host});</li>
 *   <li>put the resulting {@code authorization} and {@code date} headers, in that order, as query
 *       parameters of that URL, encoded as Python's {@code urlencode} does (the CLI is Python);</li>
 *   <li>encode the URL as URL-safe base64 with padding.</li>
 * </ol>
 * The authorization header is written with its attributes in the CLI's order, so that a token is
 * byte for byte the CLI's for the same key and date (pinned by a golden vector computed without Java).
 * Such a token is valid for about five minutes after its date; like the CLI, we call it expired after
 * four, and callers refresh ahead of that.
 */
public final class OkeToken {
    /** The CLI's ExecCredential says a token expires four minutes after it was made. */
    public static final Duration LIFETIME = Duration.ofMinutes(4);

    /**
     * An HTTP date (RFC 9110's IMF-fixdate, two-digit day), as the CLI and the SDK send it. Not
     * {@code RFC_1123_DATE_TIME}, which writes "5 Jan": the golden vector caught that.
     */
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
            Locale.US);
    private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final List<String> CLI_ORDER = List.of("version", "headers", "keyId", "algorithm", "signature");

    private final String token;
    private final Instant expiresAt;

    private OkeToken(String token, Instant expiresAt) {
        this.token = token;
        this.expiresAt = expiresAt;
    }

    /** The token, as the {@code status.token} of the CLI's ExecCredential. */
    public String token() {
        return token;
    }

    /** When callers should consider it expired ({@link #LIFETIME} after its date). */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The URL a token encodes: what OKE re-signs to check it. */
    public static URI clusterRequestUri(String region, String clusterOcid) {
        return URI.create("https://containerengine." + requireRegion(region) + ".oraclecloud.com/cluster_request/"
                + requireOcid(clusterOcid));
    }

    /**
     * A token for the cluster, signed now by {@code signer} (from
     * {@code DefaultRequestSigner.createRequestSigner(authProvider)}).
     */
    public static OkeToken generate(RequestSigner signer, String region, String clusterOcid, Clock clock) {
        Objects.requireNonNull(signer, "signer");
        URI uri = clusterRequestUri(region, clusterOcid);
        // Whole seconds, as an HTTP date has them; the signer signs the date we give it.
        Instant now = clock.instant().with(java.time.temporal.ChronoField.NANO_OF_SECOND, 0);
        String date = HTTP_DATE.format(now.atZone(ZoneOffset.UTC));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("date", List.of(date));
        Map<String, String> signed = lowerCaseKeys(signer.signRequest(uri, "GET", headers, null));
        String authorization = signed.get("authorization");
        if (authorization == null) {
            throw new IllegalStateException("the OCI request signer returned no authorization header");
        }
        String signedDate = signed.getOrDefault("date", date);
        String url = uri + "?authorization=" + quotePlus(inCliOrder(authorization)) + "&date=" + quotePlus(signedDate);
        String token = Base64.getUrlEncoder().encodeToString(url.getBytes(StandardCharsets.UTF_8));
        return new OkeToken(token, now.plus(LIFETIME));
    }

    /** {@code Signature a="..",b=".."} with its attributes as the CLI writes them; unknown ones after. */
    static String inCliOrder(String authorization) {
        String prefix = "Signature ";
        if (!authorization.startsWith(prefix)) {
            throw new IllegalStateException("the OCI request signer returned an authorization header that is not a Signature");
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        Matcher m = ATTRIBUTE.matcher(authorization.substring(prefix.length()));
        while (m.find()) {
            attributes.put(m.group(1), m.group(2));
        }
        if (!attributes.containsKey("signature") || !attributes.containsKey("keyId")) {
            throw new IllegalStateException("the OCI request signer's authorization header lacks keyId or signature");
        }
        StringBuilder out = new StringBuilder(prefix);
        Map<String, String> rest = new LinkedHashMap<>(attributes);
        for (String name : CLI_ORDER) {
            String value = rest.remove(name);
            if (value != null) {
                append(out, name, value);
            }
        }
        rest.forEach((name, value) -> append(out, name, value));
        return out.toString();
    }

    private static void append(StringBuilder out, String name, String value) {
        if (out.charAt(out.length() - 1) != ' ') {
            out.append(',');
        }
        out.append(name).append("=\"").append(value).append('"');
    }

    /** Python's {@code urllib.parse.quote_plus}: Java's form encoding except for '*' and '~'. */
    static String quotePlus(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("*", "%2A").replace("%7E", "~");
    }

    private static Map<String, String> lowerCaseKeys(Map<String, String> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return out;
    }

    private static String requireRegion(String region) {
        if (region == null || !region.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("not an OCI region identifier: " + region);
        }
        return region;
    }

    private static String requireOcid(String ocid) {
        if (ocid == null || !ocid.matches("ocid1\\.cluster\\.[a-z0-9]+\\.[a-z0-9.-]*\\.[a-z0-9]+")) {
            throw new IllegalArgumentException("not a cluster OCID: " + ocid);
        }
        return ocid;
    }
}
