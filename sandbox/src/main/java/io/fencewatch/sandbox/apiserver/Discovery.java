package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Legacy discovery documents ({@code /api}, {@code /apis}, group versions) and {@code /version}.
 *
 * <p>kubectl asks for aggregated discovery first; answered with plain {@code application/json} it
 * falls back to these documents, as it does against any API server older than 1.26. A group with several
 * versions ({@code policy.networking.k8s.io}: v1alpha2 and v1alpha1) lists them by Kubernetes' version
 * priority, the first preferred. Built once per set of served resources: the server builds a new one when
 * policy kinds are turned on or off.
 */
final class Discovery {

  static final String GIT_VERSION = "v1.32.0-fencewatch-sandbox";

  private final ObjectMapper mapper = Serialization.jsonMapper();
  private final Map<String, String> documents = new LinkedHashMap<>();

  /** The documents of {@code served} (a subset of {@link ApiResource#ALL}, in its order). */
  Discovery(List<ApiResource> served) {
    documents.put("/version", version());
    documents.put("/api", apiVersions());
    Map<String, List<String>> versionsByGroup = versionsByGroup(served);
    documents.put("/apis", apiGroups(versionsByGroup));
    Map<String, List<ApiResource>> byGroupVersion = served.stream()
        .collect(Collectors.groupingBy(ApiResource::groupVersionPath, LinkedHashMap::new, Collectors.toList()));
    byGroupVersion.forEach((path, resources) -> documents.put(path, resourceList(resources)));
    versionsByGroup.forEach((g, versions) -> documents.put("/apis/" + g,
        group(g, versions).put("kind", "APIGroup").put("apiVersion", "v1").toString()));
    ObjectNode root = mapper.createObjectNode();
    ArrayNode paths = root.putArray("paths");
    documents.keySet().stream().sorted().forEach(paths::add);
    List.of("/healthz", "/livez", "/openapi/v2", "/openapi/v3", "/readyz").forEach(paths::add);
    documents.put("/", root.toString());
  }

  /** Each named group's versions, the preferred (highest by Kubernetes' version priority) first. */
  private static Map<String, List<String>> versionsByGroup(List<ApiResource> served) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (ApiResource r : served) {
      if (!r.group().isEmpty()) {
        List<String> versions = out.computeIfAbsent(r.group(), g -> new java.util.ArrayList<>());
        if (!versions.contains(r.version())) {
          versions.add(r.version());
        }
      }
    }
    out.values().forEach(v -> v.sort(Discovery::byVersionPriority));
    return out;
  }

  private static final java.util.regex.Pattern KUBE_VERSION = java.util.regex.Pattern.compile(
      "v(\\d+)(?:(alpha|beta)(\\d+))?");

  /** As apimachinery's {@code CompareKubeAwareVersionStrings}: GA before beta before alpha, higher first. */
  static int byVersionPriority(String a, String b) {
    java.util.regex.Matcher ma = KUBE_VERSION.matcher(a);
    java.util.regex.Matcher mb = KUBE_VERSION.matcher(b);
    if (!ma.matches() || !mb.matches()) {
      return ma.matches() ? -1 : mb.matches() ? 1 : a.compareTo(b);
    }
    int stability = Integer.compare(stability(mb.group(2)), stability(ma.group(2)));
    if (stability != 0) {
      return stability;
    }
    int major = Integer.compare(Integer.parseInt(mb.group(1)), Integer.parseInt(ma.group(1)));
    if (major != 0 || ma.group(3) == null) {
      return major;
    }
    return Integer.compare(Integer.parseInt(mb.group(3)), Integer.parseInt(ma.group(3)));
  }

  private static int stability(String qualifier) {
    return qualifier == null ? 2 : qualifier.equals("beta") ? 1 : 0;
  }

  /** The document at {@code path} (no query), if it is a discovery path. */
  Optional<String> document(String path) {
    String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return Optional.ofNullable(documents.get(p));
  }

  private String version() {
    return mapper.createObjectNode()
        .put("major", "1").put("minor", "32")
        .put("gitVersion", GIT_VERSION).put("gitCommit", "0000000000000000000000000000000000000000")
        .put("gitTreeState", "clean").put("buildDate", "2026-01-01T00:00:00Z")
        .put("goVersion", "go1.23.4").put("compiler", "gc").put("platform", "linux/amd64")
        .toString();
  }

  private String apiVersions() {
    ObjectNode n = mapper.createObjectNode().put("kind", "APIVersions");
    n.putArray("versions").add("v1");
    n.putArray("serverAddressByClientCIDRs");
    return n.toString();
  }

  private String apiGroups(Map<String, List<String>> versionsByGroup) {
    ObjectNode n = mapper.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode groups = n.putArray("groups");
    versionsByGroup.forEach((g, versions) -> groups.add(group(g, versions)));
    return n.toString();
  }

  private ObjectNode group(String group, List<String> versions) {
    ObjectNode g = mapper.createObjectNode().put("name", group);
    ArrayNode list = g.putArray("versions");
    versions.forEach(v -> list.addObject().put("groupVersion", group + "/" + v).put("version", v));
    g.putObject("preferredVersion").put("groupVersion", group + "/" + versions.get(0)).put("version", versions.get(0));
    return g;
  }

  private String resourceList(List<ApiResource> resources) {
    ObjectNode n = mapper.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1")
        .put("groupVersion", resources.get(0).apiVersion());
    ArrayNode list = n.putArray("resources");
    for (ApiResource r : resources) {
      ObjectNode item = list.addObject().put("name", r.plural()).put("singularName", r.singular())
          .put("namespaced", r.namespaced()).put("kind", r.kind());
      ArrayNode verbs = item.putArray("verbs");
      r.verbs().forEach(verbs::add);
      if (!r.shortNames().isEmpty()) {
        ArrayNode shorts = item.putArray("shortNames");
        r.shortNames().forEach(shorts::add);
      }
      if (!r.categories().isEmpty()) {
        ArrayNode categories = item.putArray("categories");
        r.categories().forEach(categories::add);
      }
      if (r == ApiResource.NAMESPACES) {
        ObjectNode finalize = list.addObject().put("name", "namespaces/finalize").put("singularName", "")
            .put("namespaced", false).put("kind", "Namespace");
        finalize.putArray("verbs").add("update");
        ObjectNode status = list.addObject().put("name", "namespaces/status").put("singularName", "")
            .put("namespaced", false).put("kind", "Namespace");
        status.putArray("verbs").add("get").add("patch").add("update");
      }
      if (r == ApiResource.PODS) {
        // The kubelet (and here a test) writes status there. The other subresources of a real server (log, exec,
        // attach, portforward, proxy, binding, eviction, ephemeralcontainers) are not served, so not listed.
        ObjectNode status = list.addObject().put("name", "pods/status").put("singularName", "")
            .put("namespaced", true).put("kind", "Pod");
        status.putArray("verbs").add("get").add("patch").add("update");
      }
      if (r == ApiResource.CUSTOM_RESOURCE_DEFINITIONS) {
        ObjectNode status = list.addObject().put("name", "customresourcedefinitions/status").put("singularName", "")
            .put("namespaced", false).put("kind", "CustomResourceDefinition");
        status.putArray("verbs").add("get").add("patch").add("update");
      }
      if (r == ApiResource.DAEMON_SETS) {
        // The DaemonSet controller writes status there; clients (and tests) may too.
        ObjectNode status = list.addObject().put("name", "daemonsets/status").put("singularName", "")
            .put("namespaced", true).put("kind", "DaemonSet");
        status.putArray("verbs").add("get").add("patch").add("update");
      }
    }
    return n.toString();
  }
}
