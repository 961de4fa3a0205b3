package io.fencewatch.collector;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.config.ConfigException;

/**
 * Entry point: reads the configuration, wires the {@link Collector}, and waits. SIGTERM runs the
 * named shutdown hook, which flushes the queues within {@code --shutdown-timeout}. Exit codes: 2 for
 * a bad flag (one line on stderr), 1 when an agent cannot go on (full queue, informer that cannot be
 * restarted, start-up failure).
 */
public final class CollectorMain {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorMain.class);
    static final int EXIT_CONFIG = 2;
    static final int EXIT_FATAL = 1;

    private CollectorMain() {
    }

    public static void main(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.print(CollectorConfig.usage());
                return;
            }
        }
        CollectorConfig config;
        try {
            config = CollectorConfig.fromArgs(args, System.getenv());
        } catch (ConfigException e) {
            System.exit(io.fencewatch.config.Commands.badFlag(System.err, "collector", e));
            return;
        }
        AtomicInteger exitCode = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        FatalErrorHandler fatal = (cluster, reason) -> {
            exitCode.compareAndSet(0, EXIT_FATAL);
            // Exit from a fresh thread: the caller may be an informer thread the shutdown waits for.
            Thread t = new Thread(() -> System.exit(EXIT_FATAL), "fencewatch-fatal-exit");
            t.start();
        };
        Collector collector;
        try {
            collector = new Collector(config, target -> Collector.defaultClient(config, target), fatal);
        } catch (RuntimeException e) {
            LOG.error("cannot start: {}", e.toString());
            System.exit(EXIT_FATAL);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down (flushing queued events, at most {})", config.get(CollectorConfig.SHUTDOWN_TIMEOUT));
            collector.close();
            done.countDown();
        }, "fencewatch-collector-shutdown"));
        try {
            collector.start();
        } catch (Exception e) {
            LOG.error("cannot start: {}", e.toString());
            System.exit(EXIT_FATAL);
            return;
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
