package io.fencewatch.reliability;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The figures of one scenario's run (recovery times, counts): logged, and written as
 * {@code name=value} lines to {@code target/figures/<scenario>.properties} for docs/reliability.md.
 * Figures are reported, never asserted on as timings.
 */
final class Figures {
    private static final Logger LOG = LoggerFactory.getLogger(Figures.class);
    private final String scenario;
    private final Map<String, Object> values = new LinkedHashMap<>();

    Figures(String scenario) {
        this.scenario = scenario;
    }

    Figures put(String name, Object value) {
        values.put(name, value);
        LOG.info("figure {}.{}={}", scenario, name, value);
        return this;
    }

    static long millisSince(long nanoStart) {
        return (System.nanoTime() - nanoStart) / 1_000_000;
    }

    void write() {
        Path dir = Path.of(System.getProperty("fencewatch.figures.dir", "target/figures"));
        try {
            Files.createDirectories(dir);
            try (Writer w = Files.newBufferedWriter(dir.resolve(scenario + ".properties"), StandardCharsets.UTF_8)) {
                for (Map.Entry<String, Object> e : values.entrySet()) {
                    w.write(e.getKey() + "=" + e.getValue() + "\n");
                }
            }
        } catch (IOException e) {
            LOG.warn("could not write the figures of {}: {}", scenario, e.toString());
        }
    }
}
