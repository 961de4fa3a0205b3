package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.fencewatch.deploy.ManifestChecks.Manifest;

/**
 * What users deploy is checked like code: the manifests in {@code k8s/} parse, keep one kind per
 * file in apply order, grant least privilege, fence Fencewatch's own namespace, and every
 * {@code FENCEWATCH_*} variable they (and docker-compose.yml) set is one the program reads. The
 * checks themselves are {@link ManifestChecks}, which the Helm chart's renderings pass too.
 */
class DeploymentManifestsTest {
    private static List<Manifest> manifests;

    @BeforeAll
    static void readManifests() {
        manifests = ManifestChecks.readDir(ManifestChecks.ROOT.resolve("k8s"));
    }

    @Test
    void shouldKeepOneKindPerFileNumberedInApplyOrder() {
        assertThat(manifests).hasSizeGreaterThan(10);
        for (Manifest m : manifests) {
            assertThat(m.file()).as("numbered file name").matches("\\d\\d-[a-z0-9-]+\\.yaml");
            assertThat(m.doc().path("apiVersion").asText()).as(m.file()).isNotBlank();
            assertThat(m.doc().path("metadata").path("name").asText()).as(m.file()).isNotBlank();
            assertThat(manifests.stream().filter(o -> o.file().equals(m.file())).map(Manifest::kind).distinct())
                    .as("one kind in %s", m.file()).hasSize(1);
        }
        assertThat(manifests.get(0).kind()).as("the namespace comes first").isEqualTo("Namespace");
    }

    @Test
    void shouldGrantOnlyListAndWatchOnClusterObjectsAndNoWildcards() {
        ManifestChecks.assertLeastPrivilege(manifests);
        assertThat(manifests).filteredOn(m -> m.kind().equals("ClusterRole")).isNotEmpty()
                .allSatisfy(m -> assertThat(m.name()).isIn("fencewatch-collector", "fencewatch-collector-pods"));
    }

    @Test
    void shouldGrantPodsListAndWatchInFilesOfTheirOwnAndLeaveWatchPodsOff() {
        Manifest role = manifests.stream().filter(m -> m.kind().equals("ClusterRole")
                && m.name().equals("fencewatch-collector-pods")).findFirst().orElseThrow();
        assertThat(role.file()).isEqualTo("11-clusterrole-collector-pods.yaml");
        assertThat(role.doc().path("rules").toString())
                .isEqualTo("[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"list\",\"watch\"]}]");
        Manifest binding = manifests.stream().filter(m -> m.kind().equals("ClusterRoleBinding")
                && m.name().equals("fencewatch-collector-pods")).findFirst().orElseThrow();
        assertThat(binding.file()).isEqualTo("12-clusterrolebinding-collector-pods.yaml");
        assertThat(binding.doc().at("/roleRef/name").asText()).isEqualTo("fencewatch-collector-pods");
        assertThat(binding.doc().at("/subjects/0/name").asText()).isEqualTo("fencewatch-collector");
        assertThat(binding.doc().at("/subjects/0/namespace").asText()).isEqualTo("fencewatch");
        // The base ClusterRole stays without pods: they come only with --watch-pods, which is off here.
        Manifest base = manifests.stream().filter(m -> m.kind().equals("ClusterRole")
                && m.name().equals("fencewatch-collector")).findFirst().orElseThrow();
        assertThat(base.doc().path("rules").toString()).doesNotContain("\"pods\"");
        Manifest collector = manifests.stream().filter(m -> m.kind().equals("Deployment")
                && m.name().equals("fencewatch-collector")).findFirst().orElseThrow();
        assertThat(collector.doc().at("/spec/template/spec/containers/0/env").toString())
                .contains("{\"name\":\"FENCEWATCH_WATCH_PODS\",\"value\":\"false\"}");
    }

    @Test
    void shouldGiveRemediationItsOwnOptInIdentityWithOnlyTheVerbsItUses() {
        List<Manifest> remediation = ManifestChecks.readDir(ManifestChecks.ROOT.resolve("k8s/remediation"));
        remediation.forEach(m -> assertThat(m.file()).matches("\\d\\d-[a-z0-9-]+\\.yaml"));
        ManifestChecks.assertRemediatorGrantsOnlyWhatRemediateUses(remediation);
        ManifestChecks.assertLeastPrivilege(remediation);
        // The collector's identity is not the remediator's, and stays read-only (checked above for k8s/).
        assertThat(ManifestChecks.remediator(manifests)).isEmpty();
    }

    @Test
    void shouldFenceFencewatchsOwnNamespaceWithDefaultDenyBothWays() {
        ManifestChecks.assertNamespaceFenced(manifests, "fencewatch");
    }

    @Test
    void shouldSetOnlyVariablesTheProgramsRead() throws IOException {
        List<String> unknown = new ArrayList<>(ManifestChecks.unknownVariables(manifests));
        JsonNode compose = new YAMLMapper().readTree(ManifestChecks.ROOT.resolve("docker-compose.yml").toFile());
        compose.path("services").fields().forEachRemaining(service -> {
            String role = service.getValue().path("command").path(0).asText();
            service.getValue().path("environment").fieldNames().forEachRemaining(name -> ManifestChecks.check(role, name,
                    "docker-compose.yml:" + service.getKey(), unknown));
        });
        assertThat(unknown).as("FENCEWATCH_* variables no program reads").isEmpty();
    }
}
