package io.fencewatch.rules;

/**
 * Three-valued (Kleene) truth: what a selector says about the pods of one namespace when only the
 * namespace, not its pods, is known. {@code TRUE}: it selects every pod; {@code FALSE}: none;
 * {@code UNKNOWN}: it depends on pod labels (some pods, perhaps all, perhaps none).
 */
public enum Truth {
    TRUE, FALSE, UNKNOWN;

    public static Truth of(boolean value) {
        return value ? TRUE : FALSE;
    }

    /** Kleene conjunction: FALSE wins, then UNKNOWN. */
    public Truth and(Truth other) {
        if (this == FALSE || other == FALSE) {
            return FALSE;
        }
        return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : TRUE;
    }

    /** Kleene disjunction: TRUE wins, then UNKNOWN. */
    public Truth or(Truth other) {
        if (this == TRUE || other == TRUE) {
            return TRUE;
        }
        return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : FALSE;
    }

    /** Kleene negation: UNKNOWN stays UNKNOWN. */
    public Truth not() {
        return switch (this) {
            case TRUE -> FALSE;
            case FALSE -> TRUE;
            case UNKNOWN -> UNKNOWN;
        };
    }
}
