package io.fencewatch.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fencewatch.collector.kube.WorkloadShapes;
import io.fencewatch.rules.NamespaceState;

/** Pods grouped into the collector's workload shapes, as the audit gives them to FW-NP-003: ClusterReader.shapes. */
class ClusterReaderPodsTest {

    @Test
    void shouldCountPodsByShapeAsTheCollectorDoesLeavingEndedPodsOut() {
        List<Pod> pods = List.of(
                deploymentPod("shop", "web-7f9c-a", "web", "7f9c", Map.of("app", "web"), "Running"),
                deploymentPod("shop", "web-7f9c-b", "web", "7f9c", Map.of("app", "web"), "Pending"),
                deploymentPod("shop", "web-7f9c-c", "web", "7f9c", Map.of("app", "web"), "Succeeded"),
                hostNetworkPod("shop", "agent"),
                deploymentPod("blog", "api-1a2b-a", "api", "1a2b", Map.of("app", "api"), "Running"));

        ClusterReader.PodShapes shapes = ClusterReader.shapes("c1", ClusterReader.count(new LinkedHashMap<>(), pods));

        assertThat(shapes.problem()).isNull();
        List<NamespaceState.Workload> shop = shapes.of("shop");
        assertThat(shop).extracting(w -> w.facts().getOwnerKind() + "/" + w.facts().getOwnerName() + "="
                + w.facts().getPods() + (w.facts().getHostNetwork() ? " hostNetwork" : ""))
                .containsExactlyInAnyOrder("Deployment/web=2", "Pod/agent=1 hostNetwork");
        NamespaceState.Workload web = shop.stream().filter(w -> w.facts().getOwnerName().equals("web")).findFirst()
                .orElseThrow();
        WorkloadShapes.Shape shape = WorkloadShapes.shapeOf(pods.get(0));
        assertThat(web.name()).as("the collector's event name").isEqualTo(shape.id());
        assertThat(web.facts().getLabels()).isEqualTo(Map.of("app", "web"));
        assertThat(web.facts().getUnknownLabels()).containsExactly("pod-template-hash");
        assertThat(shapes.of("blog")).hasSize(1);
        assertThat(shapes.of("empty")).as("a namespace without pods: known, none").isEmpty();
    }

    @Test
    void shouldKnowNoNamespacesPodsWhenThePodsCouldNotBeListed() {
        ClusterReader.PodShapes refused = new ClusterReader.PodShapes(Map.of(), "forbidden: list pods");
        assertThat(refused.of("shop")).isNull();
    }

    /** A pod of Deployment {@code deployment} (its ReplicaSet {@code <deployment>-<hash>} controls it). */
    static Pod deploymentPod(String namespace, String name, String deployment, String hash, Map<String, String> labels,
            String phase) {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put("pod-template-hash", hash);
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name).withLabels(all)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName(deployment + "-" + hash)
                .withController(true).withUid("rs-" + deployment).endOwnerReference().endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                .withNewStatus().withPhase(phase).endStatus().build();
    }

    /** A bare hostNetwork pod (its own owner). */
    static Pod hostNetworkPod(String namespace, String name) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name)
                .withLabels(Map.of("app", name)).endMetadata().withNewSpec().withHostNetwork(true).addNewContainer()
                .withName("c").withImage("busybox").endContainer().endSpec().withNewStatus().withPhase("Running")
                .endStatus().build();
    }
}
