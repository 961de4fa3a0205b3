package io.fencewatch.query;

/**
 * What the query surface reads from a store of per-cluster state (the processor's cluster state
 * implements it): when the cluster's collector was last heard from, any record counting,
 * heartbeats included. Milliseconds since the epoch, processor clock.
 */
public interface ClusterLiveness {
    long lastSeen();
}
