package io.fencewatch.rules;

import java.util.List;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;

/** CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, as {@link Fences} documents them. */
final class Cilium {
    private Cilium() {
    }

    static Isolation effect(Fence f, Fences.Scope scope) {
        FenceFacts facts = f.facts();
        // A null endpointSelector is a nodeSelector policy: it selects nodes, no pod.
        Truth selects = LabelSelectors.evaluate(facts.getPodSelector(), scope::ciliumLabel);
        if (selects == Truth.FALSE) {
            return Isolation.NONE;
        }
        Direction in = direction(facts.getIngress(), facts.getDefaultDenyIngress());
        Direction out = direction(facts.getEgress(), facts.getDefaultDenyEgress());
        boolean all = selects == Truth.TRUE;
        return new Isolation(in.isolates ? Fences.grade(selects, in.allowsSome) : Grade.NONE,
                out.isolates ? Fences.grade(selects, out.allowsSome) : Grade.NONE,
                all && in.allowsAll, all && out.allowsAll);
    }

    record Direction(boolean isolates, boolean allowsSome, boolean allowsAll) {
    }

    /** One direction: its rules (allow rules, then deny rules) and enableDefaultDeny as written. */
    static Direction direction(List<FenceRule> rules, Boolean defaultDeny) {
        boolean hasRules = rules != null && !rules.isEmpty();
        boolean denyEverything = false;
        boolean broadDeny = false;
        boolean allowsSome = false;
        boolean allowsAll = false;
        if (rules != null) {
            for (FenceRule r : rules) {
                if (Fences.norm(r.getAction()).equals("deny")) {
                    denyEverything |= Fences.matchesEverything(r);
                    broadDeny |= Fences.broad(r);
                } else if (!Fences.peers(r, "none")) {
                    allowsSome = true;
                    allowsAll |= Fences.matchesEverything(r);
                }
            }
        }
        boolean defaultDenies = defaultDeny != null ? defaultDeny : hasRules;
        boolean isolates = defaultDenies || denyEverything;
        // Deny takes precedence over allow: a deny of everything leaves nothing allowed.
        return new Direction(isolates, allowsSome && !denyEverything, allowsAll && !broadDeny);
    }
}
