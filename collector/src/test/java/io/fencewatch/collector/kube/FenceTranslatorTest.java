package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.Source;

/**
 * The translation of each policy kind, table-driven, from the YAML examples of each project's own
 * documentation (test resources fences/, each citing its source), parsed with fabric8's Serialization
 * into the GenericKubernetesResource an informer hands over.
 */
class FenceTranslatorTest {

    static GenericKubernetesResource fixture(String name) {
        try (InputStream in = FenceTranslatorTest.class.getResourceAsStream("/fences/" + name + ".yaml")) {
            return Serialization.unmarshal(in, GenericKubernetesResource.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FenceRule rule(String action, String peers, String ports) {
        return new FenceRule(action, peers, ports);
    }

    private static LabelSelector labels(Map<String, String> m) {
        return new LabelSelector(m, List.of());
    }

    private static final LabelSelector EVERYTHING = new LabelSelector(Map.of(), List.of());

    private static FenceFacts.Builder facts(String apiVersion) {
        return FenceFacts.newBuilder().setApiVersion(apiVersion).setTier(null).setOrder(null).setPodSelector(null)
                .setNamespaceSelector(null).setPodExpression(null).setNamespaceExpression(null).setTypes(null)
                .setIngress(null).setEgress(null).setDefaultDenyIngress(null).setDefaultDenyEgress(null).setProblem(null);
    }

    static Stream<Arguments> examples() {
        return Stream.of(
                Arguments.of("calico-gnp-default-deny", PolicyKind.CALICO_GLOBAL_NETWORK_POLICY,
                        facts("projectcalico.org/v3")
                                .setPodExpression("projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}")
                                .setTypes(List.of("Ingress", "Egress"))
                                // DNS: the destination selects kube-dns pods (some), on UDP 53 (some ports).
                                .setEgress(List.of(rule("Allow", "some", "some"))).build()),
                Arguments.of("calico-np-namespaced", PolicyKind.CALICO_NETWORK_POLICY,
                        facts("projectcalico.org/v3").setTier("security").setOrder(100.0)
                                .setPodExpression("color == 'red'")
                                .setIngress(List.of(rule("Allow", "some", "some"), rule("Deny", "cluster", "all"),
                                        rule("Log", "all", "all"))).build()),
                Arguments.of("cilium-deny-all-ingress", PolicyKind.CILIUM_NETWORK_POLICY,
                        facts("cilium.io/v2").setPodSelector(EVERYTHING)
                                .setIngress(List.of(rule("Allow", "none", "all"))).build()),
                Arguments.of("cilium-entities", PolicyKind.CILIUM_NETWORK_POLICY,
                        facts("cilium.io/v2").setPodSelector(labels(Map.of("app", "myService")))
                                .setIngress(List.of(rule("Allow", "cluster", "all"), rule("Allow", "all", "some"),
                                        rule("Deny", "some", "all")))
                                .setEgress(List.of(rule("Allow", "all", "all")))
                                .setDefaultDenyEgress(false).build()),
                Arguments.of("cilium-ccnp-default-deny", PolicyKind.CILIUM_CLUSTERWIDE_NETWORK_POLICY,
                        facts("cilium.io/v2")
                                .setPodSelector(new LabelSelector(Map.of(), List.of(new LabelSelectorRequirement(
                                        "io.kubernetes.pod.namespace", "NotIn", List.of("kube-system")))))
                                .setEgress(List.of(rule("Allow", "some", "some"))).build()),
                Arguments.of("cilium-specs", PolicyKind.CILIUM_NETWORK_POLICY,
                        facts("cilium.io/v2").setPodSelector(labels(Map.of("app", "a")))
                                .setIngress(List.of(rule("Allow", "some", "all")))
                                .setProblem("holds 2 rules (spec and specs); only the first is translated").build()),
                Arguments.of("banp-default-deny", PolicyKind.BASELINE_ADMIN_NETWORK_POLICY,
                        facts("policy.networking.k8s.io/v1alpha1").setNamespaceSelector(EVERYTHING)
                                .setIngress(List.of(rule("Deny", "cluster", "all"))).build()),
                Arguments.of("anp-allow-deny-pass", PolicyKind.ADMIN_NETWORK_POLICY,
                        facts("policy.networking.k8s.io/v1alpha1").setOrder(50.0)
                                .setNamespaceSelector(labels(Map.of("kubernetes.io/metadata.name", "example.name")))
                                .setPodSelector(labels(Map.of("app", "web")))
                                .setIngress(List.of(rule("Allow", "some", "some"), rule("Deny", "some", "all"),
                                        rule("Pass", "cluster", "all")))
                                .setEgress(List.of(rule("Deny", "all", "all"), rule("Pass", "some", "all"))).build()),
                Arguments.of("cnp-v1alpha2", PolicyKind.CLUSTER_NETWORK_POLICY,
                        facts("policy.networking.k8s.io/v1alpha2").setTier("Admin").setOrder(10.0)
                                .setNamespaceSelector(labels(Map.of("kubernetes.io/metadata.name", "sensitive-ns")))
                                .setIngress(List.of(rule("Accept", "some", "some"), rule("Deny", "cluster", "all")))
                                .setEgress(List.of(rule("Pass", "all", "all"))).build()));
    }

    /**
     * Calico's kinds as stored in the CRDs {@code crd.projectcalico.org/v1} (a cluster without the Calico
     * API server): the same translation, the apiVersion as written, the name as users know it (the
     * {@code default.} prefix of the default tier stripped), the tier from {@code spec.tier} or else the
     * stored name's prefix.
     */
    static Stream<Arguments> storedExamples() {
        return Stream.of(
                Arguments.of("calico-crd-gnp-default-deny", PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, "default-deny",
                        facts("crd.projectcalico.org/v1")
                                .setPodExpression("projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}")
                                .setTypes(List.of("Ingress", "Egress"))
                                .setEgress(List.of(rule("Allow", "some", "some"))).build()),
                Arguments.of("calico-crd-np-tiered", PolicyKind.CALICO_NETWORK_POLICY, "security.allow-tcp-6379",
                        facts("crd.projectcalico.org/v1").setTier("security").setOrder(100.0)
                                .setPodExpression("color == 'red'").setTypes(List.of("Ingress"))
                                .setIngress(List.of(rule("Allow", "some", "some"), rule("Deny", "cluster", "all"),
                                        rule("Log", "all", "all"))).build()),
                Arguments.of("calico-crd-gnp-tier-from-name", PolicyKind.CALICO_GLOBAL_NETWORK_POLICY,
                        "platform.deny-egress", facts("crd.projectcalico.org/v1").setTier("platform").setOrder(10.0)
                                .setPodExpression("all()").setTypes(List.of("Egress")).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storedExamples")
    void shouldTranslateCalicosCrdFormAsItsV3Form(String fixture, PolicyKind kind, String name, FenceFacts expected) {
        GenericKubernetesResource r = fixture(fixture);
        assertThat(r.getKind()).isEqualTo(kind.kubernetesKind());
        assertThat(r.getApiVersion()).isEqualTo(kind.servedAs().get(1).apiVersion());
        assertThat(kind.servedAs().get(1).storage()).isTrue();
        InventoryEvent e = FenceTranslator.event(kind, r, Op.SNAPSHOT, new Source("c1", "x", 1L, 0L, Instant.EPOCH));
        assertThat(e.getKind()).isEqualTo(kind.kind());
        assertThat(e.getName()).isEqualTo(name);
        assertThat(e.getNamespace()).isEqualTo(kind.clusterScoped() ? null : r.getMetadata().getNamespace());
        assertThat(e.getFenceFacts()).isEqualTo(expected);
    }

    @Test
    void shouldGiveACalicoPolicyOneNameInBothForms() {
        GenericKubernetesResource v3 = fixture("calico-gnp-default-deny");
        GenericKubernetesResource stored = fixture("calico-crd-gnp-default-deny");
        PolicyKind k = PolicyKind.CALICO_GLOBAL_NETWORK_POLICY;
        assertThat(FenceTranslator.name(k, stored)).isEqualTo(FenceTranslator.name(k, v3)).isEqualTo("default-deny");
        // Facts differ only in the apiVersion (the stored form is the v3 spec).
        FenceFacts asV3 = FenceTranslator.facts(k, v3);
        asV3.setApiVersion("crd.projectcalico.org/v1");
        assertThat(FenceTranslator.facts(k, stored)).isEqualTo(asV3);
        // A v3 API that shows the stored name (default.<name>) gives the same name too; other kinds keep theirs.
        v3.getMetadata().setName("default.default-deny");
        assertThat(FenceTranslator.name(k, v3)).isEqualTo("default-deny");
        assertThat(FenceTranslator.facts(k, v3).getTier()).as("v3: spec.tier only").isNull();
        GenericKubernetesResource cnp = fixture("cilium-deny-all-ingress");
        cnp.getMetadata().setName("default.x");
        assertThat(FenceTranslator.name(PolicyKind.CILIUM_NETWORK_POLICY, cnp)).isEqualTo("default.x");
        stored.getMetadata().setName("default.");
        assertThat(FenceTranslator.name(k, stored)).as("nothing after the prefix: kept").isEqualTo("default.");
    }

    @Test
    void shouldNarrowACalicoSelectionToSomePodsWhenAServiceAccountSelectorNamesWhichOnes() {
        GenericKubernetesResource gnp = fixture("calico-gnp-default-deny");
        String selector = FenceTranslator.facts(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp).getPodExpression();
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> spec = (java.util.Map<String, Object>) gnp.getAdditionalProperties().get("spec");
        spec.put("serviceAccountSelector", "role == 'db'");
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp).getPodExpression())
                .isEqualTo("(" + selector + ") && has(projectcalico.org/serviceaccount)");
        spec.remove("selector");
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp).getPodExpression())
                .isEqualTo("(all()) && has(projectcalico.org/serviceaccount)");
        spec.put("serviceAccountSelector", "all()");
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp).getPodExpression())
                .as("every service account: no narrowing").isNull();
    }

    @Test
    void shouldReadTheTierOfAStoredNameAsCalicoDoes() {
        assertThat(FenceTranslator.tierOfStoredName("default.a")).as("the default tier: the contract's null").isNull();
        assertThat(FenceTranslator.tierOfStoredName("security.a.b")).isEqualTo("security");
        assertThat(FenceTranslator.tierOfStoredName("a")).isNull();
        assertThat(FenceTranslator.tierOfStoredName("knp.default.a")).isNull();
        assertThat(FenceTranslator.tierOfStoredName("ossg.default.a")).isNull();
        assertThat(FenceTranslator.tierOfStoredName(".a")).isNull();
    }

    @Test
    void shouldServeCalicosKindsFromTheirApiThenTheirCrdsAndTheOthersFromTheirApiOnly() {
        assertThat(PolicyKind.CALICO_NETWORK_POLICY.servedAs()).extracting(PolicyKind.Served::resource)
                .containsExactly("networkpolicies.projectcalico.org", "networkpolicies.crd.projectcalico.org");
        assertThat(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.servedAs()).extracting(PolicyKind.Served::apiVersion)
                .containsExactly("projectcalico.org/v3", "crd.projectcalico.org/v1");
        assertThat(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.api().storage()).isFalse();
        assertThat(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY.servedAs().get(1).context().getKind())
                .isEqualTo("GlobalNetworkPolicy");
        assertThat(PolicyKind.CALICO_NETWORK_POLICY.servedAs().get(1).context().isNamespaceScoped()).isTrue();
        for (PolicyKind k : PolicyKind.values()) {
            if (k != PolicyKind.CALICO_NETWORK_POLICY && k != PolicyKind.CALICO_GLOBAL_NETWORK_POLICY) {
                assertThat(k.servedAs()).containsExactly(k.api());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void shouldTranslateEachKindAsTheContractSays(String fixture, PolicyKind kind, FenceFacts expected) {
        GenericKubernetesResource r = fixture(fixture);
        assertThat(r.getKind()).isEqualTo(kind.kubernetesKind());
        assertThat(r.getApiVersion()).isEqualTo(kind.apiVersion());
        assertThat(FenceTranslator.facts(kind, r)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void shouldKeyNamespacedKindsByTheirNamespaceAndClusterScopedOnesByNone(String fixture, PolicyKind kind,
            FenceFacts expected) {
        GenericKubernetesResource r = fixture(fixture);
        InventoryEvent e = FenceTranslator.event(kind, r, Op.SNAPSHOT, new Source("c1", "x", 1L, 0L, Instant.EPOCH));
        assertThat(e.getKind()).isEqualTo(kind.kind());
        assertThat(e.getName()).isEqualTo(r.getMetadata().getName());
        assertThat(e.getNamespace()).isEqualTo(kind.clusterScoped() ? null : r.getMetadata().getNamespace());
        assertThat(e.getFenceFacts()).isEqualTo(expected);
        assertThat(e.getPolicyFacts()).isNull();
        assertThat(EventTranslator.keyNamespace(new AgentEvent.FenceChanged(ChangeType.UPSERT, kind, r, Instant.EPOCH)))
                .isEqualTo(kind.clusterScoped() ? "*" : r.getMetadata().getNamespace());
    }

    @Test
    void shouldNameTheProblemOfAShapeItCannotRead() {
        GenericKubernetesResource r = fixture("calico-np-namespaced");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
        spec.put("order", "first");
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_NETWORK_POLICY, r).getProblem())
                .isEqualTo("spec.order is not a number");

        GenericKubernetesResource cilium = fixture("cilium-entities");
        @SuppressWarnings("unchecked")
        Map<String, Object> cspec = (Map<String, Object>) cilium.getAdditionalProperties().get("spec");
        cspec.put("endpointSelector", List.of("app=x"));
        assertThat(FenceTranslator.facts(PolicyKind.CILIUM_NETWORK_POLICY, cilium).getProblem())
                .isEqualTo("spec.endpointSelector is not a label selector");

        GenericKubernetesResource none = new GenericKubernetesResource();
        none.setApiVersion("cilium.io/v2");
        assertThat(FenceTranslator.facts(PolicyKind.CILIUM_NETWORK_POLICY, none).getProblem()).isEqualTo("spec is missing");
        assertThat(FenceTranslator.event(PolicyKind.CILIUM_NETWORK_POLICY, none, Op.UPSERT,
                new Source("c1", "x", 1L, 0L, Instant.EPOCH))).as("no name: cannot be keyed").isNull();
    }

    @Test
    void shouldTellCalicoPeersApart() {
        GenericKubernetesResource gnp = fixture("calico-gnp-default-deny");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) gnp.getAdditionalProperties().get("spec");
        spec.put("ingress", List.of(
                Map.of("action", "Allow", "source", Map.of("nets", List.of("0.0.0.0/0", "::/0"))),
                Map.of("action", "Allow", "source", Map.of("nets", List.of("10.0.0.0/8"))),
                Map.of("action", "Deny", "source", Map.of("selector", "all()")),
                Map.of("action", "Deny", "ipVersion", 4),
                Map.of("action", "Pass", "source", Map.of("notSelector", "app == 'x'"))));
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_GLOBAL_NETWORK_POLICY, gnp).getIngress()).containsExactly(
                rule("Allow", "all", "all"), rule("Allow", "some", "all"), rule("Deny", "cluster", "all"),
                rule("Deny", "some", "all"), rule("Pass", "some", "all"));
        // In a namespaced policy, selector all() is every pod of its own namespace only.
        assertThat(FenceTranslator.facts(PolicyKind.CALICO_NETWORK_POLICY, gnp).getIngress().get(2))
                .isEqualTo(rule("Deny", "some", "all"));
    }

    @Test
    void shouldTreatAnUnknownAdminPeerAsAProblem() {
        GenericKubernetesResource banp = fixture("banp-default-deny");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) banp.getAdditionalProperties().get("spec");
        spec.put("ingress", List.of(Map.of("action", "Deny", "from", List.of(Map.of()))));
        assertThat(FenceTranslator.facts(PolicyKind.BASELINE_ADMIN_NETWORK_POLICY, banp).getProblem())
                .isEqualTo("spec.ingress[0].from[0] has no peer field the collector knows");
    }

    @Test
    void shouldNameEveryKindInLowerKebabAndScopeItAsTheRulesDo() {
        assertThat(Stream.of(PolicyKind.values()).map(PolicyKind::flagName)).containsExactly("calico-network-policy",
                "calico-global-network-policy", "cilium-network-policy", "cilium-clusterwide-network-policy",
                "admin-network-policy", "baseline-admin-network-policy", "cluster-network-policy");
        assertThat(Stream.of(PolicyKind.values()).filter(k -> !k.clusterScoped()).map(PolicyKind::kind))
                .containsExactly(Kind.CALICO_NETWORK_POLICY, Kind.CILIUM_NETWORK_POLICY);
        assertThat(PolicyKind.ofFlagName("network-policy")).isNull();
    }
}
