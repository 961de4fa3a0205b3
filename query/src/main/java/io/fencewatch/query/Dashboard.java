package io.fencewatch.query;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard: static files from {@code io/fencewatch/query/dashboard/} on the classpath, loaded
 * once, no build step, no external resources (the Content-Security-Policy forbids any).
 */
final class Dashboard {
    private static final String BASE = "/io/fencewatch/query/dashboard/";
    private static final List<String> FILES = List.of("index.html", "app.css", "app.js", "favicon.svg");
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, Reply> assets = new HashMap<>();

    Dashboard() {
        for (String f : FILES) {
            try (InputStream in = Dashboard.class.getResourceAsStream(BASE + f)) {
                if (in == null) {
                    throw new IllegalStateException("dashboard file missing from the jar: " + f);
                }
                Reply r = new Reply(200, type(f), in.readAllBytes(), Map.of());
                if (f.equals("index.html")) {
                    r = r.withHeader("Content-Security-Policy", CSP);
                }
                assets.put(f, r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read dashboard file " + f, e);
            }
        }
    }

    Reply asset(String name) {
        Reply r = assets.get(name);
        return r != null ? r : Reply.error(404, "not found");
    }

    private static String type(String f) {
        if (f.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (f.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (f.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        return "image/svg+xml";
    }
}
