package io.fencewatch.rules;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyRule;

/**
 * The isolation a namespace's NetworkPolicies give it, per direction, with Kubernetes'
 * defaulting of {@code policyTypes}: when omitted (or empty), Ingress always applies and Egress
 * only when the policy has egress rules.
 *
 * <p>Per direction the grade is the strongest any policy of that type gives: {@code DEFAULT_DENY}
 * (an empty pod selector with no rules of that direction), then {@code ALL_PODS} (an empty pod
 * selector with rules), then {@code PARTIAL} (a non-empty selector), else {@code NONE}. The
 * allow-all flag is set when an empty-selector policy of that type has a rule with no peers and no
 * ports, which admits every peer on every port.
 */
public record Isolation(Grade ingress, Grade egress, boolean ingressAllowsAll, boolean egressAllowsAll) {

    public static final Isolation NONE = new Isolation(Grade.NONE, Grade.NONE, false, false);

    public static Isolation of(Collection<PolicyFacts> policies) {
        Grade in = Grade.NONE;
        Grade out = Grade.NONE;
        boolean inAll = false;
        boolean outAll = false;
        for (PolicyFacts p : policies) {
            boolean selectsAll = isEmpty(p.getPodSelector());
            if (appliesToIngress(p)) {
                in = stronger(in, grade(selectsAll, p.getIngress()));
                inAll |= selectsAll && admitsEverything(p.getIngress());
            }
            if (appliesToEgress(p)) {
                out = stronger(out, grade(selectsAll, p.getEgress()));
                outAll |= selectsAll && admitsEverything(p.getEgress());
            }
        }
        return new Isolation(in, out, inAll, outAll);
    }

    /**
     * The isolation the policies give the pods of one workload shape whose labels {@code pod} knows:
     * a policy whose pod selector selects them counts as one with an empty selector (it isolates all
     * of them), one that does not select them does not count, and one that cannot be decided (a
     * label the shape does not know) counts as PARTIAL.
     */
    public static Isolation forPods(Collection<PolicyFacts> policies, Label.Lookup pod) {
        Grade in = Grade.NONE;
        Grade out = Grade.NONE;
        boolean inAll = false;
        boolean outAll = false;
        for (PolicyFacts p : policies) {
            Truth selects = selects(p, pod);
            if (selects == Truth.FALSE) {
                continue;
            }
            boolean all = selects == Truth.TRUE;
            if (appliesToIngress(p)) {
                in = stronger(in, grade(all, p.getIngress()));
                inAll |= all && admitsEverything(p.getIngress());
            }
            if (appliesToEgress(p)) {
                out = stronger(out, grade(all, p.getEgress()));
                outAll |= all && admitsEverything(p.getEgress());
            }
        }
        return new Isolation(in, out, inAll, outAll);
    }

    /** Whether the policy's pod selector selects the pods {@code pod} describes (an omitted or empty one selects all). */
    public static Truth selects(PolicyFacts p, Label.Lookup pod) {
        return isEmpty(p.getPodSelector()) ? Truth.TRUE : LabelSelectors.evaluate(p.getPodSelector(), pod);
    }

    /** The stronger grade per direction and the OR of the allow-all flags. */
    public Isolation and(Isolation other) {
        return new Isolation(stronger(ingress, other.ingress), stronger(egress, other.egress),
                ingressAllowsAll || other.ingressAllowsAll, egressAllowsAll || other.egressAllowsAll);
    }

    /** Ingress applies when listed in policyTypes, or always when policyTypes is omitted. */
    public static boolean appliesToIngress(PolicyFacts p) {
        List<String> types = p.getPolicyTypes();
        if (types == null || types.isEmpty()) {
            return true;
        }
        return contains(types, "ingress");
    }

    /** Egress applies when listed in policyTypes, or, when omitted, only if there are egress rules. */
    public static boolean appliesToEgress(PolicyFacts p) {
        List<String> types = p.getPolicyTypes();
        if (types == null || types.isEmpty()) {
            return p.getEgress() != null && !p.getEgress().isEmpty();
        }
        return contains(types, "egress");
    }

    public static boolean isEmpty(LabelSelector selector) {
        return selector == null
                || ((selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                        && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty()));
    }

    private static Grade grade(boolean selectsAll, List<PolicyRule> rules) {
        if (!selectsAll) {
            return Grade.PARTIAL;
        }
        return rules == null || rules.isEmpty() ? Grade.DEFAULT_DENY : Grade.ALL_PODS;
    }

    private static boolean admitsEverything(List<PolicyRule> rules) {
        if (rules == null) {
            return false;
        }
        for (PolicyRule r : rules) {
            boolean allPeers = r.getPeers() == null || r.getPeers().isEmpty();
            boolean allPorts = r.getPorts() == null || r.getPorts().isEmpty();
            if (allPeers && allPorts) {
                return true;
            }
        }
        return false;
    }

    /** The stronger of two grades (DEFAULT_DENY over ALL_PODS over PARTIAL over NONE; UNKNOWN counts as NONE). */
    static Grade stronger(Grade a, Grade b) {
        return rank(b) > rank(a) ? b : a;
    }

    static int rank(Grade g) {
        return switch (g) {
            case NONE, UNKNOWN -> 0;
            case PARTIAL -> 1;
            case ALL_PODS -> 2;
            case DEFAULT_DENY -> 3;
        };
    }

    private static boolean contains(List<String> types, String wanted) {
        for (String t : types) {
            if (t != null && t.strip().toLowerCase(Locale.ROOT).equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
