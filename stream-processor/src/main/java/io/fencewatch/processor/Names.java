package io.fencewatch.processor;

/**
 * Kubernetes name rules, checked before a name becomes a key, a row, a finding or a line of YAML:
 * cluster ids and namespaces are DNS-1123 labels, policy names DNS-1123 subdomains.
 */
final class Names {
    static final int LABEL_MAX = 63;
    static final int SUBDOMAIN_MAX = 253;

    private Names() {
    }

    /** Why {@code name} is not a DNS-1123 label (lower-case letters, digits, '-', at most 63), or null. */
    static String labelProblem(String what, String name) {
        if (name == null || name.isEmpty()) {
            return what + " is empty";
        }
        if (name.length() > LABEL_MAX) {
            return what + " is longer than " + LABEL_MAX + " characters";
        }
        if (!isLabel(name, 0, name.length())) {
            return what + " " + quoted(name) + " is not a DNS-1123 label (a-z, 0-9, '-', alphanumeric at both ends)";
        }
        return null;
    }

    /** Why {@code name} is not a DNS-1123 subdomain (labels joined by '.', at most 253), or null. */
    static String subdomainProblem(String what, String name) {
        if (name == null || name.isEmpty()) {
            return what + " is empty";
        }
        if (name.length() > SUBDOMAIN_MAX) {
            return what + " is longer than " + SUBDOMAIN_MAX + " characters";
        }
        int start = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '.') {
                if (!isLabel(name, start, i)) {
                    return what + " " + quoted(name) + " is not a DNS-1123 subdomain";
                }
                start = i + 1;
            }
        }
        return null;
    }

    private static boolean isLabel(String s, int from, int to) {
        if (to <= from) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && !(c == '-' && i != from && i != to - 1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A name for a log line or an error header: at most 80 characters, non-printable and non-ASCII
     * characters escaped, in single quotes, so a forged name cannot forge a line.
     */
    static String quoted(String s) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(s.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        if (s.length() > n) {
            b.append("...");
        }
        return b.append('\'').toString();
    }
}
