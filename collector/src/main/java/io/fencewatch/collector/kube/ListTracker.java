package io.fencewatch.collector.kube;

/**
 * Follows an informer's list boundaries, which fabric8 reports to each handler in order with the
 * notifications: {@code onBeforeList}, the list's adds/updates/deletes, then {@code onList}.
 *
 * <ul>
 *   <li>The first list's notifications are not queued: the epoch that follows the informer's sync
 *       takes its snapshot from the cache, which already holds them. This keeps a large cluster's
 *       initial list out of the bounded queue.</li>
 *   <li>A later list is a relist after the watch was lost (410 Gone): its notifications, including
 *       deletes of objects that vanished meanwhile, are queued as usual, and then a new epoch is
 *       requested, as DESIGN.md asks after every full relist.</li>
 * </ul>
 * All calls come from the informer's serial notification executor.
 */
final class ListTracker {
    private final Runnable onRelist;
    private final boolean suppressFirst;
    private volatile int listsDone;
    private volatile boolean inFirstList;

    ListTracker(Runnable onRelist) {
        this(onRelist, true);
    }

    /** @param suppressFirst false: the first list's notifications are queued like any other */
    ListTracker(Runnable onRelist, boolean suppressFirst) {
        this.onRelist = onRelist;
        this.suppressFirst = suppressFirst;
    }

    void beforeList() {
        inFirstList = suppressFirst && listsDone == 0;
    }

    void listDone() {
        inFirstList = false;
        listsDone++;
        if (listsDone > 1) {
            onRelist.run();
        }
    }

    /** True while the notifications are those of the informer's first list. */
    boolean suppress() {
        return inFirstList;
    }
}
