package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;

class EventTranslatorTest {
    private static final Source SOURCE = new Source("c1", "col", 1L, 1L, Instant.EPOCH);
    private final EventTranslator translator = new EventTranslator(List.of("fencewatch.io/*", "team.example.com/owner"));
    private final KubernetesSerialization json = new KubernetesSerialization();

    private static byte[] roundTrip(InventoryEvent e) {
        byte[] bytes = FencewatchSerdes.inventoryEvent().serialize("t", e);
        assertThat(FencewatchSerdes.inventoryEvent().deserialize("t", bytes)).isEqualTo(e);
        return bytes;
    }

    @Test
    void shouldForwardOnlyConfiguredAnnotationsWhenNamespaceHasMany() {
        Namespace ns = new NamespaceBuilder().withNewMetadata().withName("a").withUid("u").withResourceVersion("7")
                .withCreationTimestamp("2026-01-02T03:04:05Z").withDeletionTimestamp("2026-01-03T00:00:00+01:00")
                .addToAnnotations("fencewatch.io/exempt", "true").addToAnnotations("team.example.com/owner", "x")
                .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"secret\":1}")
                .endMetadata().withNewStatus().withPhase("Terminating").endStatus().build();
        Map<String, String> labels = new HashMap<>();
        labels.put("env", null);
        labels.put(null, "x");
        ns.getMetadata().setLabels(labels);
        InventoryEvent e = translator.namespaceEvent(ns, Op.UPSERT, SOURCE);
        assertThat(e.getKind()).isEqualTo(Kind.NAMESPACE);
        assertThat(e.getNamespace()).isEqualTo("a");
        assertThat(e.getNamespaceFacts().getAnnotations()).containsOnlyKeys("fencewatch.io/exempt", "team.example.com/owner");
        assertThat(e.getNamespaceFacts().getLabels()).containsExactly(Map.entry("env", ""));
        assertThat(e.getNamespaceFacts().getCreatedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(e.getNamespaceFacts().getDeletionRequestedAt()).isEqualTo(Instant.parse("2026-01-02T23:00:00Z"));
        assertThat(e.getNamespaceFacts().getPhase()).isEqualTo("Terminating");
        roundTrip(e);
    }

    @Test
    void shouldReturnNullWhenObjectCannotBeKeyed() {
        assertThat(translator.namespaceEvent(new Namespace(), Op.UPSERT, SOURCE)).isNull();
        assertThat(translator.namespaceEvent(null, Op.UPSERT, SOURCE)).isNull();
        NetworkPolicy noNamespace = new NetworkPolicyBuilder().withNewMetadata().withName("p").endMetadata().build();
        assertThat(translator.policyEvent(noNamespace, Op.UPSERT, SOURCE)).isNull();
    }

    @Test
    void shouldSendEmptySelectorAndNoRulesWhenSpecIsMissing() {
        NetworkPolicy np = new NetworkPolicyBuilder().withNewMetadata().withName("p").withNamespace("n").endMetadata()
                .build();
        np.setSpec(null);
        PolicyFacts f = translator.policyEvent(np, Op.SNAPSHOT, SOURCE).getPolicyFacts();
        assertThat(f.getPodSelector().getMatchLabels()).isEmpty();
        assertThat(f.getPodSelector().getMatchExpressions()).isEmpty();
        assertThat(f.getPolicyTypes()).isNull();
        assertThat(f.getIngress()).isNull();
        assertThat(f.getEgress()).isNull();
    }

    @Test
    void shouldKeepAllowAllApartFromNoRulesWhenRulesAreWritten() {
        NetworkPolicy np = json.unmarshal("""
                {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
                 "metadata":{"name":"p","namespace":"n","resourceVersion":"9","uid":"u-1"},
                 "spec":{"podSelector":null,"policyTypes":["Ingress","Egress"],
                   "ingress":[{}],
                   "egress":[{"to":[{"namespaceSelector":{},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}},
                                    {"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.169.254/32", null]}}],
                              "ports":[{"protocol":"UDP","port":53},{"port":"dns-tcp"},{"port":1000,"endPort":2000},{}]}],
                   "unknownFutureField":{"x":1}}}
                """, NetworkPolicy.class);
        InventoryEvent e = translator.policyEvent(np, Op.UPSERT, SOURCE);
        PolicyFacts f = e.getPolicyFacts();
        assertThat(e.getResourceVersion()).isEqualTo("9");
        assertThat(f.getPodSelector().getMatchLabels()).isEmpty();
        assertThat(f.getIngress()).hasSize(1);
        assertThat(f.getIngress().get(0).getPeers()).isNullOrEmpty();
        assertThat(f.getIngress().get(0).getPorts()).isNullOrEmpty();
        var egress = f.getEgress().get(0);
        assertThat(egress.getPeers().get(0).getNamespaceSelector().getMatchLabels()).isEmpty();
        assertThat(egress.getPeers().get(0).getPodSelector().getMatchLabels()).containsEntry("k8s-app", "kube-dns");
        assertThat(egress.getPeers().get(1).getIpBlock().getExcept()).containsExactly("169.254.169.254/32");
        assertThat(egress.getPorts()).extracting(p -> p.getProtocol() + " " + p.getPort() + " " + p.getEndPort())
                .containsExactly("UDP 53 null", "null dns-tcp null", "null 1000 2000", "null null null");
        roundTrip(e);
    }

    @Test
    void shouldProduceReadableRecordWhenObjectIsHugeOrOdd() {
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            labels.put("k" + i + ".example.com/" + "x".repeat(40), "v".repeat(63));
        }
        ObjectMeta meta = new ObjectMeta();
        meta.setName("名前-" + "ß".repeat(250));
        meta.setLabels(labels);
        meta.setCreationTimestamp("yesterday");
        Namespace ns = new Namespace();
        ns.setMetadata(meta);
        InventoryEvent e = translator.namespaceEvent(ns, Op.UPSERT, SOURCE);
        assertThat(e.getNamespaceFacts().getLabels()).hasSize(500);
        assertThat(e.getNamespaceFacts().getCreatedAt()).isNull();
        assertThat(e.getNamespaceFacts().getPhase()).isNull();
        roundTrip(e);
    }
}
