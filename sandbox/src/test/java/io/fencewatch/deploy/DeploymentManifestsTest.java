package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.config.Setting;
import io.fencewatch.processor.ProcessorConfig;

/**
 * What users deploy is checked like code: the manifests in {@code k8s/} parse, keep one kind per
 * file in apply order, grant least privilege, fence Fencewatch's own namespace, and every
 * {@code FENCEWATCH_*} variable they (and docker-compose.yml) set is one the program reads.
 */
class DeploymentManifestsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Set<String> ALLOWED_VERBS = Set.of("get", "list", "watch", "create", "update", "patch");
    private static final List<Manifest> MANIFESTS = new ArrayList<>();

    record Manifest(String file, JsonNode doc) {
        String kind() {
            return doc.path("kind").asText();
        }
    }

    @BeforeAll
    static void readManifests() throws IOException {
        ObjectReader reader = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);
        try (Stream<Path> files = Files.list(ROOT.resolve("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (var docs = reader.readValues(f.toFile())) {
                    while (docs.hasNext()) {
                        JsonNode doc = (JsonNode) docs.next();
                        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                            MANIFESTS.add(new Manifest(f.getFileName().toString(), doc));
                        }
                    }
                }
            }
        }
    }

    @Test
    void shouldKeepOneKindPerFileNumberedInApplyOrder() {
        assertThat(MANIFESTS).hasSizeGreaterThan(10);
        for (Manifest m : MANIFESTS) {
            assertThat(m.file()).as("numbered file name").matches("\\d\\d-[a-z0-9-]+\\.yaml");
            assertThat(m.doc().path("apiVersion").asText()).as(m.file()).isNotBlank();
            assertThat(m.doc().path("metadata").path("name").asText()).as(m.file()).isNotBlank();
            assertThat(MANIFESTS.stream().filter(o -> o.file().equals(m.file())).map(Manifest::kind).distinct())
                    .as("one kind in %s", m.file()).hasSize(1);
        }
        assertThat(MANIFESTS.get(0).kind()).as("the namespace comes first").isEqualTo("Namespace");
    }

    @Test
    void shouldGrantOnlyListAndWatchOnClusterObjectsAndNoWildcards() {
        for (Manifest m : MANIFESTS) {
            if (!m.kind().equals("ClusterRole") && !m.kind().equals("Role")) {
                continue;
            }
            for (JsonNode rule : m.doc().path("rules")) {
                rule.path("verbs").forEach(v -> assertThat(ALLOWED_VERBS).as(m.file()).contains(v.asText()));
                rule.path("resources").forEach(r -> assertThat(r.asText()).as(m.file()).isNotEqualTo("*"));
                rule.path("apiGroups").forEach(g -> assertThat(g.asText()).as(m.file()).isNotEqualTo("*"));
                if (m.kind().equals("ClusterRole")) {
                    rule.path("verbs").forEach(v -> assertThat(v.asText()).as("cluster-wide, read only: " + m.file())
                            .isIn("list", "watch"));
                }
            }
        }
    }

    @Test
    void shouldGiveRemediationItsOwnOptInIdentityWithOnlyTheVerbsItUses() throws IOException {
        ObjectReader reader = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);
        Map<String, JsonNode> byKind = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(ROOT.resolve("k8s/remediation"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                assertThat(f.getFileName().toString()).matches("\\d\\d-[a-z0-9-]+\\.yaml");
                byKind.put(((JsonNode) reader.readValue(f.toFile())).path("kind").asText(), reader.readValue(f.toFile()));
            }
        }
        assertThat(byKind).containsOnlyKeys("ServiceAccount", "ClusterRole", "ClusterRoleBinding");
        assertThat(byKind.get("ServiceAccount").at("/metadata/name").asText()).isEqualTo("fencewatch-remediator");
        Map<String, List<String>> verbs = new java.util.TreeMap<>();
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
        // The collector's identity is not the remediator's, and stays read-only (checked above for k8s/).
        assertThat(MANIFESTS).noneSatisfy(m -> assertThat(m.doc().at("/metadata/name").asText())
                .isEqualTo("fencewatch-remediator"));
    }

    @Test
    void shouldFenceFencewatchsOwnNamespaceWithDefaultDenyBothWays() {
        assertThat(MANIFESTS).anySatisfy(m -> {
            assertThat(m.kind()).isEqualTo("NetworkPolicy");
            assertThat(m.doc().path("metadata").path("namespace").asText()).isEqualTo("fencewatch");
            assertThat(m.doc().path("spec").path("podSelector").isEmpty()).isTrue();
            assertThat(m.doc().path("spec").path("policyTypes").toString()).contains("Ingress", "Egress");
            assertThat(m.doc().path("spec").has("ingress")).isFalse();
            assertThat(m.doc().path("spec").has("egress")).isFalse();
        });
    }

    @Test
    void shouldSetOnlyVariablesTheProgramsRead() throws IOException {
        List<String> unknown = new ArrayList<>();
        for (Manifest m : MANIFESTS) {
            for (JsonNode container : m.doc().path("spec").path("template").path("spec").path("containers")) {
                String role = container.path("args").path(0).asText();
                container.path("env").forEach(e -> check(role, e.path("name").asText(), m.file(), unknown));
            }
        }
        JsonNode compose = new YAMLMapper().readTree(ROOT.resolve("docker-compose.yml").toFile());
        compose.path("services").fields().forEachRemaining(service -> {
            String role = service.getValue().path("command").path(0).asText();
            service.getValue().path("environment").fieldNames()
                    .forEachRemaining(name -> check(role, name, "docker-compose.yml:" + service.getKey(), unknown));
        });
        assertThat(unknown).as("FENCEWATCH_* variables no program reads").isEmpty();
    }

    private static void check(String role, String name, String where, List<String> unknown) {
        if (!name.startsWith("FENCEWATCH_")) {
            return;
        }
        boolean known = switch (role) {
            case "collector" -> collectorVariables().contains(name);
            case "processor" -> processorVariables().contains(name) || name.startsWith("FENCEWATCH_KAFKA_")
                    || name.startsWith("FENCEWATCH_QUERY_");
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
}
