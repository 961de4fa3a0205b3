package io.fencewatch.processor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import io.fencewatch.schema.FactLimits;

/**
 * The bounds that keep one record from stalling a task: how large an inventory record and a dead
 * letter may be, which clusters are accepted and how many namespaces each may hold, how far in the
 * future an epoch may lie, and fixed caps on keys, headers and the sizes of facts. Everything beyond
 * them is a dead letter that says which bound it broke.
 *
 * @param maxRecordBytes largest inventory record (key, value and headers) the processor applies;
 *                       equal to the collector's {@code max.request.size} and the inventory topic's
 *                       {@code max.message.bytes}; also the bound of one namespace's stored facts
 * @param dlqMaxPayload  bytes of the original value a dead letter carries at most
 * @param clusters       globs ({@code *} and {@code ?}) of accepted cluster ids; empty accepts all
 * @param maxNamespacesPerCluster keys one cluster may hold; beyond them new keys are dead letters
 * @param partitions     partitions of the inventory topic: the namespace cap is enforced per task
 *                       as its share of {@code maxNamespacesPerCluster}
 * @param maxEpochSkew   how far beyond the processor's clock an epoch may lie
 */
public record Limits(int maxRecordBytes, int dlqMaxPayload, List<String> clusters, int maxNamespacesPerCluster,
        int partitions, Duration maxEpochSkew) {
    /** Longest record key: a 63-character cluster id, '/', a 253-character name, with room to spare. */
    public static final int MAX_KEY_BYTES = 320;
    /** Most headers an inventory record may carry. */
    public static final int MAX_HEADERS = 64;
    /** Most bytes of header keys and values an inventory record may carry. */
    public static final int MAX_HEADER_BYTES = 16 * 1024;
    /** Most entries of one map of facts (namespace labels, annotations, a selector's matchLabels). */
    public static final int MAX_MAP_ENTRIES = FactLimits.MAX_MAP_ENTRIES;
    /** Most ingress plus egress rules of one NetworkPolicy. */
    public static final int MAX_RULES = FactLimits.MAX_RULES;
    /** Most peers, ports, selector terms and values in one NetworkPolicy, all counted together. */
    public static final int MAX_POLICY_ELEMENTS = FactLimits.MAX_POLICY_ELEMENTS;
    /** Longest Calico selector expression (spec.selector, spec.namespaceSelector), in characters. */
    public static final int MAX_EXPRESSION_CHARS = FactLimits.MAX_EXPRESSION_CHARS;
    /**
     * Longest workload shape id (the WORKLOAD event's name, {@code <ownerKind>/<ownerName>/<hash>}):
     * a 63-character kind, a 253-character name, a hash of at most 16 hex digits.
     */
    public static final int MAX_WORKLOAD_NAME = Names.LABEL_MAX + 1 + Names.SUBDOMAIN_MAX + 1 + 16;
    /** Most pods one workload shape may count (far beyond any cluster's pod limit; a sum of shapes stays an int). */
    public static final int MAX_WORKLOAD_PODS = 1_000_000;
    /** Most original headers a dead letter copies, and their bytes. */
    public static final int DLQ_MAX_HEADERS = 32;
    public static final int DLQ_MAX_HEADER_BYTES = 8 * 1024;

    public static final int DEFAULT_MAX_RECORD_BYTES = FactLimits.DEFAULT_MAX_RECORD_BYTES;
    public static final int DEFAULT_DLQ_MAX_PAYLOAD = 64 * 1024;

    public Limits {
        clusters = List.copyOf(Objects.requireNonNull(clusters, "clusters"));
        Objects.requireNonNull(maxEpochSkew, "maxEpochSkew");
        if (maxRecordBytes <= 0 || dlqMaxPayload < 0 || maxNamespacesPerCluster <= 0 || partitions <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    public static Limits defaults() {
        return new Limits(DEFAULT_MAX_RECORD_BYTES, DEFAULT_DLQ_MAX_PAYLOAD, List.of(), 100_000, 1,
                Duration.ofMinutes(10));
    }

    public Limits withClusters(List<String> globs) {
        return new Limits(maxRecordBytes, dlqMaxPayload, globs, maxNamespacesPerCluster, partitions, maxEpochSkew);
    }

    public Limits withMaxNamespacesPerCluster(int max) {
        return new Limits(maxRecordBytes, dlqMaxPayload, clusters, max, partitions, maxEpochSkew);
    }

    public Limits withPartitions(int count) {
        return new Limits(maxRecordBytes, dlqMaxPayload, clusters, maxNamespacesPerCluster, count, maxEpochSkew);
    }

    public Limits withMaxRecordBytes(int bytes) {
        return new Limits(bytes, dlqMaxPayload, clusters, maxNamespacesPerCluster, partitions, maxEpochSkew);
    }

    public Limits withDlqMaxPayload(int bytes) {
        return new Limits(maxRecordBytes, bytes, clusters, maxNamespacesPerCluster, partitions, maxEpochSkew);
    }

    /**
     * Keys of one cluster one task may hold: its share of the cap, with 5% slack for the uneven
     * spread of keys over partitions.
     */
    public long namespacesPerTask() {
        if (partitions == 1) {
            return maxNamespacesPerCluster;
        }
        return (long) Math.ceil(maxNamespacesPerCluster * 1.05 / partitions);
    }

    /** Whether {@code --clusters} accepts this cluster id. */
    public boolean acceptsCluster(String cluster) {
        if (clusters.isEmpty()) {
            return true;
        }
        for (String glob : clusters) {
            boolean plain = glob.indexOf('*') < 0 && glob.indexOf('?') < 0;
            if (plain ? glob.equals(cluster) : GLOBS.computeIfAbsent(glob, Limits::glob).matcher(cluster).matches()) {
                return true;
            }
        }
        return false;
    }

    /** Compiled globs of --clusters, shared: a record asks on every event. */
    private static final java.util.Map<String, Pattern> GLOBS = new java.util.concurrent.ConcurrentHashMap<>();

    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append("[^/]*");
                case '?' -> re.append("[^/]");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
