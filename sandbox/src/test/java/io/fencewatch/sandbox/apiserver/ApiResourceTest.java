package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ApiResourceTest {

  @Test
  void shouldNameEveryResourceOnceWhenShortNamesAndPluralsAreTakenTogether() {
    List<String> names = new ArrayList<>();
    ApiResource.ALL.forEach(r -> names.addAll(r.shortNames()));
    // kubectl warns "short name ... could also match lower priority resource" when two share one.
    assertThat(names).doesNotHaveDuplicates();
    assertThat(ApiResource.ALL).extracting(ApiResource::qualifiedName).doesNotHaveDuplicates();
  }

  @Test
  void shouldTellTheTwoNetworkPolicyKindsApartWhenLookedUpByApiVersion() {
    assertThat(ApiResource.byApiVersionKind("networking.k8s.io/v1", "NetworkPolicy"))
        .contains(ApiResource.NETWORK_POLICIES);
    assertThat(ApiResource.byApiVersionKind("projectcalico.org/v3", "NetworkPolicy").orElseThrow().origin())
        .isEqualTo(ApiResource.Origin.AGGREGATED);
    assertThat(ApiResource.byPath("cilium.io", "v1", "ciliumnetworkpolicies")).as("another version").isEmpty();
    assertThat(ApiResource.byCrdName("ciliumnetworkpolicies.cilium.io")).isPresent();
    assertThat(ApiResource.byCrdName("networkpolicies.projectcalico.org")).as("aggregated, no CRD").isEmpty();
  }

  @Test
  void shouldListPodsWithShortNameCategoryAndStatusSubresourceWhenCoreDiscoveryIsAsked() {
    JsonNode core = Serialization.jsonMapper().readTree(new Discovery(ApiResource.ALL).document("/api/v1")
        .orElseThrow());
    List<String> names = new ArrayList<>();
    core.path("resources").forEach(r -> names.add(r.path("name").asString()));

    assertThat(names).containsExactly("namespaces", "namespaces/finalize", "namespaces/status", "pods",
        "pods/status");
    JsonNode pods = core.path("resources").path(3);
    assertThat(pods.path("singularName").asString()).isEqualTo("pod");
    assertThat(pods.path("namespaced").asBoolean()).isTrue();
    assertThat(pods.path("shortNames").toString()).isEqualTo("[\"po\"]");
    assertThat(pods.path("categories").toString()).isEqualTo("[\"all\"]");
    assertThat(pods.path("verbs").toString()).contains("deletecollection", "watch");
    assertThat(core.path("resources").path(4).path("verbs").toString()).isEqualTo("[\"get\",\"patch\",\"update\"]");
    assertThat(core.path("resources").path(0).has("categories")).as("namespaces have none").isFalse();
  }

  @Test
  void shouldPreferHighestVersionWhenGroupHasSeveral() {
    List<String> versions = new ArrayList<>(List.of("v1alpha1", "v1beta1", "v1", "v1alpha2", "v2", "v2beta1"));
    versions.sort(Discovery::byVersionPriority);
    assertThat(versions).containsExactly("v2", "v1", "v2beta1", "v1beta1", "v1alpha2", "v1alpha1");

    JsonNode group = Serialization.jsonMapper().readTree(new Discovery(ApiResource.ALL)
        .document("/apis/policy.networking.k8s.io").orElseThrow());
    assertThat(group.path("preferredVersion").path("version").asString()).isEqualTo("v1alpha2");
  }

  @Test
  void shouldListBuiltInGroupsBeforePolicyGroupsWhenDiscoveryListsGroups() {
    JsonNode apis = Serialization.jsonMapper().readTree(new Discovery(ApiResource.ALL).document("/apis").orElseThrow());
    List<String> groups = new ArrayList<>();
    apis.path("groups").forEach(g -> groups.add(g.path("name").asString()));
    // kubectl resolves "networkpolicies" to the first group that has it.
    assertThat(groups).containsExactly("apps", "networking.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io",
        "projectcalico.org", "cilium.io", "policy.networking.k8s.io");
  }
}
