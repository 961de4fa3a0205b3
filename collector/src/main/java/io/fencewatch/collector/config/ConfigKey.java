package io.fencewatch.collector.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration key: its flag name, default, parser and one-line doc. The flag is
 * {@code --name}; the environment variable is {@code FENCEWATCH_NAME} (upper case, '-' to '_').
 * A parser throws {@link IllegalArgumentException} whose message says why a value is wrong.
 */
public final class ConfigKey<T> {
    private final String name;
    private final Class<T> type;
    private final String defaultValue;
    private final Function<String, T> parser;
    private final String doc;

    ConfigKey(String name, Class<T> type, String defaultValue, Function<String, T> parser, String doc) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.defaultValue = defaultValue;
        this.parser = Objects.requireNonNull(parser);
        this.doc = Objects.requireNonNull(doc);
    }

    public String name() {
        return name;
    }

    public String flag() {
        return "--" + name;
    }

    public String env() {
        return "FENCEWATCH_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The default as text, or null when the key has no default. */
    public String defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    public boolean isBoolean() {
        return type == Boolean.class;
    }

    T parse(String raw) {
        return type.cast(parser.apply(raw));
    }

    @Override
    public String toString() {
        return flag();
    }
}
