package io.fencewatch.rules;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;

/**
 * Three-valued evaluation of a Kubernetes {@link LabelSelector} (matchLabels AND matchExpressions,
 * operators In, NotIn, Exists, DoesNotExist as {@code k8s.io/apimachinery} defines them: NotIn and
 * DoesNotExist hold for an absent label) against a {@link Label.Lookup} that may not know a label.
 * Shared by every kind whose selectors are label selectors (Cilium, the admin network policies).
 */
public final class LabelSelectors {
    private LabelSelectors() {
    }

    /**
     * TRUE, FALSE or UNKNOWN (a requirement on a label the lookup does not know). An empty selector is
     * TRUE whatever the lookup; a null one is FALSE (a null label selector matches no objects). An
     * operator other than the four is UNKNOWN: the API server rejects those, and an unreadable
     * requirement must never make a selection look certain.
     */
    public static Truth evaluate(LabelSelector selector, Label.Lookup lookup) {
        if (selector == null) {
            return Truth.FALSE;
        }
        Truth result = Truth.TRUE;
        Map<String, String> matchLabels = selector.getMatchLabels();
        if (matchLabels != null) {
            for (Map.Entry<String, String> e : matchLabels.entrySet()) {
                result = result.and(equalsValue(lookup.get(e.getKey()), e.getValue()));
                if (result == Truth.FALSE) {
                    return result;
                }
            }
        }
        List<LabelSelectorRequirement> expressions = selector.getMatchExpressions();
        if (expressions != null) {
            for (LabelSelectorRequirement r : expressions) {
                result = result.and(requirement(r, lookup.get(r.getKey())));
                if (result == Truth.FALSE) {
                    return result;
                }
            }
        }
        return result;
    }

    private static Truth equalsValue(Label label, String value) {
        if (!label.known()) {
            return Truth.UNKNOWN;
        }
        return Truth.of(label.present() && label.value().equals(value));
    }

    private static Truth requirement(LabelSelectorRequirement r, Label label) {
        if (!label.known()) {
            return Truth.UNKNOWN;
        }
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        String op = r.getOperator() == null ? "" : r.getOperator().strip().toLowerCase(Locale.ROOT);
        return switch (op) {
            case "in" -> Truth.of(label.present() && values.contains(label.value()));
            case "notin" -> Truth.of(!label.present() || !values.contains(label.value()));
            case "exists" -> Truth.of(label.present());
            case "doesnotexist" -> Truth.of(!label.present());
            default -> Truth.UNKNOWN;
        };
    }
}
