package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class PodsTest {

  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "nginx, latest", "nginx:1.27, 1.27", "registry.example:5000/team/app, latest",
      "registry.example:5000/team/app:v2, v2", "nginx@sha256:0123abcd, ''", "nginx:latest, latest"})
  void shouldFindTagAsParseImageNameWhenImageVaries(String image, String tag) {
    assertThat(Pods.imageTag(image)).isEqualTo(tag);
  }

  @Test
  void shouldDefaultAsSetDefaultsPodWhenFieldsAreAbsent() {
    ObjectNode pod = pod("""
        {"spec":{"hostNetwork":true,"serviceAccount":"agent","containers":[{"name":"a","image":"x:latest",
          "ports":[{"containerPort":8080}],"resources":{"limits":{"cpu":"1","memory":"1Gi"}},
          "readinessProbe":{"httpGet":{"port":8080}}}],
          "volumes":[{"name":"scratch"},{"name":"cfg","configMap":{"name":"cfg"}},{"name":"keys","secret":{
          "secretName":"k","defaultMode":256}}]}}""");

    Pods.setDefaults(pod);

    JsonNode spec = pod.path("spec");
    assertThat(spec.path("dnsPolicy").asString()).as("kept, not ClusterFirstWithHostNet").isEqualTo("ClusterFirst");
    assertThat(spec.path("hostNetwork").asBoolean()).isTrue();
    assertThat(spec.path("serviceAccountName").asString()).isEqualTo("agent");
    assertThat(spec.path("enableServiceLinks").asBoolean()).isTrue();
    JsonNode c = spec.path("containers").path(0);
    assertThat(c.path("imagePullPolicy").asString()).isEqualTo("Always");
    assertThat(c.path("ports").path(0).path("hostPort").asInt()).isEqualTo(8080);
    assertThat(c.path("ports").path(0).path("protocol").asString()).isEqualTo("TCP");
    assertThat(c.path("resources").path("requests").toString()).as("requests from limits")
        .isEqualTo("{\"cpu\":\"1\",\"memory\":\"1Gi\"}");
    assertThat(c.path("readinessProbe").path("periodSeconds").asInt()).isEqualTo(10);
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asString()).isEqualTo("/");
    assertThat(spec.path("volumes").path(0).has("emptyDir")).isTrue();
    assertThat(spec.path("volumes").path(1).path("configMap").path("defaultMode").asInt()).isEqualTo(420);
    assertThat(spec.path("volumes").path(2).path("secret").path("defaultMode").asInt()).as("as written")
        .isEqualTo(256);
    assertThat(Pods.qosClass(spec)).isEqualTo("Guaranteed");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{}|BestEffort",
      "{'requests':{'cpu':'100m'}}|Burstable",
      "{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'0.5','memory':'128Mi'}}|Guaranteed",
      "{'limits':{'cpu':'500m','memory':'128Mi'},'requests':{'cpu':'100m','memory':'128Mi'}}|Burstable",
      "{'limits':{'cpu':'1'}}|Burstable",
      "{'requests':{'ephemeral-storage':'1Gi'}}|BestEffort"})
  void shouldClassifyQosAsGetPodQosWhenResourcesVary(String resources, String qos) {
    JsonNode spec = Serialization.jsonMapper().readTree(("{'containers':[{'name':'a','image':'x','resources':"
        + resources + "}]}").replace('\'', '"'));

    assertThat(Pods.qosClass(spec)).isEqualTo(qos);
  }

  @Test
  void shouldRewriteFieldSelectorForStoreAndRefuseUnknownFieldsWhenPodsAreSelected() {
    assertThat(Pods.storeFieldSelector("status.phase=Running,spec.nodeName!=")).isEqualTo("status.phase=Running,"
        + "spec.nodeName");
    assertThat(Pods.storeFieldSelector("spec.host==worker-1,metadata.name!=web")).isEqualTo("spec.nodeName=worker-1,"
        + "metadata.name!=web");
    assertThat(Pods.storeFieldSelector("spec.nodeName=")).isEqualTo("!spec.nodeName");
    assertThatThrownBy(() -> Pods.storeFieldSelector("spec.containers=x"))
        .hasMessage("field label not supported: spec.containers");
    assertThat(Pods.fieldAttributes(pod("{'spec':{'nodeName':'worker-1'},'status':{'phase':'Running'}}")))
        .containsExactly(new Attribute("spec.nodeName", "worker-1"), new Attribute("spec.hostNetwork", "false"),
            new Attribute("status.phase", "Running"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "pending|{'phase':'Pending'}|0/1|Pending|0",
      "running and ready|{'phase':'Running','conditions':[{'type':'Ready','status':'True'}],'containerStatuses':"
          + "[{'name':'app','ready':true,'restartCount':0,'state':{'running':{}}}]}|1/1|Running|0",
      "crash loop|{'phase':'Running','containerStatuses':[{'name':'app','ready':false,'restartCount':5,"
          + "'state':{'waiting':{'reason':'CrashLoopBackOff'}},'lastState':{'terminated':{'exitCode':1,"
          + "'finishedAt':'2026-12-03T11:58:30Z'}}}]}|0/1|CrashLoopBackOff|5 (90s ago)",
      "killed|{'phase':'Running','containerStatuses':[{'name':'app','state':{'terminated':{'exitCode':137,"
          + "'signal':9}}}]}|0/1|Signal:9|0",
      "evicted|{'phase':'Failed','reason':'Evicted'}|0/1|Evicted|0"})
  void shouldPrintReadyStatusAndRestartsAsPrintPodWhenStatusVaries(String what, String status, String ready,
                                                                   String printed, String restarts) {
    ObjectNode pod = pod("{'spec':{'containers':[{'name':'app','image':'x'}]},'status':" + status + "}");

    Pods.Printed p = Pods.print(pod, NOW);

    assertThat(p.ready()).isEqualTo(ready);
    assertThat(p.status()).isEqualTo(printed);
    assertThat(p.restarts()).isEqualTo(restarts);
  }

  @Test
  void shouldPrintInitProgressSidecarsAndTerminatingWhenPodHasThem() {
    ObjectNode initializing = pod("""
        {'spec':{'initContainers':[{'name':'migrate','image':'x'},{'name':'proxy','image':'y','restartPolicy':'Always'}],
          'containers':[{'name':'app','image':'z'}]},
         'status':{'phase':'Pending','initContainerStatuses':[{'name':'migrate','state':{'running':{}}},
          {'name':'proxy','state':{'waiting':{}}}]}}""");
    assertThat(Pods.print(initializing, NOW)).satisfies(p -> {
      assertThat(p.status()).isEqualTo("Init:0/2");
      assertThat(p.ready()).as("the sidecar counts").isEqualTo("0/2");
    });

    ObjectNode terminating = pod("{'metadata':{'deletionTimestamp':'2026-12-03T11:59:00Z'},'spec':{'nodeName':'n1',"
        + "'containers':[{'name':'app','image':'x'}],'readinessGates':[{'conditionType':'example.com/lb'}]},"
        + "'status':{'phase':'Running','podIPs':[{'ip':'10.1.2.3'}],'conditions':[{'type':'example.com/lb',"
        + "'status':'True'}]}}");
    assertThat(Pods.print(terminating, NOW)).satisfies(p -> {
      assertThat(p.status()).isEqualTo("Terminating");
      assertThat(List.of(p.ip(), p.node(), p.nominatedNode(), p.readinessGates()))
          .containsExactly("10.1.2.3", "n1", "<none>", "1/1");
      assertThat(p.completed()).isNull();
    });
  }

  @Test
  void shouldMarkRowCompletedWhenPodSucceeded() {
    ObjectNode list = pod("{'kind':'PodList','apiVersion':'v1','metadata':{'resourceVersion':'7'},'items':[{'kind':"
        + "'Pod','apiVersion':'v1','metadata':{'name':'job','namespace':'shop'},'spec':{'containers':[{'name':'a',"
        + "'image':'x'}]},'status':{'phase':'Succeeded'}},{'kind':'Pod','apiVersion':'v1','metadata':{'name':'web',"
        + "'namespace':'shop'},'spec':{'containers':[{'name':'a','image':'x'}]},'status':{'phase':'Running'}}]}");

    JsonNode table = Serialization.jsonMapper().readTree(Tables.of(ApiPath.parse("/api/v1/namespaces/shop/pods")
        .orElseThrow(), list).orElseThrow());

    assertThat(table.path("columnDefinitions")).extracting(c -> c.path("name").asString() + "/"
            + c.path("priority").asInt())
        .containsExactly("Name/0", "Ready/0", "Status/0", "Restarts/0", "Age/0", "IP/1", "Node/1", "Nominated Node/1",
            "Readiness Gates/1");
    JsonNode completed = table.path("rows").path(0).path("conditions").path(0);
    assertThat(completed.path("type").asString()).isEqualTo("Completed");
    assertThat(completed.path("reason").asString()).isEqualTo("Succeeded");
    assertThat(table.path("rows").path(1).has("conditions")).isFalse();
    assertThat(table.path("rows").path(1).path("cells").path(2).asString()).isEqualTo("Running");
  }

  @Test
  void shouldAllowOnlyImagesDeadlineAndAddedTolerationsWhenPodIsUpdated() {
    ObjectNode before = pod("{'spec':{'containers':[{'name':'app','image':'x:1'}],'activeDeadlineSeconds':600,"
        + "'tolerations':[{'key':'a','operator':'Exists','tolerationSeconds':10}]}}");
    Pods.setDefaults(before);

    ObjectNode allowed = before.deepCopy();
    ((ObjectNode) allowed.path("spec").path("containers").path(0)).put("image", "x:2");
    ((ObjectNode) allowed.path("spec")).put("activeDeadlineSeconds", 300).put("hostNetwork", false);
    ((tools.jackson.databind.node.ArrayNode) allowed.path("spec").path("tolerations")).addObject().put("key", "b")
        .put("operator", "Exists");
    assertThat(Pods.prepareForUpdate(allowed, before, "web")).as("false is the zero value, as absent").isEmpty();

    ObjectNode longer = before.deepCopy();
    ((ObjectNode) longer.path("spec")).put("activeDeadlineSeconds", 900);
    assertThat(body(Pods.prepareForUpdate(longer, before, "web").orElseThrow()))
        .contains("spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value");

    ObjectNode dropped = before.deepCopy();
    ((ObjectNode) dropped.path("spec")).remove("tolerations");
    assertThat(body(Pods.prepareForUpdate(dropped, before, "web").orElseThrow()))
        .contains("spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds");

    ObjectNode moved = before.deepCopy();
    ((ObjectNode) moved.path("spec")).put("nodeName", "worker-2");
    assertThat(body(Pods.prepareForUpdate(moved, before, "web").orElseThrow()))
        .contains("Pod \\\"web\\\" is invalid: spec: Forbidden: pod updates may not change fields other than "
            + Pods.UPDATABLE_FIELDS)
        .contains("+ \\tnodeName: \\\"worker-2\\\"");
  }

  private static String body(io.fabric8.mockwebserver.http.MockResponse r) {
    assertThat(r.code()).isEqualTo(422);
    return r.getBody().readUtf8();
  }

  private static ObjectNode pod(String json) {
    return (ObjectNode) Serialization.jsonMapper().readTree(json.replace('\'', '"'));
  }
}
