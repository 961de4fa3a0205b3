package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.config.Setting;
import io.fencewatch.ocibridge.BridgeConfig;
import io.fencewatch.processor.ProcessorConfig;

/**
 * The checks every deployable form of Fencewatch passes, whether read from {@code k8s/} or rendered
 * by {@code helm template} from {@code charts/fencewatch}: least privilege, the opt-in remediator,
 * the fenced namespace, and only {@code FENCEWATCH_*} variables a program reads.
 */
final class ManifestChecks {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Set<String> ALLOWED_VERBS = Set.of("get", "list", "watch", "create", "update", "patch");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** One Kubernetes object and where it came from (a file, or a chart template's {@code # Source:}). */
    record Manifest(String file, JsonNode doc) {
        String kind() {
            return doc.path("kind").asText();
        }

        String name() {
            return doc.path("metadata").path("name").asText();
        }
    }

    private ManifestChecks() {
    }

    /** The objects of a multi-document YAML text; {@code # Source: x} lines (helm) name the origin. */
    static List<Manifest> parse(String origin, String yaml) {
        List<Manifest> out = new ArrayList<>();
        for (String chunk : yaml.split("(?m)^---\\s*$")) {
            String source = origin;
            for (String line : chunk.split("\n")) {
                if (line.startsWith("# Source: ")) {
                    source = line.substring("# Source: ".length()).trim();
                }
            }
            try {
                JsonNode doc = YAML.readTree(chunk);
                if (doc != null && !doc.isNull() && !doc.isMissingNode() && !doc.isEmpty()) {
                    out.add(new Manifest(source, doc));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("not YAML: " + source, e);
            }
        }
        return out;
    }

    /** Every {@code *.yaml} of {@code dir} (not its subdirectories), in file name order. */
    static List<Manifest> readDir(Path dir) {
        List<Manifest> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                out.addAll(parse(f.getFileName().toString(), Files.readString(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Verbs only from a short list, no wildcards, and cluster-wide roles read-only (list/watch), except
     * the opt-in remediator's role, which {@link #assertRemediatorGrantsOnlyWhatRemediateUses} pins.
     */
    static void assertLeastPrivilege(List<Manifest> manifests) {
        for (Manifest m : manifests) {
            if (!m.kind().equals("ClusterRole") && !m.kind().equals("Role")) {
                continue;
            }
            for (JsonNode rule : m.doc().path("rules")) {
                rule.path("verbs").forEach(v -> assertThat(ALLOWED_VERBS).as(m.file()).contains(v.asText()));
                rule.path("resources").forEach(r -> assertThat(r.asText()).as(m.file()).isNotEqualTo("*"));
                rule.path("apiGroups").forEach(g -> assertThat(g.asText()).as(m.file()).isNotEqualTo("*"));
                if (m.kind().equals("ClusterRole") && !m.name().equals("fencewatch-remediator")) {
                    rule.path("verbs").forEach(v -> assertThat(v.asText()).as("cluster-wide, read only: " + m.file())
                            .isIn("list", "watch"));
                }
            }
        }
    }

    /** The remediator: its own ServiceAccount, get/list namespaces, get/list/create/patch NetworkPolicies. */
    static void assertRemediatorGrantsOnlyWhatRemediateUses(List<Manifest> remediation) {
        Map<String, JsonNode> byKind = new TreeMap<>();
        for (Manifest m : remediation) {
            assertThat(byKind.put(m.kind(), m.doc())).as("one %s", m.kind()).isNull();
        }
        assertThat(byKind).containsOnlyKeys("ServiceAccount", "ClusterRole", "ClusterRoleBinding");
        assertThat(byKind.get("ServiceAccount").at("/metadata/name").asText()).isEqualTo("fencewatch-remediator");
        Map<String, List<String>> verbs = new TreeMap<>();
        for (JsonNode rule : byKind.get("ClusterRole").path("rules")) {
            List<String> v = new ArrayList<>();
            rule.path("verbs").forEach(x -> v.add(x.asText()));
            rule.path("resources").forEach(r -> verbs.put(r.asText(), v));
        }
        assertThat(verbs).containsExactly(Map.entry("namespaces", List.of("get", "list")),
                Map.entry("networkpolicies", List.of("get", "list", "create", "patch")));
        JsonNode binding = byKind.get("ClusterRoleBinding");
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo("fencewatch-remediator");
        assertThat(binding.at("/subjects/0/name").asText()).isEqualTo("fencewatch-remediator");
    }

    /** The objects of the remediator (by name), so a chart rendering can be split like k8s/remediation/. */
    static List<Manifest> remediator(List<Manifest> manifests) {
        return manifests.stream().filter(m -> m.name().equals("fencewatch-remediator")).toList();
    }

    /** A default-deny policy both ways (empty pod selector, no rules) in {@code namespace}. */
    static void assertNamespaceFenced(List<Manifest> manifests, String namespace) {
        assertThat(manifests).anySatisfy(m -> {
            assertThat(m.kind()).isEqualTo("NetworkPolicy");
            assertThat(m.doc().path("metadata").path("namespace").asText()).isEqualTo(namespace);
            assertThat(m.doc().path("spec").path("podSelector").isEmpty()).isTrue();
            assertThat(m.doc().path("spec").path("policyTypes").toString()).contains("Ingress", "Egress");
            assertThat(m.doc().path("spec").has("ingress")).isFalse();
            assertThat(m.doc().path("spec").has("egress")).isFalse();
        });
    }

    /** The {@code FENCEWATCH_*} variables of the workloads' containers that their program does not read. */
    static List<String> unknownVariables(List<Manifest> manifests) {
        List<String> unknown = new ArrayList<>();
        for (Manifest m : manifests) {
            for (JsonNode container : m.doc().path("spec").path("template").path("spec").path("containers")) {
                String role = container.path("args").path(0).asText();
                container.path("env").forEach(e -> check(role, e.path("name").asText(), m.file(), unknown));
            }
        }
        return unknown;
    }

    static void check(String role, String name, String where, List<String> unknown) {
        if (!name.startsWith("FENCEWATCH_")) {
            return;
        }
        boolean known = switch (role) {
            case "collector" -> collectorVariables().contains(name);
            case "processor" -> processorVariables().contains(name) || name.startsWith("FENCEWATCH_KAFKA_")
                    || name.startsWith("FENCEWATCH_QUERY_");
            case "oci-bridge" -> bridgeVariables().contains(name);
            default -> false;
        };
        if (!known) {
            unknown.add(where + ": " + name + " (" + role + ")");
        }
    }

    private static Set<String> collectorVariables() {
        Set<String> names = new HashSet<>();
        for (Setting<?> key : CollectorConfig.keys()) {
            names.add(key.env());
        }
        return names;
    }

    private static Set<String> processorVariables() {
        Set<String> names = new HashSet<>();
        for (Setting<?> s : ProcessorConfig.SETTINGS) {
            names.add(s.env());
        }
        return names;
    }

    private static Set<String> bridgeVariables() {
        Set<String> names = new HashSet<>();
        for (Setting<?> k : BridgeConfig.keys()) {
            names.add(k.env());
        }
        return names;
    }
}
