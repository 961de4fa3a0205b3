package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/** {@code Status} bodies as a real API server sends them with every error. */
final class ApiStatus {

  /** One {@code details.causes} entry: kubectl prints {@code field: message} for Invalid. */
  record Cause(String reason, String message, String field) {
  }

  private ApiStatus() {
  }

  static MockResponse notFound(String plural, String group, String name) {
    String message = name == null
        ? "the server could not find the requested resource"
        : qualified(plural, group) + " \"" + name + "\" not found";
    return failure(404, "NotFound", message, plural, group, name, null);
  }

  static MockResponse alreadyExists(String plural, String group, String name) {
    return failure(409, "AlreadyExists", qualified(plural, group) + " \"" + name + "\" already exists",
        plural, group, name, null);
  }

  static MockResponse conflict(String plural, String group, String name, String why) {
    return failure(409, "Conflict", "Operation cannot be fulfilled on " + qualified(plural, group) + " \""
        + name + "\": " + why, plural, group, name, null);
  }

  static MockResponse badRequest(String message) {
    return failure(400, "BadRequest", message, null, null, null, null);
  }

  /** 422 for one field; {@code kind} as in {@code NetworkPolicy.networking.k8s.io}. */
  static MockResponse invalid(String kind, String group, String name, Cause cause) {
    return invalid(kind, group, name, List.of(cause));
  }

  /**
   * 422 for one or more fields, as {@code errors.NewInvalid}: one cause each, the message naming one error, or all
   * of them in brackets ({@code Pod "x" is invalid: [spec.containers[0].name: Required value, ...]}).
   */
  static MockResponse invalid(String kind, String group, String name, List<Cause> causes) {
    List<String> errors = causes.stream().map(c -> c.field() + ": " + c.message()).distinct().toList();
    String what = errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]";
    return json(422, body(422, "Invalid", kind + " \"" + name + "\" is invalid: " + what,
        kind.contains(".") ? kind.substring(0, kind.indexOf('.')) : kind, group, name, causes));
  }

  static MockResponse methodNotAllowed(String message) {
    return failure(405, "MethodNotAllowed", message, null, null, null, null);
  }

  static MockResponse unsupportedMediaType(String contentType) {
    return failure(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media"
        + " types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (Namespace"
        + " only); got " + contentType, null, null, null, null);
  }

  static MockResponse namespaceTerminating(String plural, String group, String name, String namespace) {
    String message = qualified(plural, group) + " \"" + name + "\" is forbidden: unable to create new content in"
        + " namespace " + namespace + " because it is being terminated";
    return failure(403, "Forbidden", message, plural, group, name,
        new Cause("NamespaceTerminating", "namespace " + namespace + " is being terminated", "metadata.namespace"));
  }

  static MockResponse internalError(String message) {
    return failure(500, "InternalError", "Internal error occurred: " + message, null, null, null, null);
  }

  static MockResponse failure(int code, String reason, String message, String kind, String group, String name,
                              Cause cause) {
    return json(code, body(code, reason, message, kind, group, name, cause == null ? List.of() : List.of(cause)));
  }

  /** A watch ERROR event's object when the requested resourceVersion is compacted away. */
  static String expiredBody(String message) {
    return body(410, "Expired", message, null, null, null, List.of());
  }

  static String body(int code, String reason, String message, String kind, String group, String name, Cause cause) {
    return body(code, reason, message, kind, group, name, cause == null ? List.of() : List.of(cause));
  }

  private static String body(int code, String reason, String message, String kind, String group, String name,
                             List<Cause> causes) {
    ObjectNode status = Serialization.jsonMapper().createObjectNode();
    status.put("kind", "Status").put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure").put("message", message).put("reason", reason);
    if (kind != null || name != null) {
      ObjectNode details = status.putObject("details");
      if (name != null) {
        details.put("name", name);
      }
      if (group != null && !group.isEmpty()) {
        details.put("group", group);
      }
      if (kind != null) {
        details.put("kind", kind);
      }
      if (!causes.isEmpty()) {
        tools.jackson.databind.node.ArrayNode list = details.putArray("causes");
        causes.forEach(c -> list.addObject().put("reason", c.reason()).put("message", c.message())
            .put("field", c.field()));
      }
    }
    status.put("code", code);
    return status.toString();
  }

  static MockResponse json(int code, String body) {
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
  }

  private static String qualified(String plural, String group) {
    return group == null || group.isEmpty() ? plural : plural + "." + group;
  }
}
