package io.fencewatch.query;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon thread that owns one consumer of the drift topic: it consumes until closed and, after a
 * failure (broker gone for good, topic deleted), recreates the consumer after a pause. {@link #close()}
 * wakes the consumer and is safe to call twice.
 */
abstract class ConsumerLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
    private static final Duration RESTART_PAUSE = Duration.ofSeconds(5);

    private final String name;
    private final Map<String, Object> consumerConfig;
    private final AtomicBoolean running = new AtomicBoolean();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    /** @param name the thread's name, also used in log lines */
    ConsumerLoop(String name, Map<String, Object> consumerConfig) {
        this.name = name;
        this.consumerConfig = Map.copyOf(consumerConfig);
    }

    /** Reads with the given consumer until {@link #running()} turns false or it fails. */
    abstract void consume(KafkaConsumer<String, byte[]> consumer);

    public synchronized void start() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    final boolean running() {
        return running.get();
    }

    /** Waits up to {@code d}; true as soon as the loop is closing. */
    final boolean awaitClose(Duration d) throws InterruptedException {
        return stopping.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        while (running.get()) {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer = c;
                if (running.get()) {
                    consume(c);
                }
            } catch (WakeupException | InterruptException e) {
                if (running.get()) {
                    LOG.warn("{} woken unexpectedly; restarting", name);
                }
            } catch (RuntimeException e) {
                LOG.error("{} failed, restarting in {} s: {}", name, RESTART_PAUSE.toSeconds(), e.toString());
            } finally {
                consumer = null;
            }
            try {
                if (awaitClose(RESTART_PAUSE)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (!running.compareAndSet(true, false)) {
                return;
            }
            t = thread;
        }
        stopping.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
