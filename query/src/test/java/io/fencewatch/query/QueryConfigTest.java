package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class QueryConfigTest {

    @Test
    void shouldUseDocumentedDefaultsWhenMapIsEmpty() {
        QueryConfig c = QueryConfig.fromMap(Map.of(), Map.of());
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(c.applicationServer()).isEqualTo("localhost:8080");
        assertThat(c.historySize()).isEqualTo(10_000);
        assertThat(c.topicPrefix()).isEqualTo("fencewatch");
        assertThat(c.topics().drift()).isEqualTo("fencewatch.drift");
        assertThat(c.corsOrigin()).isNull();
        assertThat(c.tls()).isFalse();
        assertThat(c.token()).isNull();
        assertThat(c.retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.webhook().enabled()).isFalse();
    }

    @Test
    void shouldPinTheHttpLimitKeysAndTheirDefaultsWhenMapIsEmpty() {
        QueryConfig c = QueryConfig.fromMap(Map.of(), Map.of());
        assertThat(QueryConfig.KEYS).extracting(QueryConfig.Key::name).contains("query.health.port", "query.auth",
                "query.allowed-hosts", "query.http.max.connections", "query.http.header.timeout.ms",
                "query.http.idle.timeout.ms", "query.http.max.request.line", "query.http.max.header.size", "query.http.queue");
        assertThat(QueryConfig.ALLOWED_HOSTS.envName()).isEqualTo("FENCEWATCH_QUERY_ALLOWED_HOSTS");
        assertThat(QueryConfig.HEALTH_PORT.envName()).isEqualTo("FENCEWATCH_QUERY_HEALTH_PORT");
        assertThat(c.healthPort()).isEqualTo(-1);
        assertThat(c.auth()).isEqualTo("auto");
        assertThat(c.allowedHosts()).isNull();
        assertThat(c.limits()).isEqualTo(new QueryConfig.HttpLimits(1024, Duration.ofSeconds(10), Duration.ofSeconds(60),
                8192, 16384, 256));
        assertThat(QueryConfig.fromMap(Map.of("query.allowed-hosts", " Fencewatch.Example.test, *.svc.cluster.local ,"),
                Map.of()).allowedHosts()).containsExactly("fencewatch.example.test", "*.svc.cluster.local");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.allowed-hosts", "evil/path"), Map.of()))
                .hasMessageStartingWith("query.allowed-hosts:");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.health.port", "8080"), Map.of()))
                .hasMessage("query.health.port must differ from query.http.port");
        assertThat(QueryConfig.fromEnv(Map.of("FENCEWATCH_QUERY_ALLOWED_HOSTS", "a.example"), Map.of()).allowedHosts())
                .containsExactly("a.example");
    }

    @Test
    void shouldNameTheKeyWhenAValueIsBad() {
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.http.port", "http"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("query.http.port:");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.advertised.server", "nohost"), Map.of()))
                .hasMessageStartingWith("query.advertised.server:");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.topic.prefix", "bad prefix"), Map.of()))
                .hasMessageStartingWith("query.topic.prefix:");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.webhook.url", "ftp://x"), Map.of()))
                .hasMessageStartingWith("query.webhook.url:");
        assertThatThrownBy(() -> QueryConfig.fromMap(Map.of("query.tls.keystore", "/k.p12"), Map.of()))
                .hasMessageContaining("FENCEWATCH_QUERY_TLS_PASSWORD");
    }

    @Test
    void shouldReadEnvironmentThenOverridesWhenBuiltFromEnv() {
        QueryConfig c = QueryConfig.fromEnv(Map.of(
                "FENCEWATCH_QUERY_HTTP_PORT", "9090",
                "FENCEWATCH_QUERY_AUTH_TOKEN", "t0ken",
                "FENCEWATCH_QUERY_WEBHOOK_URL", "https://hooks.example.test/x?key=secret",
                "FENCEWATCH_QUERY_WEBHOOK_FORMAT", "slack"), Map.of("query.http.port", "9191"));
        assertThat(c.port()).isEqualTo(9191);
        assertThat(c.token()).isEqualTo("t0ken");
        assertThat(c.webhook().slack()).isTrue();
        assertThat(c.toString()).doesNotContain("t0ken", "secret");
    }

    @Test
    void shouldRequireAdvertisedServerWhenPortIsEphemeral() {
        QueryConfig c = QueryConfig.fromMap(Map.of("query.http.port", "0"), Map.of());
        assertThatThrownBy(c::applicationServer).hasMessageContaining("query.advertised.server");
    }
}
