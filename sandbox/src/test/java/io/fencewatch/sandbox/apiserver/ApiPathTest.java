package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiPathTest {

  @Test
  void shouldReadNamespaceAsItemWhenPathIsCoreNamespace() {
    ApiPath p = ApiPath.parse("/api/v1/namespaces/payments").orElseThrow();

    assertThat(p.group()).isEmpty();
    assertThat(p.plural()).isEqualTo("namespaces");
    assertThat(p.name()).isEqualTo("payments");
    assertThat(p.namespace()).isNull();
    assertThat(p.resource()).contains(ApiResource.NAMESPACES);
  }

  @Test
  void shouldReadSubresourceWhenPathIsNamespaceStatus() {
    ApiPath p = ApiPath.parse("/api/v1/namespaces/payments/status").orElseThrow();

    assertThat(p.name()).isEqualTo("payments");
    assertThat(p.subresource()).isEqualTo("status");
    assertThat(p.namespace()).isNull();
  }

  @Test
  void shouldReadNamespacedItemAndQueryWhenPathIsNetworkPolicy() {
    ApiPath p = ApiPath.parse("/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/deny"
        + "?fieldManager=kubectl&fieldSelector=metadata.name%3Ddeny").orElseThrow();

    assertThat(p.group()).isEqualTo("networking.k8s.io");
    assertThat(p.namespace()).isEqualTo("payments");
    assertThat(p.name()).isEqualTo("deny");
    assertThat(p.query()).containsEntry("fieldSelector", "metadata.name=deny");
    assertThat(p.storePath()).isEqualTo("/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/deny");
    assertThat(p.storePathWithSelectors()).endsWith("?fieldSelector=metadata.name%3Ddeny");
  }

  @Test
  void shouldDetectWatchWhenQueryAsksForIt() {
    assertThat(ApiPath.parse("/apis/networking.k8s.io/v1/networkpolicies?watch=true").orElseThrow().isWatch()).isTrue();
    assertThat(ApiPath.parse("/apis/networking.k8s.io/v1/networkpolicies?watch=1").orElseThrow().isWatch()).isTrue();
    assertThat(ApiPath.parse("/apis/networking.k8s.io/v1/networkpolicies").orElseThrow().isWatch()).isFalse();
  }

  @Test
  void shouldNotParseWhenPathIsDiscoveryOrOpenApi() {
    assertThat(ApiPath.parse("/api/v1")).isEmpty();
    assertThat(ApiPath.parse("/apis/networking.k8s.io/v1")).isEmpty();
    assertThat(ApiPath.parse("/openapi/v3")).isEmpty();
    assertThat(ApiPath.parse("/version")).isEmpty();
  }
}
