package io.fencewatch.schema.serde;

import org.apache.avro.SystemLimitException;
import org.apache.avro.util.ClassSecurityValidator;

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
        trustOurRecords();
    }

    /**
     * Avro 1.12 refuses to instantiate record classes outside a trusted list (a defence against
     * schemas that name arbitrary classes). Our generated records are added to whatever the JVM
     * already trusts; nothing else is widened.
     */
    static synchronized void trustOurRecords() {
        ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (current instanceof OurRecords) {
            return;
        }
        ClassSecurityValidator.setGlobal(new OurRecords(current));
    }

    private record OurRecords(ClassSecurityValidator.ClassSecurityPredicate delegate)
            implements ClassSecurityValidator.ClassSecurityPredicate {
        @Override
        public boolean isTrusted(Class<?> c) {
            return c.getName().startsWith("io.fencewatch.schema.") || delegate.isTrusted(c);
        }
    }
}
