package io.fencewatch.ocistub;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Faults a stand-in injects, per operation name ({@code "PutMessages"}, {@code "GetMessages"}, ...;
 * {@code "*"} for all). Thread-safe; tests arm them while clients run. Request-level faults are
 * consumed in this order: dropped connection, 5xx, HTTP 429, then a delay before the real answer.
 */
public final class Faults {
    /** What to do with one request. */
    public sealed interface Action permits Drop, Fail, Proceed {
    }

    /** Close the connection without an answer. */
    public record Drop() implements Action {
    }

    /** Answer with this error instead of serving the request. */
    public record Fail(OciError error) implements Action {
    }

    /** Serve it, after {@code delay}. */
    public record Proceed(Duration delay) implements Action {
    }

    private volatile Predicate<String> scope = op -> false;
    private final AtomicInteger drops = new AtomicInteger();
    private final AtomicInteger serverErrors = new AtomicInteger();
    private final AtomicInteger throttles = new AtomicInteger();
    private final AtomicLong delayMillis = new AtomicLong();
    private volatile int throttleRetryAfterSeconds = 1;
    private final AtomicLong injected = new AtomicLong();

    /** Faults armed below apply to these operations only (default: none until set; {@code "*"} = all). */
    public Faults on(String... operations) {
        java.util.Set<String> ops = java.util.Set.of(operations);
        this.scope = ops.contains("*") ? op -> true : ops::contains;
        return this;
    }

    /** The next {@code n} requests get their connection closed with no answer. */
    public Faults dropConnections(int n) {
        drops.addAndGet(n);
        return this;
    }

    /** The next {@code n} requests get a 500 InternalServerError. */
    public Faults serverErrors(int n) {
        serverErrors.addAndGet(n);
        return this;
    }

    /** The next {@code n} requests get a 429 TooManyRequests with {@code retry-after}. */
    public Faults throttle(int n, int retryAfterSeconds) {
        this.throttleRetryAfterSeconds = retryAfterSeconds;
        throttles.addAndGet(n);
        return this;
    }

    /** Every request is answered only after {@code delay} (zero: no delay). */
    public Faults slow(Duration delay) {
        delayMillis.set(delay.toMillis());
        return this;
    }

    /** Disarms everything. */
    public Faults clear() {
        drops.set(0);
        serverErrors.set(0);
        throttles.set(0);
        delayMillis.set(0);
        return this;
    }

    /** How many faults were injected so far. */
    public long injected() {
        return injected.get();
    }

    /** Decides the fate of one request to {@code operation}. */
    public Action next(String operation) {
        if (!scope.test(operation)) {
            return new Proceed(Duration.ZERO);
        }
        if (take(drops)) {
            return new Drop();
        }
        if (take(serverErrors)) {
            return new Fail(new OciError(500, "InternalServerError", "Internal error (injected by the stand-in)"));
        }
        if (take(throttles)) {
            return new Fail(new OciError(429, "TooManyRequests", "Too many requests (injected by the stand-in)",
                    throttleRetryAfterSeconds));
        }
        long d = delayMillis.get();
        if (d > 0) {
            injected.incrementAndGet();
        }
        return new Proceed(Duration.ofMillis(d));
    }

    private boolean take(AtomicInteger counter) {
        while (true) {
            int n = counter.get();
            if (n <= 0) {
                return false;
            }
            if (counter.compareAndSet(n, n - 1)) {
                injected.incrementAndGet();
                return true;
            }
        }
    }
}
