package io.fencewatch.processor;

/** A bad setting: the message names the flag and says why, in one line. */
public final class ConfigException extends io.fencewatch.config.BadFlag {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
