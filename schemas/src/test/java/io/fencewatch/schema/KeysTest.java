package io.fencewatch.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeysTest {

    @Test
    void shouldJoinClusterAndNamespaceWithASlash() {
        assertThat(Keys.of("oke-prod-1", "payments")).isEqualTo("oke-prod-1/payments");
        assertThat(Keys.clusterOf("oke-prod-1/payments")).isEqualTo("oke-prod-1");
        assertThat(Keys.namespaceOf("oke-prod-1/payments")).isEqualTo("payments");
    }

    @Test
    void shouldKeepMarkerKeysApartFromEveryNamespace() {
        assertThat(Keys.marker("c1")).isEqualTo("c1/*");
        assertThat(Keys.isMarker("c1/*")).isTrue();
        assertThat(Keys.isMarker("c1/payments")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "-lead", "trail-", "spaces here", "ünïcode", "Prod", "prod_eu", "prod.eu"})
    void shouldRejectClusterIdsThatCannotAppearInKeysAndUrls(String bad) {
        assertThat(Keys.clusterIdProblem(bad)).isNotNull();
        assertThatThrownBy(() -> Keys.of(bad, "ns")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNameTheTopicsOfAPrefix() {
        TopicNames topics = new TopicNames("acme.fw");
        assertThat(topics.inventory()).isEqualTo("acme.fw.inventory");
        assertThat(topics.coverage()).isEqualTo("acme.fw.coverage");
        assertThat(topics.drift()).isEqualTo("acme.fw.drift");
        assertThat(topics.findings()).isEqualTo("acme.fw.findings");
        assertThat(topics.dlq()).isEqualTo("acme.fw.dlq");
        assertThat(TopicNames.defaults().inventory()).isEqualTo("fencewatch.inventory");
        assertThatThrownBy(() -> new TopicNames("bad prefix")).isInstanceOf(IllegalArgumentException.class);
    }
}
