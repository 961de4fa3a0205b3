package io.fencewatch.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** What the integration tests on a real {@link ProcessorApp} share: stopping it and removing its state. */
final class RealProcessors {
    private RealProcessors() {
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
