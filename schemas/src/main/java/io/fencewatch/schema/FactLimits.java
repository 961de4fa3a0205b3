package io.fencewatch.schema;

/**
 * Bounds of one inventory event that collector and processor agree on: the collector cuts facts to
 * them (and flags the event {@code truncated}), the processor dead-letters what exceeds them.
 */
public final class FactLimits {
    /** The collector's default {@code max.request.size}, the inventory topic's {@code max.message.bytes}. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1_048_576;
    /** Most entries of one map of facts (namespace labels, annotations, a selector's matchLabels). */
    public static final int MAX_MAP_ENTRIES = 1_000;
    /** Most ingress plus egress rules of one NetworkPolicy. */
    public static final int MAX_RULES = 1_000;
    /** Most peers, ports, selector terms and values in one NetworkPolicy, all counted together. */
    public static final int MAX_POLICY_ELEMENTS = 20_000;
    /** Longest Calico selector expression (spec.selector, spec.namespaceSelector) a policy may carry, in characters. */
    public static final int MAX_EXPRESSION_CHARS = 8_192;

    private FactLimits() {
    }
}
