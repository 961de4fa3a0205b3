package io.fencewatch.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers shared by the commands; each throws {@link IllegalArgumentException} with a short why. */
public final class Parsers {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

    private Parsers() {
    }

    public static boolean bool(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("must be true or false, not " + BadFlag.quote(s));
        };
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 such as {@code PT30S}. */
    public static Duration duration(String s) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(v);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        if (v.startsWith("p")) {
            try {
                Duration d = Duration.parse(v.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            } catch (java.time.format.DateTimeParseException e) {
                // falls through to the one message below
            }
        }
        throw new IllegalArgumentException("not a duration: " + BadFlag.quote(s) + " (use e.g. 500ms, 30s, 5m)");
    }

    /** Comma-separated items, blanks dropped. */
    public static List<String> list(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    /** One of {@code choices} (case-insensitive), as written in {@code choices}. */
    public static String choice(String s, String... choices) {
        for (String c : choices) {
            if (c.equalsIgnoreCase(s.strip())) {
                return c;
            }
        }
        throw new IllegalArgumentException("must be " + String.join(", ", choices) + "; not " + BadFlag.quote(s));
    }
}
