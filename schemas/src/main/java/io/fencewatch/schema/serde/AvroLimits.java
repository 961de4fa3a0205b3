package io.fencewatch.schema.serde;

import org.apache.avro.SystemLimitException;

/**
 * Avro reads its decoding limits from system properties once. We set them (unless the operator
 * already did) no higher than our payload bound: in our schemas every string byte and every
 * collection item costs at least one byte on the wire, so no valid record can exceed them.
 */
final class AvroLimits {
    private AvroLimits() {
    }

    static void install(int maxPayloadBytes) {
        String limit = Integer.toString(maxPayloadBytes);
        System.getProperties().putIfAbsent(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, limit);
        System.getProperties().putIfAbsent(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, limit);
        System.getProperties().putIfAbsent(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, limit);
    }
}
