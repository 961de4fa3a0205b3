package io.fencewatch.sandbox.apiserver;

import io.fabric8.zjsonpatch.JsonPatch;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The three patch formats of the API server: JSON patch, JSON merge patch (RFC 7386) and
 * strategic merge patch, the last one for the kinds served here.
 *
 * <p>Strategic merge patch is JSON merge patch plus per-field list strategies and {@code $}
 * directives. Namespace, NetworkPolicy and Lease declare merge strategies only on
 * {@code metadata.finalizers} (merge), {@code metadata.ownerReferences} (merge by {@code uid}) and
 * {@code status.conditions} (merge by {@code type}); a Pod's spec and a DaemonSet's pod template add those of
 * {@code PodSpec} and {@code Container} (containers, init containers, volumes and image pull
 * secrets by {@code name}, env by {@code name}, ports by {@code containerPort}, volume mounts by
 * {@code mountPath}, ...), a Pod's status its IPs by {@code ip}. Every other list is replaced, as the server does.
 */
final class Patches {

  static final String JSON_PATCH = "application/json-patch+json";
  static final String MERGE_PATCH = "application/merge-patch+json";
  static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

  private static final String SET_ELEMENT_ORDER = "$setElementOrder/";
  private static final String DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";
  private static final String RETAIN_KEYS = "$retainKeys";
  private static final String PATCH = "$patch";

  /** Merge key per field path; an empty key means a list of primitives merged as a set. */
  private static final Map<String, String> MERGE_KEYS = mergeKeys();

  private Patches() {
  }

  /** The patch strategies of the served kinds ({@code patchMergeKey} tags of the Go types). */
  private static Map<String, String> mergeKeys() {
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    keys.put("metadata.finalizers", "");
    keys.put("metadata.ownerReferences", "uid");
    keys.put("status.conditions", "type");
    // A PodSpec: a Pod's spec, and a DaemonSet's pod template.
    for (String pod : List.of("spec.", "spec.template.spec.")) {
      for (String containers : List.of("containers", "initContainers", "ephemeralContainers")) {
        keys.put(pod + containers, "name");
        keys.put(pod + containers + ".env", "name");
        keys.put(pod + containers + ".ports", "containerPort");
        keys.put(pod + containers + ".volumeMounts", "mountPath");
        keys.put(pod + containers + ".volumeDevices", "devicePath");
        keys.put(pod + containers + ".resizePolicy", "resourceName");
      }
      keys.put(pod + "volumes", "name");
      keys.put(pod + "imagePullSecrets", "name");
      keys.put(pod + "hostAliases", "ip");
      keys.put(pod + "topologySpreadConstraints", "topologyKey");
      keys.put(pod + "schedulingGates", "name");
      keys.put(pod + "resourceClaims", "name");
    }
    // A Pod's status (conditions are above).
    keys.put("status.podIPs", "ip");
    keys.put("status.hostIPs", "ip");
    return Map.copyOf(keys);
  }

  /** Applies {@code patch} of media type {@code contentType} to a copy of {@code current}. */
  static JsonNode apply(String contentType, JsonNode current, JsonNode patch) {
    return switch (contentType) {
      case JSON_PATCH -> JsonPatch.apply(patch, current);
      case MERGE_PATCH -> mergePatch(current.deepCopy(), patch);
      case STRATEGIC_MERGE_PATCH -> {
        if (!patch.isObject()) {
          throw new IllegalArgumentException("a strategic merge patch must be a JSON object");
        }
        yield strategicMerge((ObjectNode) current.deepCopy(), (ObjectNode) patch, "");
      }
      default -> throw new IllegalArgumentException("unsupported patch type " + contentType);
    };
  }

  /** RFC 7386: {@code null} removes, objects merge, everything else replaces. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? (ObjectNode) target : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }

  private static ObjectNode strategicMerge(ObjectNode target, ObjectNode patch, String path) {
    String directive = patch.path(PATCH).asString("");
    if (directive.equals("replace")) {
      ObjectNode replaced = patch.deepCopy();
      replaced.remove(PATCH);
      return stripDirectives(replaced);
    }
    if (directive.equals("delete")) {
      return null;
    }
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String key = e.getKey();
      JsonNode value = e.getValue();
      if (key.equals(PATCH) || key.equals(RETAIN_KEYS) || key.startsWith(SET_ELEMENT_ORDER)) {
        continue;
      }
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        String field = key.substring(DELETE_FROM_PRIMITIVE_LIST.length());
        JsonNode list = target.get(field);
        if (list != null && list.isArray() && value.isArray()) {
          Set<JsonNode> remove = new LinkedHashSet<>(value.values());
          ((ArrayNode) list).removeIf(remove::contains);
        }
        continue;
      }
      String fieldPath = path.isEmpty() ? key : path + "." + key;
      if (value.isNull()) {
        target.remove(key);
      } else if (value.isObject()) {
        JsonNode existing = target.get(key);
        ObjectNode base = existing != null && existing.isObject() ? (ObjectNode) existing
            : JsonNodeFactory.instance.objectNode();
        ObjectNode merged = strategicMerge(base, (ObjectNode) value, fieldPath);
        if (merged == null) {
          target.remove(key);
        } else {
          target.set(key, merged);
        }
      } else if (value.isArray() && MERGE_KEYS.containsKey(fieldPath)) {
        target.set(key, mergeList(target.get(key), (ArrayNode) value, MERGE_KEYS.get(fieldPath), fieldPath));
      } else {
        target.set(key, value.isObject() || value.isArray() ? stripDirectives(value.deepCopy()) : value.deepCopy());
      }
    }
    if (patch.has(RETAIN_KEYS) && patch.get(RETAIN_KEYS).isArray()) {
      Set<String> retain = new LinkedHashSet<>();
      patch.get(RETAIN_KEYS).values().forEach(k -> retain.add(k.asString()));
      target.propertyNames().stream().filter(k -> !retain.contains(k)).toList().forEach(target::remove);
    }
    return target;
  }

  private static ArrayNode mergeList(JsonNode existing, ArrayNode patch, String mergeKey, String fieldPath) {
    ArrayNode result = existing != null && existing.isArray() ? (ArrayNode) existing
        : JsonNodeFactory.instance.arrayNode();
    if (mergeKey.isEmpty()) {
      Set<JsonNode> present = new LinkedHashSet<>(result.values());
      for (JsonNode v : patch.values()) {
        if (present.add(v)) {
          result.add(v.deepCopy());
        }
      }
      return result;
    }
    for (JsonNode element : patch.values()) {
      if (element.isObject() && element.path(PATCH).asString("").equals("replace")) {
        List<JsonNode> kept = new ArrayList<>();
        patch.values().stream().filter(v -> !v.path(PATCH).asString("").equals("replace"))
            .forEach(v -> kept.add(stripDirectives(v.deepCopy())));
        ArrayNode replaced = JsonNodeFactory.instance.arrayNode();
        kept.forEach(replaced::add);
        return replaced;
      }
    }
    for (JsonNode element : patch.values()) {
      if (!element.isObject()) {
        continue;
      }
      JsonNode key = element.get(mergeKey);
      int index = -1;
      for (int i = 0; i < result.size() && key != null; i++) {
        if (key.equals(result.get(i).get(mergeKey))) {
          index = i;
          break;
        }
      }
      if (element.path(PATCH).asString("").equals("delete")) {
        if (index >= 0) {
          result.remove(index);
        }
      } else if (index >= 0) {
        result.set(index, strategicMerge((ObjectNode) result.get(index), (ObjectNode) element, fieldPath));
      } else {
        result.add(stripDirectives(element.deepCopy()));
      }
    }
    return result;
  }

  private static <T extends JsonNode> T stripDirectives(T node) {
    if (node instanceof ObjectNode o) {
      o.propertyNames().stream().filter(k -> k.startsWith("$")).toList().forEach(o::remove);
      o.values().forEach(Patches::stripDirectives);
    } else if (node instanceof ArrayNode a) {
      a.values().forEach(Patches::stripDirectives);
    }
    return node;
  }
}
