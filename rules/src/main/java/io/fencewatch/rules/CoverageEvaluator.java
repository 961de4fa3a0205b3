package io.fencewatch.rules;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.Exemption;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * Derives a namespace's {@link Verdict} from its facts, the {@link Rules} and the time: a pure
 * function. Precedence: TERMINATING, then EXEMPT (system, name, pattern, label), then the profile's
 * test (COMPLIANT), then PENDING inside the grace period, else NON_COMPLIANT.
 */
public final class CoverageEvaluator {
    public static final String TERMINATING_PHASE = "Terminating";

    private final Rules rules;
    private final List<Pattern> patterns;

    public CoverageEvaluator(Rules rules) {
        this.rules = rules;
        List<Pattern> compiled = new ArrayList<>();
        for (String glob : rules.exemptPatterns()) {
            compiled.add(Rules.globToRegex(glob));
        }
        this.patterns = List.copyOf(compiled);
    }

    public Rules rules() {
        return rules;
    }

    /**
     * The verdict of a namespace from its facts at {@code now} (epoch ms), with FW-NP-003's on its
     * pods when they are known: COMPLIANT or NON_COMPLIANT by {@link Workloads}, except that an
     * EXEMPT or TERMINATING namespace gives its status to its workloads, and a PENDING one (in its
     * grace period) makes unisolated workloads PENDING too.
     */
    public Verdict evaluate(NamespaceState state, long now) {
        Verdict ns = evaluateNamespace(state, now);
        WorkloadVerdict pods = Workloads.of(state, rules.profile());
        if (pods == null) {
            return ns;
        }
        pods = switch (ns.status()) {
            case EXEMPT -> pods.withStatus(Status.EXEMPT, ns.reason());
            case TERMINATING -> pods.withStatus(Status.TERMINATING, ns.reason());
            case PENDING -> pods.status() == Status.NON_COMPLIANT
                    ? pods.withStatus(Status.PENDING, pods.reason() + "; grace period until "
                            + Instant.ofEpochMilli(graceEnd(state)))
                    : pods;
            default -> pods;
        };
        return ns.withWorkloads(pods);
    }

    private Verdict evaluateNamespace(NamespaceState state, long now) {
        String name = state.name();
        NamespaceFacts facts = state.facts();
        List<PolicyFacts> policies = state.policies();
        Isolation isolation = Isolation.of(policies);
        Fencing fencing = Fences.of(state);

        if (facts.getDeletionRequestedAt() != null || TERMINATING_PHASE.equalsIgnoreCase(facts.getPhase())) {
            return new Verdict(Status.TERMINATING, "namespace is being deleted", isolation, null, Verdict.NO_DEADLINE, fencing);
        }

        long deadline = Verdict.NO_DEADLINE;
        String exemptionProblem = null;
        Exemption exemption = configuredExemption(name);
        if (exemption == null) {
            Map<String, String> labels = facts.getLabels();
            String label = labels == null ? null : labels.get(Rules.EXEMPT_LABEL);
            if (label != null) {
                String untilText = facts.getAnnotations() == null ? null
                        : facts.getAnnotations().get(Rules.EXEMPT_UNTIL_ANNOTATION);
                Instant until = null;
                if (untilText != null) {
                    until = parseRfc3339(untilText);
                    if (until == null) {
                        exemptionProblem = "exemption ignored: " + Rules.EXEMPT_UNTIL_ANNOTATION + " is not RFC 3339";
                    } else if (until.toEpochMilli() <= now) {
                        exemptionProblem = "exemption expired at " + until;
                    }
                }
                if (exemptionProblem == null) {
                    String reason = label.isBlank() ? "exempt by label " + Rules.EXEMPT_LABEL : label;
                    exemption = new Exemption("LABEL", reason, until);
                    if (until != null) {
                        deadline = until.toEpochMilli();
                    }
                }
            }
        }
        if (exemption != null) {
            return new Verdict(Status.EXEMPT, exemptionText(exemption), isolation, exemption, deadline, fencing);
        }

        String failure = failure(policies.size(), fencing.effective());
        if (failure == null) {
            String reason = switch (rules.profile()) {
                case STRICT -> "default-deny ingress and egress";
                case EFFECTIVE -> "isolated by " + names(fencing);
                case BASELINE -> policies.size() + (policies.size() == 1 ? " NetworkPolicy" : " NetworkPolicies");
            };
            return new Verdict(Status.COMPLIANT, reason, isolation, null, Verdict.NO_DEADLINE, fencing);
        }
        if (exemptionProblem != null) {
            failure = failure + "; " + exemptionProblem;
        }
        long graceEnd = graceEnd(state);
        if (now < graceEnd) {
            return new Verdict(Status.PENDING, failure + "; grace period until " + Instant.ofEpochMilli(graceEnd),
                    isolation, null, graceEnd, fencing);
        }
        return new Verdict(Status.NON_COMPLIANT, failure, isolation, null, Verdict.NO_DEADLINE, fencing);
    }

    /**
     * End of a namespace's grace period: from its creation, or from when the processor first saw
     * it if that was earlier (a skewed source clock never extends the grace).
     */
    public long graceEnd(NamespaceState state) {
        long start = state.firstSeen();
        Instant created = state.facts().getCreatedAt();
        if (created != null) {
            start = Math.min(start, created.toEpochMilli());
        }
        long grace = rules.gracePeriod().toMillis();
        return grace == 0 ? Long.MIN_VALUE : start + grace;
    }

    /**
     * Why the namespace fails the profile, or null if it passes. Baseline counts NetworkPolicy
     * objects; effective and strict judge the isolation of every kind together.
     */
    private String failure(int policyCount, Isolation iso) {
        if (rules.profile() == Profile.BASELINE) {
            return policyCount == 0 ? "no NetworkPolicy" : null;
        }
        if (rules.profile() == Profile.EFFECTIVE) {
            // Isolated in a direction: every pod selected, and no policy selecting them all lets everything in (out).
            if ((isolatesAll(iso.ingress()) && !iso.ingressAllowsAll()) || (isolatesAll(iso.egress()) && !iso.egressAllowsAll())) {
                return null;
            }
            boolean some = iso.ingress() == io.fencewatch.schema.common.Grade.PARTIAL
                    || iso.egress() == io.fencewatch.schema.common.Grade.PARTIAL;
            return some ? "policies isolate only some pods, in either direction"
                    : policyCount == 0 ? "no policy of any kind isolates its pods" : "no policy isolates its pods";
        }
        List<String> missing = new ArrayList<>();
        if (!isolatesAll(iso.ingress())) {
            missing.add("no default-deny ingress");
        }
        if (!isolatesAll(iso.egress())) {
            missing.add("no default-deny egress");
        }
        if (iso.ingressAllowsAll()) {
            missing.add("an ingress rule allows all");
        }
        if (iso.egressAllowsAll()) {
            missing.add("an egress rule allows all");
        }
        return missing.isEmpty() ? null : String.join(", ", missing);
    }

    /** The fencing policies as kind/name, at most three, then how many more. */
    private static String names(Fencing fencing) {
        List<String> out = new ArrayList<>();
        for (var ref : fencing.fencedBy()) {
            if (!"all".equals(ref.getPods())) {
                continue;
            }
            if (out.size() == 3) {
                out.add("…");
                break;
            }
            out.add(ref.getKind() + " " + ref.getName());
        }
        return String.join(", ", out);
    }

    private static boolean isolatesAll(io.fencewatch.schema.common.Grade g) {
        return g == io.fencewatch.schema.common.Grade.ALL_PODS || g == io.fencewatch.schema.common.Grade.DEFAULT_DENY;
    }

    private Exemption configuredExemption(String name) {
        if (rules.systemNamespaces().contains(name)) {
            return new Exemption("SYSTEM", name, null);
        }
        if (rules.exemptNames().contains(name)) {
            return new Exemption("NAME", name, null);
        }
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matcher(name).matches()) {
                return new Exemption("PATTERN", rules.exemptPatterns().get(i), null);
            }
        }
        return null;
    }

    private static String exemptionText(Exemption e) {
        return switch (e.getSource()) {
            case "SYSTEM" -> "system namespace";
            case "NAME" -> "exempt by configuration";
            case "PATTERN" -> "matches exempt pattern " + e.getReason();
            default -> e.getUntil() == null ? e.getReason() : e.getReason() + " (until " + e.getUntil() + ")";
        };
    }

    /** RFC 3339 date-time (upper or lower case T and Z, any offset), or null when it is not one. */
    public static Instant parseRfc3339(String text) {
        try {
            return OffsetDateTime.parse(text.strip().toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
