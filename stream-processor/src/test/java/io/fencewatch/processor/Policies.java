package io.fencewatch.processor;

import java.util.List;
import java.util.Map;

import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyPort;
import io.fencewatch.schema.inventory.PolicyRule;

/** Builders of NetworkPolicy facts for tests. */
final class Policies {
    private Policies() {
    }

    static LabelSelector all() {
        return new LabelSelector(Map.of(), List.of());
    }

    static LabelSelector labels(String key, String value) {
        return new LabelSelector(Map.of(key, value), List.of());
    }

    static LabelSelector exists(String key) {
        return new LabelSelector(Map.of(), List.of(new LabelSelectorRequirement(key, "Exists", List.of())));
    }

    static PolicyFacts policy(LabelSelector pods, List<String> types, List<PolicyRule> ingress, List<PolicyRule> egress) {
        return new PolicyFacts(pods, types, ingress, egress);
    }

    /** podSelector {} with no rules and the given types (none: omitted). */
    static PolicyFacts denyAll(String... types) {
        return new PolicyFacts(all(), types.length == 0 ? null : List.of(types), null, null);
    }

    /** The remediation: deny all ingress, egress only DNS to kube-system. */
    static PolicyFacts remediation() {
        return new PolicyFacts(all(), List.of("Ingress", "Egress"), null, List.of(dnsToKubeSystem()));
    }

    static PolicyRule fromPods(String key, String value) {
        return new PolicyRule(List.of(new PolicyPeer(labels(key, value), null, null)), null);
    }

    static PolicyRule anything() {
        return new PolicyRule(null, null);
    }

    static PolicyRule anythingWrittenAsEmptyLists() {
        return new PolicyRule(List.of(), List.of());
    }

    static PolicyRule dnsToKubeSystem() {
        return new PolicyRule(
                List.of(new PolicyPeer(null, labels("kubernetes.io/metadata.name", "kube-system"), null)),
                List.of(new PolicyPort("UDP", "53", null), new PolicyPort("TCP", "53", null)));
    }
}
