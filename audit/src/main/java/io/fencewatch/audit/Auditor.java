package io.fencewatch.audit;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.CoverageRecords;
import io.fencewatch.rules.Enforcement;
import io.fencewatch.rules.Findings;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Verdict;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.ClusterFacts;

/**
 * The rule's audit procedure on one listing: each namespace evaluated by {@code rules/} as of one
 * instant, as the coverage record the processor keeps (and the REST API shows); with the pods
 * read, FW-NP-003 too.
 */
public final class Auditor {
    private final CoverageEvaluator evaluator;
    private final Rules rules;

    public Auditor(Rules rules) {
        this.rules = rules;
        this.evaluator = new CoverageEvaluator(rules);
    }

    /**
     * One cluster's result: its rows, or why it could not be read; and FW-NP-002's verdict, null
     * when not asked for (remediate) or when the cluster could not be read; whether FW-NP-003 was
     * asked for ({@code --pods}) and, if so, why the pods could not be listed (null: they were).
     */
    public record ClusterResult(String cluster, List<NamespaceCoverage> rows, String error, Enforcement enforcement,
            String fencesProblem, boolean pods, String podsProblem) {
        public ClusterResult(String cluster, List<NamespaceCoverage> rows, String error) {
            this(cluster, rows, error, null, null);
        }

        public ClusterResult(String cluster, List<NamespaceCoverage> rows, String error, Enforcement enforcement) {
            this(cluster, rows, error, enforcement, null);
        }

        public ClusterResult(String cluster, List<NamespaceCoverage> rows, String error, Enforcement enforcement,
                String fencesProblem) {
            this(cluster, rows, error, enforcement, fencesProblem, false, null);
        }

        public boolean failed() {
            return error != null;
        }

        /** Whether FW-NP-002 holds: its verdict is ENFORCED. */
        public boolean enforced() {
            return enforcement != null && enforcement.state() == Enforcement.State.ENFORCED;
        }

        public Map<Status, Integer> counts() {
            Map<Status, Integer> counts = new EnumMap<>(Status.class);
            for (NamespaceCoverage c : rows) {
                counts.merge(c.getStatus(), 1, Integer::sum);
            }
            return counts;
        }
    }

    public Rules rules() {
        return rules;
    }

    /** FW-NP-002's verdict on the facts {@link ClusterReader#policyEngines} read. */
    public static Enforcement enforcement(ClusterFacts facts) {
        if (facts != null && facts.getPolicyEngines() == null && facts.getPolicyEngineNamespaces().isEmpty()) {
            return new Enforcement(Enforcement.State.UNKNOWN, List.of(),
                    "not looked for (--policy-engine-namespaces is empty)");
        }
        return Enforcement.of(facts);
    }

    /** The rows, their {@code enforced} unknown (null). */
    public List<NamespaceCoverage> evaluate(String cluster, List<ClusterReader.Listed> listing, Instant now) {
        return evaluate(cluster, listing, null, now);
    }

    /** The rows, their {@code enforced} from the cluster's FW-NP-002 verdict (null: unknown). */
    public List<NamespaceCoverage> evaluate(String cluster, List<ClusterReader.Listed> listing, Enforcement enforcement,
            Instant now) {
        return evaluate(cluster, listing, ClusterReader.PolicyFences.NONE, enforcement, now);
    }

    /**
     * The rows, judged with the cluster's policies of other kinds ({@code fences}) as the processor
     * judges them, their {@code enforced} from the cluster's FW-NP-002 verdict (null: unknown).
     */
    public List<NamespaceCoverage> evaluate(String cluster, List<ClusterReader.Listed> listing,
            ClusterReader.PolicyFences fences, Enforcement enforcement, Instant now) {
        return evaluate(cluster, listing, fences, null, enforcement, now);
    }

    /**
     * The rows as above and, when {@code pods} is not null and was read, FW-NP-003 on every
     * namespace's workload shapes (none for a namespace without pods); else no workload verdict.
     */
    public List<NamespaceCoverage> evaluate(String cluster, List<ClusterReader.Listed> listing,
            ClusterReader.PolicyFences fences, ClusterReader.PodShapes pods, Enforcement enforcement, Instant now) {
        Boolean enforced = enforcement == null ? null : enforcement.enforced();
        long t = now.toEpochMilli();
        List<NamespaceCoverage> rows = new ArrayList<>(listing.size());
        for (ClusterReader.Listed ns : listing) {
            // First seen now: the grace clock starts at the namespace's creation (the earlier of the two).
            NamespaceState state = new NamespaceState(ns.name(), ns.facts(), new ArrayList<>(ns.policies().values()), t,
                    new ArrayList<>(ns.policies().keySet()), fences.of(ns.name()));
            List<NamespaceState.Workload> workloads = pods == null ? null : pods.of(ns.name());
            if (workloads != null) {
                state = state.withWorkloads(workloads);
            }
            Verdict v = evaluator.evaluate(state, t);
            rows.add(CoverageRecords.of(cluster, ns.name(), ns.uid(), v, new ArrayList<>(ns.policies().keySet()),
                    rules.profile(), ns.facts().getCreatedAt(), now, now, null, enforced));
        }
        return rows;
    }

    /**
     * The OCSF Compliance Finding of a NON_COMPLIANT row: the findings topic's JSON, as a processor
     * that had just started on this cluster would open it (a namespace first seen without policy).
     */
    public static String finding(NamespaceCoverage row, String productVersion) {
        String key = row.getCluster() + "/" + row.getNamespace();
        String id = uuid("audit|" + key + "|" + row.getUpdatedAt().toEpochMilli());
        CoverageState after = CoverageRecords.stateOf(row);
        DriftEvent drift = new DriftEvent(id, row.getCluster(), row.getNamespace(), null, after,
                DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY, null, row.getUpdatedAt(), row.getProfile());
        return Findings.toJson(drift, uuid(id + "|finding"), true, row, productVersion);
    }

    /**
     * The OCSF Compliance Finding (FW-NP-003) of a row whose workloadStatus is NON_COMPLIANT, as a
     * processor that had just started on this cluster would open it (workloads found unisolated).
     */
    public static String workloadFinding(NamespaceCoverage row, String productVersion) {
        String key = row.getCluster() + "/" + row.getNamespace();
        String id = uuid("audit|" + key + "|" + row.getUpdatedAt().toEpochMilli() + "|workloads");
        DriftEvent drift = new DriftEvent(id, row.getCluster(), row.getNamespace(), null, CoverageRecords.stateOf(row),
                DriftReason.WORKLOAD_UNISOLATED, null, row.getUpdatedAt(), row.getProfile());
        return Findings.workloadJson(drift, uuid(id + "|workload-finding"), true, row, productVersion);
    }

    static String uuid(String text) {
        return UUID.nameUUIDFromBytes(text.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
