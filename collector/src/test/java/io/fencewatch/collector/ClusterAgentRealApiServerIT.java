package io.fencewatch.collector;

import static io.fencewatch.collector.TestAgents.readUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.testing.kube.KubeControlPlaneExtension;

/**
 * {@link ClusterAgentIT}'s tests, unchanged, against a real kube-apiserver with etcd and the namespace
 * controller instead of fabric8's mock: a namespace deletion goes through Terminating, the server
 * creates its system namespaces, defaults {@code policyTypes} and validates names. Only the odd-objects
 * test differs, because a real server refuses what the mock stores.
 */
@ExtendWith(KubeControlPlaneExtension.class)
class ClusterAgentRealApiServerIT extends ClusterAgentIT {
    private static KubeControlPlane controlPlane;

    @BeforeAll
    static void controlPlane(KubeControlPlane cp) {
        controlPlane = cp;
    }

    @Override
    TestCluster newCluster() {
        return new RealCluster(controlPlane);
    }

    @Override
    @Test
    void shouldKeepRunningAndPublishWhenObjectsAreOdd(EmbeddedKafkaBroker broker) {
        ClusterAgent agent = agents.agent(config, cluster.newClient());
        agent.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.readinessProblem() == null);
        // What the mock stores, the real server refuses: a name that is no DNS label.
        assertThatThrownBy(() -> cluster.createNamespace("ns-" + "ü".repeat(60) + "-名前"))
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("Invalid value");
        cluster.createNamespace("odd-ns");
        // Empty policyTypes with egress rules, matchExpressions, named ports, an unknown field (dropped
        // with a warning): the server stores policyTypes as it defaults them, [Ingress, Egress].
        String odd = """
                {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
                 "metadata":{"name":"odd","namespace":"odd-ns","labels":{"x":"y"}},
                 "spec":{"podSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},
                         "policyTypes":[],
                         "ingress":[{}, {"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}],
                                     "ports":[{"port":"http"},{"port":8000,"endPort":9000}]}],
                         "egress":[{"to":[],"ports":[]}],
                         "futureField":{"nested":[1,2,3]}}}
                """;
        NetworkPolicy stored = cluster.api().network().v1().networkPolicies().inNamespace("odd-ns")
                .resource(cluster.api().getKubernetesSerialization().unmarshal(odd, NetworkPolicy.class)).create();
        assertThat(stored.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        cluster.api().network().v1().networkPolicies().inNamespace("odd-ns").resource(new NetworkPolicyBuilder()
                .withNewMetadata().withName("no-spec").withNamespace("odd-ns").endMetadata().build()).create();

        try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, topic)) {
            List<InventoryEvent> events = readUntil(reader, es -> es.stream()
                    .filter(e -> e.getOp() == Op.UPSERT).count() >= 3);
            assertThat(events).filteredOn(e -> e.getKind() == Kind.NAMESPACE && e.getOp() == Op.UPSERT)
                    .extracting(InventoryEvent::getName).containsExactly("odd-ns");
            PolicyFacts oddFacts = events.stream().filter(e -> "odd".equals(e.getName())).findFirst().orElseThrow()
                    .getPolicyFacts();
            assertThat(oddFacts.getPolicyTypes()).containsExactly("Ingress", "Egress");
            assertThat(oddFacts.getPodSelector().getMatchExpressions()).hasSize(1);
            assertThat(oddFacts.getIngress()).hasSize(2);
            assertThat(oddFacts.getIngress().get(1).getPorts()).extracting(p -> p.getPort() + ":" + p.getEndPort())
                    .containsExactly("http:null", "8000:9000");
            PolicyFacts noSpec = events.stream().filter(e -> "no-spec".equals(e.getName())).findFirst().orElseThrow()
                    .getPolicyFacts();
            assertThat(noSpec.getPodSelector().getMatchLabels()).isEmpty();
            assertThat(noSpec.getPolicyTypes()).containsExactly("Ingress");
        }
        assertThat(agent.healthProblem()).isNull();
        assertThat(agent.publisher().metrics().publishErrors()).isZero();
        assertThat(agents.fatalReasons).isEmpty();
    }

}
