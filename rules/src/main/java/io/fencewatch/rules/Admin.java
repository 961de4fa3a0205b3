package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;

/**
 * AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy, judged together because
 * their precedence crosses policies (see {@link Fences}).
 */
final class Admin {
    private Admin() {
    }

    enum Tier { ADMIN, BASELINE }

    enum Action { ALLOW, DENY, PASS }

    /** A policy's first broad rule in one direction (null when it has none) and whether anything was let through before it. */
    record Terminal(Action action, boolean allowsBefore) {
    }

    record Subject(Fence fence, Tier tier, double priority, Truth selects, Terminal ingress, Terminal egress) {
        Terminal terminal(boolean ingressSide) {
            return ingressSide ? ingress : egress;
        }
    }

    /** Each policy's effect on the namespace (NONE both ways when it selects nothing there). */
    static Map<Fence, Isolation> effects(List<Fence> fences, Fences.Scope scope) {
        Map<Fence, Isolation> out = new IdentityHashMap<>();
        List<Subject> subjects = new ArrayList<>();
        for (Fence f : fences) {
            Subject s = subject(f, scope);
            if (s == null || s.selects() == Truth.FALSE) {
                out.put(f, Isolation.NONE);
            } else {
                subjects.add(s);
            }
        }
        for (Subject s : subjects) {
            Side in = side(s, subjects, true);
            Side eg = side(s, subjects, false);
            out.put(s.fence(), new Isolation(in.grade, eg.grade, in.allowsAll, eg.allowsAll));
        }
        return out;
    }

    private record Side(Grade grade, boolean allowsAll) {
        static final Side NONE = new Side(Grade.NONE, false);
    }

    private static Side side(Subject s, List<Subject> all, boolean ingress) {
        Terminal t = s.terminal(ingress);
        if (t == null) {
            return Side.NONE;
        }
        if (t.action() == Action.DENY) {
            Truth overridden = Truth.FALSE;
            for (Subject q : all) {
                Terminal qt = q.terminal(ingress);
                if (q == s || qt == null || qt.action() == Action.DENY) {
                    continue;
                }
                boolean sameTier = q.tier() == s.tier() && q.priority() <= s.priority();
                boolean adminAllowOverBaseline = q.tier() == Tier.ADMIN && s.tier() == Tier.BASELINE
                        && qt.action() == Action.ALLOW;
                if (sameTier || adminAllowOverBaseline) {
                    overridden = overridden.or(q.selects());
                }
            }
            if (overridden == Truth.TRUE) {
                return Side.NONE;
            }
            Truth isolated = s.selects().and(overridden.not());
            return new Side(Fences.grade(isolated, t.allowsBefore()), false);
        }
        if (t.action() == Action.ALLOW && s.selects() == Truth.TRUE) {
            for (Subject q : all) {
                Terminal qt = q.terminal(ingress);
                if (q == s || qt == null || qt.action() == Action.ALLOW || q.selects() != Truth.TRUE) {
                    continue;
                }
                boolean sameTier = q.tier() == s.tier() && q.priority() < s.priority();
                boolean adminDenyOverBaseline = q.tier() == Tier.ADMIN && s.tier() == Tier.BASELINE
                        && qt.action() == Action.DENY;
                if (sameTier || adminDenyOverBaseline) {
                    return Side.NONE; // shadowed: the allow is never reached
                }
            }
            return new Side(Grade.NONE, true);
        }
        return Side.NONE; // a Pass isolates nothing
    }

    /** The policy's tier, priority, subject and terminal rules; null for one that cannot be placed. */
    static Subject subject(Fence f, Fences.Scope scope) {
        FenceFacts facts = f.facts();
        Tier tier = switch (f.kind()) {
            case ADMIN_NETWORK_POLICY -> Tier.ADMIN;
            case BASELINE_ADMIN_NETWORK_POLICY -> Tier.BASELINE;
            case CLUSTER_NETWORK_POLICY -> switch (Fences.norm(facts.getTier())) {
                case "admin" -> Tier.ADMIN;
                case "baseline" -> Tier.BASELINE;
                default -> null;
            };
            default -> null;
        };
        if (tier == null) {
            return null;
        }
        double priority = facts.getOrder() == null ? Double.POSITIVE_INFINITY : facts.getOrder();
        Truth namespaces = LabelSelectors.evaluate(facts.getNamespaceSelector(), scope::namespaceLabel);
        Truth pods = facts.getPodSelector() == null ? Truth.TRUE
                : LabelSelectors.evaluate(facts.getPodSelector(), scope::podLabel);
        return new Subject(f, tier, priority, namespaces.and(pods), terminal(facts.getIngress()),
                terminal(facts.getEgress()));
    }

    /** The first rule of peers all or cluster on all ports, and whether an earlier rule lets something through. */
    static Terminal terminal(List<FenceRule> rules) {
        if (rules == null) {
            return null;
        }
        boolean allowsBefore = false;
        for (FenceRule r : rules) {
            if (Fences.peers(r, "none")) {
                continue;
            }
            Action action = switch (Fences.norm(r.getAction())) {
                case "deny" -> Action.DENY;
                case "pass" -> Action.PASS;
                default -> Action.ALLOW; // Allow (v1alpha1), Accept (v1alpha2), or unknown: never a deny
            };
            if (Fences.broad(r)) {
                return new Terminal(action, allowsBefore);
            }
            allowsBefore |= action != Action.DENY;
        }
        return null;
    }
}
