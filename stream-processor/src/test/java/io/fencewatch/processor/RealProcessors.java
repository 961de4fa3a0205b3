package io.fencewatch.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

import io.fencewatch.kafka.EmbeddedKafkaBroker;

/** What the integration tests on a real {@link ProcessorApp} share: its base flags, stopping it and removing its state. */
final class RealProcessors {
    private RealProcessors() {
    }

    /**
     * The flags every such test starts from (a mutable map): the broker, topics {@code <prefix>.*},
     * application id {@code <prefix>-processor}, the state in {@code stateDir}.
     */
    static Map<String, String> flags(EmbeddedKafkaBroker broker, String prefix, Path stateDir) {
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("topic-prefix", prefix);
        flags.put("application-id", prefix + "-processor");
        flags.put("state-dir", stateDir.toString());
        return flags;
    }

    /** Closes {@code app} (if started) and deletes {@code stateDir} (if made), in that order. */
    static void closeAndDelete(ProcessorApp app, Path stateDir) throws IOException {
        if (app != null) {
            app.close();
        }
        if (stateDir != null) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
