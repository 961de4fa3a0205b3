package io.fencewatch.schema.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * Every schema version a Fencewatch reader must still understand. The current versions come from
 * the generated classes; older released versions are listed in
 * {@code META-INF/fencewatch/schema-history.txt} (one classpath resource path per line) and added
 * as each schema evolves, so data written by an older collector stays readable.
 */
public final class SchemaHistory {
    private static final String INDEX = "META-INF/fencewatch/schema-history.txt";
    private static final Map<String, List<Schema>> OLDER = new HashMap<>();
    private static final Map<Long, String> NAMES_BY_FINGERPRINT = new HashMap<>();

    static {
        for (Schema current : currentSchemas()) {
            NAMES_BY_FINGERPRINT.put(SchemaNormalization.parsingFingerprint64(current), current.getFullName());
        }
        for (Schema older : loadIndex()) {
            OLDER.computeIfAbsent(older.getFullName(), k -> new ArrayList<>()).add(older);
            NAMES_BY_FINGERPRINT.put(SchemaNormalization.parsingFingerprint64(older), older.getFullName());
        }
    }

    private SchemaHistory() {
    }

    /** The top-level record schemas of the contract, current versions. */
    public static List<Schema> currentSchemas() {
        return List.of(InventoryEvent.getClassSchema(), NamespaceCoverage.getClassSchema(), DriftEvent.getClassSchema());
    }

    static List<Schema> olderVersionsOf(String fullName) {
        return OLDER.getOrDefault(fullName, List.of());
    }

    /** Full name of the record a fingerprint belongs to, or null if it is none of ours. */
    static String recordNameOf(long fingerprint) {
        return NAMES_BY_FINGERPRINT.get(fingerprint);
    }

    private static List<Schema> loadIndex() {
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        List<Schema> schemas = new ArrayList<>();
        try (InputStream index = loader.getResourceAsStream(INDEX)) {
            if (index == null) {
                return schemas;
            }
            for (String line : new String(index.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String path = line.strip();
                if (path.isEmpty() || path.startsWith("#")) {
                    continue;
                }
                try (InputStream in = loader.getResourceAsStream(path)) {
                    if (in == null) {
                        throw new IllegalStateException(INDEX + " names " + path + ", which is not on the classpath");
                    }
                    schemas.add(new Schema.Parser().parse(in));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + INDEX, e);
        }
        return schemas;
    }
}
