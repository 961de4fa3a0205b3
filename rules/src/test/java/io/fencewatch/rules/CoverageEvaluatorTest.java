package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyPort;
import io.fencewatch.schema.inventory.PolicyRule;

/**
 * The rule as a table: one row per semantic case, facts in, status, reason, grades and exemption
 * out. The processor's TopologyTestDriver rows (CoverageSemanticsTest) check the same cases through
 * the topology; these check the pure function both the processor and {@code fencewatch audit} call.
 */
class CoverageEvaluatorTest {
    static final long NOW = Instant.parse("2026-06-01T12:00:00Z").toEpochMilli();
    static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");

    record Row(String name, Rules rules, NamespaceState state, Status status, String reasonContains,
            Grade ingress, Grade egress, boolean ingressAllowsAll, boolean egressAllowsAll, String exemptionSource) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> rows() {
        Rules base = Rules.defaults();
        Rules strict = base.withProfile(Profile.STRICT);
        return Stream.of(
                row("no policy after the grace period is NON_COMPLIANT", base, ns("shop"),
                        Status.NON_COMPLIANT, "no NetworkPolicy", Grade.NONE, Grade.NONE, false, false, null),
                row("no policy inside the grace period is PENDING", base, nsCreated("fresh", NOW - 5_000),
                        Status.PENDING, "grace period until", Grade.NONE, Grade.NONE, false, false, null),
                row("grace 0 alerts at once", base.withGracePeriod(Duration.ZERO), nsCreated("fresh", NOW),
                        Status.NON_COMPLIANT, "no NetworkPolicy", Grade.NONE, Grade.NONE, false, false, null),
                row("one policy is COMPLIANT under baseline", base, ns("shop", denyAll()),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.DEFAULT_DENY, Grade.NONE, false, false, null),
                row("two policies are counted", base, ns("shop", denyAll(), remediation()),
                        Status.COMPLIANT, "2 NetworkPolicies", Grade.DEFAULT_DENY, Grade.ALL_PODS, false, false, null),
                row("omitted policyTypes with egress rules applies both ways", base,
                        ns("shop", new PolicyFacts(all(), null, null, List.of(anything()))),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.DEFAULT_DENY, Grade.ALL_PODS, false, true, null),
                row("egress-only policy leaves ingress NONE", base, ns("shop", denyAll("Egress")),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.NONE, Grade.DEFAULT_DENY, false, false, null),
                row("a labelled selector is PARTIAL", base,
                        ns("shop", new PolicyFacts(labels("app", "web"), List.of("Ingress"), null, null)),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.PARTIAL, Grade.NONE, false, false, null),
                row("matchExpressions make a selector non-empty", base,
                        ns("shop", new PolicyFacts(new LabelSelector(Map.of(),
                                List.of(new LabelSelectorRequirement("app", "Exists", List.of()))), null, null, null)),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.PARTIAL, Grade.NONE, false, false, null),
                row("an allow-all ingress rule sets the flag", base,
                        ns("shop", new PolicyFacts(all(), List.of("Ingress"), List.of(new PolicyRule(List.of(), List.of())), null)),
                        Status.COMPLIANT, "1 NetworkPolicy", Grade.ALL_PODS, Grade.NONE, true, false, null),
                row("strict passes with default-deny both ways and DNS", strict, ns("shop", remediation()),
                        Status.COMPLIANT, "default-deny ingress and egress", Grade.DEFAULT_DENY, Grade.ALL_PODS, false, false, null),
                row("strict fails ingress-only", strict, ns("shop", denyAll("Ingress")),
                        Status.NON_COMPLIANT, "no default-deny egress", Grade.DEFAULT_DENY, Grade.NONE, false, false, null),
                row("strict fails an allow-all egress", strict,
                        ns("shop", denyAll("Ingress"), new PolicyFacts(all(), List.of("Egress"), null, List.of(anything()))),
                        Status.NON_COMPLIANT, "an egress rule allows all", Grade.DEFAULT_DENY, Grade.ALL_PODS, false, true, null),
                row("system namespaces are EXEMPT", base, ns("kube-system"),
                        Status.EXEMPT, "system namespace", Grade.NONE, Grade.NONE, false, false, "SYSTEM"),
                row("configured names are EXEMPT", base.withExemptNames(Set.of("legacy")), ns("legacy"),
                        Status.EXEMPT, "exempt by configuration", Grade.NONE, Grade.NONE, false, false, "NAME"),
                row("patterns are EXEMPT", base.withExemptPatterns(List.of("sandbox-*")), ns("sandbox-42"),
                        Status.EXEMPT, "matches exempt pattern sandbox-*", Grade.NONE, Grade.NONE, false, false, "PATTERN"),
                row("a pattern is anchored", base.withExemptPatterns(List.of("sandbox-?")), ns("my-sandbox-1"),
                        Status.NON_COMPLIANT, "no NetworkPolicy", Grade.NONE, Grade.NONE, false, false, null),
                row("the exempt label exempts with its reason", base,
                        labelled("batch", Map.of(Rules.EXEMPT_LABEL, "q3-migration"), Map.of()),
                        Status.EXEMPT, "q3-migration", Grade.NONE, Grade.NONE, false, false, "LABEL"),
                row("an exemption until a future time holds", base,
                        labelled("batch", Map.of(Rules.EXEMPT_LABEL, "legacy"),
                                Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "2026-07-01T00:00:00Z")),
                        Status.EXEMPT, "legacy (until 2026-07-01T00:00:00Z)", Grade.NONE, Grade.NONE, false, false, "LABEL"),
                row("an expired exemption is none", base,
                        labelled("batch", Map.of(Rules.EXEMPT_LABEL, "legacy"),
                                Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "2026-05-01T00:00:00Z")),
                        Status.NON_COMPLIANT, "exemption expired at 2026-05-01T00:00:00Z", Grade.NONE, Grade.NONE, false, false, null),
                row("an unparseable exempt-until is no exemption", base,
                        labelled("batch", Map.of(Rules.EXEMPT_LABEL, "legacy"), Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "soon")),
                        Status.NON_COMPLIANT, "is not RFC 3339", Grade.NONE, Grade.NONE, false, false, null),
                row("Terminating comes before everything", base,
                        new NamespaceState("kube-system", new NamespaceFacts("Terminating", Map.of(), Map.of(), LONG_AGO, null),
                                List.of(), NOW),
                        Status.TERMINATING, "being deleted", Grade.NONE, Grade.NONE, false, false, null),
                row("a deletion timestamp is Terminating", base,
                        new NamespaceState("shop", new NamespaceFacts("Active", Map.of(), Map.of(), LONG_AGO,
                                Instant.ofEpochMilli(NOW - 1)), List.of(), NOW),
                        Status.TERMINATING, "being deleted", Grade.NONE, Grade.NONE, false, false, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldGiveTheRowsVerdictWhenEvaluatingItsFacts(Row row) {
        Verdict v = new CoverageEvaluator(row.rules()).evaluate(row.state(), NOW);
        assertThat(v.status()).isEqualTo(row.status());
        assertThat(v.reason()).contains(row.reasonContains());
        assertThat(v.isolation()).isEqualTo(new Isolation(row.ingress(), row.egress(), row.ingressAllowsAll(),
                row.egressAllowsAll()));
        assertThat(v.exemption() == null ? null : v.exemption().getSource()).isEqualTo(row.exemptionSource());
    }

    /** A row of the profiles that count every kind: status, exact reason, effective isolation, fencedBy. */
    record KindsRow(String name, Rules rules, NamespaceState state, Status status, String reason, Isolation effective,
            List<String> fencedBy) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> kindsRows() {
        Rules base = Rules.defaults();
        Rules effective = base.withProfile(Profile.EFFECTIVE);
        Rules strict = base.withProfile(Profile.STRICT);
        Fence gnp = FencesTest.calicoGlobalDefaultDeny();
        String gnpRef = "cluster GlobalNetworkPolicy projectcalico.org/v3 default-deny [ingress, egress] all";
        Isolation dd = new Isolation(Grade.DEFAULT_DENY, Grade.DEFAULT_DENY, false, false);
        Fence ccnpIn = FencesTest.ccnp("deny-in", FencesTest.ff(FencesTest.CILIUM).pods(all())
                .ingress(FencesTest.rule("Allow", "none", "all")));
        Fence ccnpOpen = FencesTest.ccnp("open", FencesTest.ff(FencesTest.CILIUM).pods(all())
                .ingress(FencesTest.rule("Allow", "all", "all")));
        Fence anpAllow = FencesTest.anp("allow-all-in", 10, FencesTest.ff(FencesTest.ANP).namespaces(all())
                .ingress(FencesTest.rule("Allow", "cluster", "all")));
        Fence webOnly = FencesTest.gnp("web", FencesTest.ff(FencesTest.CALICO).podExpression("app == 'web'")
                .types("Ingress", "Egress"));
        return Stream.of(
                kindsRow("effective: a GlobalNetworkPolicy alone, no NetworkPolicy, is COMPLIANT", effective,
                        fenced("shop", List.of(), gnp), Status.COMPLIANT, "isolated by GlobalNetworkPolicy default-deny",
                        dd, List.of(gnpRef)),
                kindsRow("baseline: the same namespace stays NON_COMPLIANT (FW-NP-001 counts NetworkPolicy objects)", base,
                        fenced("shop", List.of(), gnp), Status.NON_COMPLIANT, "no NetworkPolicy", dd, List.of(gnpRef)),
                kindsRow("effective: a pod-label selector isolates only some pods", effective,
                        fenced("shop", List.of(), webOnly), Status.NON_COMPLIANT,
                        "policies isolate only some pods, in either direction",
                        new Isolation(Grade.PARTIAL, Grade.PARTIAL, false, false),
                        List.of("cluster GlobalNetworkPolicy projectcalico.org/v3 web [ingress, egress] some")),
                kindsRow("effective: no policy of any kind", effective, fenced("shop", List.of()), Status.NON_COMPLIANT,
                        "no policy of any kind isolates its pods", Isolation.NONE, List.of()),
                kindsRow("effective: an admin Allow over the baseline Deny isolates nothing", effective,
                        fenced("shop", List.of(), FencesTest.banpDefault(), anpAllow), Status.NON_COMPLIANT,
                        "no policy of any kind isolates its pods",
                        new Isolation(Grade.NONE, Grade.NONE, true, false), List.of()),
                kindsRow("strict: the Calico docs' global default deny alone is COMPLIANT", strict,
                        fenced("shop", List.of(), gnp), Status.COMPLIANT, "default-deny ingress and egress", dd,
                        List.of(gnpRef)),
                kindsRow("strict: Cilium ingress plus NetworkPolicy egress together", strict,
                        fenced("shop", List.of(denyAll("Egress")), ccnpIn), Status.COMPLIANT,
                        "default-deny ingress and egress", dd,
                        List.of("namespace NetworkPolicy networking.k8s.io/v1 #0 [egress] all",
                                "cluster CiliumClusterwideNetworkPolicy cilium.io/v2 deny-in [ingress] all")),
                kindsRow("strict: the baseline default alone misses egress", strict,
                        fenced("shop", List.of(), FencesTest.banpDefault()), Status.NON_COMPLIANT, "no default-deny egress",
                        new Isolation(Grade.DEFAULT_DENY, Grade.NONE, false, false),
                        List.of("cluster BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 default [ingress] all")),
                kindsRow("strict: an allow-all of another kind fails the default deny", strict,
                        fenced("shop", List.of(), gnp, ccnpOpen), Status.NON_COMPLIANT, "an ingress rule allows all",
                        new Isolation(Grade.DEFAULT_DENY, Grade.DEFAULT_DENY, true, false),
                        List.of("cluster CiliumClusterwideNetworkPolicy cilium.io/v2 open [ingress] all", gnpRef)),
                kindsRow("strict: an admin Allow-all overriding the baseline", strict,
                        fenced("shop", List.of(), FencesTest.banpDefault(), anpAllow), Status.NON_COMPLIANT,
                        "no default-deny ingress, no default-deny egress, an ingress rule allows all",
                        new Isolation(Grade.NONE, Grade.NONE, true, false), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kindsRows")
    void shouldCountEveryKindWhenTheProfileIsEffectiveOrStrict(KindsRow row) {
        Verdict v = new CoverageEvaluator(row.rules()).evaluate(row.state(), NOW);
        assertThat(v.status()).isEqualTo(row.status());
        assertThat(v.reason()).isEqualTo(row.reason());
        assertThat(v.fencing().effective()).isEqualTo(row.effective());
        assertThat(v.fencing().fencedBy()).extracting(FencesTest::text).containsExactlyElementsOf(row.fencedBy());
        // FW-NP-001's own view counts networking.k8s.io NetworkPolicies alone, whatever the profile.
        assertThat(v.isolation()).isEqualTo(Isolation.of(row.state().policies()));
    }

    private static Arguments kindsRow(String name, Rules rules, NamespaceState state, Status status, String reason,
            Isolation effective, List<String> fencedBy) {
        return Arguments.of(new KindsRow(name, rules, state, status, reason, effective, fencedBy));
    }

    static NamespaceState fenced(String name, List<PolicyFacts> policies, Fence... fences) {
        return new NamespaceState(name, new NamespaceFacts("Active", Map.of("kubernetes.io/metadata.name", name), Map.of(),
                LONG_AGO, null), policies, LONG_AGO.toEpochMilli(), List.of(), List.of(fences));
    }

    @org.junit.jupiter.api.Test
    void shouldNameTheDeadlineWhenTheVerdictChangesByTimeAlone() {
        CoverageEvaluator e = new CoverageEvaluator(Rules.defaults());
        assertThat(e.evaluate(nsCreated("fresh", NOW - 5_000), NOW).nextDeadline()).isEqualTo(NOW + 25_000);
        NamespaceState until = labelled("batch", Map.of(Rules.EXEMPT_LABEL, "x"),
                Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "2026-07-01T00:00:00Z"));
        assertThat(e.evaluate(until, NOW).nextDeadline())
                .isEqualTo(Instant.parse("2026-07-01T00:00:00Z").toEpochMilli());
        assertThat(e.evaluate(ns("shop"), NOW).nextDeadline()).isEqualTo(Verdict.NO_DEADLINE);
    }

    @org.junit.jupiter.api.Test
    void shouldStartTheGraceAtCreationWhenTheObserverSawTheNamespaceLater() {
        CoverageEvaluator e = new CoverageEvaluator(Rules.defaults());
        NamespaceState seenLate = new NamespaceState("old", new NamespaceFacts("Active", Map.of(), Map.of(),
                Instant.ofEpochMilli(NOW - 60_000), null), List.of(), NOW);
        assertThat(e.evaluate(seenLate, NOW).status()).isEqualTo(Status.NON_COMPLIANT);
    }

    private static Arguments row(String name, Rules rules, NamespaceState state, Status status, String reason,
            Grade in, Grade out, boolean inAll, boolean outAll, String exemption) {
        return Arguments.of(new Row(name, rules, state, status, reason, in, out, inAll, outAll, exemption));
    }

    static NamespaceState ns(String name, PolicyFacts... policies) {
        return new NamespaceState(name, new NamespaceFacts("Active", Map.of(), Map.of(), LONG_AGO, null),
                List.of(policies), LONG_AGO.toEpochMilli());
    }

    static NamespaceState nsCreated(String name, long createdAt) {
        return new NamespaceState(name, new NamespaceFacts("Active", Map.of(), Map.of(), Instant.ofEpochMilli(createdAt),
                null), List.of(), createdAt);
    }

    static NamespaceState labelled(String name, Map<String, String> labels, Map<String, String> annotations) {
        return new NamespaceState(name, new NamespaceFacts("Active", labels, annotations, LONG_AGO, null), List.of(),
                LONG_AGO.toEpochMilli());
    }

    static LabelSelector all() {
        return new LabelSelector(Map.of(), List.of());
    }

    static LabelSelector labels(String key, String value) {
        return new LabelSelector(Map.of(key, value), List.of());
    }

    static PolicyFacts denyAll(String... types) {
        return new PolicyFacts(all(), types.length == 0 ? null : List.of(types), null, null);
    }

    static PolicyRule anything() {
        return new PolicyRule(null, null);
    }

    /** The rule's remediation, as facts: deny all ingress, egress only DNS to kube-system. */
    static PolicyFacts remediation() {
        return new PolicyFacts(all(), List.of("Ingress", "Egress"), null, List.of(new PolicyRule(
                List.of(new PolicyPeer(null, labels("kubernetes.io/metadata.name", "kube-system"), null)),
                List.of(new PolicyPort("UDP", "53", null), new PolicyPort("TCP", "53", null)))));
    }
}
