package io.fencewatch.processor;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point: reads the configuration from flags and {@code FENCEWATCH_*} environment, starts
 * the processor, and stops it on SIGTERM through a named shutdown hook. A bad flag prints one line
 * naming it and exits with status 2.
 */
public final class ProcessorMain {
    /** Exit status of a bad flag or environment variable. */
    public static final int EXIT_BAD_CONFIG = 2;

    private ProcessorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ProcessorConfig config = configOrExit(args, System.getenv(), System.out, System.err);
        if (config == null) {
            return;
        }
        ProcessorApp app = new ProcessorApp(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "fencewatch-processor-shutdown"));
        app.start();
        stopped.await();
    }

    private static ProcessorConfig configOrExit(String[] args, Map<String, String> env, PrintStream out,
            PrintStream err) {
        int[] status = {0};
        ProcessorConfig config = readConfig(args, env, out, err, status);
        if (status[0] != 0) {
            System.exit(status[0]);
        }
        return config;
    }

    /**
     * The configuration, or null with {@code status[0]} set: 0 after {@code --help}, 2 after a bad
     * flag (one line on {@code err} naming it and why).
     */
    static ProcessorConfig readConfig(String[] args, Map<String, String> env, PrintStream out, PrintStream err,
            int[] status) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.print(ProcessorConfig.usage());
            status[0] = 0;
            return null;
        }
        try {
            return ProcessorConfig.parse(args, env);
        } catch (ConfigException e) {
            status[0] = io.fencewatch.config.Commands.badFlag(err, "processor", e);
            return null;
        }
    }
}
