package io.fencewatch.bench;

import io.fencewatch.config.Commands;
import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Parsers;
import io.fencewatch.config.Setting;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.LinkedHashSet;
import java.util.stream.Stream;

import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * {@code fencewatch bench [--quick] [--doc=<file>]}: end-to-end benchmarks on a real in-process
 * KRaft broker. Prints a table for people, then one {@code name=value} line per figure. The full
 * run writes {@code docs/benchmarks.md} (or {@code --doc}).
 */
public final class BenchMain {
    static final int EXIT_USAGE = 2;

    static final List<String> SECTIONS = List.of("latency", "throughput", "sync", "query", "polling", "scale", "audit", "real",
            "oci", "pod-change-cpu", "cluster-policy", "pod-churn");

    static final Setting<Boolean> QUICK = Setting.toggle("quick", "false",
            "one rate, fewer samples, the same warm-ups; under 3 minutes on 2 cores");
    static final Setting<Path> DOC = new Setting<>("doc", "docs/benchmarks.md", v -> v.isBlank() ? null : Path.of(v),
            "where the full run writes its report (--doc= skips it)");
    static final Setting<Set<String>> ONLY = new Setting<>("only", "", BenchMain::sections,
            "run only these sections: " + String.join(", ", SECTIONS));
    static final List<Setting<?>> SETTINGS = List.of(QUICK, DOC, ONLY);

    static final String USAGE = Help.render("bench", """
            End-to-end benchmarks on a real in-process Kafka broker and fabric8's mock API server:
            drift latency (API write -> drift readable, read_committed), processor throughput against a
            bare count, initial sync, queries (point local/forwarded, list), scale and polling (full only),
            the OCI Streaming path through oci-bridge on the stand-in against the direct Kafka path, one
            cluster-wide policy change in a cluster of 10,000 namespaces, the inventory events and heap of
            --watch-pods under pod churn (simulated time).
            Prints a table, then one name=value line per figure.
            """, SETTINGS, List.of());

    /** Parsed flags. */
    record Options(boolean quick, Path doc, Set<String> only) {
        boolean runs(String section) {
            return only.isEmpty() || only.contains(section);
        }
    }

    /** fabric8's mock server logs every request through java.util.logging; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_SERVER_LOG = java.util.logging.Logger.getLogger("io.fabric8");

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/fencewatch/bench/logback-bench.xml");
        }
        MOCK_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
        Options options;
        try {
            options = parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.exit(Commands.badFlag(System.err, "bench", e));
            return;
        }
        if (options == null) {
            System.out.print(USAGE);
            return;
        }
        int code;
        try {
            code = new BenchRun(options, String.join(" ", commandLine(args))).run(System.out);
        } catch (Throwable t) {
            System.err.println("fencewatch bench: failed: " + t);
            t.printStackTrace();
            code = 1;
        }
        // Kafka and fabric8 leave non-daemon threads behind; the figures are out, so end here.
        System.exit(code);
    }

    /** Null for --help; an IllegalArgumentException (one line, naming the flag) for a bad flag. */
    static Options parse(String[] args) {
        return parse(args, Map.of());
    }

    static Options parse(String[] args, Map<String, String> env) {
        if (Flags.wantsHelp(args)) {
            return null;
        }
        Map<String, String> given = Flags.read(args, env, SETTINGS, List.of()).given();
        return new Options(value(QUICK, given), value(DOC, given), Set.copyOf(value(ONLY, given)));
    }

    private static <T> T value(Setting<T> s, Map<String, String> given) {
        return s.parse(given.getOrDefault(s.flag(), s.defaultValue()));
    }

    private static Set<String> sections(String v) {
        Set<String> only = new LinkedHashSet<>();
        for (String name : Parsers.list(v)) {
            if (!SECTIONS.contains(name)) {
                throw new IllegalArgumentException("'" + (name.length() <= 20 ? name : name.substring(0, 17) + "...")
                        + "' is not a section (" + String.join(", ", SECTIONS) + ")");
            }
            only.add(name);
        }
        return only;
    }

    private static List<String> commandLine(String[] args) {
        List<String> out = new ArrayList<>();
        out.add("./fencewatch bench");
        out.addAll(List.of(args));
        return out;
    }

    /** Progress of a long step, on stderr so that stdout stays the table and the figures. */
    static void progress(String line) {
        System.err.println("bench: " + line);
    }

    /** Total GC count and time so far (all collectors): a coarse profile per section. */
    static long[] gc() {
        long count = 0;
        long ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {count, ms};
    }

    /** Peak resident set size of this JVM (VmHWM), in MB; NaN where /proc is absent. */
    static double peakRssMb() {
        return procStatusKb("VmHWM:") / 1024.0;
    }

    static double procStatusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Double.parseDouble(line.substring(field.length()).replace("kB", "").strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    static long directorySize(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            progress("could not delete " + dir + ": " + e.getMessage());
        }
    }

    /** The ordered figures of a run: name=value lines and table rows. */
    static final class Figures {
        final Map<String, String> values = new LinkedHashMap<>();
        final List<String[]> rows = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final List<String> sections = new ArrayList<>();
        final List<String> breakdown = new ArrayList<>();
        final Instant started = Instant.now();

        void put(String name, double value) {
            values.put(name, Double.isNaN(value) ? "NaN" : fmt(value));
        }

        void put(String name, String value) {
            values.put(name, value);
        }

        /** figure, measure, value, target, verdict. */
        void row(String figure, String measure, String value, String target, String verdict) {
            rows.add(new String[] {figure, measure, value, target, verdict});
        }

        static String fmt(double v) {
            if (Math.abs(v) >= 100) {
                return String.format(Locale.ROOT, "%.0f", v);
            }
            return String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
        }

        void printTable(PrintStream out) {
            int[] w = {6, 10, 8, 8, 7};
            String[] head = {"figure", "measure", "value", "target", "met"};
            for (String[] r : rows) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            out.println(line(head, w));
            StringBuilder sep = new StringBuilder("|");
            for (int x : w) {
                sep.append("-".repeat(x + 2)).append('|');
            }
            out.println(sep);
            for (String[] r : rows) {
                out.println(line(r, w));
            }
        }

        static String line(String[] cells, int[] w) {
            StringBuilder b = new StringBuilder("|");
            for (int i = 0; i < w.length; i++) {
                b.append(' ').append(cells[i]).append(" ".repeat(w[i] - cells[i].length())).append(" |");
            }
            return b.toString();
        }
    }

    /** Verdict text for a figure against an upper bound. */
    static String atMost(double value, double bound) {
        return Double.isNaN(value) ? "n/a" : value <= bound ? "yes" : "NO";
    }

    static String atLeast(double value, double bound) {
        return Double.isNaN(value) ? "n/a" : value >= bound ? "yes" : "NO";
    }

    static EmbeddedKafkaBroker startBroker() {
        return EmbeddedKafkaBroker.startNew();
    }
}
