package io.fencewatch.ocistub;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Verifies OCI API request signatures (Signature Version 1, a profile of draft-cavage-http-signatures-08)
 * as Oracle's "Request Signatures" reference describes them: an {@code Authorization: Signature ...}
 * header with {@code version="1"}, {@code keyId="<tenancy>/<user>/<fingerprint>"},
 * {@code algorithm="rsa-sha256"}, the list of signed {@code headers} and the base64 {@code signature}
 * over the signing string ({@code name: value} lines joined by '\n', {@code (request-target)} being
 * the lower-case method, a space and the path with its query).
 *
 * <p>The signed headers must include {@code date} (or {@code x-date}), {@code (request-target)} and
 * {@code host}; for PUT, POST and PATCH also {@code content-length}, {@code content-type} and
 * {@code x-content-sha256}, whose value must be the base64 SHA-256 of the body. A date more than five
 * minutes from the server's clock is refused. Every failure is a 401 {@code NotAuthenticated}.
 * Some operations accept a signature without the body headers (the SDK's {@code EXCLUDE_BODY}
 * strategy: Object Storage PutObject, Streaming PutMessages); their routes say so, and body headers
 * that are signed anyway must still match.
 *
 * <p>Shared by every OCI stand-in (Streaming now; Identity and Container Engine later).
 */
public final class RequestSignatureVerifier {
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final List<String> BODY_METHODS = List.of("PUT", "POST", "PATCH");

    /** What a verified request was signed as. */
    public record Principal(String keyId, String tenancy, String user, String fingerprint) {
    }

    private final Map<String, PublicKey> keys = new ConcurrentHashMap<>();
    private final Clock clock;

    public RequestSignatureVerifier(Clock clock) {
        this.clock = Objects.requireNonNull(clock);
    }

    /** Trusts {@code key} for requests signed with {@code keyId} ("tenancy/user/fingerprint"). */
    public void trust(String keyId, PublicKey key) {
        keys.put(keyId, key);
    }

    public void revoke(String keyId) {
        keys.remove(keyId);
    }

    /**
     * Verifies one request. {@code header} looks a header up case-insensitively (null if absent).
     *
     * @throws OciError 401 NotAuthenticated when the request is unsigned, forged, stale or incomplete
     */
    public Principal verify(String method, String pathAndQuery, Function<String, String> header, byte[] body) {
        return verify(method, pathAndQuery, header, body, true);
    }

    /** As {@link #verify(String, String, Function, byte[])}; {@code bodyHeadersRequired} false for EXCLUDE_BODY operations. */
    public Principal verify(String method, String pathAndQuery, Function<String, String> header, byte[] body,
            boolean bodyHeadersRequired) {
        String auth = header.apply("authorization");
        if (auth == null || !auth.startsWith("Signature ")) {
            throw OciError.notAuthenticated("missing Authorization: Signature header");
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(auth.substring("Signature ".length()));
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        if (!"1".equals(params.get("version"))) {
            throw OciError.notAuthenticated("signature version must be \"1\"");
        }
        if (!"rsa-sha256".equals(params.get("algorithm"))) {
            throw OciError.notAuthenticated("algorithm must be rsa-sha256");
        }
        String keyId = params.get("keyId");
        String signature = params.get("signature");
        String headerList = params.get("headers");
        if (keyId == null || signature == null || headerList == null) {
            throw OciError.notAuthenticated("keyId, headers and signature are required");
        }
        PublicKey key = keys.get(keyId);
        if (key == null) {
            throw OciError.notAuthenticated("unknown keyId");
        }
        List<String> signed = List.of(headerList.toLowerCase(Locale.ROOT).trim().split("\\s+"));
        List<String> required = new ArrayList<>(List.of("(request-target)", "host"));
        if (bodyHeadersRequired && BODY_METHODS.contains(method.toUpperCase(Locale.ROOT))) {
            required.addAll(List.of("content-length", "content-type", "x-content-sha256"));
        }
        for (String r : required) {
            if (!signed.contains(r)) {
                throw OciError.notAuthenticated("header '" + r + "' is not signed");
            }
        }
        String dateHeader = signed.contains("x-date") ? "x-date" : signed.contains("date") ? "date" : null;
        if (dateHeader == null) {
            throw OciError.notAuthenticated("neither date nor x-date is signed");
        }
        checkDate(header.apply(dateHeader));
        if (required.contains("x-content-sha256") || signed.contains("x-content-sha256")) {
            String expected = Base64.getEncoder().encodeToString(sha256(body));
            if (!expected.equals(header.apply("x-content-sha256"))) {
                throw OciError.notAuthenticated("x-content-sha256 does not match the body");
            }
            String length = header.apply("content-length");
            if (length == null || !length.trim().equals(Integer.toString(body.length))) {
                throw OciError.notAuthenticated("content-length does not match the body");
            }
        }
        StringBuilder signingString = new StringBuilder();
        for (String name : signed) {
            if (signingString.length() > 0) {
                signingString.append('\n');
            }
            if (name.equals("(request-target)")) {
                signingString.append("(request-target): ").append(method.toLowerCase(Locale.ROOT)).append(' ')
                        .append(pathAndQuery);
            } else {
                String value = header.apply(name);
                if (value == null) {
                    throw OciError.notAuthenticated("signed header '" + name + "' is absent");
                }
                signingString.append(name).append(": ").append(value);
            }
        }
        try {
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key);
            verifier.update(signingString.toString().getBytes(StandardCharsets.UTF_8));
            if (!verifier.verify(Base64.getDecoder().decode(signature))) {
                throw OciError.notAuthenticated("signature does not verify");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw OciError.notAuthenticated("signature does not verify");
        }
        String[] parts = keyId.split("/");
        return new Principal(keyId, parts.length > 0 ? parts[0] : "", parts.length > 1 ? parts[1] : "",
                parts.length > 2 ? parts[2] : "");
    }

    private void checkDate(String value) {
        if (value == null) {
            throw OciError.notAuthenticated("date header is absent");
        }
        Instant at;
        try {
            at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw OciError.notAuthenticated("date is not an RFC 1123 date");
        }
        Duration skew = Duration.between(at, clock.instant()).abs();
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw OciError.notAuthenticated("date is more than 5 minutes from the server's clock");
        }
    }

    static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
