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
 * falls back to these documents, as it does against any API server older than 1.26.
 */
final class Discovery {

  static final String GIT_VERSION = "v1.32.0-fencewatch-sandbox";

  private final ObjectMapper mapper = Serialization.jsonMapper();
  private final Map<String, String> documents = new LinkedHashMap<>();

  Discovery() {
    documents.put("/version", version());
    documents.put("/api", apiVersions());
    documents.put("/apis", apiGroups());
    Map<String, List<ApiResource>> byGroupVersion = ApiResource.ALL.stream()
        .collect(Collectors.groupingBy(ApiResource::groupVersionPath, LinkedHashMap::new, Collectors.toList()));
    byGroupVersion.forEach((path, resources) -> documents.put(path, resourceList(resources)));
    ApiResource.ALL.stream().filter(r -> !r.group().isEmpty()).forEach(r -> documents.put("/apis/" + r.group(),
        group(r.group(), r.version()).put("kind", "APIGroup").put("apiVersion", "v1").toString()));
    ObjectNode root = mapper.createObjectNode();
    ArrayNode paths = root.putArray("paths");
    documents.keySet().stream().sorted().forEach(paths::add);
    List.of("/healthz", "/livez", "/openapi/v3", "/readyz").forEach(paths::add);
    documents.put("/", root.toString());
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

  private String apiGroups() {
    ObjectNode n = mapper.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode groups = n.putArray("groups");
    ApiResource.ALL.stream().filter(r -> !r.group().isEmpty()).map(r -> r.group() + "/" + r.version()).distinct()
        .forEach(gv -> groups.add(group(gv.substring(0, gv.indexOf('/')), gv.substring(gv.indexOf('/') + 1))));
    return n.toString();
  }

  private ObjectNode group(String group, String version) {
    ObjectNode g = mapper.createObjectNode().put("name", group);
    g.putArray("versions").addObject().put("groupVersion", group + "/" + version).put("version", version);
    g.putObject("preferredVersion").put("groupVersion", group + "/" + version).put("version", version);
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
      if (r == ApiResource.NAMESPACES) {
        ObjectNode finalize = list.addObject().put("name", "namespaces/finalize").put("singularName", "")
            .put("namespaced", false).put("kind", "Namespace");
        finalize.putArray("verbs").add("update");
        ObjectNode status = list.addObject().put("name", "namespaces/status").put("singularName", "")
            .put("namespaced", false).put("kind", "Namespace");
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
