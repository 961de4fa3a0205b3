package io.fencewatch.collector.config;

/** A configuration value that cannot be used; the message is one line that names the flag and says why. */
public final class ConfigException extends io.fencewatch.config.BadFlag {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
