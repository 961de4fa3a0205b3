package io.fencewatch.ocistub;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal OCI request signer for tests that must craft requests the SDK would never send
 * (a forged signature, a stale date, a header left unsigned). Production code signs with the SDK.
 */
public final class RequestSigner {
    private final String keyId;
    private final PrivateKey key;

    public RequestSigner(String keyId, PrivateKey key) {
        this.keyId = keyId;
        this.key = key;
    }

    /** The headers to send (date, host, body headers, authorization) for a request signed at {@code at}. */
    public Map<String, String> sign(String method, String host, String pathAndQuery, byte[] body, Instant at) {
        Map<String, String> h = new LinkedHashMap<>();
        // IMF-fixdate (two-digit day), as the SDK sends it; RFC_1123_DATE_TIME would write "5 Jan".
        h.put("date", DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).format(at.atZone(ZoneOffset.UTC)));
        h.put("host", host);
        StringBuilder names = new StringBuilder("date (request-target) host");
        boolean withBody = !method.equalsIgnoreCase("GET") && !method.equalsIgnoreCase("DELETE")
                && !method.equalsIgnoreCase("HEAD");
        if (withBody) {
            h.put("content-length", Integer.toString(body.length));
            h.put("content-type", "application/json");
            h.put("x-content-sha256", Base64.getEncoder().encodeToString(RequestSignatureVerifier.sha256(body)));
            names.append(" content-length content-type x-content-sha256");
        }
        StringBuilder s = new StringBuilder();
        for (String name : names.toString().split(" ")) {
            if (s.length() > 0) {
                s.append('\n');
            }
            s.append(name.equals("(request-target)")
                    ? "(request-target): " + method.toLowerCase(Locale.ROOT) + " " + pathAndQuery
                    : name + ": " + h.get(name));
        }
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(key);
            signer.update(s.toString().getBytes(StandardCharsets.UTF_8));
            String sig = Base64.getEncoder().encodeToString(signer.sign());
            h.put("authorization", "Signature version=\"1\",keyId=\"" + keyId + "\",algorithm=\"rsa-sha256\",headers=\""
                    + names + "\",signature=\"" + sig + "\"");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return h;
    }
}
