package io.fencewatch.collector.kube;

import java.time.Instant;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/**
 * What an informer handler hands to the publisher: an immutable event made from one callback.
 * The fabric8 objects are the informer's cached instances, which nobody mutates.
 */
public sealed interface AgentEvent {
    ChangeType change();

    Instant observedAt();

    /** A namespace was added, modified or deleted. */
    record NamespaceChanged(ChangeType change, Namespace namespace, Instant observedAt) implements AgentEvent {
    }

    /** A policy of a kind beyond NetworkPolicy (Calico, Cilium, the admin policies) was added, modified or deleted. */
    record FenceChanged(ChangeType change, PolicyKind kind, GenericKubernetesResource policy, Instant observedAt)
            implements AgentEvent {
    }

    /**
     * The workload shapes of a namespace changed (pods came, went or changed their labels): the publisher
     * asks {@link WorkloadShapes#drain(String)} what changed when it takes the event. {@code observedAt}:
     * when the first change it carries was seen.
     */
    record WorkloadsChanged(String namespace, Instant observedAt) implements AgentEvent {
        @Override
        public ChangeType change() {
            return ChangeType.UPSERT;
        }
    }

    /** A NetworkPolicy was added, modified or deleted. */
    record PolicyChanged(ChangeType change, NetworkPolicy policy, Instant observedAt) implements AgentEvent {
    }
}
