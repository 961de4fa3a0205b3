package io.fencewatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class FlagsTest {
    static final Setting<Duration> GRACE = new Setting<>("grace-period", "30s", Parsers::duration, "grace");
    static final Setting<Boolean> QUICK = Setting.toggle("quick", "false", "quick");
    static final List<Setting<?>> ALL = List.of(GRACE, QUICK);

    @Test
    void shouldLetAFlagWinOverItsVariableWhenBothAreGiven() {
        Flags f = Flags.read(new String[] {"--grace-period=5s"}, Map.of("FENCEWATCH_GRACE_PERIOD", "9s"), ALL, List.of());
        assertThat(f.given()).containsEntry("grace-period", "5s");
        assertThat(f.origin("grace-period")).isNull();
        Flags fromEnv = Flags.read(new String[0], Map.of("FENCEWATCH_GRACE_PERIOD", "9s"), ALL, List.of());
        assertThat(fromEnv.origin("grace-period")).isEqualTo("FENCEWATCH_GRACE_PERIOD");
    }

    @Test
    void shouldReadBothSpellingsAndStandAloneSwitchesWhenParsing() {
        Flags f = Flags.read(new String[] {"--grace-period", "1m", "--quick"}, Map.of(), ALL, List.of());
        assertThat(f.given()).containsEntry("grace-period", "1m").containsEntry("quick", "true");
    }

    @Test
    void shouldPassRawPropertiesThroughWhenTheyHaveAPrefix() {
        Flags f = Flags.read(new String[] {"--kafka.linger.ms=0"}, Map.of("FENCEWATCH_KAFKA_SECURITY_PROTOCOL", "SSL",
                "FENCEWATCH_QUERY_AUTH_TOKEN", "t"), ALL, List.of("kafka.", "query."));
        assertThat(f.given()).containsEntry("kafka.linger.ms", "0").containsEntry("kafka.security.protocol", "SSL")
                .containsEntry("query.auth.token", "t");
    }

    @Test
    void shouldNameTheFlagInOneLineWhenItIsBad() {
        assertThatThrownBy(() -> Flags.read(new String[] {"--colour=blue"}, Map.of(), ALL, List.of()))
                .isInstanceOf(BadFlag.class).hasMessage("--colour: unknown flag (see --help)");
        assertThatThrownBy(() -> Flags.read(new String[] {"--grace-period"}, Map.of(), ALL, List.of()))
                .hasMessage("--grace-period: needs a value");
        assertThatThrownBy(() -> Flags.read(new String[] {"stray"}, Map.of(), ALL, List.of()))
                .hasMessage("'stray': not a flag (flags look like --name=value; see --help)");
        assertThatThrownBy(() -> GRACE.parse("soon")).isInstanceOf(BadFlag.class)
                .hasMessage("--grace-period: not a duration: 'soon' (use e.g. 500ms, 30s, 5m)");
    }

    @Test
    void shouldListEveryFlagWithItsVariableWhenRenderingHelp() {
        String help = Help.render("x", "does x", ALL, List.of(new Help.Extra("--kafka.<property>=<value>",
                "FENCEWATCH_KAFKA_<PROPERTY>", "any Kafka property")));
        assertThat(help).startsWith("Usage: fencewatch x [--flag=value ...]\n\ndoes x\n")
                .contains("--grace-period", "FENCEWATCH_GRACE_PERIOD", "default: 30s", "FENCEWATCH_QUICK",
                        "--kafka.<property>=<value>");
        assertThat(Setting.envOf("query.http.port")).isEqualTo("FENCEWATCH_QUERY_HTTP_PORT");
    }
}
