package io.fencewatch.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One flag of a command: its name ({@code --flag}), its default as text (null: none), the parser
 * that turns text into a value (throwing {@link IllegalArgumentException} whose message says why),
 * and a one-line doc. Its environment variable is {@code FENCEWATCH_<FLAG>}: upper case, {@code -}
 * and {@code .} as {@code _}. A switch may be given without a value ({@code --quick} = {@code true}).
 */
public record Setting<T>(String flag, String defaultValue, Function<String, T> parser, String doc, boolean isSwitch) {

    public Setting {
        Objects.requireNonNull(flag, "flag");
        Objects.requireNonNull(parser, "parser");
        Objects.requireNonNull(doc, "doc");
        if (flag.startsWith("-")) {
            throw new IllegalArgumentException("a flag is declared without its dashes: " + flag);
        }
    }

    public Setting(String flag, String defaultValue, Function<String, T> parser, String doc) {
        this(flag, defaultValue, parser, doc, false);
    }

    /** A boolean flag that may stand alone ({@code --name} means {@code --name=true}). */
    public static Setting<Boolean> toggle(String flag, String defaultValue, String doc) {
        return new Setting<>(flag, defaultValue, Parsers::bool, doc, true);
    }

    /** {@code --flag}. */
    public String option() {
        return "--" + flag;
    }

    /** {@code FENCEWATCH_FLAG}. */
    public String env() {
        return envOf(flag);
    }

    /** The value of {@code text}; a parser's complaint becomes a {@link BadFlag} naming this flag. */
    public T parse(String text) {
        try {
            return parser.apply(text);
        } catch (BadFlag e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadFlag(option(), e.getMessage());
        }
    }

    /** The environment variable of a flag or pass-through name: {@code FENCEWATCH_} + upper case, '-' and '.' as '_'. */
    public static String envOf(String name) {
        return "FENCEWATCH_" + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    @Override
    public String toString() {
        return option();
    }
}
