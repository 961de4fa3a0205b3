package io.fencewatch.bench;

import java.time.Duration;

/**
 * Polling waits for the harness (no Awaitility: the sandbox dist, which runs {@code fencewatch bench},
 * has it only in test scope).
 */
final class Wait {
    private Wait() {
    }

    /** A condition that may throw. */
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Until {@code c} holds, checking every 20 ms; an IllegalStateException after {@code timeout}. */
    static void until(Condition c, Duration timeout) throws Exception {
        until(c, timeout, Duration.ofMillis(20));
    }

    /** Until {@code c} holds, checking every {@code poll}; an IllegalStateException after {@code timeout}. */
    static void until(Condition c, Duration timeout, Duration poll) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("benchmark timed out after " + timeout + " waiting");
            }
            Thread.sleep(Math.max(1, poll.toMillis()));
        }
    }

    /** Until {@code c} has held without a break for {@code period}. */
    static void holdsFor(Condition c, Duration period, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long since = -1;
        while (System.nanoTime() < deadline) {
            if (c.holds()) {
                if (since < 0) {
                    since = System.nanoTime();
                } else if (System.nanoTime() - since >= period.toNanos()) {
                    return;
                }
            } else {
                since = -1;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("benchmark timed out after " + timeout + " waiting for a steady state");
    }
}
