package io.fencewatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * The chart's renderings, applied with server-side dry-run to a real kube-apiserver (etcd, RBAC on):
 * the API server's own validation and defaulting accept every object, for each value set. Skipped
 * (one line) where the control plane binaries cannot be built.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartServerSideDryRunIT {
    @RegisterExtension
    static final KubeControlPlaneExtension KUBE = new KubeControlPlaneExtension();
    private static final String NS = "fencewatch";
    private static final String OCID = "ocid1.stream.oc1.eu-frankfurt-1.example";
    private KubernetesClient client;

    @BeforeAll
    void connect() throws Exception {
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(KUBE.controlPlane().kubeconfig()))).build();
        // Namespaced objects are dry-run into an existing namespace (helm's --create-namespace).
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .createOr(existing -> existing.update());
    }

    @AfterAll
    void deleteNamespace() {
        if (client != null) {
            client.namespaces().withName(NS).delete();
            client.close();
        }
    }

    private List<String> dryRunApply(UnaryOperator<TemplateCommand> values) {
        TemplateCommand cmd = new Helm(ManifestChecks.ROOT.resolve("charts/fencewatch")).template()
                .withName("fencewatch").withNamespace(NS);
        String yaml = values.apply(cmd).call();
        List<HasMetadata> items = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
        assertThat(items).hasSizeGreaterThan(5);
        List<String> applied = new ArrayList<>();
        for (HasMetadata item : items) {
            HasMetadata result = client.resource(item).dryRun().fieldManager("fencewatch-chart-test").forceConflicts()
                    .serverSideApply();
            assertThat(result.getMetadata().getName()).isEqualTo(item.getMetadata().getName());
            applied.add(item.getKind() + "/" + item.getMetadata().getName());
        }
        return applied;
    }

    @Test
    void shouldBeAcceptedByARealApiServerWhenValuesAreDefault() {
        assertThat(dryRunApply(c -> c)).contains("StatefulSet/fencewatch-processor", "Deployment/fencewatch-collector",
                "ClusterRole/fencewatch-collector", "NetworkPolicy/default-deny");
    }

    @Test
    void shouldBeAcceptedByARealApiServerWhenEveryComponentIsOn() {
        assertThat(dryRunApply(c -> c.set("namespace.create", true).set("remediation.enabled", true)
                .set("ociBridge.enabled", true).set("ociBridge.streamOcid", OCID)
                .set("processor.persistence.enabled", false).set("kafka.processorEnvSecret", "processor-sasl")
                .set("collector.watchPods", true).set("collector.podShapeDelay", "2s")))
                .contains("Namespace/fencewatch", "ClusterRole/fencewatch-remediator", "StatefulSet/fencewatch-oci-bridge",
                        "ClusterRole/fencewatch-collector-pods", "ClusterRoleBinding/fencewatch-collector-pods");
    }

    @Test
    void shouldBeAcceptedByARealApiServerWhenRenderingTheOkeFleetValues() {
        assertThat(dryRunApply(c -> c.withValuesFile(ManifestChecks.ROOT.resolve("charts/fencewatch/values-oke-fleet.yaml"))
                .set("collector.oci.streamOcid", OCID).set("ociBridge.streamOcid", OCID)))
                .contains("Deployment/fencewatch-collector", "StatefulSet/fencewatch-oci-bridge")
                .doesNotContain("ClusterRole/fencewatch-collector");
    }
}
