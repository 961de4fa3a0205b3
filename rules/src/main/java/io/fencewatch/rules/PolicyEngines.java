package io.fencewatch.rules;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fencewatch.schema.inventory.PolicyEngineFacts;

/**
 * Which workloads are NetworkPolicy engines: the detection table
 * {@code io/fencewatch/rules/policy-engines.tsv} (one row per engine, each citing where its names,
 * labels and images come from) and its matcher. The collector applies it to the DaemonSets of the
 * namespaces engines install into and publishes the matches as cluster facts; {@link Enforcement}
 * turns those facts into FW-NP-002's verdict. Pure: no I/O beyond reading the table from the
 * classpath once.
 */
public final class PolicyEngines {
    static final String TABLE = "io/fencewatch/rules/policy-engines.tsv";
    private static final List<Row> ROWS = load();

    private PolicyEngines() {
    }

    /** One engine of the table. {@code requireContainer}/{@code requireArg} are null unless the row needs them. */
    public record Row(String engine, String display, List<String> names, Map<String, String> labels,
            List<String> images, String requireContainer, String requireArg, List<String> namespaces, String source) {
    }

    /** A container of a workload: its name, image and arguments (the arguments are read here and never published). */
    public record Container(String name, String image, List<String> args) {
        public Container {
            args = args == null ? List.of() : List.copyOf(args);
        }
    }

    /**
     * A DaemonSet as the matcher needs it: labels are the DaemonSet's and its pod template's
     * together; desired and ready are its status counts (null until the controller writes them).
     */
    public record Workload(String kind, String namespace, String name, Map<String, String> labels,
            List<Container> containers, Integer desired, Integer ready) {
        public Workload {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            containers = containers == null ? List.of() : List.copyOf(containers);
        }
    }

    /** The table's rows, in matching order. */
    public static List<Row> rows() {
        return ROWS;
    }

    /** The union of the rows' namespaces, in table order: the collector's default --policy-engine-namespaces. */
    public static List<String> defaultNamespaces() {
        LinkedHashSet<String> all = new LinkedHashSet<>();
        for (Row r : ROWS) {
            all.addAll(r.namespaces());
        }
        return List.copyOf(all);
    }

    /** The row with this engine id, if any. */
    public static Optional<Row> row(String engine) {
        return ROWS.stream().filter(r -> r.engine().equals(engine)).findFirst();
    }

    /** The engine {@code w} is, as the facts the collector publishes; empty when it is none (first matching row wins). */
    public static Optional<PolicyEngineFacts> detect(Workload w) {
        for (Row row : ROWS) {
            Optional<Container> hit = match(row, w);
            if (hit.isPresent()) {
                Container c = hit.get();
                return Optional.of(PolicyEngineFacts.newBuilder().setEngine(row.engine()).setKind(w.kind())
                        .setNamespace(w.namespace()).setName(w.name()).setImage(c.image())
                        .setDesired(w.desired()).setReady(w.ready()).build());
            }
        }
        return Optional.empty();
    }

    /** The container that made {@code w} match {@code row} (or its first, or none with no image), empty when it does not match. */
    private static Optional<Container> match(Row row, Workload w) {
        if (row.requireContainer() != null) {
            for (Container c : w.containers()) {
                if (row.requireContainer().equals(c.name()) && c.args().contains(row.requireArg())) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
        Container byImage = null;
        for (Container c : w.containers()) {
            String repo = repository(c.image());
            if (repo != null && row.images().stream().anyMatch(i -> repo.equals(i) || repo.endsWith("/" + i))) {
                byImage = c;
                break;
            }
        }
        boolean byName = row.names().contains(w.name());
        boolean byLabel = row.labels().entrySet().stream()
                .anyMatch(e -> e.getValue().equals(w.labels().get(e.getKey())));
        if (byImage == null && !byName && !byLabel) {
            return Optional.empty();
        }
        Container shown = byImage != null ? byImage
                : w.containers().isEmpty() ? new Container(w.name(), null, List.of()) : w.containers().get(0);
        return Optional.of(shown);
    }

    /** {@code registry/path/name} of an image reference, without tag or digest; null for null. */
    static String repository(String image) {
        String s = withoutDigest(image);
        if (s == null) {
            return null;
        }
        int colon = tagColon(s);
        return colon >= 0 ? s.substring(0, colon) : s;
    }

    /** The tag of an image reference ({@code quay.io/cilium/cilium:v1.16.1@sha256:...} → {@code v1.16.1}); null without one. */
    public static String versionOf(String image) {
        String s = withoutDigest(image);
        if (s == null) {
            return null;
        }
        int colon = tagColon(s);
        return colon >= 0 && colon < s.length() - 1 ? s.substring(colon + 1) : null;
    }

    /** The reference stripped, without its {@code @digest}; null for a blank one. */
    private static String withoutDigest(String image) {
        if (image == null || image.isBlank()) {
            return null;
        }
        String s = image.strip();
        int at = s.indexOf('@');
        return at >= 0 ? s.substring(0, at) : s;
    }

    /** Where the tag's ':' is, or -1 (a ':' before the last '/' is a registry's port). */
    private static int tagColon(String s) {
        int colon = s.lastIndexOf(':');
        return colon > s.lastIndexOf('/') ? colon : -1;
    }

    /** The display name of an engine id (the id itself if the table does not know it). */
    public static String display(String engine) {
        return row(engine).map(Row::display).orElse(engine);
    }

    private static List<Row> load() {
        try (InputStream in = PolicyEngines.class.getClassLoader().getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException(TABLE + " is not on the classpath");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TABLE, e);
        }
    }

    static List<Row> parse(String text) {
        List<Row> rows = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] c = line.split("\t", -1);
            if (c.length != 8) {
                throw new IllegalStateException(TABLE + " line " + lineNo + ": 8 tab-separated columns expected, found "
                        + c.length);
            }
            java.util.LinkedHashMap<String, String> labels = new java.util.LinkedHashMap<>();
            for (String kv : list(c[3])) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException(TABLE + " line " + lineNo + ": label " + kv + " is not k=v");
                }
                labels.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            String container = null;
            String arg = null;
            if (!c[5].equals("-")) {
                int colon = c[5].indexOf(':');
                if (colon <= 0) {
                    throw new IllegalStateException(TABLE + " line " + lineNo + ": requires is not container:arg");
                }
                container = c[5].substring(0, colon);
                arg = c[5].substring(colon + 1);
            }
            if (c[7].isBlank()) {
                throw new IllegalStateException(TABLE + " line " + lineNo + ": no source cited");
            }
            rows.add(new Row(c[0], c[1], list(c[2]), Map.copyOf(labels), list(c[4]), container, arg, list(c[6]), c[7]));
        }
        return List.copyOf(rows);
    }

    private static List<String> list(String cell) {
        return cell.equals("-") || cell.isBlank() ? List.of() : List.of(cell.split("\\|"));
    }
}
