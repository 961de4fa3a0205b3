package io.fencewatch.query;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

/**
 * The connection limits of one port that the HTTP library does not have itself: a cap on open
 * connections (beyond it a new connection is closed at once), and a deadline for a request head.
 * A connection that is not serving a request and has not delivered a complete request head for
 * {@code headerTimeout} is closed: a client that sends half a request and stops (slowloris), or
 * trickles one byte at a time, holds a socket for that long and no thread at all.
 */
final class ConnectionGuard {
    private final int max;
    private final long headerTimeoutMs;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final Map<HttpConnection, State> connections = new ConcurrentHashMap<>();
    private final Vertx vertx;
    private final long sweeper;

    private static final class State {
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long lastActivity = System.nanoTime();
    }

    ConnectionGuard(Vertx vertx, int maxConnections, long headerTimeoutMs) {
        this.vertx = vertx;
        this.max = maxConnections;
        this.headerTimeoutMs = headerTimeoutMs;
        this.sweeper = vertx.setPeriodic(Math.max(50, Math.min(500, headerTimeoutMs / 4)), id -> sweep());
    }

    /** The server's connection handler. */
    void onConnection(HttpConnection c) {
        c.closeHandler(v -> {
            connections.remove(c);
            open.decrementAndGet();
        });
        if (open.incrementAndGet() > max) {
            refused.incrementAndGet();
            c.close();
            return;
        }
        connections.put(c, new State());
    }

    /** A complete request head arrived on {@code c}. */
    void begin(HttpConnection c) {
        State s = connections.get(c);
        if (s != null) {
            s.inFlight.incrementAndGet();
            s.lastActivity = System.nanoTime();
        }
    }

    /** The answer to a request of {@code c} was written. */
    void end(HttpConnection c) {
        State s = connections.get(c);
        if (s != null) {
            s.inFlight.decrementAndGet();
            s.lastActivity = System.nanoTime();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        long limit = headerTimeoutMs * 1_000_000L;
        connections.forEach((c, s) -> {
            if (s.inFlight.get() <= 0 && now - s.lastActivity > limit) {
                connections.remove(c);
                timedOut.incrementAndGet();
                c.close();
            }
        });
    }

    int open() {
        return Math.max(0, open.get());
    }

    long refused() {
        return refused.get();
    }

    long timedOut() {
        return timedOut.get();
    }

    void close() {
        vertx.cancelTimer(sweeper);
    }
}
