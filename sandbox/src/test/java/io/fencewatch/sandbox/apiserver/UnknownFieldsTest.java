package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class UnknownFieldsTest {

  private static ObjectNode json(String s) {
    return (ObjectNode) Serialization.jsonMapper().readTree(s.replace('\'', '"'));
  }

  @Test
  void shouldReportAndDropNestedUnknownFieldsWhenPolicyHasTypos() {
    ObjectNode policy = json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
        + "'metadata':{'name':'p','labels':{'any-key':'v'},'managedFields':[{'fieldsV1':{'f:spec':{}}}]},"
        + "'spec':{'podSelectr':{},'ingress':[{'from':[{'podSelector':{}}]},{'fromm':[]}],"
        + "'egress':[{'ports':[{'port':53,'protocl':'UDP'}]}]}}");

    assertThat(UnknownFields.strip(ApiResource.NETWORK_POLICIES, policy))
        .containsExactly("spec.podSelectr", "spec.ingress[1].fromm", "spec.egress[0].ports[0].protocl");
    assertThat(policy.path("spec").has("podSelectr")).isFalse();
    assertThat(policy.path("spec").path("ingress").get(1).has("fromm")).isFalse();
    assertThat(policy.path("metadata").path("labels").path("any-key").asString()).isEqualTo("v");
  }

  @Test
  void shouldFindNothingWhenNamespaceIsWellFormed() {
    ObjectNode ns = json("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'payments',"
        + "'annotations':{'a':'b'}},'spec':{'finalizers':['kubernetes']},'status':{'phase':'Active'}}");

    assertThat(UnknownFields.strip(ApiResource.NAMESPACES, ns)).isEmpty();
  }

  @Test
  void shouldRefuseWhenKnownFieldHasWrongType() {
    ObjectNode policy = json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'p'},"
        + "'spec':{'policyTypes':{'not':'a list'}}}");

    assertThatThrownBy(() -> UnknownFields.strip(ApiResource.NETWORK_POLICIES, policy))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be handled as a NetworkPolicy");
  }
}
