package io.fencewatch.processor;

/**
 * Headers of a dead-letter record on {@code <prefix>.dlq}. The record keeps the original key (at
 * most {@link Limits#MAX_KEY_BYTES}), at most {@code --dlq-max-payload} bytes of the original value,
 * and the original headers up to a small budget; these say where it came from, why it was rejected,
 * and how large the original was, so a dead letter can never be too large to write.
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

    /** Size in bytes of the original value (absent for a tombstone). */
    public static final String ORIGINAL_SIZE = "fencewatch.dlq.original.size";
    /** SHA-256 of the original value, lower-case hex (absent for a tombstone). */
    public static final String ORIGINAL_SHA256 = "fencewatch.dlq.original.sha256";
    /** {@code true} when the value is a prefix of the original ({@code --dlq-max-payload}) or omitted. */
    public static final String TRUNCATED = "fencewatch.dlq.truncated";
    /** Size in bytes of the original key, when the key was cut to {@link Limits#MAX_KEY_BYTES}. */
    public static final String ORIGINAL_KEY_SIZE = "fencewatch.dlq.original.key.size";
    /** How many original headers were not copied (over the budget of a dead letter). */
    public static final String HEADERS_DROPPED = "fencewatch.dlq.headers.dropped";
    /** Why, as a stable word: {@code unreadable}, {@code invalid}, {@code too-large}, {@code key-too-long},
     *  {@code header-flood}, {@code facts-too-large}, {@code invalid-name}, {@code unlisted-cluster},
     *  {@code namespace-cap}, {@code epoch-skew}, {@code epoch-not-opened}. */
    public static final String REASON = "fencewatch.dlq.reason";

    private DeadLetters() {
    }
}
