package io.fencewatch.config;

/**
 * A flag (or its environment variable) that stops start-up. The message is one line:
 * {@code --flag: why}. Every command prints it as {@code fencewatch <command>: <message>} and exits
 * with {@link Commands#EXIT_USAGE}.
 */
public class BadFlag extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message one line, starting with the flag: {@code --http-port: 'x' is not a port number} */
    public BadFlag(String message) {
        super(oneLine(message));
    }

    public BadFlag(String option, String why) {
        this(option + ": " + why);
    }

    static String oneLine(String s) {
        String line = s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ");
        return line.length() <= 300 ? line : line.substring(0, 297) + "...";
    }

    /** A value as quoted in a message: one line, at most 80 characters. */
    public static String quote(String value) {
        String line = oneLine(value);
        return "'" + (line.length() <= 80 ? line : line.substring(0, 77) + "...") + "'";
    }
}
