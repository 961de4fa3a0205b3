package io.fencewatch.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.serde.SchemaHistory;

/** The contract documents itself: every named type and every field carries a doc. */
class SchemaDocumentationTest {

    @Test
    void shouldDocumentEveryNamedTypeAndField() {
        List<String> missing = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Schema schema : SchemaHistory.currentSchemas()) {
            walk(schema, missing, seen);
        }
        assertThat(seen).hasSizeGreaterThan(15);
        assertThat(missing).as("types and fields without a doc").isEmpty();
    }

    private static void walk(Schema schema, List<String> missing, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                if (blank(schema.getDoc())) {
                    missing.add(schema.getFullName());
                }
                for (Schema.Field field : schema.getFields()) {
                    if (blank(field.doc())) {
                        missing.add(schema.getFullName() + "." + field.name());
                    }
                    walk(field.schema(), missing, seen);
                }
            }
            case ENUM -> {
                if (seen.add(schema.getFullName()) && blank(schema.getDoc())) {
                    missing.add(schema.getFullName());
                }
            }
            case ARRAY -> walk(schema.getElementType(), missing, seen);
            case MAP -> walk(schema.getValueType(), missing, seen);
            case UNION -> schema.getTypes().forEach(t -> walk(t, missing, seen));
            default -> {
                // Primitives carry no doc of their own.
            }
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
