package io.fencewatch.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fencewatch.rules.PolicyEngines;
import io.fencewatch.sandbox.CalicoNode;

/** A DaemonSet as the detection table reads it: ClusterReader.workload. */
class ClusterReaderWorkloadTest {

    @Test
    void shouldJoinTheDaemonSetsAndTemplatesLabelsAndLeaveTheCountsNullWhenNoStatusIsWritten() {
        DaemonSet ds = new DaemonSetBuilder(CalicoNode.daemonSet()).editMetadata().withLabels(java.util.Map.of(
                "app.kubernetes.io/part-of", "calico")).endMetadata().build();

        PolicyEngines.Workload w = ClusterReader.workload(ds);

        assertThat(w.kind()).isEqualTo("DaemonSet");
        assertThat(w.namespace()).isEqualTo("kube-system");
        assertThat(w.name()).isEqualTo("calico-node");
        assertThat(w.labels()).containsEntry("app.kubernetes.io/part-of", "calico")
                .as("the pod template's").containsEntry("k8s-app", "calico-node");
        assertThat(w.containers())
                .containsExactly(new PolicyEngines.Container("calico-node", CalicoNode.IMAGE, List.of()));
        assertThat(w.desired()).isNull();
        assertThat(w.ready()).isNull();
        assertThat(PolicyEngines.detect(w)).hasValueSatisfying(e -> assertThat(e.getEngine()).isEqualTo("calico"));
    }

    @Test
    void shouldCarryContainerArgsAndStatusCountsWhenTheDaemonSetHasThem() {
        DaemonSet awsNode = new DaemonSetBuilder().withNewMetadata().withName("aws-node").withNamespace("kube-system")
                .endMetadata().withNewSpec().withNewTemplate().withNewSpec()
                .addNewContainer().withName("aws-node")
                .withImage("602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3").endContainer()
                .addNewContainer().withName("aws-network-policy-agent").withImage("aws-network-policy-agent:v1.1.2")
                .withArgs("--enable-ipv6=false", "--enable-network-policy=true").endContainer()
                .endSpec().endTemplate().endSpec()
                .withNewStatus().withDesiredNumberScheduled(4).withNumberReady(2).endStatus().build();

        PolicyEngines.Workload w = ClusterReader.workload(awsNode);

        assertThat(w.labels()).isEmpty();
        assertThat(w.containers().get(1).args()).containsExactly("--enable-ipv6=false", "--enable-network-policy=true");
        assertThat(w.desired()).isEqualTo(4);
        assertThat(w.ready()).isEqualTo(2);
        assertThat(PolicyEngines.detect(w)).hasValueSatisfying(e -> {
            assertThat(e.getEngine()).isEqualTo("aws-network-policy-agent");
            assertThat(e.getImage()).isEqualTo("aws-network-policy-agent:v1.1.2");
        });
    }
}
