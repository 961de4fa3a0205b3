package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

import io.fencewatch.deploy.ManifestChecks.Manifest;

/**
 * {@code charts/fencewatch} through helm itself (helm-java bundles helm's library): it lints, its
 * schema rejects a typo'd value, every value set renders objects that pass {@link ManifestChecks},
 * and the defaults render exactly {@code k8s/} (the remediation switch: {@code k8s/remediation/}).
 */
class HelmChartTest {
    private static final Path CHART = ManifestChecks.ROOT.resolve("charts/fencewatch");
    private static final String NS = "fencewatch";

    private static List<Manifest> render(UnaryOperator<TemplateCommand> values) {
        TemplateCommand cmd = new Helm(CHART).template().withName("fencewatch").withNamespace(NS);
        return ManifestChecks.parse("helm template", values.apply(cmd).call());
    }

    private static Map<String, JsonNode> byKindAndName(List<Manifest> manifests) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (Manifest m : manifests) {
            String key = m.kind() + "/" + m.doc().path("metadata").path("namespace").asText() + "/" + m.name();
            assertThat(out.put(key, m.doc())).as("one object %s", key).isNull();
        }
        return out;
    }

    private static void assertPassesChecks(List<Manifest> rendered) {
        ManifestChecks.assertLeastPrivilege(rendered);
        ManifestChecks.assertNamespaceFenced(rendered, NS);
        assertThat(ManifestChecks.unknownVariables(rendered)).as("FENCEWATCH_* variables no program reads").isEmpty();
        List<Manifest> remediator = ManifestChecks.remediator(rendered);
        if (!remediator.isEmpty()) {
            ManifestChecks.assertRemediatorGrantsOnlyWhatRemediateUses(remediator);
        }
    }

    private static JsonNode one(List<Manifest> manifests, String kind, String name) {
        return manifests.stream().filter(m -> m.kind().equals(kind) && m.name().equals(name)).map(Manifest::doc)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static Map<String, String> env(JsonNode workload) {
        Map<String, String> out = new TreeMap<>();
        workload.at("/spec/template/spec/containers/0/env")
                .forEach(e -> out.put(e.path("name").asText(), e.path("value").asText()));
        return out;
    }

    @Test
    void shouldPassHelmLintWhenStrict() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
    }

    /** k8s/ without its two files needed only with --watch-pods (11-, 12-): what the defaults render. */
    private static Map<String, JsonNode> k8sWithoutPods() {
        Map<String, JsonNode> k8s = byKindAndName(ManifestChecks.readDir(ManifestChecks.ROOT.resolve("k8s")));
        assertThat(k8s.remove("ClusterRole//fencewatch-collector-pods")).isNotNull();
        assertThat(k8s.remove("ClusterRoleBinding//fencewatch-collector-pods")).isNotNull();
        return k8s;
    }

    @Test
    void shouldRenderExactlyTheK8sManifestsWhenValuesAreDefault() {
        Map<String, JsonNode> k8s = k8sWithoutPods();
        Map<String, JsonNode> withNamespace = byKindAndName(render(c -> c.set("namespace.create", true)));
        assertThat(withNamespace.keySet()).isEqualTo(k8s.keySet());
        k8s.forEach((key, doc) -> assertThat(withNamespace.get(key)).as(key).isEqualTo(doc));
        // The defaults leave the Namespace to `helm install --create-namespace`; everything else is k8s/.
        Map<String, JsonNode> defaults = byKindAndName(render(c -> c));
        Map<String, JsonNode> k8sWithoutNamespace = new TreeMap<>(k8s);
        assertThat(k8sWithoutNamespace.remove("Namespace//fencewatch")).isNotNull();
        assertThat(defaults).isEqualTo(k8sWithoutNamespace);
    }

    @Test
    void shouldRenderK8sPodsRbacAndTurnTheFlagOnWhenWatchPodsIsSet() {
        Map<String, JsonNode> k8s = byKindAndName(ManifestChecks.readDir(ManifestChecks.ROOT.resolve("k8s")));
        List<Manifest> rendered = render(c -> c.set("namespace.create", true).set("collector.watchPods", true));
        assertPassesChecks(rendered);
        Map<String, JsonNode> withPods = byKindAndName(rendered);
        assertThat(withPods.keySet()).isEqualTo(k8s.keySet());
        String deployment = "Deployment/fencewatch/fencewatch-collector";
        k8s.forEach((key, doc) -> {
            if (!key.equals(deployment)) {
                assertThat(withPods.get(key)).as(key).isEqualTo(doc);
            }
        });
        // The Deployment is k8s/10's with its FENCEWATCH_WATCH_PODS turned to "true".
        assertThat(env(k8s.get(deployment))).containsEntry("FENCEWATCH_WATCH_PODS", "false");
        JsonNode expected = k8s.get(deployment).deepCopy();
        expected.at("/spec/template/spec/containers/0/env").forEach(e -> {
            if (e.path("name").asText().equals("FENCEWATCH_WATCH_PODS")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("value", "true");
            }
        });
        assertThat(withPods.get(deployment)).isEqualTo(expected);
        assertThat(one(rendered, "ClusterRole", "fencewatch-collector-pods").at("/rules").toString())
                .isEqualTo("[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"list\",\"watch\"]}]");

        // The delay is passed on only when set; in fleet mode the remote clusters grant pods, not this one.
        assertThat(env(one(render(c -> c.set("collector.watchPods", true).set("collector.podShapeDelay", "500ms")),
                "Deployment", "fencewatch-collector"))).containsEntry("FENCEWATCH_POD_SHAPE_DELAY", "500ms");
        assertThat(env(one(render(c -> c), "Deployment", "fencewatch-collector")))
                .doesNotContainKey("FENCEWATCH_POD_SHAPE_DELAY");
        List<Manifest> fleet = render(c -> c.set("collector.mode", "fleet").set("collector.fleet.contexts[0]", "a")
                .set("collector.watchPods", true));
        assertPassesChecks(fleet);
        assertThat(fleet).noneMatch(m -> m.name().equals("fencewatch-collector-pods"));
        assertThat(env(one(fleet, "Deployment", "fencewatch-collector"))).containsEntry("FENCEWATCH_WATCH_PODS", "true");
    }

    @Test
    void shouldRenderExactlyK8sRemediationWhenRemediationIsEnabled() {
        List<Manifest> rendered = render(c -> c.set("remediation.enabled", true));
        assertPassesChecks(rendered);
        Map<String, JsonNode> remediation = byKindAndName(ManifestChecks.remediator(rendered));
        assertThat(remediation).isEqualTo(byKindAndName(ManifestChecks.readDir(ManifestChecks.ROOT.resolve("k8s/remediation"))));
        assertThat(ManifestChecks.remediator(render(c -> c))).as("off by default").isEmpty();
    }

    @Test
    void shouldPassTheManifestChecksWhenValuesAreDefault() {
        assertPassesChecks(render(c -> c));
    }

    @Test
    void shouldWatchKubeconfigContextsWithoutAClusterRoleWhenInFleetMode() {
        List<Manifest> rendered = render(c -> c.set("collector.mode", "fleet")
                .set("collector.fleet.contexts[0]", "oke-prod-1").set("collector.fleet.contexts[1]", "oke-prod-2")
                .set("collector.fleet.kubeconfigSecret", "fleet-kubeconfig"));
        assertPassesChecks(rendered);
        assertThat(rendered).noneMatch(m -> m.kind().equals("ClusterRole") || m.kind().equals("ClusterRoleBinding"));
        JsonNode collector = one(rendered, "Deployment", "fencewatch-collector");
        assertThat(env(collector)).containsEntry("FENCEWATCH_CONTEXTS", "oke-prod-1,oke-prod-2")
                .containsEntry("FENCEWATCH_KUBECONFIG", "/etc/fencewatch/kubeconfig/config")
                .doesNotContainKey("FENCEWATCH_CLUSTER_ID");
        assertThat(collector.at("/spec/template/spec/volumes").toString()).contains("fleet-kubeconfig");
    }

    @Test
    void shouldGrantDaemonSetReadsOnlyInTheNamespacesNamedForPolicyEngines() {
        List<Manifest> rendered = render(c -> c.set("collector.policyEngines.roleNamespaces[0]", "kube-system")
                .set("collector.policyEngines.roleNamespaces[1]", "calico-system"));
        assertPassesChecks(rendered);
        List<Manifest> roles = rendered.stream().filter(m -> m.kind().equals("Role")
                && m.name().equals("fencewatch-collector-policy-engines")).toList();
        assertThat(roles).extracting(m -> m.doc().at("/metadata/namespace").asText())
                .containsExactly("kube-system", "calico-system");
        roles.forEach(r -> assertThat(r.doc().at("/rules").toString())
                .isEqualTo("[{\"apiGroups\":[\"apps\"],\"resources\":[\"daemonsets\"],\"verbs\":[\"list\",\"watch\"]}]"));
        assertThat(rendered.stream().filter(m -> m.kind().equals("RoleBinding")
                && m.name().equals("fencewatch-collector-policy-engines"))
                .map(m -> m.doc().at("/subjects/0/namespace").asText())).containsExactly(NS, NS);
        // Switched off: no Role at all (the collector then reports enforcement UNKNOWN, with the reason).
        assertThat(render(c -> c.set("collector.policyEngines.roleNamespaces", "null")))
                .noneMatch(m -> m.name().equals("fencewatch-collector-policy-engines"));
    }

    @Test
    void shouldRefuseFleetModeWhenNoContextIsGiven() {
        assertThatThrownBy(() -> render(c -> c.set("collector.mode", "fleet")))
                .hasMessageContaining("collector.mode=fleet needs collector.fleet.contexts");
    }

    @Test
    void shouldRunOneBridgeInstanceWithAStableNameWhenOciBridgeIsEnabled() {
        String ocid = "ocid1.stream.oc1.eu-frankfurt-1.example";
        List<Manifest> rendered = render(c -> c.set("ociBridge.enabled", true).set("ociBridge.streamOcid", ocid)
                .set("ociBridge.auth", "instance-principal").set("collector.sink", "oci-streaming")
                .set("collector.oci.streamOcid", ocid).set("collector.oci.auth", "instance-principal"));
        assertPassesChecks(rendered);
        JsonNode bridge = one(rendered, "StatefulSet", "fencewatch-oci-bridge");
        assertThat(bridge.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(bridge.at("/spec/template/spec/automountServiceAccountToken").asBoolean(true)).isFalse();
        assertThat(env(bridge)).containsEntry("FENCEWATCH_OCI_STREAM_OCID", ocid)
                .containsEntry("FENCEWATCH_OCI_INSTANCE", "$(POD_NAME)")
                .containsEntry("FENCEWATCH_OCI_AUTH", "instance-principal")
                .containsEntry("FENCEWATCH_BOOTSTRAP_SERVERS", "kafka.kafka.svc:9092");
        assertThat(env(one(rendered, "Deployment", "fencewatch-collector")))
                .containsEntry("FENCEWATCH_SINK", "oci-streaming").doesNotContainKey("FENCEWATCH_BOOTSTRAP_SERVERS");
        assertThat(one(rendered, "NetworkPolicy", "allow-apiserver-egress").at("/spec/podSelector").toString())
                .contains("fencewatch-oci-bridge");
        assertThat(render(c -> c)).as("off by default").noneMatch(m -> m.name().equals("fencewatch-oci-bridge"));
    }

    @Test
    void shouldUseOkeWorkloadIdentityWithoutOciCredentialsWhenRenderingTheOkeFleetValues() {
        String ocid = "ocid1.stream.oc1.eu-frankfurt-1.example";
        List<Manifest> rendered = render(c -> c.withValuesFile(CHART.resolve("values-oke-fleet.yaml"))
                .set("collector.oci.streamOcid", ocid).set("ociBridge.streamOcid", ocid));
        assertPassesChecks(rendered);
        JsonNode collector = one(rendered, "Deployment", "fencewatch-collector");
        JsonNode bridge = one(rendered, "StatefulSet", "fencewatch-oci-bridge");
        for (JsonNode w : List.of(collector, bridge)) {
            assertThat(env(w)).containsEntry("FENCEWATCH_OCI_AUTH", "oke-workload-identity")
                    .containsEntry("OCI_RESOURCE_PRINCIPAL_REGION", "eu-frankfurt-1")
                    .doesNotContainKey("FENCEWATCH_OCI_CONFIG_FILE");
            assertThat(w.at("/spec/template/spec/automountServiceAccountToken").asBoolean(true))
                    .as("the SDK exchanges the service account token").isTrue();
            assertThat(w.at("/spec/template/spec/volumes").toString()).doesNotContain("oci-api-key");
        }
        assertThat(env(collector)).containsEntry("FENCEWATCH_CONTEXTS", "oke-prod-fra,oke-prod-ams,oke-staging-fra");
        assertThat(rendered).as("fleet mode: no ClusterRole in the management cluster")
                .noneMatch(m -> m.kind().equals("ClusterRole"));
        assertThat(rendered).as("query token created by the user").noneMatch(m -> m.name().equals("fencewatch-query-token"));
        assertThat(one(rendered, "NetworkPolicy", "allow-apiserver-egress").at("/spec/egress/0/ports").toString())
                .contains("12250");
    }

    @Test
    void shouldDiscoverTheOkeFleetWhenCompartmentsAreGivenAndRefuseThemBesideContexts() {
        List<Manifest> rendered = render(c -> c.set("collector.mode", "fleet")
                .set("collector.fleet.oke.compartments[0]", "ocid1.tenancy.oc1..aaaatenancy")
                .set("collector.fleet.oke.regions[0]", "all-subscribed")
                .set("collector.fleet.oke.exclude[0]", "sandbox-*")
                .set("collector.oci.auth", "instance-principal").set("collector.oci.region", "eu-frankfurt-1"));
        assertPassesChecks(rendered);
        var env = env(one(rendered, "Deployment", "fencewatch-collector"));
        assertThat(env).containsEntry("FENCEWATCH_OCI_COMPARTMENTS", "ocid1.tenancy.oc1..aaaatenancy")
                .containsEntry("FENCEWATCH_OCI_SUBTREE", "true").containsEntry("FENCEWATCH_OCI_REGIONS", "all-subscribed")
                .containsEntry("FENCEWATCH_OCI_CLUSTER_EXCLUDE", "sandbox-*")
                .containsEntry("FENCEWATCH_OCI_AUTH", "instance-principal")
                .containsEntry("FENCEWATCH_OCI_REGION", "eu-frankfurt-1")
                .doesNotContainKey("FENCEWATCH_CONTEXTS").doesNotContainKey("FENCEWATCH_CLUSTER_ID");
        assertThatThrownBy(() -> render(c -> c.set("collector.mode", "fleet")
                .set("collector.fleet.oke.compartments[0]", "ocid1.tenancy.oc1..aaaatenancy")
                .set("collector.fleet.contexts[0]", "a")))
                .hasMessageContaining("collector.fleet.oke.compartments and collector.fleet.contexts exclude each other");
    }

    @Test
    void shouldCarryProcessorSettingsWhenSet() {
        List<Manifest> rendered = render(c -> c.set("topicPrefix", "acme").set("processor.profile", "strict")
                .set("processor.gracePeriod", "5m").set("processor.exemptNamespaces[0]", "legacy")
                .set("processor.replicas", 3).set("processor.persistence.enabled", false)
                .set("kafka.processorEnvSecret", "processor-sasl"));
        assertPassesChecks(rendered);
        JsonNode processor = one(rendered, "StatefulSet", "fencewatch-processor");
        assertThat(env(processor)).containsEntry("FENCEWATCH_TOPIC_PREFIX", "acme")
                .containsEntry("FENCEWATCH_PROFILE", "strict").containsEntry("FENCEWATCH_GRACE_PERIOD", "5m")
                .containsEntry("FENCEWATCH_EXEMPT_NAMESPACES", "legacy");
        assertThat(processor.at("/spec/replicas").asInt()).isEqualTo(3);
        assertThat(processor.at("/spec").has("volumeClaimTemplates")).isFalse();
        assertThat(processor.at("/spec/template/spec/containers/0/envFrom/0/secretRef/name").asText())
                .isEqualTo("processor-sasl");
        assertThat(env(one(rendered, "Deployment", "fencewatch-collector"))).containsEntry("FENCEWATCH_TOPIC_PREFIX", "acme");
    }

    @Test
    void shouldRejectATypoedValueWhenTheSchemaDoesNotKnowIt() {
        List<String> typos = new ArrayList<>();
        // The key as typed, and the misspelled part helm's schema check names.
        Map<String, String> cases = Map.of("collector.replica", "replica", "procesor.enabled", "procesor",
                "processor.persistence.sise", "sise", "kafka.bootstrapServer", "bootstrapServer");
        cases.forEach((key, typo) -> {
            try {
                render(c -> c.set(key, "2"));
                typos.add(key + " was accepted");
            } catch (RuntimeException e) {
                assertThat(e.getMessage()).as(key).contains("values don't meet the specifications of the schema")
                        .contains("Additional property " + typo + " is not allowed");
            }
        });
        assertThat(typos).isEmpty();
        assertThatThrownBy(() -> render(c -> c.set("processor.profile", "strikt"))).hasMessageContaining("profile");
    }
}
