package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Profile;

class ProcessorConfigTest {

    @Test
    void shouldUseDocumentedDefaultsWhenNothingIsGiven() {
        ProcessorConfig c = ProcessorConfig.fromMap(Map.of());
        Rules r = c.rules();
        assertThat(r.systemNamespaces()).containsExactlyInAnyOrder("kube-system", "kube-public", "kube-node-lease", "default");
        assertThat(r.gracePeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.profile()).isEqualTo(Profile.BASELINE);
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(p.getProperty("commit.interval.ms")).isEqualTo("100");
        assertThat(p.getProperty("application.id")).isEqualTo("fencewatch-stream-processor");
        assertThat(c.topicNames().inventory()).isEqualTo("fencewatch.inventory");
    }

    @Test
    void shouldCompressWhatItProducesWithLz4UnlessToldOtherwise() {
        assertThat(ProcessorConfig.fromMap(Map.of()).streamsProperties().getProperty("producer.compression.type"))
                .isEqualTo("lz4");
        assertThat(ProcessorConfig.fromMap(Map.of("kafka.producer.compression.type", "zstd")).streamsProperties()
                .getProperty("producer.compression.type")).isEqualTo("zstd");
    }

    @Test
    void shouldPreferFlagsOverEnvironmentWhenBothAreGiven() {
        ProcessorConfig c = ProcessorConfig.parse(
                new String[] {"--grace-period=45s", "--profile", "strict", "--exempt-patterns=ci-*,tmp-?"},
                Map.of("FENCEWATCH_GRACE_PERIOD", "10s", "FENCEWATCH_STALE_AFTER", "5m",
                        "FENCEWATCH_EXEMPT_NAMESPACES", "legacy,batch", "PATH", "/bin"));
        assertThat(c.rules().gracePeriod()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.rules().staleAfter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.rules().profile()).isEqualTo(Profile.STRICT);
        assertThat(c.rules().exemptNames()).isEqualTo(Set.of("legacy", "batch"));
        assertThat(c.rules().exemptPatterns()).isEqualTo(List.of("ci-*", "tmp-?"));
    }

    @Test
    void shouldPassRawKafkaPropertiesThroughWhenGivenAndLetExplicitSettingsWin() {
        ProcessorConfig c = ProcessorConfig.parse(
                new String[] {"--kafka.commit.interval.ms=20", "--kafka.processing.guarantee=at_least_once",
                    "--application-id=mine"},
                Map.of("FENCEWATCH_KAFKA_SECURITY_PROTOCOL", "SSL", "FENCEWATCH_KAFKA_APPLICATION_ID", "raw"));
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("security.protocol")).isEqualTo("SSL");
        // Raw beats a default...
        assertThat(p.getProperty("commit.interval.ms")).isEqualTo("20");
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("at_least_once");
        // ...and an explicit typed flag beats raw.
        assertThat(p.getProperty("application.id")).isEqualTo("mine");
    }

    @Test
    void shouldSelectAtLeastOnceWhenAsked() {
        ProcessorConfig c = ProcessorConfig.parse(new String[] {"--processing-guarantee=at-least-once"}, Map.of());
        assertThat(c.streamsProperties().getProperty("processing.guarantee")).isEqualTo("at_least_once");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--grace-period=soon      | --grace-period: not a duration",
        "--stale-after=0s         | --stale-after: must be more than zero",
        "--profile=lax            | --profile: must be baseline, effective or strict",
        "--processing-guarantee=x | --processing-guarantee: must be exactly_once_v2 or at_least_once",
        "--topic-prefix=a/b       | --topic-prefix: topic prefix may only hold",
        "--exempt-patterns=A+B    | --exempt-patterns: 'A+B' is not a glob",
        "--system-namespaces=Kube | --system-namespaces: 'Kube' is not a namespace name",
        "--stream-threads=-1      | --stream-threads: must be more than zero",
        "--bogus=1                | --bogus: unknown flag",
        "--grace-period           | --grace-period: needs a value",
        "positional               | '''positional'': not a flag'",
    })
    void shouldNameTheFlagAndWhyWhenAFlagIsBad(String arg, String message) {
        assertThatThrownBy(() -> ProcessorConfig.parse(new String[] {arg}, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void shouldPrintOneLineAndExitWithTwoWhenMainGetsABadFlag() {
        var err = new java.io.ByteArrayOutputStream();
        var out = new java.io.ByteArrayOutputStream();
        int[] status = {-1};
        ProcessorConfig c = ProcessorMain.readConfig(new String[] {"--stale-after=never"}, Map.of(),
                new java.io.PrintStream(out), new java.io.PrintStream(err), status);
        assertThat(c).isNull();
        assertThat(status[0]).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("fencewatch processor: --stale-after: not a duration: 'never'"
                + " (use e.g. 500ms, 30s, 5m)" + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldListEveryFlagWhenUsageIsPrinted() {
        String usage = ProcessorConfig.usage();
        for (io.fencewatch.config.Setting<?> s : ProcessorConfig.SETTINGS) {
            assertThat(usage).contains("--" + s.flag(), s.env());
        }
    }

    @Test
    void shouldServeQueriesOnTheHttpPortAndAdvertiseItWhenNoApplicationServerIsGiven() {
        ProcessorConfig c = ProcessorConfig.parse(new String[] {"--http-port=18080", "--topic-prefix=acme"},
                Map.of("FENCEWATCH_QUERY_AUTH_TOKEN", "s3cret", "FENCEWATCH_QUERY_CORS_ORIGIN", "https://ops.example"));
        assertThat(c.queryConfig().port()).isEqualTo(18080);
        assertThat(c.queryConfig().token()).isEqualTo("s3cret");
        assertThat(c.queryConfig().corsOrigin()).isEqualTo("https://ops.example");
        assertThat(c.queryConfig().topicPrefix()).isEqualTo("acme");
        assertThat(c.streamsProperties().getProperty("application.server")).isEqualTo("localhost:18080");
    }

    @Test
    void shouldAdvertiseTheGivenApplicationServerToQueriesAndStreamsAlike() {
        ProcessorConfig c = ProcessorConfig.fromMap(Map.of("application-server", "fw-0.fw.svc:8080"));
        assertThat(c.streamsProperties().getProperty("application.server")).isEqualTo("fw-0.fw.svc:8080");
        assertThat(c.queryConfig().applicationServer()).isEqualTo("fw-0.fw.svc:8080");
    }

    @Test
    void shouldTurnHttpOffWhenThePortIsMinusOne() {
        ProcessorConfig c = ProcessorConfig.fromMap(Map.of("http-port", "-1"));
        assertThat(c.queryConfig()).isNull();
        assertThat(c.streamsProperties().getProperty("application.server")).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http-port|70000|--http-port: 70000 is not a port",
        "http-port|web|--http-port: 'web' is not a port number",
        "query.http.threads|many|--query.http.threads"})
    void shouldNameTheQueryFlagWhenItsValueIsBad(String flag, String value, String message) {
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of(flag, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @org.junit.jupiter.api.Test
    void shouldMapAQueryKeysOwnVariableToItWhenGivenInTheEnvironment() {
        ProcessorConfig c = ProcessorConfig.parse(new String[] {"--query.http.threads=3"},
                Map.of("FENCEWATCH_QUERY_SSE_MAX_CLIENTS", "7", "FENCEWATCH_QUERY_HTTP_THREADS", "9"));
        assertThat(c.queryProperties()).containsEntry("query.sse.max.clients", "7").containsEntry("query.http.threads", "3");
    }
}
