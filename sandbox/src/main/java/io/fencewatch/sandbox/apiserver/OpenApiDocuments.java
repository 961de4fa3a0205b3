package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAPI v3 documents, just enough for kubectl.
 *
 * <p>kubectl validates with {@code --validate=strict} by default: it looks up the PATCH operation
 * of each kind in {@code /openapi/v3} and, when that operation takes the {@code fieldValidation}
 * query parameter, leaves validation to the server ({@code ?fieldValidation=Strict}) instead of
 * validating against schemas itself. The documents therefore describe operations, parameters and
 * patch content types, and carry no field schemas: this server checks what it can itself.
 */
final class OpenApiDocuments {

  private final ObjectMapper mapper = Serialization.jsonMapper();
  private final Map<String, String> groupVersionDocuments = new LinkedHashMap<>();
  private final String index;

  /** The documents of {@code served}; the server builds new ones when policy kinds are turned on or off. */
  OpenApiDocuments(List<ApiResource> served) {
    Map<String, List<ApiResource>> byGroupVersion = served.stream()
        .collect(Collectors.groupingBy(ApiResource::groupVersionPath, LinkedHashMap::new, Collectors.toList()));
    ObjectNode paths = mapper.createObjectNode();
    byGroupVersion.forEach((gvPath, resources) -> {
      String doc = groupVersionDocument(resources);
      String key = gvPath.substring(1);
      groupVersionDocuments.put("/openapi/v3/" + key, doc);
      paths.putObject(key).put("serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash(doc));
    });
    ObjectNode root = mapper.createObjectNode();
    root.set("paths", paths);
    index = root.toString();
  }

  /** The document at {@code path} (no query), if it is an OpenAPI v3 path. */
  Optional<String> document(String path) {
    if (path.equals("/openapi/v3") || path.equals("/openapi/v3/")) {
      return Optional.of(index);
    }
    return Optional.ofNullable(groupVersionDocuments.get(path));
  }

  private String groupVersionDocument(List<ApiResource> resources) {
    ObjectNode doc = mapper.createObjectNode().put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes").put("version", Discovery.GIT_VERSION);
    ObjectNode paths = doc.putObject("paths");
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    for (ApiResource r : resources) {
      String base = r.groupVersionPath() + (r.namespaced() ? "/namespaces/{namespace}/" : "/") + r.plural();
      String opSuffix = pascal(r.group()) + pascal(r.version()) + (r.namespaced() ? "Namespaced" : "") + r.kind();
      String ref = "#/components/schemas/" + schemaName(r);

      ObjectNode collection = paths.putObject(base);
      operation(collection, "get", "list" + opSuffix, "list", r, ref + "List", List.of("labelSelector", "fieldSelector",
          "limit", "continue", "resourceVersion", "resourceVersionMatch", "timeoutSeconds", "watch",
          "allowWatchBookmarks", "sendInitialEvents"));
      ObjectNode create = operation(collection, "post", "create" + opSuffix, "post", r, ref,
          List.of("dryRun", "fieldManager", "fieldValidation"));
      create.putObject("requestBody").put("required", true).putObject("content")
          .putObject("application/json").putObject("schema").put("$ref", ref);
      pathParameters(collection, r.namespaced() ? List.of("namespace") : List.of());

      ObjectNode item = paths.putObject(base + "/{name}");
      operation(item, "get", "read" + opSuffix, "get", r, ref, List.of());
      ObjectNode replace = operation(item, "put", "replace" + opSuffix, "put", r, ref,
          List.of("dryRun", "fieldManager", "fieldValidation"));
      replace.putObject("requestBody").put("required", true).putObject("content")
          .putObject("application/json").putObject("schema").put("$ref", ref);
      operation(item, "delete", "delete" + opSuffix, "delete", r, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status",
          List.of("dryRun", "gracePeriodSeconds", "propagationPolicy"));
      ObjectNode patch = operation(item, "patch", "patch" + opSuffix, "patch", r, ref,
          List.of("dryRun", "fieldManager", "fieldValidation", "force"));
      ObjectNode content = patch.putObject("requestBody").put("required", true).putObject("content");
      // Strategic merge patch is accepted but deliberately not listed: kubectl would then compute
      // apply patches from these (field-less) schemas and warn; unlisted, it uses the patch
      // metadata compiled into it for these built-in kinds, exactly as needed.
      for (String type : List.of("application/json-patch+json", "application/merge-patch+json")) {
        content.putObject(type).putObject("schema").put("$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
      }
      pathParameters(item, r.namespaced() ? List.of("name", "namespace") : List.of("name"));

      ObjectNode schema = schemas.putObject(schemaName(r)).put("type", "object")
          .put("description", r.kind() + " (fields are validated by the server)");
      schema.putArray("x-kubernetes-group-version-kind").add(gvk(r));
      ObjectNode list = schemas.putObject(schemaName(r) + "List").put("type", "object");
      list.putArray("x-kubernetes-group-version-kind").add(gvk(r).put("kind", r.kind() + "List"));
    }
    schemas.putObject("io.k8s.apimachinery.pkg.apis.meta.v1.Patch").put("type", "object");
    schemas.putObject("io.k8s.apimachinery.pkg.apis.meta.v1.Status").put("type", "object");
    return doc.toString();
  }

  private ObjectNode operation(ObjectNode path, String method, String operationId, String action, ApiResource r,
                               String responseRef, List<String> queryParameters) {
    ObjectNode op = path.putObject(method).put("operationId", operationId);
    ArrayNode params = op.putArray("parameters");
    for (String q : queryParameters) {
      params.addObject().put("name", q).put("in", "query").put("description", q)
          .putObject("schema").put("type", q.equals("limit") || q.equals("timeoutSeconds") ? "integer"
              : q.equals("watch") || q.equals("allowWatchBookmarks") || q.equals("sendInitialEvents")
              || q.equals("force") ? "boolean" : "string");
    }
    op.putObject("responses").putObject("200").put("description", "OK").putObject("content")
        .putObject("application/json").putObject("schema").put("$ref", responseRef);
    op.put("x-kubernetes-action", action);
    op.set("x-kubernetes-group-version-kind", gvk(r));
    return op;
  }

  private void pathParameters(ObjectNode path, List<String> names) {
    ArrayNode params = path.putArray("parameters");
    for (String n : names) {
      params.addObject().put("name", n).put("in", "path").put("required", true)
          .putObject("schema").put("type", "string").put("uniqueItems", true);
    }
  }

  private ObjectNode gvk(ApiResource r) {
    return mapper.createObjectNode().put("group", r.group()).put("kind", r.kind()).put("version", r.version());
  }

  private static String schemaName(ApiResource r) {
    String pkg = switch (r.group()) {
      case "" -> "io.k8s.api.core.";
      case "networking.k8s.io" -> "io.k8s.api.networking.";
      case "coordination.k8s.io" -> "io.k8s.api.coordination.";
      // As a CRD's published schema names it: the group reversed (io.cilium.v2.CiliumNetworkPolicy).
      default -> r.origin() == ApiResource.Origin.BUILT_IN ? "io.k8s.api." + r.group() + "."
          : String.join(".", reversed(r.group().split("\\."))) + ".";
    };
    return pkg + r.version() + "." + r.kind();
  }

  private static List<String> reversed(String[] parts) {
    List<String> out = new java.util.ArrayList<>(List.of(parts));
    java.util.Collections.reverse(out);
    return out;
  }

  private static String pascal(String s) {
    if (s.isEmpty()) {
      return "Core";
    }
    String first = s.split("\\.")[0];
    return Character.toUpperCase(first.charAt(0)) + first.substring(1);
  }

  private static String hash(String doc) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-512").digest(doc.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(d).substring(0, 128);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is part of every JDK", e);
    }
  }
}
