package io.fencewatch.rules;

import java.util.List;
import java.util.Objects;

import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * The facts the rule needs about one namespace: its name, its own facts as the collector reports
 * them, the facts of each of its NetworkPolicies (with their names, parallel), when the observer
 * first saw it (the grace clock starts at the earlier of this and the namespace's creation time),
 * and the policies of other kinds that may fence it: its own namespaced ones (Calico, Cilium) and
 * every cluster-scoped one of its cluster. The stream processor
 * builds one from its state store, {@code fencewatch audit} from one list of the cluster.
 */
public record NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen,
        List<String> policyNames, List<Fence> fences) {
    public NamespaceState {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(facts, "facts");
        policies = List.copyOf(policies);
        policyNames = List.copyOf(policyNames);
        fences = List.copyOf(fences);
        if (!policyNames.isEmpty() && policyNames.size() != policies.size()) {
            throw new IllegalArgumentException(policies.size() + " policies but " + policyNames.size() + " names");
        }
    }

    /** NetworkPolicies alone, unnamed (fencedBy then names them by position). */
    public NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen) {
        this(name, facts, policies, firstSeen, List.of(), List.of());
    }
}
