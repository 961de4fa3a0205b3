package io.fencewatch.collector.config;

import java.util.Objects;

import io.fencewatch.schema.Keys;

/**
 * One cluster to watch: its Fencewatch cluster id and the kubeconfig context to reach it, or
 * {@code null} for the default (in-cluster service account, else the kubeconfig's current context).
 */
public record ClusterTarget(String clusterId, String context) {
    public ClusterTarget {
        Keys.requireClusterId(clusterId);
        if (context != null && context.isBlank()) {
            throw new IllegalArgumentException("context is blank");
        }
        Objects.requireNonNull(clusterId, "clusterId");
    }

    @Override
    public String toString() {
        return context == null ? clusterId : clusterId + " (context " + context + ")";
    }
}
