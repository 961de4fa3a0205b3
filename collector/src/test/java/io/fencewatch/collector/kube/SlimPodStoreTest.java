package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class SlimPodStoreTest {
    private final WorkloadShapes shapes = new WorkloadShapes();
    private final List<String> changed = new ArrayList<>();
    private final SlimPodStore store = new SlimPodStore(shapes, changed::add);

    private static Pod fullPod(String name, String rv, String phase) {
        return new PodBuilder().withNewMetadata().withNamespace("shop").withName(name).withUid("u-" + name)
                .withResourceVersion(rv).withGenerateName("web-7d4b9c-").withCreationTimestamp("2026-01-01T00:00:00Z")
                .addToLabels("app", "web").addToLabels("pod-template-hash", "7d4b9c")
                .addToLabels("statefulset.kubernetes.io/pod-name", name)
                .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"big\": \"json\"}")
                .withOwnerReferences(new OwnerReference("v1", null, Boolean.FALSE, "ConfigMap", "cm", "u-cm"),
                        new OwnerReference("apps/v1", Boolean.TRUE, Boolean.TRUE, "ReplicaSet", "web-7d4b9c", "u-rs"))
                .addNewManagedField().withManager("kube-controller-manager").withOperation("Update").endManagedField()
                .endMetadata()
                .withNewSpec().withHostNetwork(true).withNodeName("node-1").addNewContainer().withName("web")
                .withImage("nginx:1.27").addNewEnv().withName("SECRET_REF").withValue("x").endEnv().endContainer()
                .endSpec()
                .withNewStatus().withPhase(phase).withPodIP("10.0.0.7").addNewContainerStatus().withName("web")
                .withRestartCount(3).endContainerStatus().endStatus().build();
    }

    @Test
    void shouldKeepOnlyWhatTheShapeNeedsWhenStoringAPod() {
        Pod full = fullPod("web-7d4b9c-x1", "42", "Running");
        String key = store.getKey(full);
        assertThat(key).isEqualTo("shop/web-7d4b9c-x1");
        assertThat(store.put(key, full)).as("nothing there before").isNull();

        Pod slim = store.get(key);
        assertThat(slim.getMetadata().getNamespace()).isEqualTo("shop");
        assertThat(slim.getMetadata().getName()).isEqualTo("web-7d4b9c-x1");
        assertThat(slim.getMetadata().getUid()).isEqualTo("u-web-7d4b9c-x1");
        assertThat(slim.getMetadata().getResourceVersion()).as("fabric8 compares it").isEqualTo("42");
        assertThat(slim.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of("app", "web",
                "pod-template-hash", "7d4b9c", "statefulset.kubernetes.io/pod-name", ""));
        assertThat(slim.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("ReplicaSet");
            assertThat(o.getName()).isEqualTo("web-7d4b9c");
            assertThat(o.getController()).isTrue();
        });
        assertThat(slim.getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(slim.getMetadata().getCreationTimestamp()).isNull();
        assertThat(slim.getSpec().getHostNetwork()).isTrue();
        assertThat(slim.getSpec().getContainers()).isNullOrEmpty();
        assertThat(slim.getSpec().getNodeName()).isNull();
        assertThat(slim.getStatus().getPhase()).isEqualTo("Running");
        assertThat(slim.getStatus().getPodIP()).isNull();
        assertThat(slim.getStatus().getContainerStatuses()).isNullOrEmpty();
        assertThat(WorkloadShapes.shapeOf(slim)).as("the slim pod shapes as the full one")
                .isEqualTo(WorkloadShapes.shapeOf(full));
        assertThat(store.isFullState()).isFalse();
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.keySet()).containsExactly(key);
        assertThat(store.values()).singleElement().satisfies(p -> assertThat(p.getMetadata().getName())
                .isEqualTo("web-7d4b9c-x1"));
    }

    @Test
    void shouldCountTheShapesOfWhatItHoldsWhenPodsArePutAndRemoved() {
        Pod a = fullPod("a", "1", "Pending");
        Pod b = fullPod("b", "2", "Running");
        store.put(store.getKey(a), a);
        store.put(store.getKey(b), b);
        assertThat(changed).containsExactly("shop");
        WorkloadShapes.Shape shape = WorkloadShapes.shapeOf(a);
        assertThat(shape.ownerKind()).isEqualTo("Deployment");
        assertThat(shapes.shapes("shop")).containsExactly(Map.entry(shape, 2));

        // The previous state handed back is the stored one; a put of the same shape changes no count.
        Pod a2 = fullPod("a", "3", "Running");
        assertThat(store.put(store.getKey(a2), a2).getMetadata().getResourceVersion()).isEqualTo("1");
        assertThat(shapes.shapes("shop")).containsExactly(Map.entry(shape, 2));

        assertThat(store.remove("shop/b").getMetadata().getResourceVersion()).isEqualTo("2");
        assertThat(store.remove("shop/b")).isNull();
        assertThat(shapes.shapes("shop")).containsExactly(Map.entry(shape, 1));
        Pod done = fullPod("a", "4", "Succeeded");
        store.put(store.getKey(done), done);
        assertThat(shapes.shapes("shop")).as("an ended pod does not count").isEmpty();
        assertThat(store.size()).as("but is still stored, as the informer knows it").isEqualTo(1);
        assertThat(changed).as("one mark until drained").containsExactly("shop");
        shapes.drain("shop");
        store.remove("shop/a");
        assertThat(shapes.drain("shop")).isEmpty();
    }
}
