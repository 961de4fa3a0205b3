package io.fencewatch.collector.kube;

/** What an informer reported about an object. */
public enum ChangeType {
    /** Added or modified: the object as it is now. */
    UPSERT,
    /** Deleted (also a vanished object found by a relist): its last known state. */
    DELETE
}
