package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;

/**
 * {@code fencewatch sandbox}: parses the flags, sends the logs to {@code <data-dir>/sandbox.log},
 * starts the {@link Sandbox}, prints where everything is, and waits. Ctrl-C (SIGINT) or SIGTERM runs
 * the shutdown hook {@code fencewatch-sandbox-shutdown}, which stops everything. Exit status 2 for
 * a bad flag (one line naming it), 1 when it cannot start.
 */
public final class SandboxMain {
    static final int EXIT_BAD_FLAG = 2;
    static final int EXIT_FAILED = 1;
    private static final String PREFIX = "fencewatch sandbox: ";
    private static final String LOG_FILE_PROPERTY = "FENCEWATCH_SANDBOX_LOG";

    private SandboxMain() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err, true);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the sandbox until the JVM shuts down; returns at once (with the exit status) when it cannot start. */
    static int run(String[] args, PrintStream out, PrintStream err, boolean configureLogging) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.print(SandboxConfig.usage());
            return 0;
        }
        SandboxConfig config;
        try {
            config = SandboxConfig.parse(args, System.getenv()).withPortsChosen();
        } catch (SandboxConfig.BadFlag e) {
            err.println(PREFIX + e.getMessage());
            return EXIT_BAD_FLAG;
        }
        Path dataDir = config.dataDir().toAbsolutePath().normalize();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            err.println(PREFIX + "--data-dir: cannot create " + dataDir + " (" + e.getMessage() + ")");
            return EXIT_BAD_FLAG;
        }
        if (configureLogging) {
            logTo(dataDir.resolve("sandbox.log"));
        }
        out.println("Starting the Fencewatch sandbox (data in " + dataDir + ") ...");
        Sandbox sandbox;
        try {
            sandbox = new Sandbox(config, out);
        } catch (SandboxConfig.BadFlag e) {
            err.println(PREFIX + e.getMessage());
            return EXIT_BAD_FLAG;
        } catch (RuntimeException e) {
            err.println(PREFIX + "cannot start: " + e.getMessage() + " (see " + dataDir.resolve("sandbox.log") + ")");
            return EXIT_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println();
            out.println("Stopping the Fencewatch sandbox ...");
            try {
                sandbox.close();
                out.println("Stopped. Start it again with the same --data-dir to continue where it left off.");
            } finally {
                stopped.countDown();
            }
        }, "fencewatch-sandbox-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            sandbox.start();
        } catch (RuntimeException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                return 0; // Ctrl-C while starting: the hook stops what was started
            }
            err.println(PREFIX + "cannot start: " + e.getMessage() + " (see " + dataDir.resolve("sandbox.log") + ")");
            sandbox.close();
            return EXIT_FAILED;
        }
        sandbox.announce();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * All logging to {@code file}; errors also to the terminal. Named before the first logger exists
     * (the classpath holds several modules' logback.xml); -Dlogback.configurationFile wins. When
     * logging was already set up (embedded), it is reconfigured.
     */
    static void logTo(Path file) {
        if (System.getProperty("logback.configurationFile") != null) {
            return;
        }
        System.setProperty(LOG_FILE_PROPERTY, file.toString());
        System.setProperty("logback.configurationFile", "io/fencewatch/sandbox/logback-sandbox.xml");
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        if (file.toString().equals(context.getProperty(LOG_FILE_PROPERTY))) {
            return; // configured from the property just set
        }
        URL xml = SandboxMain.class.getResource("logback-sandbox.xml");
        context.reset();
        context.putProperty(LOG_FILE_PROPERTY, file.toString());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(xml);
        } catch (JoranException e) {
            throw new UncheckedIOException(new IOException("cannot configure logging to " + file, e));
        }
    }
}
