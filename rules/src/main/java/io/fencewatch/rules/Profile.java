package io.fencewatch.rules;

import java.util.Locale;

/** How strict the compliance verdict is. */
public enum Profile {
    /** FW-NP-001 as written: at least one NetworkPolicy in the namespace. */
    BASELINE,
    /**
     * Isolation by a policy of any kind: every pod of the namespace isolated in at least one
     * direction (grade ALL_PODS or DEFAULT_DENY counting NetworkPolicy, Calico, Cilium and the
     * admin network policies, cluster-wide ones included).
     */
    EFFECTIVE,
    /**
     * Default-deny in both directions, counting every kind: every pod isolated for ingress and for egress (an empty pod
     * selector of each type, grade ALL_PODS or DEFAULT_DENY) and no allow-all rule in either.
     * Explicit allows on top of the deny (such as DNS egress) are fine.
     */
    STRICT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Profile parse(String text) {
        for (Profile p : values()) {
            if (p.wireName().equalsIgnoreCase(text.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("must be baseline, effective or strict, not '" + text + "'");
    }
}
