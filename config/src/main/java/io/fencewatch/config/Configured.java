package io.fencewatch.config;

/**
 * A command's configuration as typed settings: lets code shared by several commands (the OCI
 * clients, for one) read the settings it declares from whichever command's config holds them.
 */
public interface Configured {
    /** The setting's parsed value, or null when it has no value and no default. */
    <T> T get(Setting<T> setting);
}
