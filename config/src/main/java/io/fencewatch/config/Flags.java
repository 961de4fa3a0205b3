package io.fencewatch.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a command's flags from {@code --flag=value} or {@code --flag value} arguments and
 * {@code FENCEWATCH_*} environment variables (flags win), for a list of {@link Setting}s and
 * pass-through prefixes ({@code kafka.}: {@code --kafka.linger.ms=5} or
 * {@code FENCEWATCH_KAFKA_LINGER_MS}, where {@code _} becomes {@code .}). The result maps each
 * given name (without dashes) to its raw text; parsing stays with the command's own config class.
 */
public final class Flags {
    private final Map<String, String> given;
    private final Map<String, String> origin;

    private Flags(Map<String, String> given, Map<String, String> origin) {
        this.given = Collections.unmodifiableMap(given);
        this.origin = Collections.unmodifiableMap(origin);
    }

    /** Name (flag without dashes, or {@code prefix + property}) to raw text, in the order given. */
    public Map<String, String> given() {
        return given;
    }

    /** The environment variable a name's value came from, or null when it came from a flag or not at all. */
    public String origin(String name) {
        return origin.get(name);
    }

    /** True when {@code --help} or {@code -h} is among the arguments. */
    public static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    public static Flags read(String[] args, Map<String, String> env, List<? extends Setting<?>> settings,
            List<String> passThroughPrefixes) {
        Map<String, Setting<?>> byName = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            byName.put(s.flag(), s);
        }
        Map<String, String> given = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String var = e.getKey();
            if (!var.startsWith("FENCEWATCH_")) {
                continue;
            }
            boolean matched = false;
            for (Setting<?> s : settings) {
                if (s.env().equals(var)) {
                    given.put(s.flag(), e.getValue());
                    origin.put(s.flag(), var);
                    matched = true;
                }
            }
            if (matched) {
                continue;
            }
            for (String prefix : passThroughPrefixes) {
                String envPrefix = Setting.envOf(prefix);
                if (var.startsWith(envPrefix) && var.length() > envPrefix.length()) {
                    String name = prefix + var.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                    given.put(name, e.getValue());
                    origin.put(name, var);
                    break;
                }
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new BadFlag(BadFlag.quote(arg), "not a flag (flags look like --name=value; see --help)");
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            Setting<?> s = byName.get(name);
            String prefix = s != null ? null : passThrough(name, passThroughPrefixes);
            if (s == null && prefix == null) {
                throw new BadFlag("--" + BadFlag.oneLine(name).replaceAll("^(.{60}).+$", "$1..."),
                        "unknown flag (see --help)");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (s != null && s.isSwitch() && (i + 1 >= args.length || args[i + 1].startsWith("--"))) {
                value = "true";
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw new BadFlag("--" + name, "needs a value");
            }
            given.remove(name);
            given.put(name, value);
            origin.remove(name);
        }
        return new Flags(given, origin);
    }

    private static String passThrough(String name, List<String> prefixes) {
        for (String p : prefixes) {
            if (name.startsWith(p)) {
                return p;
            }
        }
        return null;
    }
}
