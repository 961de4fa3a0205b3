package io.fencewatch.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.CoverageRecords;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Rules;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * FW-NP-003 coverage rows built the way the processor builds them: a {@link NamespaceState} with
 * workload shapes, judged by the {@link CoverageEvaluator}, written by {@link CoverageRecords#of}.
 */
final class WorkloadRows {
    static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");

    private WorkloadRows() {
    }

    /** One workload shape: {@code pods} pods of {@code kind}/{@code owner} with these labels. */
    static NamespaceState.Workload shape(String kind, String owner, Map<String, String> labels, int pods, boolean hostNetwork) {
        return new NamespaceState.Workload(kind + "/" + owner + "/0badcafe",
                new WorkloadFacts(kind, owner, labels, List.of(), pods, hostNetwork));
    }

    /** A networking.k8s.io NetworkPolicy for ingress that selects the pods labelled {@code app=<app>}. */
    static PolicyFacts ingressFor(String app) {
        return new PolicyFacts(new LabelSelector(Map.of("app", app), List.of()), List.of("Ingress"), null, null);
    }

    /** The row of a namespace whose pods the collector watches: these policies and these shapes. */
    static NamespaceCoverage row(String cluster, String namespace, List<PolicyFacts> policies,
            List<NamespaceState.Workload> workloads) {
        return build(cluster, namespace, policies, workloads, true);
    }

    /** The row of a namespace whose pods are not known (the collector runs without --watch-pods). */
    static NamespaceCoverage podsNotKnown(String cluster, String namespace, List<PolicyFacts> policies) {
        return build(cluster, namespace, policies, List.of(), false);
    }

    private static NamespaceCoverage build(String cluster, String namespace, List<PolicyFacts> policies,
            List<NamespaceState.Workload> workloads, boolean podsKnown) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            names.add("policy-" + i);
        }
        NamespaceState state = new NamespaceState(namespace, new NamespaceFacts("Active", Map.of(), Map.of(), LONG_AGO, null),
                policies, LONG_AGO.toEpochMilli(), names, List.of(), workloads, podsKnown);
        Instant now = Instant.now();
        return CoverageRecords.of(cluster, namespace, "uid-" + namespace,
                new CoverageEvaluator(Rules.defaults()).evaluate(state, now.toEpochMilli()), names, Profile.BASELINE,
                LONG_AGO, now.minusSeconds(60), now, null, null);
    }
}
