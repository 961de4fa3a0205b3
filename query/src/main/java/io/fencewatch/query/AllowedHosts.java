package io.fencewatch.query;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code Host} header names this instance answers to, against DNS rebinding: a page on
 * {@code evil.example} that makes its name resolve to this server still sends
 * {@code Host: evil.example}, and is refused. Accepted: loopback names, this host's own names
 * (in Kubernetes the pod's hostname and IP), the advertised host (peers forward to it), the
 * bind address when it is a specific one, and {@code query.allowed-hosts} (exact names,
 * {@code *.domain}, or {@code *} for any).
 */
final class AllowedHosts {
    private final Set<String> exact = new LinkedHashSet<>();
    private final List<String> suffixes = new ArrayList<>();
    private final boolean any;

    AllowedHosts(QueryConfig config) {
        exact.addAll(List.of("localhost", "127.0.0.1", "::1", "[::1]"));
        exact.add(hostOf(config.applicationServer()));
        if (!config.bindAddress().equals("0.0.0.0") && !config.bindAddress().equals("::")) {
            exact.add(config.bindAddress().toLowerCase(Locale.ROOT));
        }
        String hostname = System.getenv("HOSTNAME");
        if (hostname != null && !hostname.isBlank()) {
            exact.add(hostname.strip().toLowerCase(Locale.ROOT));
        }
        try {
            InetAddress self = InetAddress.getLocalHost();
            exact.add(self.getHostName().toLowerCase(Locale.ROOT));
            exact.add(self.getHostAddress().toLowerCase(Locale.ROOT));
            exact.add(self.getCanonicalHostName().toLowerCase(Locale.ROOT));
        } catch (UnknownHostException e) {
            // No name for this host: loopback and the configured names still work.
        }
        boolean star = false;
        if (config.allowedHosts() != null) {
            for (String h : config.allowedHosts()) {
                if (h.equals("*")) {
                    star = true;
                } else if (h.startsWith("*.")) {
                    suffixes.add(h.substring(1));
                } else {
                    exact.add(h);
                }
            }
        }
        this.any = star;
    }

    /** True when the request's {@code Host} header (with or without a port) names this instance. */
    boolean allows(String hostHeader) {
        if (any) {
            return true;
        }
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        String host = stripPort(hostHeader.strip().toLowerCase(Locale.ROOT));
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (exact.contains(host) || host.startsWith("127.")) {
            return true;
        }
        for (String s : suffixes) {
            if (host.endsWith(s)) {
                return true;
            }
        }
        return false;
    }

    /** The accepted names (for the log line at start). */
    String describe() {
        List<String> all = new ArrayList<>(exact);
        suffixes.forEach(s -> all.add("*" + s));
        return any ? "*" : String.join(",", all);
    }

    private static String hostOf(String hostPort) {
        return stripPort(hostPort.toLowerCase(Locale.ROOT));
    }

    private static String stripPort(String h) {
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        if (colon > 0 && h.indexOf(':') == colon) {
            return h.substring(0, colon);
        }
        return h;
    }
}
