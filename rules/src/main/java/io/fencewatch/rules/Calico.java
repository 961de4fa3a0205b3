package io.fencewatch.rules;

import java.util.List;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;

/** Calico NetworkPolicy and GlobalNetworkPolicy, as {@link Fences} documents them. */
final class Calico {
    /** Parsed selectors by text (empty: unreadable), so each policy's expression is parsed once, not per namespace. */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.Optional<CalicoSelector>> PARSED =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_PARSED = 4096;

    private Calico() {
    }

    /** The parsed selector, or empty when it does not parse; memoised (the tree is immutable). */
    static java.util.Optional<CalicoSelector> parsed(String text) {
        java.util.Optional<CalicoSelector> hit = PARSED.get(text);
        if (hit != null) {
            return hit;
        }
        java.util.Optional<CalicoSelector> parsed;
        try {
            parsed = java.util.Optional.of(CalicoSelector.parse(text));
        } catch (IllegalArgumentException unreadable) {
            parsed = java.util.Optional.empty();
        }
        if (PARSED.size() >= MAX_PARSED) {
            PARSED.clear(); // bounded: policies come and go, their texts with them
        }
        PARSED.put(text, parsed);
        return parsed;
    }

    /** The policy's effect on the namespace, or NONE both ways when it selects nothing there. */
    static Isolation effect(Fence f, Fences.Scope scope) {
        Truth selects = selects(f, scope);
        if (selects == Truth.FALSE) {
            return Isolation.NONE;
        }
        FenceFacts facts = f.facts();
        boolean in = appliesToIngress(facts);
        boolean out = appliesToEgress(facts);
        Direction i = in ? walk(facts.getIngress()) : Direction.NOT_ISOLATED;
        Direction o = out ? walk(facts.getEgress()) : Direction.NOT_ISOLATED;
        boolean all = selects == Truth.TRUE;
        return new Isolation(i.isolates ? Fences.grade(selects, i.allowsSome) : Grade.NONE,
                o.isolates ? Fences.grade(selects, o.allowsSome) : Grade.NONE,
                all && i.allowsAll, all && o.allowsAll);
    }

    /**
     * Which pods of the namespace the policy selects: its selector over the pods' labels, ANDed for a
     * GlobalNetworkPolicy with its namespaceSelector over the namespace's. FALSE for a selector that
     * does not parse.
     */
    static Truth selects(Fence f, Fences.Scope scope) {
        FenceFacts facts = f.facts();
        Truth ns = Truth.TRUE;
        if (f.kind() == Kind.CALICO_GLOBAL_NETWORK_POLICY && !isBlank(facts.getNamespaceExpression())) {
            java.util.Optional<CalicoSelector> sel = parsed(facts.getNamespaceExpression());
            if (sel.isEmpty()) {
                return Truth.FALSE;
            }
            ns = sel.get().evaluate(scope::calicoNamespaceLabel);
        }
        if (ns == Truth.FALSE) {
            return ns;
        }
        java.util.Optional<CalicoSelector> pods = isBlank(facts.getPodExpression()) ? java.util.Optional.of(CalicoSelector.ALL)
                : parsed(facts.getPodExpression());
        return pods.isEmpty() ? Truth.FALSE : ns.and(pods.get().evaluate(scope::calicoPodLabel));
    }

    /** types as written, else Ingress with ingress rules or with no rules at all. */
    static boolean appliesToIngress(FenceFacts f) {
        List<String> types = f.getTypes();
        if (types == null || types.isEmpty()) {
            return hasRules(f.getIngress()) || !hasRules(f.getEgress());
        }
        return contains(types, "ingress");
    }

    /** types as written, else Egress with egress rules. */
    static boolean appliesToEgress(FenceFacts f) {
        List<String> types = f.getTypes();
        if (types == null || types.isEmpty()) {
            return hasRules(f.getEgress());
        }
        return contains(types, "egress");
    }

    record Direction(boolean isolates, boolean allowsSome, boolean allowsAll) {
        static final Direction NOT_ISOLATED = new Direction(false, false, false);
    }

    /** One direction's rules, in order (see {@link Fences}). */
    static Direction walk(List<FenceRule> rules) {
        boolean allowsSome = false;
        boolean allowsAll = false;
        boolean blocked = false; // a broad Deny or Pass came first: a later Allow admits less than everything
        if (rules != null) {
            for (FenceRule r : rules) {
                String action = Fences.norm(r.getAction());
                if (action.equals("log") || Fences.peers(r, "none")) {
                    continue;
                }
                switch (action) {
                    case "deny" -> blocked |= Fences.broad(r);
                    case "pass" -> {
                        if (Fences.matchesEverything(r) && !blocked) {
                            return new Direction(false, allowsSome, allowsAll); // all handed to the next tier
                        }
                        allowsSome = true;
                        blocked |= Fences.broad(r);
                    }
                    default -> { // Allow, or an action this reader does not know: never a deny
                        allowsSome = true;
                        allowsAll |= Fences.matchesEverything(r) && !blocked;
                    }
                }
                if (Fences.matchesEverything(r)) {
                    break; // every later rule is unreachable
                }
            }
        }
        return new Direction(true, allowsSome, allowsAll);
    }

    private static boolean hasRules(List<FenceRule> rules) {
        return rules != null && !rules.isEmpty();
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static boolean contains(List<String> types, String wanted) {
        for (String t : types) {
            if (Fences.norm(t).equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
