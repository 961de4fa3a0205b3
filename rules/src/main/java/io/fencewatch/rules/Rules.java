package io.fencewatch.rules;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the verdict depends on besides the facts: exemptions, grace period, staleness deadline and
 * profile. Immutable; build one from the processor's (or {@code fencewatch audit}'s) flags or with {@link #defaults()} and the
 * {@code with*} methods.
 *
 * @param systemNamespaces namespaces exempt as system namespaces (source SYSTEM)
 * @param exemptNames more namespaces exempt by name (source NAME)
 * @param exemptPatterns glob patterns ({@code *}, {@code ?}) of exempt namespaces (source PATTERN)
 * @param gracePeriod a new namespace without policy is PENDING this long before it is NON_COMPLIANT
 * @param staleAfter a cluster silent this long is STALE
 * @param tickInterval how often wall-clock punctuation checks deadlines (grace, exemption expiry, staleness)
 * @param profile baseline or strict
 */
public record Rules(
        Set<String> systemNamespaces,
        Set<String> exemptNames,
        List<String> exemptPatterns,
        Duration gracePeriod,
        Duration staleAfter,
        Duration tickInterval,
        Profile profile) {

    public static final Set<String> DEFAULT_SYSTEM_NAMESPACES =
            Set.of("kube-system", "kube-public", "kube-node-lease", "default");
    public static final String EXEMPT_LABEL = "fencewatch.io/exempt";
    public static final String EXEMPT_UNTIL_ANNOTATION = "fencewatch.io/exempt-until";
    public static final String RULE_ID = "FW-NP-001";

    public Rules {
        systemNamespaces = Set.copyOf(systemNamespaces);
        exemptNames = Set.copyOf(exemptNames);
        exemptPatterns = List.copyOf(exemptPatterns);
        Objects.requireNonNull(profile, "profile");
        requireNonNegative(gracePeriod, "gracePeriod");
        requirePositive(staleAfter, "staleAfter");
        requirePositive(tickInterval, "tickInterval");
        for (String p : exemptPatterns) {
            globToRegex(p);
        }
    }

    public static Rules defaults() {
        return new Rules(DEFAULT_SYSTEM_NAMESPACES, Set.of(), List.of(), Duration.ofSeconds(30),
                Duration.ofMinutes(2), Duration.ofSeconds(1), Profile.BASELINE);
    }

    public Rules withSystemNamespaces(Set<String> value) {
        return new Rules(value, exemptNames, exemptPatterns, gracePeriod, staleAfter, tickInterval, profile);
    }

    public Rules withExemptNames(Set<String> value) {
        return new Rules(systemNamespaces, value, exemptPatterns, gracePeriod, staleAfter, tickInterval, profile);
    }

    public Rules withExemptPatterns(List<String> value) {
        return new Rules(systemNamespaces, exemptNames, value, gracePeriod, staleAfter, tickInterval, profile);
    }

    public Rules withGracePeriod(Duration value) {
        return new Rules(systemNamespaces, exemptNames, exemptPatterns, value, staleAfter, tickInterval, profile);
    }

    public Rules withStaleAfter(Duration value) {
        return new Rules(systemNamespaces, exemptNames, exemptPatterns, gracePeriod, value, tickInterval, profile);
    }

    public Rules withTickInterval(Duration value) {
        return new Rules(systemNamespaces, exemptNames, exemptPatterns, gracePeriod, staleAfter, value, profile);
    }

    public Rules withProfile(Profile value) {
        return new Rules(systemNamespaces, exemptNames, exemptPatterns, gracePeriod, staleAfter, tickInterval, value);
    }

    /** A glob ({@code *} any run, {@code ?} one character, everything else literal) as an anchored regex. */
    public static Pattern globToRegex(String glob) {
        if (glob == null || glob.isBlank()) {
            throw new IllegalArgumentException("an exempt pattern is empty");
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString());
    }

    private static void requireNonNegative(Duration d, String name) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be zero or more");
        }
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be more than zero");
        }
    }
}
