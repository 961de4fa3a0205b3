package io.fencewatch.processor;

import static io.fencewatch.processor.Policies.all;
import static io.fencewatch.processor.Policies.anything;
import static io.fencewatch.processor.Policies.anythingWrittenAsEmptyLists;
import static io.fencewatch.processor.Policies.denyAll;
import static io.fencewatch.processor.Policies.dnsToKubeSystem;
import static io.fencewatch.processor.Policies.exists;
import static io.fencewatch.processor.Policies.fromPods;
import static io.fencewatch.processor.Policies.labels;
import static io.fencewatch.processor.Policies.policy;
import static io.fencewatch.processor.Policies.remediation;
import static io.fencewatch.schema.common.Grade.ALL_PODS;
import static io.fencewatch.schema.common.Grade.DEFAULT_DENY;
import static io.fencewatch.schema.common.Grade.NONE;
import static io.fencewatch.schema.common.Grade.PARTIAL;
import static io.fencewatch.schema.drift.DriftReason.CLUSTER_RECOVERED;
import static io.fencewatch.schema.drift.DriftReason.CLUSTER_STALE;
import static io.fencewatch.schema.drift.DriftReason.EXEMPTED;
import static io.fencewatch.schema.drift.DriftReason.EXEMPTION_EXPIRED;
import static io.fencewatch.schema.drift.DriftReason.EXEMPTION_REMOVED;
import static io.fencewatch.schema.drift.DriftReason.GRACE_PERIOD_EXPIRED;
import static io.fencewatch.schema.drift.DriftReason.LAST_POLICY_DELETED;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_CREATED_EXEMPT;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_CREATED_WITH_POLICY;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_DELETED;
import static io.fencewatch.schema.drift.DriftReason.NAMESPACE_TERMINATING;
import static io.fencewatch.schema.drift.DriftReason.POLICY_ADDED;
import static io.fencewatch.schema.drift.DriftReason.POLICY_DELETED;
import static io.fencewatch.schema.drift.DriftReason.REMOVED_BY_RESYNC;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Profile;

/**
 * One row per semantic case: a scenario fed through the topology, then the namespace
 * {@code c1/team}'s final coverage, its drift reasons in order, and the finding activities.
 */
class CoverageSemanticsTest {
    static final String NS = "team";
    static final String KEY = "c1/" + NS;
    static final Instant OLD = Harness.T0.minus(Duration.ofHours(1));

    /** A scenario step, given the harness and the cluster's feed. */
    interface Script {
        void run(Harness h, Feed f);
    }

    record Expect(Status status, Grade ingress, Grade egress, boolean ingressAllowsAll, boolean egressAllowsAll,
            boolean stale, List<DriftReason> drift, List<String> findings) {
    }

    static Expect gone(List<DriftReason> drift, List<String> findings) {
        return new Expect(null, null, null, false, false, false, drift, findings);
    }

    static Expect is(Status s, Grade in, Grade out, List<DriftReason> drift, List<String> findings) {
        return new Expect(s, in, out, false, false, false, drift, findings);
    }

    static Expect allowsAll(Status s, Grade in, Grade out, boolean inAll, boolean outAll, List<DriftReason> drift) {
        return new Expect(s, in, out, inAll, outAll, false, drift, OPEN_CLOSE);
    }

    static Arguments row(String name, UnaryOperator<Rules> rules, Script script, Expect expect) {
        return Arguments.of(name, rules, script, expect);
    }

    static final UnaryOperator<Rules> BASE = r -> r;
    static final UnaryOperator<Rules> STRICT = r -> r.withProfile(Profile.STRICT);

    /** An existing namespace (created an hour ago: no grace) with the given policies, in order. */
    static Script nsWith(PolicyFacts... policies) {
        return (h, f) -> {
            h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD)));
            for (int i = 0; i < policies.length; i++) {
                h.send(f.policy(Op.UPSERT, NS, "p" + i, policies[i]));
            }
        };
    }

    static Script then(Script first, Script next) {
        return (h, f) -> {
            first.run(h, f);
            next.run(h, f);
        };
    }

    static final List<DriftReason> CREATED_THEN_ADDED = List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED);
    static final List<String> OPEN_CLOSE = List.of("Create", "Close");

    static Stream<Arguments> cases() {
        return Stream.of(
            // policyTypes defaulting
            row("policyTypes omitted, no egress rules: Ingress only", BASE,
                nsWith(policy(all(), null, List.of(fromPods("app", "web")), null)),
                is(Status.COMPLIANT, ALL_PODS, NONE, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("policyTypes omitted, egress rules: Ingress and Egress", BASE,
                nsWith(policy(all(), null, null, List.of(dnsToKubeSystem()))),
                is(Status.COMPLIANT, DEFAULT_DENY, ALL_PODS, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("policyTypes written as []: same as omitted", BASE,
                nsWith(policy(all(), List.of(), null, null)),
                is(Status.COMPLIANT, DEFAULT_DENY, NONE, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("egress-only policy: policyTypes [Egress]", BASE,
                nsWith(denyAll("Egress")),
                is(Status.COMPLIANT, NONE, DEFAULT_DENY, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("egress-only policy ignores ingress rules it does not apply", BASE,
                nsWith(policy(all(), List.of("Egress"), List.of(anything()), List.of(dnsToKubeSystem()))),
                is(Status.COMPLIANT, NONE, ALL_PODS, CREATED_THEN_ADDED, OPEN_CLOSE)),
            // selectors
            row("non-empty matchLabels selector: PARTIAL", BASE,
                nsWith(policy(labels("app", "db"), List.of("Ingress"), null, null)),
                is(Status.COMPLIANT, PARTIAL, NONE, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("matchExpressions alone make a selector non-empty", BASE,
                nsWith(policy(exists("app"), List.of("Ingress", "Egress"), null, null)),
                is(Status.COMPLIANT, PARTIAL, PARTIAL, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("podSelector {} with no rules both ways: default deny", BASE,
                nsWith(denyAll("Ingress", "Egress")),
                is(Status.COMPLIANT, DEFAULT_DENY, DEFAULT_DENY, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("strongest grade wins across policies", BASE,
                nsWith(policy(labels("app", "db"), null, null, null), denyAll()),
                is(Status.COMPLIANT, DEFAULT_DENY, NONE,
                        List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED, POLICY_ADDED), OPEN_CLOSE)),
            // allow-all
            row("allow-all ingress: a rule with no peers and no ports", BASE,
                nsWith(policy(all(), null, List.of(anything()), null)),
                allowsAll(Status.COMPLIANT, ALL_PODS, NONE, true, false, CREATED_THEN_ADDED)),
            row("allow-all written as empty peers and ports lists", BASE,
                nsWith(policy(all(), List.of("Egress"), null, List.of(anythingWrittenAsEmptyLists()))),
                allowsAll(Status.COMPLIANT, NONE, ALL_PODS, false, true, CREATED_THEN_ADDED)),
            row("allow-all rule under a non-empty selector is not allow-all", BASE,
                nsWith(policy(labels("app", "web"), null, List.of(anything()), null)),
                allowsAll(Status.COMPLIANT, PARTIAL, NONE, false, false, CREATED_THEN_ADDED)),
            // deletions
            row("one of two policies deleted", BASE,
                then(nsWith(denyAll(), policy(labels("app", "db"), null, null, null)),
                    (h, f) -> h.send(f.policy(Op.DELETE, NS, "p0", null))),
                is(Status.COMPLIANT, PARTIAL, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED,
                        POLICY_DELETED), OPEN_CLOSE)),
            row("last policy deleted", BASE,
                then(nsWith(denyAll()), (h, f) -> h.send(f.policy(Op.DELETE, NS, "p0", denyAll()))),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED,
                        LAST_POLICY_DELETED), List.of("Create", "Close", "Create"))),
            row("namespace deleted with its policies; late policy delete is a no-op", BASE,
                then(nsWith(denyAll()), (h, f) -> {
                    h.send(f.namespace(Op.DELETE, NS, Feed.active(OLD)));
                    h.send(f.policy(Op.DELETE, NS, "p0", denyAll()));
                }),
                gone(List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED, NAMESPACE_DELETED), OPEN_CLOSE)),
            row("namespace without policy deleted: finding closed", BASE,
                then(nsWith(), (h, f) -> h.send(f.namespace(Op.DELETE, NS, null))),
                gone(List.of(NAMESPACE_CREATED_WITHOUT_POLICY, NAMESPACE_DELETED), OPEN_CLOSE)),
            row("policy arriving before its namespace", BASE,
                (h, f) -> {
                    h.send(f.policy(Op.UPSERT, NS, "p0", denyAll()));
                    h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD)));
                },
                is(Status.COMPLIANT, DEFAULT_DENY, NONE, List.of(NAMESPACE_CREATED_WITH_POLICY), List.of())),
            row("policy deleted before its namespace ever arrives leaves nothing", BASE,
                (h, f) -> {
                    h.send(f.policy(Op.UPSERT, NS, "p0", denyAll()));
                    h.send(f.policy(Op.DELETE, NS, "p0", null));
                },
                gone(List.of(), List.of())),
            // terminating
            row("Terminating phase: not alerted", BASE,
                then(nsWith(), (h, f) -> h.send(f.namespace(Op.UPSERT, NS,
                        Feed.facts("Terminating", Map.of(), Map.of(), OLD, null)))),
                is(Status.TERMINATING, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, NAMESPACE_TERMINATING),
                        OPEN_CLOSE)),
            row("deletionTimestamp set: Terminating", BASE,
                then(nsWith(), (h, f) -> h.send(f.namespace(Op.UPSERT, NS,
                        Feed.facts("Active", Map.of(), Map.of(), OLD, h.now())))),
                is(Status.TERMINATING, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, NAMESPACE_TERMINATING),
                        OPEN_CLOSE)),
            // epochs
            row("epoch sweep: namespace gone while the collector was away", BASE,
                then(nsWith(denyAll()), (h, f) -> {
                    h.send(f.syncStart(2_000));
                    h.send(f.namespace(Op.SNAPSHOT, "other", Feed.active(OLD)));
                    h.send(f.syncEnd());
                }),
                gone(List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED, REMOVED_BY_RESYNC), OPEN_CLOSE)),
            row("epoch sweep: policy gone while the collector was away", BASE,
                then(nsWith(denyAll()), (h, f) -> {
                    h.send(f.syncStart(2_000));
                    h.send(f.namespace(Op.SNAPSHOT, NS, Feed.active(OLD)));
                    h.send(f.syncEnd());
                }),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED,
                        LAST_POLICY_DELETED), List.of("Create", "Close", "Create"))),
            row("epoch resnapshot of unchanged state: no drift", BASE,
                then(nsWith(denyAll()), (h, f) -> {
                    h.send(f.syncStart(2_000));
                    h.send(f.namespace(Op.SNAPSHOT, NS, Feed.active(OLD)));
                    h.send(f.policy(Op.SNAPSHOT, NS, "p0", denyAll()));
                    h.send(f.syncEnd());
                }),
                is(Status.COMPLIANT, DEFAULT_DENY, NONE, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("event of an older epoch is ignored", BASE,
                then(nsWith(), (h, f) -> {
                    h.send(f.syncStart(2_000));
                    h.send(f.namespace(Op.SNAPSHOT, NS, Feed.active(OLD)));
                    h.send(f.syncEnd());
                    f.epoch = 1_000;
                    f.sequence = 100;
                    h.send(f.policy(Op.UPSERT, NS, "late", denyAll()));
                }),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY), List.of("Create"))),
            row("duplicate and stale sequences are ignored", BASE,
                (h, f) -> {
                    h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD)));
                    var add = f.policy(Op.UPSERT, NS, "p0", denyAll());
                    h.send(add);
                    h.send(f.policy(Op.DELETE, NS, "p0", null));
                    h.send(add);
                    f.sequence -= 3;
                    h.send(f.policy(Op.UPSERT, NS, "p1", denyAll()));
                },
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED,
                        LAST_POLICY_DELETED), List.of("Create", "Close", "Create"))),
            // grace period
            row("grace: new namespace is PENDING", BASE,
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.active(h.now()))),
                is(Status.PENDING, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY), List.of())),
            row("grace: policy inside the grace period means no alert at all", BASE,
                (h, f) -> {
                    h.send(f.namespace(Op.UPSERT, NS, Feed.active(h.now())));
                    h.advance(Duration.ofSeconds(20));
                    h.send(f.policy(Op.UPSERT, NS, "p0", denyAll()));
                    h.advance(Duration.ofSeconds(60));
                },
                is(Status.COMPLIANT, DEFAULT_DENY, NONE, CREATED_THEN_ADDED, List.of())),
            row("grace: expiry without policy alerts", BASE,
                (h, f) -> {
                    h.send(f.namespace(Op.UPSERT, NS, Feed.active(h.now())));
                    h.advance(Duration.ofSeconds(29));
                    h.advance(Duration.ofSeconds(2));
                },
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, GRACE_PERIOD_EXPIRED),
                        List.of("Create"))),
            row("grace: zero grace alerts at once", r -> r.withGracePeriod(Duration.ZERO),
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.active(h.now()))),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY), List.of("Create"))),
            // exemption
            row("exemption label added", BASE,
                then(nsWith(), (h, f) -> h.send(f.namespace(Op.UPSERT, NS,
                        Feed.facts("Active", Map.of(Rules.EXEMPT_LABEL, "legacy batch"), Map.of(), OLD, null)))),
                is(Status.EXEMPT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, EXEMPTED), OPEN_CLOSE)),
            row("exemption label removed", BASE,
                (h, f) -> {
                    h.send(f.namespace(Op.UPSERT, NS,
                            Feed.facts("Active", Map.of(Rules.EXEMPT_LABEL, "legacy"), Map.of(), OLD, null)));
                    h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD)));
                },
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_EXEMPT, EXEMPTION_REMOVED),
                        List.of("Create"))),
            row("exemption expires at fencewatch.io/exempt-until", BASE,
                (h, f) -> {
                    h.send(f.namespace(Op.UPSERT, NS, Feed.facts("Active", Map.of(Rules.EXEMPT_LABEL, "migration"),
                            Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "2026-06-01T12:01:00Z"), OLD, null)));
                    h.advance(Duration.ofSeconds(59));
                    h.advance(Duration.ofSeconds(2));
                },
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_EXEMPT, EXEMPTION_EXPIRED),
                        List.of("Create"))),
            row("exemption already expired on arrival is not an exemption", BASE,
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.facts("Active", Map.of(Rules.EXEMPT_LABEL, "x"),
                        Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, "2026-06-01t13:00:00+02:00"), OLD, null))),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY), List.of("Create"))),
            // staleness
            row("stale cluster: last status kept, flagged stale", r -> r.withStaleAfter(Duration.ofMinutes(2)),
                then(nsWith(), (h, f) -> h.advance(Duration.ofMinutes(3))),
                new Expect(Status.NON_COMPLIANT, NONE, NONE, false, false, true,
                        List.of(NAMESPACE_CREATED_WITHOUT_POLICY, CLUSTER_STALE), List.of("Create"))),
            row("stale cluster recovers on a heartbeat", r -> r.withStaleAfter(Duration.ofMinutes(2)),
                then(nsWith(), (h, f) -> {
                    h.advance(Duration.ofMinutes(3));
                    h.send(f.heartbeat());
                }),
                is(Status.NON_COMPLIANT, NONE, NONE,
                        List.of(NAMESPACE_CREATED_WITHOUT_POLICY, CLUSTER_STALE, CLUSTER_RECOVERED), List.of("Create"))),
            row("heartbeats keep a cluster fresh", r -> r.withStaleAfter(Duration.ofMinutes(2)),
                then(nsWith(), (h, f) -> {
                    for (int i = 0; i < 4; i++) {
                        h.advance(Duration.ofMinutes(1));
                        h.send(f.heartbeat());
                    }
                }),
                is(Status.NON_COMPLIANT, NONE, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY), List.of("Create"))),
            // strict profile
            row("strict: default deny both ways is compliant", STRICT,
                nsWith(denyAll("Ingress", "Egress")),
                is(Status.COMPLIANT, DEFAULT_DENY, DEFAULT_DENY, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("strict: the remediation policy (DNS egress only) is compliant", STRICT,
                nsWith(remediation()),
                is(Status.COMPLIANT, DEFAULT_DENY, ALL_PODS, CREATED_THEN_ADDED, OPEN_CLOSE)),
            row("strict: ingress-only default deny is not enough", STRICT,
                nsWith(denyAll()),
                is(Status.NON_COMPLIANT, DEFAULT_DENY, NONE, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED),
                        List.of("Create"))),
            row("strict: partial selectors are not enough", STRICT,
                nsWith(policy(labels("app", "db"), List.of("Ingress", "Egress"), null, null)),
                is(Status.NON_COMPLIANT, PARTIAL, PARTIAL, List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED),
                        List.of("Create"))),
            row("strict: an allow-all rule voids the default deny", STRICT,
                nsWith(denyAll("Ingress", "Egress"), policy(all(), List.of("Ingress"), List.of(anything()), null)),
                new Expect(Status.NON_COMPLIANT, DEFAULT_DENY, DEFAULT_DENY, true, false, false,
                        List.of(NAMESPACE_CREATED_WITHOUT_POLICY, POLICY_ADDED, POLICY_ADDED),
                        List.of("Create", "Close", "Create"))),
            // exemptions by configuration
            row("system namespace is exempt", BASE,
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD))),
                is(Status.EXEMPT, NONE, NONE, List.of(NAMESPACE_CREATED_EXEMPT), List.of())),
            row("exempt pattern", r -> r.withExemptPatterns(List.of("te?m*")),
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD))),
                is(Status.EXEMPT, NONE, NONE, List.of(NAMESPACE_CREATED_EXEMPT), List.of())),
            row("exempt name", r -> r.withExemptNames(Set.of(NS)),
                (h, f) -> h.send(f.namespace(Op.UPSERT, NS, Feed.active(OLD))),
                is(Status.EXEMPT, NONE, NONE, List.of(NAMESPACE_CREATED_EXEMPT), List.of())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldDeriveCoverageDriftAndFindingsWhenScenarioRuns(String name, UnaryOperator<Rules> rules, Script script,
            Expect expect) {
        Rules base = Rules.defaults();
        if (name.startsWith("system namespace")) {
            base = base.withSystemNamespaces(Set.of("kube-system", NS));
        }
        try (Harness h = new Harness(rules.apply(base))) {
            Feed f = new Feed("c1", 1_000, h::now);
            h.send(f.syncStart(1_000));
            h.send(f.syncEnd());
            script.run(h, f);

            NamespaceCoverage c = h.coverage(KEY);
            if (expect.status() == null) {
                assertThat(c).as("coverage").isNull();
            } else {
                assertThat(c).as("coverage").isNotNull();
                assertThat(c.getStatus()).as("status").isEqualTo(expect.status());
                assertThat(c.getIngress()).as("ingress").isEqualTo(expect.ingress());
                assertThat(c.getEgress()).as("egress").isEqualTo(expect.egress());
                assertThat(c.getIngressAllowsAll()).as("ingressAllowsAll").isEqualTo(expect.ingressAllowsAll());
                assertThat(c.getEgressAllowsAll()).as("egressAllowsAll").isEqualTo(expect.egressAllowsAll());
                assertThat(c.getStale()).as("stale").isEqualTo(expect.stale());
            }
            var drift = h.drift().stream().filter(r -> r.key().equals(KEY)).map(r -> r.value().getReason()).toList();
            assertThat(drift).as("drift reasons").isEqualTo(expect.drift());
            var findings = h.findings().stream().filter(r -> r.key().equals(KEY))
                    .map(r -> r.value().contains("\"activity_id\":1") ? "Create" : "Close").toList();
            assertThat(findings).as("finding activities").isEqualTo(expect.findings());

            // The compacted topic's latest record per key is the table.
            var last = h.coverageRecords().stream().filter(r -> r.key().equals(KEY)).reduce((a, b) -> b);
            if (expect.status() == null) {
                assertThat(last.map(r -> r.value())).as("coverage topic tombstone or nothing")
                        .satisfiesAnyOf(o -> assertThat(o).isEmpty(), o -> assertThat(last.get().value()).isNull());
            } else {
                assertThat(last).get().extracting(r -> r.value()).isEqualTo(c);
            }
        }
    }
}
