package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.List;

import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * Which policies, of every kind, fence one namespace, and the isolation they give it together: a
 * pure function of the namespace's {@link NamespaceState}.
 */
public final class Fences {
    public static final String NETWORKING_V1 = "networking.k8s.io/v1";

    private Fences() {
    }

    public static Fencing of(NamespaceState state) {
        List<FenceRef> refs = new ArrayList<>();
        List<PolicyFacts> policies = state.policies();
        for (int i = 0; i < policies.size(); i++) {
            PolicyFacts p = policies.get(i);
            List<String> directions = new ArrayList<>(2);
            if (Isolation.appliesToIngress(p)) {
                directions.add("ingress");
            }
            if (Isolation.appliesToEgress(p)) {
                directions.add("egress");
            }
            if (directions.isEmpty()) {
                continue;
            }
            String name = state.policyNames().isEmpty() ? "#" + i : state.policyNames().get(i);
            refs.add(new FenceRef("NetworkPolicy", NETWORKING_V1, name, "namespace", directions,
                    Isolation.isEmpty(p.getPodSelector()) ? "all" : "some"));
        }
        return new Fencing(refs, Isolation.of(policies));
    }
}
