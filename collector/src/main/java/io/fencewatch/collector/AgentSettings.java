package io.fencewatch.collector;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;

import io.fencewatch.collector.config.ClusterTarget;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.schema.Keys;

/** What one {@link ClusterAgent} needs to know; built from {@link CollectorConfig} or directly in tests. */
public record AgentSettings(String clusterId, String collectorId, String topic, int queueCapacity,
        Duration heartbeatInterval, List<String> annotationPatterns, int listPageSize, LeaseSettings lease,
        Duration unreachableAfter, List<String> policyEngineNamespaces, Set<PolicyKind> policyKinds, boolean watchPods,
        Duration podShapeDelay) {

    /** How long the shape changes of one namespace are gathered before they are published, unless configured. */
    public static final Duration DEFAULT_POD_SHAPE_DELAY = Duration.ofSeconds(1);

    /** How long the API server may fail before the agent reports the cluster UNREACHABLE, unless configured. */
    public static final Duration DEFAULT_UNREACHABLE_AFTER = Duration.ofSeconds(10);

    public AgentSettings(String clusterId, String collectorId, String topic, int queueCapacity, Duration heartbeatInterval,
            List<String> annotationPatterns, int listPageSize, LeaseSettings lease) {
        this(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns, listPageSize, lease,
                DEFAULT_UNREACHABLE_AFTER);
    }

    /** Without a look for NetworkPolicy engines (enforcement UNKNOWN): tests that do not need it. */
    public AgentSettings(String clusterId, String collectorId, String topic, int queueCapacity, Duration heartbeatInterval,
            List<String> annotationPatterns, int listPageSize, LeaseSettings lease, Duration unreachableAfter) {
        this(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns, listPageSize, lease,
                unreachableAfter, List.of());
    }

    /** Without policy kinds beyond NetworkPolicy (--policy-kinds=none): tests that do not need them. */
    public AgentSettings(String clusterId, String collectorId, String topic, int queueCapacity, Duration heartbeatInterval,
            List<String> annotationPatterns, int listPageSize, LeaseSettings lease, Duration unreachableAfter,
            List<String> policyEngineNamespaces) {
        this(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns, listPageSize, lease,
                unreachableAfter, policyEngineNamespaces, Set.of());
    }

    /** Without pods (--watch-pods=false): tests that do not need them. */
    public AgentSettings(String clusterId, String collectorId, String topic, int queueCapacity, Duration heartbeatInterval,
            List<String> annotationPatterns, int listPageSize, LeaseSettings lease, Duration unreachableAfter,
            List<String> policyEngineNamespaces, Set<PolicyKind> policyKinds) {
        this(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns, listPageSize, lease,
                unreachableAfter, policyEngineNamespaces, policyKinds, false, DEFAULT_POD_SHAPE_DELAY);
    }

    public AgentSettings {
        Keys.requireClusterId(clusterId);
        Objects.requireNonNull(podShapeDelay, "podShapeDelay");
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(unreachableAfter, "unreachableAfter");
        annotationPatterns = List.copyOf(annotationPatterns);
        policyEngineNamespaces = List.copyOf(policyEngineNamespaces);
        policyKinds = policyKinds.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(policyKinds));
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be positive");
        }
    }

    /** Leader election on a coordination.k8s.io Lease; null in {@link AgentSettings#lease()} means none. */
    public record LeaseSettings(String namespace, String name, Duration leaseDuration, Duration renewDeadline,
            Duration retryPeriod) {
        public LeaseSettings {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
        }
    }

    public static AgentSettings from(CollectorConfig config, ClusterTarget target) {
        LeaseSettings lease = null;
        if (config.get(CollectorConfig.LEADER_ELECTION)) {
            lease = new LeaseSettings(config.leaseNamespace(), config.get(CollectorConfig.LEASE_NAME),
                    config.get(CollectorConfig.LEASE_DURATION), config.get(CollectorConfig.LEASE_RENEW_DEADLINE),
                    config.get(CollectorConfig.LEASE_RETRY_PERIOD));
        }
        return new AgentSettings(target.clusterId(), config.collectorId(), config.topics().inventory(),
                config.get(CollectorConfig.QUEUE_CAPACITY), config.get(CollectorConfig.HEARTBEAT_INTERVAL),
                config.annotationPatterns(), config.get(CollectorConfig.LIST_PAGE_SIZE), lease,
                config.get(CollectorConfig.UNREACHABLE_AFTER), config.policyEngineNamespaces(), config.policyKinds(),
                config.get(CollectorConfig.WATCH_PODS), config.get(CollectorConfig.POD_SHAPE_DELAY));
    }

    public AgentSettings withLease(LeaseSettings newLease) {
        return new AgentSettings(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns,
                listPageSize, newLease, unreachableAfter, policyEngineNamespaces, policyKinds, watchPods, podShapeDelay);
    }

    public AgentSettings withPolicyEngineNamespaces(List<String> namespaces) {
        return new AgentSettings(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns,
                listPageSize, lease, unreachableAfter, namespaces, policyKinds, watchPods, podShapeDelay);
    }

    public AgentSettings withPolicyKinds(Set<PolicyKind> kinds) {
        return new AgentSettings(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns,
                listPageSize, lease, unreachableAfter, policyEngineNamespaces, kinds, watchPods, podShapeDelay);
    }

    public AgentSettings withCollectorId(String id) {
        return new AgentSettings(clusterId, id, topic, queueCapacity, heartbeatInterval, annotationPatterns,
                listPageSize, lease, unreachableAfter, policyEngineNamespaces, policyKinds, watchPods, podShapeDelay);
    }

    /** With or without pods (--watch-pods) and their shapes' gathering delay (--pod-shape-delay). */
    public AgentSettings withPods(boolean watch, Duration shapeDelay) {
        return new AgentSettings(clusterId, collectorId, topic, queueCapacity, heartbeatInterval, annotationPatterns,
                listPageSize, lease, unreachableAfter, policyEngineNamespaces, policyKinds, watch, shapeDelay);
    }
}
