package io.fencewatch.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.rules.Fence;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * {@link ClusterReader#fences} on a real kube-apiserver serving Calico's policies only as the CRDs
 * crd.projectcalico.org/v1 (no Calico API server, as on OKE with Calico from manifests): they are read,
 * named as users know them; once projectcalico.org/v3 is served too, v3 only is read, never both.
 */
@ExtendWith(KubeControlPlaneExtension.class)
class ClusterReaderCalicoRealApiServerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<PolicyKind> CALICO = List.of(PolicyKind.CALICO_NETWORK_POLICY,
            PolicyKind.CALICO_GLOBAL_NETWORK_POLICY);
    private KubernetesClient api;

    @AfterEach
    void tearDown() {
        if (api != null) {
            for (PolicyKind k : CALICO) {
                for (PolicyKind.Served s : k.servedAs()) {
                    api.apiextensions().v1().customResourceDefinitions().withName(s.resource()).delete();
                }
            }
            await().atMost(WAIT).until(() -> CALICO.stream().flatMap(k -> k.servedAs().stream()).allMatch(s ->
                    api.apiextensions().v1().customResourceDefinitions().withName(s.resource()).get() == null));
            api.namespaces().withName("shop").delete();
            api.close();
        }
    }

    @Test
    void shouldReadCalicosCrdsWhenV3IsNotServedAndV3OnlyWhenItIs(KubeControlPlane controlPlane) {
        api = ClusterReader.client(controlPlane.kubeconfig(), null, Duration.ofSeconds(30));
        api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
                .createOr(r -> r.update());
        ClusterReader reader = new ClusterReader(50);
        assertThat(reader.fences(api, "c", CALICO).clusterWide()).as("neither served: nothing, no error").isEmpty();
        assertThat(reader.fences(api, "c", CALICO).problem()).isNull();

        for (PolicyKind k : CALICO) {
            api.apiextensions().v1().customResourceDefinitions().resource(crd(k.servedAs().get(1))).create();
        }
        create(k(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, 1), "crd.projectcalico.org/v1", "GlobalNetworkPolicy", null,
                "default.default-deny");
        create(k(PolicyKind.CALICO_NETWORK_POLICY, 1), "crd.projectcalico.org/v1", "NetworkPolicy", "shop",
                "default.allow-dns");
        ClusterReader.PolicyFences fromCrds = reader.fences(api, "c", CALICO);
        assertThat(fromCrds.problem()).isNull();
        assertThat(fromCrds.clusterWide()).extracting(Fence::name).containsExactly("default-deny");
        assertThat(fromCrds.clusterWide().get(0).facts().getApiVersion()).isEqualTo("crd.projectcalico.org/v1");
        assertThat(fromCrds.of("shop")).extracting(Fence::name).containsExactlyInAnyOrder("allow-dns", "default-deny");

        // projectcalico.org/v3 served too (the Calico API server, which serves those same CRDs): v3 only.
        api.apiextensions().v1().customResourceDefinitions().resource(crd(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.api()))
                .create();
        create(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.api(), "projectcalico.org/v3", "GlobalNetworkPolicy", null,
                "default-deny");
        ClusterReader.PolicyFences both = reader.fences(api, "c", CALICO);
        assertThat(both.problem()).isNull();
        assertThat(both.clusterWide()).as("one, from v3: never counted twice").extracting(Fence::name)
                .containsExactly("default-deny");
        assertThat(both.clusterWide().get(0).facts().getApiVersion()).isEqualTo("projectcalico.org/v3");
        assertThat(both.of("shop")).extracting(f -> f.name() + " " + f.facts().getApiVersion()).as(
                "the namespaced kind's v3 is not served: its CRDs still").containsExactlyInAnyOrder(
                        "allow-dns crd.projectcalico.org/v1", "default-deny projectcalico.org/v3");
        assertThat(Set.copyOf(CALICO)).hasSize(2);
    }

    private static PolicyKind.Served k(PolicyKind kind, int i) {
        return kind.servedAs().get(i);
    }

    private void create(PolicyKind.Served s, String apiVersion, String kind, String namespace, String name) {
        GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion(apiVersion).withKind(kind)
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .addToAdditionalProperties("spec", Map.of("selector", "all()", "types", List.of("Ingress", "Egress")))
                .build();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            var op = api.genericKubernetesResources(s.context());
            (namespace == null ? op : op.inNamespace(namespace)).resource(r).create();
        });
    }

    private static CustomResourceDefinition crd(PolicyKind.Served s) {
        PolicyKind k = s.kind();
        return new CustomResourceDefinitionBuilder().withNewMetadata().withName(s.resource()).endMetadata()
                .withNewSpec().withGroup(s.group()).withScope(k.clusterScoped() ? "Cluster" : "Namespaced")
                .withNewNames().withKind(k.kubernetesKind()).withPlural(s.plural())
                .withListKind(k.kubernetesKind() + "List").withSingular(k.kubernetesKind().toLowerCase()).endNames()
                .addNewVersion().withName(s.version()).withServed(true).withStorage(true)
                .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
                        .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
                .endVersion().endSpec().build();
    }
}
