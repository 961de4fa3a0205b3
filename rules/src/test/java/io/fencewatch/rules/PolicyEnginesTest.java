package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import io.fencewatch.rules.PolicyEngines.Container;
import io.fencewatch.rules.PolicyEngines.Workload;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

class PolicyEnginesTest {

    private static Workload ds(String ns, String name, Map<String, String> labels, Container... containers) {
        return new Workload("DaemonSet", ns, name, labels, List.of(containers), 3, 3);
    }

    private static Container c(String name, String image, String... args) {
        return new Container(name, image, List.of(args));
    }

    @Test
    void everyRowCitesItsSourceAndSaysWhereItInstalls() {
        assertThat(PolicyEngines.rows()).extracting(PolicyEngines.Row::engine).containsExactly("gke-dataplane-v2",
                "calico", "cilium", "antrea", "kube-router", "weave-net", "aws-network-policy-agent", "azure-npm",
                "kube-network-policies");
        for (PolicyEngines.Row row : PolicyEngines.rows()) {
            assertThat(row.source()).as(row.engine()).contains("https://");
            assertThat(row.namespaces()).as(row.engine()).isNotEmpty();
            assertThat(row.names().isEmpty() && row.labels().isEmpty() && row.images().isEmpty()
                    && row.requireContainer() == null).as(row.engine() + " matches something").isFalse();
        }
        assertThat(PolicyEngines.defaultNamespaces()).containsExactly("kube-system", "calico-system");
    }

    /** Each engine as its published manifests install it (name, labels, image of the enforcing container). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "calico;kube-system;calico-node;k8s-app=calico-node;calico-node;docker.io/calico/node:v3.28.0;v3.28.0",
        "calico;calico-system;calico-node;k8s-app=calico-node;calico-node;quay.io/calico/node:v3.29.1;v3.29.1",
        "cilium;kube-system;cilium;k8s-app=cilium;cilium-agent;quay.io/cilium/cilium:v1.16.1@sha256:0b4a3ab41a4760d86b7fc945b8783747ba27f29dac30dd434d94f2c9e3679f39;v1.16.1",
        "gke-dataplane-v2;kube-system;anetd;k8s-app=cilium;cilium-agent;gke.gcr.io/cilium/cilium:v1.14.6-gke3.0;v1.14.6-gke3.0",
        "antrea;kube-system;antrea-agent;component=antrea-agent;antrea-agent;antrea/antrea-agent-ubuntu:v2.1.0;v2.1.0",
        "kube-router;kube-system;kube-router;k8s-app=kube-router;kube-router;docker.io/cloudnativelabs/kube-router:v2.2.0;v2.2.0",
        "weave-net;kube-system;weave-net;name=weave-net;weave-npc;weaveworks/weave-npc:2.8.1;2.8.1",
        "azure-npm;kube-system;azure-npm;k8s-app=azure-npm;azure-npm;mcr.microsoft.com/containernetworking/azure-npm:v1.6.5;v1.6.5",
        "kube-network-policies;kube-system;kube-network-policies;app=kube-network-policies;kube-network-policies;registry.k8s.io/networking/kube-network-policies:v0.6.0;v0.6.0",
    })
    void detectsEachEngineAsItsManifestInstallsIt(String engine, String ns, String name, String label,
            String container, String image, String version) {
        String[] kv = label.split("=");
        Optional<PolicyEngineFacts> hit = PolicyEngines.detect(ds(ns, name, Map.of(kv[0], kv[1]), c(container, image)));
        assertThat(hit).get().satisfies(f -> {
            assertThat(f.getEngine()).isEqualTo(engine);
            assertThat(f.getNamespace()).isEqualTo(ns);
            assertThat(f.getName()).isEqualTo(name);
            assertThat(f.getImage()).isEqualTo(image);
        });
        assertThat(PolicyEngines.versionOf(hit.get().getImage())).isEqualTo(version);
    }

    @Test
    void anyOneOfNameLabelOrImageSuffices() {
        // Renamed by a Helm release, but still Cilium's label and image.
        assertThat(PolicyEngines.detect(ds("kube-system", "my-cilium", Map.of("k8s-app", "cilium"),
                c("agent", "registry.example.com:5000/mirror/cilium/cilium:v1.15.0")))).get()
                .extracting(PolicyEngineFacts::getEngine).isEqualTo("cilium");
        assertThat(PolicyEngines.detect(ds("kube-system", "calico-node", Map.of(), c("x", "internal/custom:1"))))
                .get().extracting(PolicyEngineFacts::getEngine).isEqualTo("calico");
    }

    @Test
    void theAwsAgentCountsOnlyWhenNetworkPolicyIsSwitchedOn() {
        Container cni = c("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3");
        Workload off = ds("kube-system", "aws-node", Map.of("k8s-app", "aws-node"), cni,
                c("aws-network-policy-agent", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2",
                        "--enable-ipv6=false", "--enable-network-policy=false"));
        Workload on = ds("kube-system", "aws-node", Map.of("k8s-app", "aws-node"), cni,
                c("aws-network-policy-agent", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2",
                        "--enable-ipv6=false", "--enable-network-policy=true"));
        assertThat(PolicyEngines.detect(off)).isEmpty();
        assertThat(PolicyEngines.detect(on)).get().satisfies(f -> {
            assertThat(f.getEngine()).isEqualTo("aws-network-policy-agent");
            assertThat(PolicyEngines.versionOf(f.getImage())).isEqualTo("v1.1.2");
        });
    }

    @Test
    void theEnginesNeighboursAreNotEngines() {
        assertThat(PolicyEngines.detect(ds("kube-system", "calico-kube-controllers",
                Map.of("k8s-app", "calico-kube-controllers"), c("calico-kube-controllers", "docker.io/calico/kube-controllers:v3.28.0")))).isEmpty();
        assertThat(PolicyEngines.detect(ds("calico-system", "csi-node-driver", Map.of("k8s-app", "csi-node-driver"),
                c("csi-node-driver-registrar", "docker.io/calico/node-driver-registrar:v3.28.0")))).isEmpty();
        assertThat(PolicyEngines.detect(ds("kube-system", "cilium-envoy", Map.of("k8s-app", "cilium-envoy"),
                c("cilium-envoy", "quay.io/cilium/cilium-envoy:v1.29.7")))).isEmpty();
        assertThat(PolicyEngines.detect(ds("kube-system", "kube-flannel-ds", Map.of("app", "flannel"),
                c("kube-flannel", "ghcr.io/flannel-io/flannel:v0.25.6")))).isEmpty();
        assertThat(PolicyEngines.detect(ds("kube-system", "kube-proxy", Map.of("k8s-app", "kube-proxy"),
                c("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.1")))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "docker.io/calico/node:v3.28.0, v3.28.0",
        "calico/node, null",
        "registry.example.com:5000/calico/node, null",
        "registry.example.com:5000/calico/node:v3.1, v3.1",
        "quay.io/cilium/cilium@sha256:abc, null",
        "quay.io/cilium/cilium:v1.16.1@sha256:abc, v1.16.1",
        "null, null",
    })
    void versionIsTheImageTag(String image, String version) {
        assertThat(PolicyEngines.versionOf(image)).isEqualTo(version);
    }

    @Test
    void aMalformedTableIsRefusedWithItsLine() {
        assertThatThrownBy(() -> PolicyEngines.parse("# c\nx\ty\n")).hasMessageContaining("line 2");
        assertThatThrownBy(() -> PolicyEngines.parse("e\tE\tn\tbad\t-\t-\tkube-system\thttps://x\n"))
                .hasMessageContaining("label bad is not k=v");
        assertThatThrownBy(() -> PolicyEngines.parse("e\tE\tn\t-\t-\t-\tkube-system\t\n"))
                .hasMessageContaining("no source");
    }
}
