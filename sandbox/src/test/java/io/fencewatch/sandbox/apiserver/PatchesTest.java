package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

class PatchesTest {

  private static JsonNode json(String s) {
    return Serialization.jsonMapper().readTree(s.replace('\'', '"'));
  }

  static Stream<Arguments> strategicMergeCases() {
    return Stream.of(
        Arguments.of("a label is added, others stay",
            "{'metadata':{'labels':{'a':'1'}}}",
            "{'metadata':{'labels':{'b':'2'}}}",
            "{'metadata':{'labels':{'a':'1','b':'2'}}}"),
        Arguments.of("null removes a field",
            "{'metadata':{'labels':{'a':'1','b':'2'}}}",
            "{'metadata':{'labels':{'a':null}}}",
            "{'metadata':{'labels':{'b':'2'}}}"),
        Arguments.of("lists without a strategy are replaced (policyTypes, egress)",
            "{'spec':{'policyTypes':['Ingress'],'egress':[{'ports':[{'port':53}]}]}}",
            "{'spec':{'policyTypes':['Ingress','Egress'],'egress':[]}}",
            "{'spec':{'policyTypes':['Ingress','Egress'],'egress':[]}}"),
        Arguments.of("$setElementOrder and $retainKeys directives never reach the object",
            "{'spec':{'x':1,'y':2}}",
            "{'spec':{'$retainKeys':['x'],'x':3,'$setElementOrder/policyTypes':['Ingress']}}",
            "{'spec':{'x':3}}"),
        Arguments.of("finalizers merge as a set; $deleteFromPrimitiveList removes",
            "{'metadata':{'finalizers':['a','b']}}",
            "{'metadata':{'finalizers':['c','a'],'$deleteFromPrimitiveList/finalizers':['b']}}",
            "{'metadata':{'finalizers':['a','c']}}"),
        Arguments.of("ownerReferences merge by uid, $patch delete removes one",
            "{'metadata':{'ownerReferences':[{'uid':'1','name':'a'},{'uid':'2','name':'b'}]}}",
            "{'metadata':{'ownerReferences':[{'uid':'1','name':'A'},{'uid':'2','$patch':'delete'},{'uid':'3','name':'c'}]}}",
            "{'metadata':{'ownerReferences':[{'uid':'1','name':'A'},{'uid':'3','name':'c'}]}}"),
        Arguments.of("a DaemonSet's containers merge by name, their env by name, ports by containerPort",
            "{'spec':{'template':{'spec':{'containers':[{'name':'calico-node','image':'calico/node:v3.27.0',"
                + "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],'ports':[{'containerPort':9091}]},"
                + "{'name':'sidecar','image':'s:1'}],'tolerations':[{'operator':'Exists'}]}}}}",
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'calico-node'},{'name':'sidecar'}],"
                + "'containers':[{'name':'calico-node','image':'calico/node:v3.28.0','env':[{'name':'B','value':'3'}],"
                + "'ports':[{'containerPort':9099,'name':'health'}]}],'tolerations':[{'key':'x','operator':'Exists'}]}}}}",
            "{'spec':{'template':{'spec':{'containers':[{'name':'calico-node','image':'calico/node:v3.28.0',"
                + "'env':[{'name':'A','value':'1'},{'name':'B','value':'3'}],'ports':[{'containerPort':9091},"
                + "{'containerPort':9099,'name':'health'}]},{'name':'sidecar','image':'s:1'}],"
                + "'tolerations':[{'key':'x','operator':'Exists'}]}}}}"),
        Arguments.of("$patch replace on a map replaces it",
            "{'spec':{'podSelector':{'matchLabels':{'a':'1'}}}}",
            "{'spec':{'podSelector':{'$patch':'replace','matchExpressions':[]}}}",
            "{'spec':{'podSelector':{'matchExpressions':[]}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategicMergeCases")
  void shouldApplyStrategicMergePatchWhenDirectivesAndListStrategiesAppear(String why, String current, String patch,
                                                                           String expected) {
    JsonNode result = Patches.apply(Patches.STRATEGIC_MERGE_PATCH, json(current), json(patch));

    assertThat(result).as(why).isEqualTo(json(expected));
  }

  @Test
  void shouldRemoveFieldsAndReplaceListsWhenMergePatchFollowsRfc7386() {
    JsonNode result = Patches.apply(Patches.MERGE_PATCH,
        json("{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'policyTypes':['Ingress']}}"),
        json("{'metadata':{'labels':{'a':null}},'spec':{'policyTypes':['Egress']}}"));

    assertThat(result).isEqualTo(json("{'metadata':{'labels':{'b':'2'}},'spec':{'policyTypes':['Egress']}}"));
  }

  @Test
  void shouldApplyOperationsWhenPatchIsJsonPatch() {
    JsonNode result = Patches.apply(Patches.JSON_PATCH, json("{'metadata':{'labels':{'a':'1'}}}"),
        json("[{'op':'add','path':'/metadata/labels/b','value':'2'},{'op':'remove','path':'/metadata/labels/a'}]"));

    assertThat(result).isEqualTo(json("{'metadata':{'labels':{'b':'2'}}}"));
  }

  @Test
  void shouldLeaveCurrentObjectUntouchedWhenPatching() {
    JsonNode current = json("{'metadata':{'labels':{'a':'1'}}}");

    Patches.apply(Patches.MERGE_PATCH, current, json("{'metadata':{'labels':{'a':null}}}"));
    Patches.apply(Patches.STRATEGIC_MERGE_PATCH, current, json("{'metadata':{'labels':{'a':null}}}"));

    assertThat(current).isEqualTo(json("{'metadata':{'labels':{'a':'1'}}}"));
  }

  @Test
  void shouldRefuseWhenStrategicMergePatchIsNotAnObject() {
    assertThatThrownBy(() -> Patches.apply(Patches.STRATEGIC_MERGE_PATCH, json("{}"), json("[]")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
