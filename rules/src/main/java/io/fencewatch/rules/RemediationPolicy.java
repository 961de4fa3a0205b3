package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rule's remediation for one namespace: a NetworkPolicy {@value #NAME} that selects every pod,
 * with no ingress rule (all ingress denied) and, by default, one egress rule that allows only DNS
 * (UDP and TCP 53) to {@code kube-system}. A structured model: {@link #toObject()} is the
 * Kubernetes object as nested maps and lists (for a client to send), {@link #toYaml()} the same
 * object as one YAML document that {@code kubectl apply -f -} takes.
 *
 * <p>A default-deny policy cuts traffic: every connection the namespace's pods need beyond DNS
 * must then be allowed by another policy.
 *
 * @param namespace the namespace to fence
 * @param allowDns whether the egress rule to kube-system DNS is included (only matters with egress)
 * @param types which directions the policy isolates
 */
public record RemediationPolicy(String namespace, boolean allowDns, Types types) {
    public static final String NAME = "fencewatch-default-deny";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "fencewatch";
    public static final String DNS_NAMESPACE = "kube-system";
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
    public static final int DNS_PORT = 53;

    /** Which directions the policy isolates: {@code --policy-types=ingress|egress|both}. */
    public enum Types {
        INGRESS, EGRESS, BOTH;

        public static Types parse(String text) {
            for (Types t : values()) {
                if (t.name().equalsIgnoreCase(text.strip())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("must be ingress, egress or both, not '" + text + "'");
        }

        public boolean ingress() {
            return this != EGRESS;
        }

        public boolean egress() {
            return this != INGRESS;
        }
    }

    public RemediationPolicy {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(types, "types");
        if (namespace.isBlank()) {
            throw new IllegalArgumentException("namespace is blank");
        }
    }

    /** Default-deny both ways, DNS to kube-system allowed: the rule's remediation as written. */
    public static RemediationPolicy defaultFor(String namespace) {
        return new RemediationPolicy(namespace, true, Types.BOTH);
    }

    public String name() {
        return NAME;
    }

    /** The Kubernetes object, as ordered maps, lists, strings and integers. */
    public Map<String, Object> toObject() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "networking.k8s.io/v1");
        o.put("kind", "NetworkPolicy");
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", NAME);
        metadata.put("namespace", namespace);
        metadata.put("labels", Map.of(MANAGED_BY_LABEL, MANAGED_BY));
        o.put("metadata", metadata);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("podSelector", Map.of());
        List<Object> policyTypes = new ArrayList<>();
        if (types.ingress()) {
            policyTypes.add("Ingress");
        }
        if (types.egress()) {
            policyTypes.add("Egress");
        }
        spec.put("policyTypes", policyTypes);
        // No ingress rules (key omitted): all ingress denied. No egress rules: all egress denied.
        if (types.egress() && allowDns) {
            List<Object> egress = new ArrayList<>();
            {
                Map<String, Object> rule = new LinkedHashMap<>();
                rule.put("to", List.of(Map.of("namespaceSelector",
                        Map.of("matchLabels", Map.of(NAMESPACE_NAME_LABEL, DNS_NAMESPACE)))));
                rule.put("ports", List.of(port("UDP"), port("TCP")));
                egress.add(rule);
            }
            spec.put("egress", egress);
        }
        o.put("spec", spec);
        return o;
    }

    /** One YAML document (no leading {@code ---}), ending in a newline; every string safely quoted where needed. */
    public String toYaml() {
        if (allowDns && types == Types.BOTH) {
            String fast = DefaultYaml.INSTANCE.forNamespace(namespace);
            if (fast != null) {
                return fast;
            }
        }
        return Yaml.render(toObject());
    }

    /**
     * The default policy's YAML, rendered once around a placeholder namespace: a finding carries
     * it, and rendering the object each time was a tenth of the stream thread. Used only when the
     * namespace is a plain scalar (written as is, as the placeholder is), so the text is the one
     * {@link Yaml#render} gives; any other namespace is rendered in full.
     */
    private static final class DefaultYaml {
        static final DefaultYaml INSTANCE = new DefaultYaml();
        private static final String PLACEHOLDER = "fencewatch-namespace-placeholder";
        private final String head;
        private final String tail;

        private DefaultYaml() {
            String yaml = Yaml.render(defaultFor(PLACEHOLDER).toObject());
            int at = yaml.indexOf(PLACEHOLDER);
            if (at < 0 || yaml.indexOf(PLACEHOLDER, at + 1) >= 0 || !Yaml.scalar(PLACEHOLDER).equals(PLACEHOLDER)) {
                throw new IllegalStateException("the default policy's YAML must hold its namespace once, plain");
            }
            head = yaml.substring(0, at);
            tail = yaml.substring(at + PLACEHOLDER.length());
        }

        String forNamespace(String namespace) {
            if (!Yaml.scalar(namespace).equals(namespace)) {
                return null;
            }
            return new StringBuilder(head.length() + namespace.length() + tail.length()).append(head)
                    .append(namespace).append(tail).toString();
        }
    }

    private static Map<String, Object> port(String protocol) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("protocol", protocol);
        p.put("port", DNS_PORT);
        return p;
    }

    /** A minimal block-style YAML writer for maps, lists, strings, numbers and booleans. */
    static final class Yaml {
        private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_./-]*");
        private static final List<String> RESERVED = List.of("true", "false", "yes", "no", "on", "off", "null", "y", "n");

        private Yaml() {
        }

        static String render(Map<String, Object> root) {
            StringBuilder b = new StringBuilder();
            map(b, root, 0);
            return b.toString();
        }

        @SuppressWarnings("unchecked")
        private static void map(StringBuilder b, Map<String, Object> m, int indent) {
            for (Map.Entry<String, Object> e : m.entrySet()) {
                pad(b, indent).append(scalar(e.getKey())).append(':');
                value(b, e.getValue(), indent);
            }
        }

        @SuppressWarnings("unchecked")
        private static void value(StringBuilder b, Object v, int indent) {
            if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    b.append(" {}\n");
                } else {
                    b.append('\n');
                    map(b, (Map<String, Object>) m, indent + 2);
                }
            } else if (v instanceof List<?> l) {
                if (l.isEmpty()) {
                    b.append(" []\n");
                } else {
                    b.append('\n');
                    list(b, (List<Object>) l, indent);
                }
            } else {
                b.append(' ').append(scalar(v)).append('\n');
            }
        }

        @SuppressWarnings("unchecked")
        private static void list(StringBuilder b, List<Object> l, int indent) {
            for (Object item : l) {
                pad(b, indent).append("- ");
                if (item instanceof Map<?, ?> m && !m.isEmpty()) {
                    boolean first = true;
                    for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                        if (!first) {
                            pad(b, indent + 2);
                        }
                        first = false;
                        b.append(scalar(e.getKey())).append(':');
                        value(b, e.getValue(), indent + 2);
                    }
                } else if (item instanceof List<?> || item instanceof Map<?, ?>) {
                    throw new IllegalArgumentException("nested lists are not rendered");
                } else {
                    b.append(scalar(item)).append('\n');
                }
            }
        }

        private static StringBuilder pad(StringBuilder b, int indent) {
            return b.append(" ".repeat(indent));
        }

        /** Plain when it cannot be read as anything but this string; else double-quoted with escapes. */
        static String scalar(Object v) {
            if (v instanceof Integer || v instanceof Long || v instanceof Boolean) {
                return v.toString();
            }
            String s = String.valueOf(v);
            if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
                return s;
            }
            StringBuilder q = new StringBuilder(s.length() + 2).append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> q.append("\\\"");
                    case '\\' -> q.append("\\\\");
                    case '\n' -> q.append("\\n");
                    case '\r' -> q.append("\\r");
                    case '\t' -> q.append("\\t");
                    default -> {
                        if (c < 0x20 || c == 0x7f) {
                            q.append(String.format("\\u%04x", (int) c));
                        } else {
                            q.append(c);
                        }
                    }
                }
            }
            return q.append('"').toString();
        }
    }
}
