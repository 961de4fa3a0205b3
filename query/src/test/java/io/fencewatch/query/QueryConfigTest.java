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
