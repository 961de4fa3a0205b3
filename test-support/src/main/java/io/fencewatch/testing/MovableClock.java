package io.fencewatch.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A UTC clock a test moves: {@link #fixed} stands still until set or advanced; {@link #ticking}
 * follows the system clock, shifted by what was advanced (for code that measures durations too).
 */
public final class MovableClock extends Clock {
    private volatile Instant fixed;
    private volatile Duration offset = Duration.ZERO;

    private MovableClock(Instant fixed) {
        this.fixed = fixed;
    }

    public static MovableClock fixed(Instant at) {
        return new MovableClock(Objects.requireNonNull(at));
    }

    public static MovableClock ticking() {
        return new MovableClock(null);
    }

    /** Stands still at {@code at} from now on. */
    public void set(Instant at) {
        offset = Duration.ZERO;
        fixed = Objects.requireNonNull(at);
    }

    public void advance(Duration d) {
        Instant f = fixed;
        if (f != null) {
            fixed = f.plus(d);
        } else {
            offset = offset.plus(d);
        }
    }

    @Override
    public Instant instant() {
        Instant f = fixed;
        return f != null ? f : Instant.now().plus(offset);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
