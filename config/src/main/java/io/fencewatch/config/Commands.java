package io.fencewatch.config;

import java.io.PrintStream;

/** What every command does with a bad flag: one line {@code fencewatch <command>: --flag: why}, exit status 2. */
public final class Commands {
    public static final int EXIT_USAGE = 2;

    private Commands() {
    }

    /** Prints the one line and returns {@link #EXIT_USAGE}. */
    public static int badFlag(PrintStream err, String command, IllegalArgumentException e) {
        err.println("fencewatch " + command + ": " + BadFlag.oneLine(e.getMessage()));
        return EXIT_USAGE;
    }
}
