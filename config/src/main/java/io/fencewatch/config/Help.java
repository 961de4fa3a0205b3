package io.fencewatch.config;

import java.util.List;

/**
 * The one help layout of every command: a usage line, a short description, then per flag
 * {@code --flag  FENCEWATCH_FLAG  (default: value)} and its doc on the next line.
 */
public final class Help {
    private Help() {
    }

    /** A pass-through family of flags, such as {@code --kafka.<property>}. */
    public record Extra(String flag, String env, String doc) {
    }

    public static String render(String command, String description, List<? extends Setting<?>> settings,
            List<Extra> extras) {
        StringBuilder b = new StringBuilder("Usage: fencewatch ").append(command).append(" [--flag=value ...]\n\n");
        if (description != null && !description.isBlank()) {
            b.append(description.strip()).append("\n\n");
        }
        for (Setting<?> s : settings) {
            String def = s.defaultValue() == null || s.defaultValue().isEmpty() ? "(none)" : s.defaultValue();
            b.append(String.format(java.util.Locale.ROOT, "  %-28s %-38s default: %s%n      %s%n", s.option(), s.env(),
                    def, s.doc()));
        }
        for (Extra e : extras) {
            b.append(String.format(java.util.Locale.ROOT, "  %-28s %-38s%n      %s%n", e.flag(), e.env(), e.doc()));
        }
        b.append(String.format(java.util.Locale.ROOT, "  %-28s %-38s%n      %s%n", "--help", "", "this text"));
        b.append("\nEvery flag also reads its environment variable; a flag given wins. A bad flag stops with one line"
                + " naming it (exit status 2).\n");
        return b.toString();
    }
}
