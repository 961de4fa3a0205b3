package io.fencewatch.rules;

import java.util.List;
import java.util.Objects;

import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * The facts the rule needs about one namespace: its name, its own facts as the collector reports
 * them, the facts of each of its NetworkPolicies, and when the observer first saw it (the grace
 * clock starts at the earlier of this and the namespace's creation time). The stream processor
 * builds one from its state store, {@code fencewatch audit} from one list of the cluster.
 */
public record NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen) {
    public NamespaceState {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(facts, "facts");
        policies = List.copyOf(policies);
    }
}
