package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.PodCounts;
import io.fencewatch.schema.coverage.WorkloadRef;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * FW-NP-003 Every workload is selected by a NetworkPolicy: which of a namespace's pods are isolated,
 * per direction, by the policies the profile counts, judged per workload shape (the pods of one
 * owner and one label set; {@link NamespaceState.Workload}). A pure function of the namespace's
 * {@link NamespaceState} and the profile.
 * <ul>
 * <li>{@code baseline}: a shape is isolated in a direction when a networking.k8s.io NetworkPolicy of
 * its namespace that applies to that direction selects it ({@code podSelector} over its labels,
 * matchLabels and matchExpressions In, NotIn, Exists, DoesNotExist); it passes when one selects it
 * in either direction (the rule's words: selected by a NetworkPolicy).</li>
 * <li>{@code effective}: isolated in a direction when a policy of any kind isolates it there
 * ({@link Fences#forPods}: grade ALL_PODS or DEFAULT_DENY for its labels) and no policy selecting it
 * admits everything in that direction; it passes when isolated in either direction.</li>
 * <li>{@code strict}: as effective, in both directions.</li>
 * </ul>
 * A selector on a label the shape does not know ({@link WorkloadFacts#getUnknownLabels()}: the
 * per-revision keys such as {@code pod-template-hash}) never counts as selecting it. Pods on the
 * node's network ({@code hostNetwork}) are counted apart and not judged: no NetworkPolicy applies to
 * them. A policy of another namespace never counts (a NetworkPolicy selects pods of its own namespace
 * only; {@link Fences} applies the same to the other namespaced kinds).
 */
public final class Workloads {
    public static final String RULE_ID = "FW-NP-003";
    public static final String RULE_TITLE = "Every workload is selected by a NetworkPolicy";
    /** How many unisolated workload shapes a coverage record lists (the count tells the rest). */
    public static final int MAX_LISTED = 20;
    private static final int NAMED_IN_REASON = 3;

    private static final Comparator<WorkloadRef> LISTED = Comparator.comparingInt(WorkloadRef::getPods).reversed()
            .thenComparing(WorkloadRef::getKind).thenComparing(WorkloadRef::getName)
            .thenComparing(r -> String.valueOf(new java.util.TreeMap<>(r.getLabels())));

    private Workloads() {
    }

    /** How a shape's labels are looked up: its labels, UNKNOWN for its unknown keys, every other key absent. */
    public static Label.Lookup lookup(WorkloadFacts facts) {
        Map<String, String> labels = facts.getLabels() == null ? Map.of() : facts.getLabels();
        List<String> unknown = facts.getUnknownLabels() == null ? List.of() : facts.getUnknownLabels();
        Set<String> unknownSet = unknown.isEmpty() ? Set.of() : new HashSet<>(unknown);
        return key -> unknownSet.contains(key) ? Label.UNKNOWN : Label.ofNullable(labels.get(key));
    }

    /**
     * The pods' coverage, with a status from the counts alone (COMPLIANT or NON_COMPLIANT); {@link
     * CoverageEvaluator} folds in the namespace's own status (EXEMPT, TERMINATING, PENDING). Null
     * when the namespace's pods are not known.
     */
    public static WorkloadVerdict of(NamespaceState state, Profile profile) {
        if (!state.podsKnown()) {
            return null;
        }
        int total = 0;
        int isolatedIngress = 0;
        int isolatedEgress = 0;
        int hostNetwork = 0;
        int unisolatedPods = 0;
        int judgedPods = 0;
        List<WorkloadRef> unisolated = new ArrayList<>();
        // Shapes of different owners often share labels: judge each label set once.
        Map<Object, boolean[]> judged = new HashMap<>();
        for (NamespaceState.Workload w : state.workloads()) {
            WorkloadFacts f = w.facts();
            int pods = Math.max(0, f.getPods());
            total += pods;
            if (f.getHostNetwork()) {
                hostNetwork += pods;
                continue;
            }
            judgedPods += pods;
            Object labelsKey = List.of(f.getLabels() == null ? Map.of() : Map.copyOf(f.getLabels()),
                    f.getUnknownLabels() == null ? List.of() : List.copyOf(f.getUnknownLabels()));
            boolean[] io = judged.computeIfAbsent(labelsKey, k -> isolated(state, f, profile));
            if (io[0]) {
                isolatedIngress += pods;
            }
            if (io[1]) {
                isolatedEgress += pods;
            }
            List<String> missing = missing(profile, io[0], io[1]);
            if (!missing.isEmpty()) {
                unisolatedPods += pods;
                unisolated.add(new WorkloadRef(f.getOwnerKind(), f.getOwnerName(),
                        f.getLabels() == null ? new HashMap<>() : new HashMap<>(f.getLabels()), pods, missing));
            }
        }
        unisolated.sort(LISTED);
        int count = unisolated.size();
        PodCounts counts = new PodCounts(total, isolatedIngress, isolatedEgress, hostNetwork);
        String apart = hostNetwork == 0 ? "" : "; " + hostNetwork + " hostNetwork pod" + (hostNetwork == 1 ? "" : "s")
                + " apart (no NetworkPolicy applies)";
        if (count == 0) {
            String reason = total == 0 ? "no pods"
                    : judgedPods == 0 ? "only hostNetwork pods"
                    : switch (profile) {
                        case BASELINE -> "every workload selected by a NetworkPolicy";
                        case EFFECTIVE -> "every workload isolated";
                        case STRICT -> "every workload isolated for ingress and egress";
                    };
            return new WorkloadVerdict(Status.COMPLIANT, judgedPods == 0 ? reason + (total == 0 ? "" : apart)
                    : reason + apart, counts, List.of(), 0);
        }
        StringBuilder reason = new StringBuilder();
        reason.append(count).append(count == 1 ? " workload (" : " workloads (").append(unisolatedPods).append(" of ")
                .append(judgedPods).append(judgedPods == 1 ? " pod) " : " pods) ").append(switch (profile) {
                    case BASELINE -> "not selected by a NetworkPolicy";
                    case EFFECTIVE -> "not isolated by any policy";
                    case STRICT -> "not isolated both ways";
                }).append(": ");
        for (int i = 0; i < Math.min(NAMED_IN_REASON, count); i++) {
            WorkloadRef r = unisolated.get(i);
            reason.append(i == 0 ? "" : ", ").append(r.getKind()).append(' ').append(r.getName());
        }
        if (count > NAMED_IN_REASON) {
            reason.append(", …");
        }
        reason.append(apart);
        return new WorkloadVerdict(Status.NON_COMPLIANT, reason.toString(), counts,
                List.copyOf(unisolated.subList(0, Math.min(MAX_LISTED, count))), count);
    }

    /** {ingress, egress}: whether the shape is isolated in each direction, as the profile counts. */
    private static boolean[] isolated(NamespaceState state, WorkloadFacts f, Profile profile) {
        Label.Lookup pod = lookup(f);
        if (profile == Profile.BASELINE) {
            boolean in = false;
            boolean out = false;
            for (PolicyFacts p : state.policies()) {
                if (Isolation.selects(p, pod) == Truth.TRUE) {
                    in |= Isolation.appliesToIngress(p);
                    out |= Isolation.appliesToEgress(p);
                }
            }
            return new boolean[] {in, out};
        }
        Isolation iso = Fences.forPods(state, pod);
        return new boolean[] {isolatesAll(iso.ingress()) && !iso.ingressAllowsAll(),
                isolatesAll(iso.egress()) && !iso.egressAllowsAll()};
    }

    /** The directions in which a shape falls short of the profile (both for baseline and effective, which ask for either). */
    private static List<String> missing(Profile profile, boolean in, boolean out) {
        if (profile == Profile.STRICT) {
            List<String> missing = new ArrayList<>(2);
            if (!in) {
                missing.add("ingress");
            }
            if (!out) {
                missing.add("egress");
            }
            return missing;
        }
        return in || out ? List.of() : List.of("ingress", "egress");
    }

    private static boolean isolatesAll(Grade g) {
        return g == Grade.ALL_PODS || g == Grade.DEFAULT_DENY;
    }
}
