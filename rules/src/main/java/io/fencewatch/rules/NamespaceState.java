package io.fencewatch.rules;

import java.util.List;
import java.util.Objects;

import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * The facts the rule needs about one namespace: its name, its own facts as the collector reports
 * them, the facts of each of its NetworkPolicies (with their names, parallel), when the observer
 * first saw it (the grace clock starts at the earlier of this and the namespace's creation time),
 * and the policies of other kinds that may fence it: its own namespaced ones (Calico, Cilium) and
 * every cluster-scoped one of its cluster, and its workload shapes (the pods of one owner and one label
 * set, counted) when its collector watches pods. The stream processor builds one from its state
 * store, {@code fencewatch audit} from one list of the cluster.
 *
 * @param podsKnown whether the namespace's pods are known ({@code workloads} lists them all, none
 *                  for a namespace without pods); false when the collector does not watch pods
 */
public record NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen,
        List<String> policyNames, List<Fence> fences, List<Workload> workloads, boolean podsKnown) {

    /** One workload shape of the namespace: its id (the inventory event's name) and its facts. */
    public record Workload(String name, WorkloadFacts facts) {
        public Workload {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(facts, "facts");
        }
    }

    public NamespaceState {
        workloads = List.copyOf(workloads);
        if (!podsKnown && !workloads.isEmpty()) {
            throw new IllegalArgumentException("workloads given but pods are not known");
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(facts, "facts");
        policies = List.copyOf(policies);
        policyNames = List.copyOf(policyNames);
        fences = List.copyOf(fences);
        if (!policyNames.isEmpty() && policyNames.size() != policies.size()) {
            throw new IllegalArgumentException(policies.size() + " policies but " + policyNames.size() + " names");
        }
    }

    /** Without pods (not known). */
    public NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen,
            List<String> policyNames, List<Fence> fences) {
        this(name, facts, policies, firstSeen, policyNames, fences, List.of(), false);
    }

    /** The same namespace with its pods known: these workload shapes. */
    public NamespaceState withWorkloads(List<Workload> value) {
        return new NamespaceState(name, facts, policies, firstSeen, policyNames, fences, value, true);
    }

    /** NetworkPolicies alone, unnamed (fencedBy then names them by position). */
    public NamespaceState(String name, NamespaceFacts facts, List<PolicyFacts> policies, long firstSeen) {
        this(name, facts, policies, firstSeen, List.of(), List.of(), List.of(), false);
    }
}
