package io.fencewatch.ocibridge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each cluster's events back into the order the collector numbered them before they reach Kafka.
 *
 * <p>Why: OCI spreads a collector's events over its partitions by key, and the bridge reads partitions
 * at their own pace, so events arrive out of the collector's order. Two things in the processor depend
 * on that order: (1) a {@code SYNC_END} sweeps every fact of an older epoch, so it must not arrive
 * before the {@code SNAPSHOT}s of its epoch that sit on other OCI partitions (else a false
 * {@code REMOVED_BY_RESYNC}); (2) the processor ignores, per inventory partition, an event whose
 * sequence is not above the last it applied, so a late lower-numbered event would be lost.
 *
 * <p>How: within an epoch, the collector numbers events 0, 1, 2, ... (a marker is one number). Per
 * cluster, the gate releases event {@code n} only after {@code 0..n-1}: a {@code SYNC_END} is thus held
 * until every event before it — whichever OCI partition carries it — has been read and released, which
 * is strictly more than "every partition read past the marker". Duplicates (at-least-once on both
 * sides) are dropped; so are events of an epoch older than one already started. A new epoch starts at
 * its {@code SYNC_START} (sequence 0), but not the moment that marker is read: events of the older
 * epoch appended before it may still be unread on other OCI partitions, and once the new epoch has
 * started they could only be dropped as stale (a namespace created or deleted in the old epoch would
 * then reach the processor only through the new epoch's snapshot and sweep, with other drift). So the
 * new epoch waits until the reader has seen every partition empty after reading its
 * {@code SYNC_START} ({@link #caughtUp}: everything appended before it has then been read), or the
 * gap timeout passed; meanwhile the older epoch keeps draining in order, and what is still held of it
 * is released first, in order, when the new one starts. Where the start is unknown (the bridge resumed mid-epoch from committed offsets), the chain of
 * a cluster read before the reader first caught up ({@link #caughtUp}) starts at its lowest held sequence — the bridge
 * commits only when nothing is held, so that lowest sequence is the first one not yet forwarded. A gap
 * that stays open longer than the gap timeout (a collector that died before resending an entry), or
 * more than {@code maxHeld} events waiting, is skipped with a warning and counted.
 *
 * <p>Not thread-safe: the bridge's reader thread is its only user.
 */
public final class SequenceGate {
    private static final Logger LOG = LoggerFactory.getLogger(SequenceGate.class);

    /** One event read from OCI, decoded enough to order it. */
    public record Item(String cluster, long epoch, long sequence, Object payload) {
    }

    private static final class Chain {
        long epoch = -1;
        long next = -1; // -1: start unknown
        final TreeMap<Long, TreeMap<Long, Item>> held = new TreeMap<>(); // epoch -> seq -> item
        long waitingSinceNanos = -1;
        int size;
        /** Held when the reader first caught up: its start may be the lowest sequence held (a resume). */
        boolean resumed;
        /** A newer epoch whose SYNC_START was read, waiting for the older epoch's stragglers; -1: none. */
        long pendingEpoch = -1;
        long pendingSinceRound;
        long pendingSinceNanos;
    }

    private final Map<String, Chain> chains = new HashMap<>();
    private final long gapTimeoutNanos;
    private final int maxHeld;
    private final Consumer<Item> release;
    private final Consumer<Item> drop;
    private boolean caughtUp;
    /** How many times the reader saw every partition empty. */
    private long idleRounds;
    private int held;
    private long duplicates;
    private long staleEpoch;
    private long gapsSkipped;

    /**
     * @param release called for each event that may go to Kafka now, in order
     * @param drop called for each event that never will (a duplicate, an older epoch): it is done
     */
    public SequenceGate(long gapTimeoutNanos, int maxHeld, Consumer<Item> release, Consumer<Item> drop) {
        this.gapTimeoutNanos = gapTimeoutNanos;
        this.maxHeld = maxHeld;
        this.release = release;
        this.drop = drop;
    }

    public void offer(Item item, long nowNanos) {
        Chain c = chains.computeIfAbsent(item.cluster(), k -> new Chain());
        if (item.epoch() < c.epoch || item.epoch() == c.epoch && c.next >= 0 && item.sequence() < c.next) {
            if (item.epoch() < c.epoch) {
                staleEpoch++;
            } else {
                duplicates++;
            }
            drop.accept(item);
            return;
        }
        TreeMap<Long, Item> byEpoch = c.held.computeIfAbsent(item.epoch(), e -> new TreeMap<>());
        if (byEpoch.putIfAbsent(item.sequence(), item) != null) {
            duplicates++;
            drop.accept(item);
            return;
        }
        c.size++;
        held++;
        if (c.waitingSinceNanos < 0) {
            c.waitingSinceNanos = nowNanos;
        }
        drain(item.cluster(), c, nowNanos);
        if (held > maxHeld) {
            skipOldestWait(nowNanos);
        }
    }

    /**
     * The reader saw every partition it reads empty (call on every empty read): everything appended
     * before now has been read. The first time, chains of unknown start may begin; every time, a new
     * epoch whose {@code SYNC_START} was read before may supersede the older one.
     */
    public void caughtUp(long nowNanos) {
        idleRounds++;
        boolean first = !caughtUp;
        caughtUp = true;
        chains.forEach((cluster, c) -> {
            // Only chains read before the first catch-up are resumed mid-epoch; a cluster first seen later
            // waits for its SYNC_START (or the gap timeout): its lower numbers may still be on their way.
            if (first && c.epoch < 0) {
                c.resumed = true;
            }
            if (c.size > 0) {
                drain(cluster, c, nowNanos);
            }
        });
    }

    /** Skips gaps open longer than the gap timeout; call now and then. */
    public void tick(long nowNanos) {
        chains.forEach((cluster, c) -> {
            if (c.pendingEpoch >= 0) {
                drain(cluster, c, nowNanos); // a new epoch may start now that its wait timed out
            }
            if (c.size > 0 && c.waitingSinceNanos >= 0 && nowNanos - c.waitingSinceNanos > gapTimeoutNanos) {
                skipGap(cluster, c, nowNanos, "open for longer than the gap timeout");
            }
        });
    }

    private void drain(String cluster, Chain c, long nowNanos) {
        while (!c.held.isEmpty()) {
            long newestEpoch = c.held.lastKey();
            TreeMap<Long, Item> newest = c.held.lastEntry().getValue();
            if (newestEpoch > c.epoch && (newest.firstKey() == 0 || c.resumed && c.epoch < 0)
                    && mayStart(c, newestEpoch, newest.firstKey() == 0, nowNanos)) {
                startEpoch(cluster, c, newestEpoch);
                continue;
            }
            TreeMap<Long, Item> current = c.held.get(c.epoch);
            if (current == null || c.next < 0 || current.firstKey() != c.next) {
                return; // a gap in this epoch, or a newer epoch whose start has not been read yet
            }
            while (!current.isEmpty() && current.firstKey() == c.next) {
                Item i = current.pollFirstEntry().getValue();
                c.next++;
                c.size--;
                held--;
                release.accept(i);
            }
            if (current.isEmpty()) {
                c.held.remove(c.epoch);
            }
            c.waitingSinceNanos = c.size > 0 ? nowNanos : -1;
        }
        c.waitingSinceNanos = -1;
    }

    /**
     * Whether {@code epoch} may become current now. A chain resumed mid-epoch starts at once (the
     * reader has caught up). After a {@code SYNC_START}: at once for a cluster first seen after the
     * reader caught up (nothing older of it is unread); else once the reader has seen every partition
     * empty since it read the marker, or the gap timeout passed.
     */
    private boolean mayStart(Chain c, long epoch, boolean syncStartRead, long nowNanos) {
        if (!syncStartRead || c.epoch < 0 && caughtUp && c.pendingEpoch < 0 && !c.resumed) {
            return true;
        }
        if (c.pendingEpoch != epoch) {
            c.pendingEpoch = epoch;
            c.pendingSinceRound = idleRounds;
            c.pendingSinceNanos = nowNanos;
            return false;
        }
        return idleRounds > c.pendingSinceRound || nowNanos - c.pendingSinceNanos > gapTimeoutNanos;
    }

    /** Makes {@code epoch} current: what is held of older epochs goes first, in order. */
    private void startEpoch(String cluster, Chain c, long epoch) {
        while (c.held.firstKey() < epoch) {
            Map.Entry<Long, TreeMap<Long, Item>> older = c.held.pollFirstEntry();
            if (older.getKey() == c.epoch) {
                LOG.info("cluster {}: epoch {} superseded while events {}..{} of it wait; releasing them in order", cluster,
                        older.getKey(), older.getValue().firstKey(), older.getValue().lastKey());
            }
            for (Item i : older.getValue().values()) {
                c.size--;
                held--;
                release.accept(i);
            }
        }
        c.epoch = epoch;
        c.next = c.held.get(epoch).firstKey();
        c.pendingEpoch = -1;
    }

    private void skipGap(String cluster, Chain c, long nowNanos, String why) {
        if (c.held.isEmpty()) {
            return;
        }
        long from = c.next;
        if (c.epoch < 0 || c.held.lastKey() > c.epoch && !c.held.containsKey(c.epoch)) {
            startEpoch(cluster, c, c.held.lastKey());
        } else {
            TreeMap<Long, Item> current = c.held.get(c.epoch);
            if (current == null) {
                startEpoch(cluster, c, c.held.lastKey());
            } else {
                c.next = current.firstKey();
            }
        }
        gapsSkipped++;
        LOG.warn("cluster {}: epoch {}: sequence {} never arrived ({}); continuing at {}", cluster, c.epoch, from, why,
                c.next);
        drain(cluster, c, nowNanos);
    }

    private void skipOldestWait(long nowNanos) {
        String oldest = null;
        long since = Long.MAX_VALUE;
        for (Map.Entry<String, Chain> e : chains.entrySet()) {
            if (e.getValue().size > 0 && e.getValue().waitingSinceNanos < since) {
                since = e.getValue().waitingSinceNanos;
                oldest = e.getKey();
            }
        }
        if (oldest != null) {
            skipGap(oldest, chains.get(oldest), nowNanos, "more than " + maxHeld + " events held");
        }
    }

    /** Events waiting for a gap to close. */
    public int held() {
        return held;
    }

    /** Held markers (SYNC_START/SYNC_END/HEARTBEAT) are counted by the caller from the payloads. */
    public List<Item> heldItems() {
        List<Item> out = new ArrayList<>();
        chains.values().forEach(c -> c.held.values().forEach(m -> out.addAll(m.values())));
        return out;
    }

    public long duplicates() {
        return duplicates;
    }

    public long staleEpoch() {
        return staleEpoch;
    }

    public long gapsSkipped() {
        return gapsSkipped;
    }

    public boolean isCaughtUp() {
        return caughtUp;
    }
}
