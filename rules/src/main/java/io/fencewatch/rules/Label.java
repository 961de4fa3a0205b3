package io.fencewatch.rules;

import java.util.Objects;

/**
 * What is known of one label of an object: a value, known to be absent, or not known at all (a pod
 * label, while Fencewatch does not watch pods).
 *
 * @param value the label's value, or null when absent or unknown
 * @param known false when nothing is known of the label
 */
public record Label(String value, boolean known) {
    public static final Label ABSENT = new Label(null, true);
    public static final Label UNKNOWN = new Label(null, false);

    public Label {
        if (!known && value != null) {
            throw new IllegalArgumentException("an unknown label has no value");
        }
    }

    public static Label of(String value) {
        return new Label(Objects.requireNonNull(value, "value"), true);
    }

    /** The value if non-null, else {@link #ABSENT}: how a label of a fully known map is looked up. */
    public static Label ofNullable(String value) {
        return value == null ? ABSENT : of(value);
    }

    public boolean present() {
        return value != null;
    }

    /** How one object's labels are looked up, key by key. */
    @FunctionalInterface
    public interface Lookup {
        /** Never null: a value, {@link #ABSENT} or {@link #UNKNOWN}. */
        Label get(String key);

        /** Nothing is known of any label. */
        Lookup NOTHING_KNOWN = key -> UNKNOWN;

        /** Every label is known: the map's, and no other. */
        static Lookup of(java.util.Map<String, String> labels) {
            return key -> ofNullable(labels == null ? null : labels.get(key));
        }
    }
}
