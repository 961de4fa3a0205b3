package io.fencewatch.ocibridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SequenceGateTest {
    private final List<String> released = new ArrayList<>();
    private final List<String> dropped = new ArrayList<>();
    private SequenceGate gate;
    private long now;

    /** A bridge that has been running: it caught up with the stream once. */
    @BeforeEach
    void setUp() {
        startedBridge();
        gate.caughtUp(now);
    }

    /** A bridge that just started (or restarted from committed offsets): it has not caught up yet. */
    private void startedBridge() {
        gate = new SequenceGate(1_000, 100, i -> released.add(i.payload().toString()), i -> dropped.add(i.payload().toString()));
    }

    private void offer(String cluster, long epoch, long seq, String name) {
        gate.offer(new SequenceGate.Item(cluster, epoch, seq, name), now);
    }

    @Test
    void shouldHoldSyncEndUntilEverySnapshotBeforeItWasReleasedWhenPartitionsArriveOutOfOrder() {
        offer("c", 1, 0, "SYNC_START");
        offer("c", 1, 1, "SNAPSHOT a");
        offer("c", 1, 3, "SYNC_END"); // read from another OCI partition before snapshot b
        assertThat(released).containsExactly("SYNC_START", "SNAPSHOT a");
        assertThat(gate.held()).isEqualTo(1);
        offer("c", 1, 2, "SNAPSHOT b");
        assertThat(released).containsExactly("SYNC_START", "SNAPSHOT a", "SNAPSHOT b", "SYNC_END");
        assertThat(gate.held()).isZero();
    }

    @Test
    void shouldDropDuplicatesAndOlderEpochsWhenTheyArriveLate() {
        offer("c", 1, 0, "s1");
        offer("c", 1, 1, "e1");
        offer("c", 1, 1, "e1-dup");
        offer("c", 2, 0, "s2");
        gate.caughtUp(now); // every partition read past s2: epoch 2 starts
        offer("c", 1, 2, "late-e1");
        assertThat(released).containsExactly("s1", "e1", "s2");
        assertThat(dropped).containsExactly("e1-dup", "late-e1");
        assertThat(gate.duplicates()).isEqualTo(1);
        assertThat(gate.staleEpoch()).isEqualTo(1);
    }

    @Test
    void shouldReleaseTheOlderEpochsHeldEventsFirstWhenANewEpochStarts() {
        offer("c", 1, 0, "s1");
        offer("c", 1, 2, "e1-2"); // 1 never comes: the collector restarted
        offer("c", 2, 1, "e2-1");
        assertThat(released).containsExactly("s1");
        offer("c", 2, 0, "s2");
        assertThat(released).as("epoch 1's stragglers may still be unread elsewhere").containsExactly("s1");
        gate.caughtUp(now);
        assertThat(released).containsExactly("s1", "e1-2", "s2", "e2-1");
    }

    /**
     * The bug this guards against: epoch 2's SYNC_START, read from one OCI partition before epoch 1's
     * last events on another, must not make those events stale. They are released, in order, before
     * epoch 2.
     */
    @Test
    void shouldReleaseTheOlderEpochsLateEventsBeforeTheNewEpochWhenItsSyncStartIsReadFirst() {
        offer("c", 1, 0, "s1");
        offer("c", 1, 1, "e1-1");
        offer("c", 2, 0, "s2"); // partition A
        offer("c", 2, 1, "e2-1");
        offer("c", 1, 2, "e1-2"); // partition B, read later, appended before s2
        offer("c", 1, 3, "e1-3");
        assertThat(released).containsExactly("s1", "e1-1", "e1-2", "e1-3");
        assertThat(gate.staleEpoch()).isZero();
        gate.caughtUp(now);
        assertThat(released).containsExactly("s1", "e1-1", "e1-2", "e1-3", "s2", "e2-1");
        offer("c", 1, 4, "after");
        assertThat(dropped).containsExactly("after");
        assertThat(gate.held()).isZero();
    }

    @Test
    void shouldStartTheNewEpochWhenTheReaderHasNotBeenIdleButTheGapTimeoutPassed() {
        offer("c", 1, 0, "s1");
        offer("c", 2, 0, "s2");
        now += 500;
        gate.tick(now);
        assertThat(released).containsExactly("s1");
        now += 1_000;
        gate.tick(now);
        assertThat(released).containsExactly("s1", "s2");
    }

    @Test
    void shouldNotStartANewEpochOnAnIdleReadThatCameBeforeItsSyncStart() {
        offer("c", 1, 0, "s1");
        offer("c", 2, 0, "s2");
        assertThat(released).containsExactly("s1");
        offer("c", 2, 1, "e2-1");
        gate.tick(now);
        assertThat(released).containsExactly("s1");
        gate.caughtUp(now);
        assertThat(released).containsExactly("s1", "s2", "e2-1");
    }

    /** A restarted bridge resumes mid-epoch 1 and reads epoch 2's SYNC_START before the rest of epoch 1. */
    @Test
    void shouldReleaseTheResumedEpochFirstWhenARestartedBridgeReadsTheNewSyncStartBeforeCatchingUp() {
        startedBridge();
        offer("c", 2, 0, "s2");
        offer("c", 1, 41, "e1-41");
        offer("c", 1, 40, "e1-40");
        assertThat(released).isEmpty();
        gate.caughtUp(now);
        assertThat(released).containsExactly("e1-40", "e1-41", "s2");
    }

    @Test
    void shouldStartAtOnceWhenAClusterFirstSeenAfterCatchingUpSendsItsSyncStart() {
        offer("n", 1, 0, "s1");
        offer("n", 1, 1, "e1");
        assertThat(released).containsExactly("s1", "e1");
    }

    @Test
    void shouldKeepClustersIndependentWhenOneWaitsForAGap() {
        offer("a", 1, 0, "a0");
        offer("a", 1, 2, "a2");
        offer("b", 7, 0, "b0");
        offer("b", 7, 1, "b1");
        assertThat(released).containsExactly("a0", "b0", "b1");
    }

    @Test
    void shouldStartAtTheLowestHeldSequenceWhenResumingMidEpochOnceCaughtUp() {
        startedBridge();
        offer("c", 5, 41, "41");
        offer("c", 5, 40, "40");
        assertThat(released).isEmpty();
        gate.caughtUp(now);
        assertThat(released).containsExactly("40", "41");
        offer("c", 5, 42, "42");
        assertThat(released).containsExactly("40", "41", "42");
    }

    @Test
    void shouldWaitForSyncStartWhenAClusterFirstAppearsAfterCatchingUp() {
        offer("c", 1, 2, "2");
        offer("c", 1, 1, "1");
        assertThat(released).isEmpty();
        offer("c", 1, 0, "0");
        assertThat(released).containsExactly("0", "1", "2");
    }

    @Test
    void shouldSkipAGapWhenItStaysOpenPastTheTimeout() {
        offer("c", 1, 0, "0");
        offer("c", 1, 2, "2");
        now += 500;
        gate.tick(now);
        assertThat(released).containsExactly("0");
        now += 1_000;
        gate.tick(now);
        assertThat(released).containsExactly("0", "2");
        assertThat(gate.gapsSkipped()).isEqualTo(1);
    }

    @Test
    void shouldSkipTheOldestGapWhenTooManyEventsAreHeld() {
        SequenceGate small = new SequenceGate(Long.MAX_VALUE, 3, i -> released.add(i.payload().toString()), i -> { });
        small.caughtUp(0);
        small.offer(new SequenceGate.Item("c", 1, 0, "0"), 0);
        for (int s = 2; s <= 5; s++) {
            small.offer(new SequenceGate.Item("c", 1, s, Integer.toString(s)), 0);
        }
        assertThat(released).containsExactly("0", "2", "3", "4", "5");
        assertThat(small.gapsSkipped()).isEqualTo(1);
    }
}
