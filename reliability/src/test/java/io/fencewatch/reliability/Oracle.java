package io.fencewatch.reliability;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;

/**
 * The rule's own audit procedure (DESIGN.md), computed from the final cluster state:
 * non-compliant = {namespaces} - {system} - {exempt} - {namespaces with at least one NetworkPolicy}.
 * No namespace is exempted in these scenarios; grace periods are 0, so nothing is PENDING.
 */
final class Oracle {
    static final Set<String> SYSTEM = Set.of("kube-system", "kube-public", "kube-node-lease", "default");

    private Oracle() {
    }

    /** Namespaces, and the number of NetworkPolicies per namespace (policies of absent namespaces allowed). */
    record ClusterState(Set<String> namespaces, Map<String, Integer> policies) {
        boolean hasPolicy(String ns) {
            return policies.getOrDefault(ns, 0) > 0;
        }
    }

    static Set<String> nonCompliant(ClusterState state) {
        Set<String> out = new TreeSet<>();
        for (String ns : state.namespaces()) {
            if (!SYSTEM.contains(ns) && !state.hasPolicy(ns)) {
                out.add(ns);
            }
        }
        return out;
    }

    /** The whole expected table: status per namespace. */
    static Map<String, Status> expected(ClusterState state) {
        Map<String, Status> out = new TreeMap<>();
        for (String ns : state.namespaces()) {
            out.put(ns, SYSTEM.contains(ns) ? Status.EXEMPT
                    : state.hasPolicy(ns) ? Status.COMPLIANT : Status.NON_COMPLIANT);
        }
        return out;
    }

    /** The table of one cluster as the processor has it: status per namespace. */
    static Map<String, Status> actual(Map<String, NamespaceCoverage> table, String cluster) {
        Map<String, Status> out = new TreeMap<>();
        table.forEach((key, c) -> {
            if (key.startsWith(cluster + "/")) {
                out.put(c.getNamespace(), c.getStatus());
            }
        });
        return out;
    }

    /** Fails, showing the difference, unless the cluster's table is the audit of {@code state}. */
    static void assertTable(Map<String, NamespaceCoverage> table, String cluster, ClusterState state) {
        org.assertj.core.api.Assertions.assertThat(actual(table, cluster))
                .as("table of cluster %s vs. the audit of the cluster", cluster).isEqualTo(expected(state));
    }

    static Set<String> nonCompliant(Map<String, Status> table) {
        Set<String> out = new TreeSet<>();
        table.forEach((ns, s) -> {
            if (s == Status.NON_COMPLIANT) {
                out.add(ns);
            }
        });
        return out;
    }
}
