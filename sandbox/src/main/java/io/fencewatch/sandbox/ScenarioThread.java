package io.fencewatch.sandbox;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A scenario's story, played once on a daemon thread with pauses; {@link #close()} stops it. */
abstract class ScenarioThread implements AutoCloseable {
    private final String name;
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;

    ScenarioThread(String name) {
        this.name = name;
    }

    /** The story; returns early when {@link #waitStop} says the sandbox is stopping. */
    abstract void play();

    synchronized void start() {
        thread = new Thread(this::play, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits up to {@code d}; true when the sandbox is stopping. */
    final boolean waitStop(Duration d) {
        try {
            return stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops the story and waits (3 s at most) for its thread to end. */
    @Override
    public void close() {
        stop.countDown();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
