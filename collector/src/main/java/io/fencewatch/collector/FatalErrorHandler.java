package io.fencewatch.collector;

/**
 * Called when an agent cannot go on without losing facts (its queue is full, an informer cannot
 * be restarted). The process exits non-zero; the next start's epoch makes the table whole.
 */
@FunctionalInterface
public interface FatalErrorHandler {
    void fatal(String clusterId, String reason);
}
