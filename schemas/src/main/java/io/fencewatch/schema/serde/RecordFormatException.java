package io.fencewatch.schema.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The one exception every Fencewatch deserializer raises for bytes it cannot read: not one of our
 * records, a record of another type, truncated or corrupt. The message says why, never echoes the
 * payload. It extends Kafka's {@link SerializationException} so clients and Kafka Streams
 * exception handlers treat it as a deserialization failure.
 */
public final class RecordFormatException extends SerializationException {
    private static final long serialVersionUID = 1L;

    public RecordFormatException(String message) {
        super(message);
    }

    public RecordFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
