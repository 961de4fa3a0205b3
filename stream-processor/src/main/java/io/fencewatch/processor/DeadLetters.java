package io.fencewatch.processor;

/**
 * Headers of a dead-letter record on {@code <prefix>.dlq}. The record keeps the original key,
 * value and headers; these say where it came from and why it was rejected.
 */
public final class DeadLetters {
    /** Source topic. */
    public static final String TOPIC = "fencewatch.dlq.topic";
    /** Source partition. */
    public static final String PARTITION = "fencewatch.dlq.partition";
    /** Source offset. */
    public static final String OFFSET = "fencewatch.dlq.offset";
    /** {@code deserialization} (unreadable) or {@code processing} (readable but rejected or failed). */
    public static final String STAGE = "fencewatch.dlq.stage";
    /** The error in one line: exception type and message (never the payload). */
    public static final String ERROR = "fencewatch.dlq.error";
    /** The exception's class name. */
    public static final String ERROR_CLASS = "fencewatch.dlq.error.class";
    /** When the record was rejected (processor clock, RFC 3339). */
    public static final String TIME = "fencewatch.dlq.time";

    private DeadLetters() {
    }
}
