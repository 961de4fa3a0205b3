package io.fencewatch.schema;

/**
 * The topics of a Fencewatch deployment, all named {@code <prefix>.<role>}. These names are a
 * public contract: users' consumers and ACLs depend on them.
 */
public record TopicNames(String prefix) {
    public static final String DEFAULT_PREFIX = "fencewatch";

    public TopicNames {
        String problem = prefixProblem(prefix);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    public static TopicNames defaults() {
        return new TopicNames(DEFAULT_PREFIX);
    }

    /** Why a topic prefix is not valid, or null if it is. */
    public static String prefixProblem(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "topic prefix is empty";
        }
        if (prefix.length() > 200) {
            return "topic prefix is longer than 200 characters";
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.';
            if (!ok) {
                return "topic prefix may only hold letters, digits, '-', '_' and '.' (found '" + c + "')";
            }
        }
        return null;
    }

    /** Collectors' facts, keyed {@code <cluster>/<namespace>}. */
    public String inventory() {
        return prefix + ".inventory";
    }

    /** The current table, compacted. */
    public String coverage() {
        return prefix + ".coverage";
    }

    /** One record per change of status or grade. */
    public String drift() {
        return prefix + ".drift";
    }

    /** OCSF Compliance Findings for SIEMs. */
    public String findings() {
        return prefix + ".findings";
    }

    /** Records that could not be read or processed, with why. */
    public String dlq() {
        return prefix + ".dlq";
    }
}
