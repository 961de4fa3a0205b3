package io.fencewatch.query;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.function.Function;

/**
 * Optional bearer token. Accepted from {@code Authorization: Bearer <token>} or, for the dashboard
 * (a browser's EventSource cannot set headers), from the {@value #COOKIE} cookie, which the page
 * sets with {@code SameSite=Strict}. Compared in constant time.
 */
final class BearerAuth {
    static final String COOKIE = "fencewatch_token";

    private final byte[] token;

    private BearerAuth(byte[] token) {
        this.token = token;
    }

    /** From the config's token file or token; disabled when neither is set. */
    static BearerAuth from(QueryConfig config) {
        String t = config.token();
        if (config.tokenFile() != null) {
            try {
                t = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException(QueryConfig.TOKEN_FILE.name() + ": cannot read the token file", e);
            }
        }
        if (t == null) {
            return new BearerAuth(null);
        }
        if (t.isBlank()) {
            throw new IllegalArgumentException("the bearer token is empty");
        }
        return new BearerAuth(t.getBytes(StandardCharsets.UTF_8));
    }

    boolean enabled() {
        return token != null;
    }

    /** {@code header} gives a request header's first value by name, or null. */
    boolean allows(Function<String, String> header) {
        if (token == null) {
            return true;
        }
        String auth = header.apply("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return matches(auth.substring(7).strip());
        }
        String cookies = header.apply("Cookie");
        if (cookies != null) {
            for (String c : cookies.split(";")) {
                String kv = c.strip();
                if (kv.startsWith(COOKIE + "=")) {
                    try {
                        return matches(java.net.URLDecoder.decode(kv.substring(COOKIE.length() + 1), StandardCharsets.UTF_8));
                    } catch (IllegalArgumentException e) {
                        return false; // malformed percent-encoding: not our token
                    }
                }
            }
        }
        return false;
    }

    private boolean matches(String presented) {
        return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
