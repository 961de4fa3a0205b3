package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * {@link Fences#of} as a table, per kind, mostly with the default-deny examples of each project's
 * own documentation, written as FenceFacts the way the collector translates them (the field docs of
 * InventoryEvent.avsc). Each row: one namespace's state, the fencedBy entries as
 * {@code scope kind apiVersion name [directions] pods}, and the effective isolation.
 */
class FencesTest {
    static final String CALICO = "projectcalico.org/v3";
    static final String CILIUM = "cilium.io/v2";
    static final String ANP = "policy.networking.k8s.io/v1alpha1";
    static final String CNP = "policy.networking.k8s.io/v1alpha2";
    static final Map<String, String> SHOP_LABELS = Map.of("kubernetes.io/metadata.name", "shop", "team", "payments");
    static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");

    static final Grade N = Grade.NONE;
    static final Grade P = Grade.PARTIAL;
    static final Grade A = Grade.ALL_PODS;
    static final Grade D = Grade.DEFAULT_DENY;

    record Row(String name, NamespaceState state, List<String> fencedBy, Isolation effective) {
        @Override
        public String toString() {
            return name;
        }
    }

    // ---- Calico ----

    /** Calico docs, "Enable a default deny policy for Kubernetes pods": every namespace but the system ones. */
    static Fence calicoGlobalDefaultDeny() {
        return gnp("default-deny", ff(CALICO)
                .podExpression("projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}")
                .types("Ingress", "Egress"));
    }

    static Stream<Arguments> calico() {
        return Stream.of(
                row("the Calico docs' global default deny fences an application namespace",
                        shop(calicoGlobalDefaultDeny()),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 default-deny [ingress, egress] all"),
                        iso(D, D, false, false)),
                row("the Calico docs' global default deny leaves calico-system alone",
                        ns("calico-system", Map.of("kubernetes.io/metadata.name", "calico-system"), calicoGlobalDefaultDeny()),
                        refs(), Isolation.NONE),
                row("a namespaced Calico default deny, selector all()",
                        shop(calicoNp("shop", "default-deny", ff(CALICO).podExpression("all()").types("Ingress", "Egress"))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 default-deny [ingress, egress] all"),
                        iso(D, D, false, false)),
                row("a Calico policy of another namespace never counts",
                        shop(calicoNp("billing", "default-deny", ff(CALICO).podExpression("all()").types("Ingress", "Egress"))),
                        refs(), Isolation.NONE),
                row("types omitted, no rules: Ingress only",
                        shop(calicoNp("shop", "deny-in", ff(CALICO))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 deny-in [ingress] all"), iso(D, N, false, false)),
                row("types omitted, egress rules only: Egress only",
                        shop(calicoNp("shop", "dns", ff(CALICO).egress(rule("Allow", "some", "some")))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 dns [egress] all"), iso(N, A, false, false)),
                row("types omitted, both kinds of rules: both",
                        shop(calicoNp("shop", "both", ff(CALICO).ingress(rule("Allow", "some", "all"))
                                .egress(rule("Allow", "some", "some")))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 both [ingress, egress] all"), iso(A, A, false, false)),
                row("a pod-label selector fences some pods",
                        shop(calicoNp("shop", "web", ff(CALICO).podExpression("app == 'web'").types("Ingress"))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 web [ingress] some"), iso(P, N, false, false)),
                row("the namespace label projection pcns.<key> is known",
                        shop(calicoNp("shop", "team", ff(CALICO).podExpression("pcns.team == 'payments'").types("Ingress"))),
                        refs("namespace NetworkPolicy projectcalico.org/v3 team [ingress] all"), iso(D, N, false, false)),
                row("a pcns.<key> that does not match selects nothing",
                        shop(calicoNp("shop", "team", ff(CALICO).podExpression("pcns.team == 'search'").types("Ingress"))),
                        refs(), Isolation.NONE),
                row("a GlobalNetworkPolicy whose namespaceSelector does not match",
                        shop(gnp("billing-only", ff(CALICO).namespaceExpression("projectcalico.org/name == 'billing'")
                                .types("Ingress", "Egress"))),
                        refs(), Isolation.NONE),
                row("a GlobalNetworkPolicy by namespace label, allowing all ingress",
                        shop(gnp("payments-open", ff(CALICO).namespaceExpression("team == 'payments'").types("Ingress")
                                .ingress(rule("Allow", "all", "all")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 payments-open [ingress] all"),
                        iso(A, N, true, false)),
                row("namespaceSelector AND selector: a pod label makes it some",
                        shop(gnp("payments-web", ff(CALICO).namespaceExpression("team == 'payments'")
                                .podExpression("app == 'web'").types("Ingress"))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 payments-web [ingress] some"),
                        iso(P, N, false, false)),
                row("the Calico docs' deny-app-policy: deny all, egress DNS allowed",
                        shop(gnp("deny-app-policy", ff(CALICO)
                                .namespaceExpression("has(projectcalico.org/name) && projectcalico.org/name not in {\"kube-system\", \"calico-system\"}")
                                .types("Ingress", "Egress").egress(rule("Allow", "some", "some")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 deny-app-policy [ingress, egress] all"),
                        iso(D, A, false, false)),
                row("a Pass of everything hands the direction to the next tier",
                        shop(gnp("pass", ff(CALICO).types("Ingress", "Egress").ingress(rule("Pass", "all", "all")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 pass [egress] all"), iso(N, D, false, false)),
                row("Log rules do nothing",
                        shop(gnp("log", ff(CALICO).types("Ingress").ingress(rule("Log", "all", "all")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 log [ingress] all"), iso(D, N, false, false)),
                row("a Deny of everything makes a later Allow unreachable",
                        shop(gnp("deny-first", ff(CALICO).types("Ingress").ingress(rule("Deny", "all", "all"),
                                rule("Allow", "all", "all")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 deny-first [ingress] all"), iso(D, N, false, false)),
                row("an Allow of everything after a broad Deny of the cluster is not allow-all",
                        shop(gnp("deny-cluster", ff(CALICO).types("Ingress").ingress(rule("Deny", "cluster", "all"),
                                rule("Allow", "all", "all")))),
                        refs("cluster GlobalNetworkPolicy projectcalico.org/v3 deny-cluster [ingress] all"), iso(A, N, false, false)),
                row("a global() selector selects no pod",
                        shop(gnp("hosts", ff(CALICO).namespaceExpression("global()").types("Ingress"))),
                        refs(), Isolation.NONE),
                row("an unreadable selector is ignored",
                        shop(gnp("typo", ff(CALICO).podExpression("app = 'web'").types("Ingress"))),
                        refs(), Isolation.NONE),
                row("a Calico policy with a problem is ignored",
                        shop(calicoNp("shop", "odd", ff(CALICO).types("Ingress").problem("unknown field spec.foo"))),
                        refs(), Isolation.NONE));
    }

    // ---- Cilium ----

    static Stream<Arguments> cilium() {
        return Stream.of(
                row("the Cilium docs' deny-all ingress: endpointSelector {} and ingress [{}]",
                        shop(cnp("shop", "deny-all-ingress", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all")))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 deny-all-ingress [ingress] all"),
                        iso(D, N, false, false)),
                row("the egress equivalent",
                        shop(cnp("shop", "deny-all-egress", ff(CILIUM).pods(all()).egress(rule("Allow", "none", "all")))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 deny-all-egress [egress] all"),
                        iso(N, D, false, false)),
                row("a clusterwide default deny",
                        shop(ccnp("default-deny", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all"))
                                .egress(rule("Allow", "none", "all")))),
                        refs("cluster CiliumClusterwideNetworkPolicy cilium.io/v2 default-deny [ingress, egress] all"),
                        iso(D, D, false, false)),
                row("a clusterwide default deny but kube-system fences shop",
                        shop(ccnpButKubeSystem()),
                        refs("cluster CiliumClusterwideNetworkPolicy cilium.io/v2 default-deny-but-kube-system [ingress, egress] all"),
                        iso(D, D, false, false)),
                row("a clusterwide default deny but kube-system leaves kube-system alone",
                        ns("kube-system", Map.of("kubernetes.io/metadata.name", "kube-system"), ccnpButKubeSystem()),
                        refs(), Isolation.NONE),
                row("a CiliumNetworkPolicy of another namespace never counts",
                        shop(cnp("billing", "deny-all-ingress", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all")))),
                        refs(), Isolation.NONE),
                row("a pod-label endpointSelector fences some pods",
                        shop(cnp("shop", "web", ff(CILIUM).pods(labels("app", "web")).ingress(rule("Allow", "some", "some")))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 web [ingress] some"), iso(P, N, false, false)),
                row("namespace labels by Cilium's key are known",
                        shop(ccnp("payments", ff(CILIUM).pods(labels("k8s:io.cilium.k8s.namespace.labels.team", "payments"))
                                .ingress(rule("Allow", "some", "some")))),
                        refs("cluster CiliumClusterwideNetworkPolicy cilium.io/v2 payments [ingress] all"), iso(A, N, false, false)),
                row("the Cilium docs' external-lockdown: deny world, allow all",
                        shop(ccnp("external-lockdown", ff(CILIUM).pods(all()).ingress(rule("Allow", "all", "all"),
                                rule("Deny", "some", "all")))),
                        refs("cluster CiliumClusterwideNetworkPolicy cilium.io/v2 external-lockdown [ingress] all"),
                        iso(A, N, true, false)),
                row("a deny of everything is default deny whatever it allows",
                        shop(cnp("shop", "deny-everything", ff(CILIUM).pods(all()).ingress(rule("Allow", "all", "all"),
                                rule("Deny", "all", "all")))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 deny-everything [ingress] all"), iso(D, N, false, false)),
                row("an empty ingress [] does not switch default deny on",
                        shop(cnp("shop", "empty", ff(CILIUM).pods(all()).ingress())),
                        refs(), Isolation.NONE),
                row("enableDefaultDeny ingress true without rules is default deny",
                        shop(cnp("shop", "explicit", ff(CILIUM).pods(all()).defaultDenyIngress(true))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 explicit [ingress] all"), iso(D, N, false, false)),
                row("enableDefaultDeny false only adds allows",
                        shop(cnp("shop", "dns-visibility", ff(CILIUM).pods(all()).egress(rule("Allow", "some", "some"))
                                .defaultDenyEgress(false))),
                        refs(), Isolation.NONE),
                row("enableDefaultDeny false with a deny of everything still isolates",
                        shop(cnp("shop", "deny-out", ff(CILIUM).pods(all()).egress(rule("Deny", "all", "all"))
                                .defaultDenyEgress(false))),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 deny-out [egress] all"), iso(N, D, false, false)),
                row("a nodeSelector policy selects no pod",
                        shop(ccnp("host-fw", ff(CILIUM).ingress(rule("Allow", "none", "all")))),
                        refs(), Isolation.NONE),
                row("a Cilium policy with a problem is ignored",
                        shop(ccnp("odd", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all"))
                                .problem("selector not readable"))),
                        refs(), Isolation.NONE));
    }

    static Fence ccnpButKubeSystem() {
        return ccnp("default-deny-but-kube-system", ff(CILIUM)
                .pods(new LabelSelector(Map.of(), List.of(new LabelSelectorRequirement(
                        "k8s:io.kubernetes.pod.namespace", "NotIn", List.of("kube-system")))))
                .ingress(rule("Allow", "none", "all")).egress(rule("Allow", "none", "all")));
    }

    // ---- admin network policies ----

    /** network-policy-api docs: the BANP "default" denying all ingress from every namespace to every namespace. */
    static Fence banpDefault() {
        return banp(ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all")));
    }

    static Stream<Arguments> admin() {
        return Stream.of(
                row("the baseline default: subject namespaces {}, ingress Deny from namespaces {}",
                        shop(banpDefault()),
                        refs("cluster BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 default [ingress] all"),
                        iso(D, N, false, false)),
                row("an AdminNetworkPolicy Allow overrides the baseline Deny",
                        shop(banpDefault(), anp("allow-all-in", 10, ff(ANP).namespaces(all()).ingress(rule("Allow", "cluster", "all")))),
                        refs(), iso(N, N, true, false)),
                row("an AdminNetworkPolicy Allow at a lower priority overrides a Deny at a higher one",
                        shop(anp("deny-all", 20, ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all"))),
                                anp("allow-all", 10, ff(ANP).namespaces(all()).ingress(rule("Allow", "cluster", "all")))),
                        refs(), iso(N, N, true, false)),
                row("an AdminNetworkPolicy Deny at a lower priority stands and shadows the Allow",
                        shop(anp("deny-all", 5, ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all"))),
                                anp("allow-all", 10, ff(ANP).namespaces(all()).ingress(rule("Allow", "cluster", "all")))),
                        refs("cluster AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 deny-all [ingress] all"),
                        iso(D, N, false, false)),
                row("equal priorities: the Allow counts as overriding, and stands",
                        shop(anp("deny-all", 10, ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all"))),
                                anp("allow-all", 10, ff(ANP).namespaces(all()).ingress(rule("Allow", "cluster", "all")))),
                        refs(), iso(N, N, true, false)),
                row("an earlier narrow Allow in the same policy: ALL_PODS",
                        shop(anp("monitoring-then-deny", 10, ff(ANP).namespaces(all())
                                .ingress(rule("Allow", "some", "some"), rule("Deny", "cluster", "all")))),
                        refs("cluster AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 monitoring-then-deny [ingress] all"),
                        iso(A, N, false, false)),
                row("an earlier broad Allow in the same policy makes its Deny unreachable",
                        shop(anp("allow-then-deny", 10, ff(ANP).namespaces(all())
                                .ingress(rule("Allow", "cluster", "all"), rule("Deny", "cluster", "all")))),
                        refs(), iso(N, N, true, false)),
                row("a narrow Deny does not isolate",
                        shop(anp("deny-tenant", 10, ff(ANP).namespaces(all()).ingress(rule("Deny", "some", "all")))),
                        refs(), Isolation.NONE),
                row("a Pass isolates nothing and does not override the baseline",
                        shop(banpDefault(), anp("pass-all", 10, ff(ANP).namespaces(all()).ingress(rule("Pass", "cluster", "all")))),
                        refs("cluster BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 default [ingress] all"),
                        iso(D, N, false, false)),
                row("a Pass overrides an admin Deny of higher priority number",
                        shop(anp("deny-all", 20, ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all"))),
                                anp("pass-all", 10, ff(ANP).namespaces(all()).ingress(rule("Pass", "cluster", "all")))),
                        refs(), Isolation.NONE),
                row("an Allow for some pods weakens a Deny to PARTIAL",
                        shop(anp("deny-all", 20, ff(ANP).namespaces(all()).egress(rule("Deny", "all", "all"))),
                                anp("allow-web", 10, ff(ANP).namespaces(all()).pods(labels("app", "web"))
                                        .egress(rule("Allow", "all", "all")))),
                        refs("cluster AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 deny-all [egress] some"),
                        iso(N, P, false, false)),
                row("a subject of some pods fences some",
                        shop(anp("deny-web", 10, ff(ANP).namespaces(all()).pods(labels("app", "web"))
                                .ingress(rule("Deny", "cluster", "all")))),
                        refs("cluster AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 deny-web [ingress] some"),
                        iso(P, N, false, false)),
                row("a subject of another namespace never counts",
                        shop(anp("deny-billing", 10, ff(ANP).namespaces(labels("kubernetes.io/metadata.name", "billing"))
                                .ingress(rule("Deny", "cluster", "all")))),
                        refs(), Isolation.NONE),
                row("kubernetes.io/metadata.name is known even when the labels lack it",
                        ns("shop", Map.of(), anp("deny-shop", 10, ff(ANP).namespaces(labels("kubernetes.io/metadata.name", "shop"))
                                .ingress(rule("Deny", "cluster", "all")))),
                        refs("cluster AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 deny-shop [ingress] all"),
                        iso(D, N, false, false)),
                row("ClusterNetworkPolicy v1alpha2 tier Baseline deny",
                        shop(clusterNp("baseline-deny", "Baseline", 100, ff(CNP).namespaces(all())
                                .ingress(rule("Deny", "cluster", "all")).egress(rule("Deny", "all", "all")))),
                        refs("cluster ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 baseline-deny [ingress, egress] all"),
                        iso(D, D, false, false)),
                row("a ClusterNetworkPolicy tier Admin Accept overrides a tier Baseline Deny",
                        shop(clusterNp("baseline-deny", "Baseline", 100, ff(CNP).namespaces(all())
                                        .ingress(rule("Deny", "cluster", "all")).egress(rule("Deny", "all", "all"))),
                                clusterNp("accept-egress", "Admin", 900, ff(CNP).namespaces(all()).egress(rule("Accept", "all", "all")))),
                        refs("cluster ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 baseline-deny [ingress] all"),
                        iso(D, N, false, true)),
                row("an admin Deny shadows a baseline Accept",
                        shop(clusterNp("baseline-accept", "Baseline", 1, ff(CNP).namespaces(all()).egress(rule("Accept", "all", "all"))),
                                clusterNp("admin-deny", "Admin", 900, ff(CNP).namespaces(all()).egress(rule("Deny", "all", "all")))),
                        refs("cluster ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 admin-deny [egress] all"),
                        iso(N, D, false, false)),
                row("a ClusterNetworkPolicy of an unknown tier is ignored",
                        shop(clusterNp("odd", "Platform", 1, ff(CNP).namespaces(all()).ingress(rule("Deny", "cluster", "all")))),
                        refs(), Isolation.NONE),
                row("an admin policy with a problem is ignored",
                        shop(banp(ff(ANP).namespaces(all()).ingress(rule("Deny", "cluster", "all")).problem("unknown peer"))),
                        refs(), Isolation.NONE));
    }

    // ---- every kind together ----

    static Stream<Arguments> together() {
        PolicyFacts denyIn = new PolicyFacts(all(), List.of("Ingress"), null, null);
        return Stream.of(
                row("NetworkPolicy alone keeps its behaviour",
                        withPolicies(List.of("deny-in"), List.of(denyIn)),
                        refs("namespace NetworkPolicy networking.k8s.io/v1 deny-in [ingress] all"), iso(D, N, false, false)),
                row("the strongest grade per direction over every kind",
                        withPolicies(List.of("deny-in"), List.of(denyIn),
                                gnp("web", ff(CALICO).podExpression("app == 'web'").types("Egress")),
                                ccnp("default-deny-egress", ff(CILIUM).pods(all()).egress(rule("Allow", "some", "some")))),
                        refs("namespace NetworkPolicy networking.k8s.io/v1 deny-in [ingress] all",
                                "cluster CiliumClusterwideNetworkPolicy cilium.io/v2 default-deny-egress [egress] all",
                                "cluster GlobalNetworkPolicy projectcalico.org/v3 web [egress] some"),
                        iso(D, A, false, false)),
                row("sorted by scope, kind and name",
                        withPolicies(List.of("c"), List.of(denyIn),
                                gnp("z", ff(CALICO).types("Ingress")),
                                ccnp("y", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all"))),
                                calicoNp("shop", "b", ff(CALICO).types("Ingress")),
                                cnp("shop", "a", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all"))),
                                banpDefault()),
                        refs("namespace CiliumNetworkPolicy cilium.io/v2 a [ingress] all",
                                "namespace NetworkPolicy projectcalico.org/v3 b [ingress] all",
                                "namespace NetworkPolicy networking.k8s.io/v1 c [ingress] all",
                                "cluster BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 default [ingress] all",
                                "cluster CiliumClusterwideNetworkPolicy cilium.io/v2 y [ingress] all",
                                "cluster GlobalNetworkPolicy projectcalico.org/v3 z [ingress] all"),
                        iso(D, N, false, false)),
                row("allow-all from any kind sets the flag",
                        withPolicies(List.of("deny-in"), List.of(denyIn),
                                ccnp("open", ff(CILIUM).pods(all()).ingress(rule("Allow", "all", "all")))),
                        refs("namespace NetworkPolicy networking.k8s.io/v1 deny-in [ingress] all",
                                "cluster CiliumClusterwideNetworkPolicy cilium.io/v2 open [ingress] all"),
                        iso(D, N, true, false)));
    }

    @ParameterizedTest(name = "calico: {0}")
    @MethodSource("calico")
    void shouldFenceAsCalicoDoesWhenJudgingCalicoPolicies(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "cilium: {0}")
    @MethodSource("cilium")
    void shouldFenceAsCiliumDoesWhenJudgingCiliumPolicies(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "admin: {0}")
    @MethodSource("admin")
    void shouldFenceByTierAndPriorityWhenJudgingAdminPolicies(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "together: {0}")
    @MethodSource("together")
    void shouldCountEveryKindTogetherWhenSeveralFence(Row row) {
        check(row);
    }

    @Test
    void shouldGiveNothingWhenNoPolicyExists() {
        assertThat(Fences.of(shop())).isEqualTo(new Fencing(List.of(), Isolation.NONE));
    }

    private static void check(Row row) {
        Fencing f = Fences.of(row.state());
        assertThat(f.fencedBy()).extracting(FencesTest::text).containsExactlyElementsOf(row.fencedBy());
        assertThat(f.effective()).isEqualTo(row.effective());
    }

    static String text(FenceRef r) {
        return r.getScope() + " " + r.getKind() + " " + r.getApiVersion() + " " + r.getName() + " " + r.getDirections()
                + " " + r.getPods();
    }

    // ---- building facts as the collector writes them ----

    static Arguments row(String name, NamespaceState state, List<String> fencedBy, Isolation effective) {
        return Arguments.of(new Row(name, state, fencedBy, effective));
    }

    static List<String> refs(String... refs) {
        return List.of(refs);
    }

    static Isolation iso(Grade in, Grade out, boolean inAll, boolean outAll) {
        return new Isolation(in, out, inAll, outAll);
    }

    static NamespaceState shop(Fence... fences) {
        return ns("shop", SHOP_LABELS, fences);
    }

    static NamespaceState ns(String name, Map<String, String> labels, Fence... fences) {
        return new NamespaceState(name, new NamespaceFacts("Active", labels, Map.of(), LONG_AGO, null), List.of(),
                LONG_AGO.toEpochMilli(), List.of(), List.of(fences));
    }

    static NamespaceState withPolicies(List<String> names, List<PolicyFacts> policies, Fence... fences) {
        return new NamespaceState("shop", new NamespaceFacts("Active", SHOP_LABELS, Map.of(), LONG_AGO, null), policies,
                LONG_AGO.toEpochMilli(), names, List.of(fences));
    }

    static Fence calicoNp(String namespace, String name, FF facts) {
        return new Fence(Kind.CALICO_NETWORK_POLICY, namespace, name, facts.build());
    }

    static Fence gnp(String name, FF facts) {
        return new Fence(Kind.CALICO_GLOBAL_NETWORK_POLICY, null, name, facts.build());
    }

    static Fence cnp(String namespace, String name, FF facts) {
        return new Fence(Kind.CILIUM_NETWORK_POLICY, namespace, name, facts.build());
    }

    static Fence ccnp(String name, FF facts) {
        return new Fence(Kind.CILIUM_CLUSTERWIDE_NETWORK_POLICY, null, name, facts.build());
    }

    static Fence anp(String name, double priority, FF facts) {
        return new Fence(Kind.ADMIN_NETWORK_POLICY, null, name, facts.order(priority).build());
    }

    static Fence banp(FF facts) {
        return new Fence(Kind.BASELINE_ADMIN_NETWORK_POLICY, null, "default", facts.build());
    }

    static Fence clusterNp(String name, String tier, double priority, FF facts) {
        return new Fence(Kind.CLUSTER_NETWORK_POLICY, null, name, facts.tier(tier).order(priority).build());
    }

    static FenceRule rule(String action, String peers, String ports) {
        return new FenceRule(action, peers, ports);
    }

    static LabelSelector all() {
        return new LabelSelector(Map.of(), List.of());
    }

    static LabelSelector labels(String key, String value) {
        return new LabelSelector(Map.of(key, value), List.of());
    }

    static FF ff(String apiVersion) {
        return new FF(apiVersion);
    }

    /** FenceFacts, field by field as the .avsc documents them; unset fields stay null. */
    static final class FF {
        final String apiVersion;
        String tier;
        Double order;
        LabelSelector pods;
        LabelSelector namespaces;
        String podExpression;
        String namespaceExpression;
        List<String> types;
        List<FenceRule> ingress;
        List<FenceRule> egress;
        Boolean defaultDenyIngress;
        Boolean defaultDenyEgress;
        String problem;

        FF(String apiVersion) {
            this.apiVersion = apiVersion;
        }

        FF tier(String v) { tier = v; return this; }
        FF order(double v) { order = v; return this; }
        FF pods(LabelSelector v) { pods = v; return this; }
        FF namespaces(LabelSelector v) { namespaces = v; return this; }
        FF podExpression(String v) { podExpression = v; return this; }
        FF namespaceExpression(String v) { namespaceExpression = v; return this; }
        FF types(String... v) { types = Arrays.asList(v); return this; }
        FF ingress(FenceRule... v) { ingress = new ArrayList<>(Arrays.asList(v)); return this; }
        FF egress(FenceRule... v) { egress = new ArrayList<>(Arrays.asList(v)); return this; }
        FF defaultDenyIngress(boolean v) { defaultDenyIngress = v; return this; }
        FF defaultDenyEgress(boolean v) { defaultDenyEgress = v; return this; }
        FF problem(String v) { problem = v; return this; }

        FenceFacts build() {
            return new FenceFacts(apiVersion, tier, order, pods, namespaces, podExpression, namespaceExpression, types,
                    ingress, egress, defaultDenyIngress, defaultDenyEgress, problem);
        }
    }
}
