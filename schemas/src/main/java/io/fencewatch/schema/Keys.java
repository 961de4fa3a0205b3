package io.fencewatch.schema;

import java.util.Objects;

/**
 * Record keys of the inventory, coverage and drift topics: {@code <cluster>/<namespace>}. A
 * namespace and all its policies share a key, hence a partition. Epoch markers and heartbeats use
 * {@code <cluster>/*} ('*' is not a legal namespace character) and are sent to every partition
 * explicitly.
 */
public final class Keys {
    public static final char SEPARATOR = '/';
    public static final String MARKER_NAMESPACE = "*";

    private Keys() {
    }

    public static String of(String cluster, String namespace) {
        return requireClusterId(cluster) + SEPARATOR + Objects.requireNonNull(namespace, "namespace");
    }

    public static String marker(String cluster) {
        return of(cluster, MARKER_NAMESPACE);
    }

    public static boolean isMarker(String key) {
        return key != null && key.endsWith(SEPARATOR + MARKER_NAMESPACE);
    }

    public static String clusterOf(String key) {
        int slash = key.indexOf(SEPARATOR);
        if (slash <= 0) {
            throw new IllegalArgumentException("not a <cluster>/<namespace> key");
        }
        return key.substring(0, slash);
    }

    public static String namespaceOf(String key) {
        int slash = key.indexOf(SEPARATOR);
        if (slash <= 0 || slash == key.length() - 1) {
            throw new IllegalArgumentException("not a <cluster>/<namespace> key");
        }
        return key.substring(slash + 1);
    }

    /**
     * A cluster id: 1 to 63 characters of letters, digits, '-', '_' and '.', starting with a letter
     * or digit. It appears in keys, metric labels and URLs, so it is kept plain.
     */
    public static String requireClusterId(String cluster) {
        String problem = clusterIdProblem(cluster);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return cluster;
    }

    /** Why a cluster id is not valid, or null if it is. */
    public static String clusterIdProblem(String cluster) {
        if (cluster == null || cluster.isEmpty()) {
            return "cluster id is empty";
        }
        if (cluster.length() > 63) {
            return "cluster id is longer than 63 characters";
        }
        // A DNS-1123 label, as the processor requires of every cluster id it accepts: an id the
        // collector took but the processor refused would send each of its records to the DLQ.
        if (!lowerAlnum(cluster.charAt(0))) {
            return "cluster id must start with a lower-case ASCII letter or digit";
        }
        for (int i = 0; i < cluster.length(); i++) {
            char c = cluster.charAt(i);
            if (!lowerAlnum(c) && c != '-') {
                return "cluster id may only hold lower-case letters, digits and '-' (a DNS-1123 label; found '" + c + "')";
            }
        }
        if (!lowerAlnum(cluster.charAt(cluster.length() - 1))) {
            return "cluster id must end with a lower-case ASCII letter or digit";
        }
        return null;
    }

    private static boolean lowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
