package io.fencewatch.config;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A command's settings parsed into typed values: every setting from its given text, else its
 * default. A value its parser refuses stops with one {@link BadFlag} line,
 * {@code --flag (from FENCEWATCH_FLAG): 'text' why}; a name that is no setting is an unknown flag.
 */
public final class Values implements Configured {
    private final Map<Setting<?>, Object> values;

    private Values(Map<Setting<?>, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** From command-line arguments and the environment (flags win), through {@link Flags}. */
    public static Values read(String[] args, Map<String, String> env, Collection<? extends Setting<?>> settings) {
        Flags flags = Flags.read(args, env, java.util.List.copyOf(settings), java.util.List.of());
        return parse(settings, flags.given(), flags::origin);
    }

    /** From flag names (without {@code --}) to text; for tests and embedding. */
    public static Values fromMap(Map<String, String> given, Collection<? extends Setting<?>> settings) {
        return parse(settings, given, name -> null);
    }

    /**
     * @param given  flag name (without {@code --}) to its raw text
     * @param origin the environment variable a name's text came from, or null when from a flag
     */
    public static Values parse(Collection<? extends Setting<?>> settings, Map<String, String> given,
            Function<String, String> origin) {
        Map<String, Setting<?>> byName = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            byName.put(s.flag(), s);
        }
        for (String name : given.keySet()) {
            if (!byName.containsKey(name)) {
                throw new BadFlag("--" + BadFlag.oneLine(name).replaceAll("^(.{60}).+$", "$1..."),
                        "unknown flag (see --help)");
            }
        }
        Map<Setting<?>, Object> values = new HashMap<>();
        for (Setting<?> s : byName.values()) {
            String text = given.getOrDefault(s.flag(), s.defaultValue());
            if (text == null) {
                continue;
            }
            try {
                values.put(s, s.parser().apply(text.strip()));
            } catch (IllegalArgumentException e) {
                String from = origin.apply(s.flag()) == null ? "" : " (from " + origin.apply(s.flag()) + ")";
                throw new BadFlag(s.option() + from, BadFlag.quote(text) + " " + e.getMessage());
            }
        }
        return new Values(values);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }
}
