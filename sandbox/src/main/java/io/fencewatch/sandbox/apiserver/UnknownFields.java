package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Finds and drops the fields a kind does not have, as the API server's decoder does; with
 * {@code fieldValidation=Strict} (kubectl's default) the caller refuses them instead.
 *
 * <p>The kind's schema is fabric8's model: a field it does not know lands in a model object's
 * {@code additionalProperties}. The JSON is walked alongside the model, so paths read as
 * kubectl prints them ({@code spec.ingress[0].fromm}).
 */
final class UnknownFields {

  private static final Map<ApiResource, Class<?>> MODELS = Map.of(
      ApiResource.NAMESPACES, Namespace.class,
      ApiResource.PODS, Pod.class,
      ApiResource.NETWORK_POLICIES, NetworkPolicy.class,
      ApiResource.LEASES, Lease.class,
      ApiResource.DAEMON_SETS, DaemonSet.class);
  private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";

  private UnknownFields() {
  }

  /**
   * Removes from {@code object} the fields its kind does not have and returns their paths.
   *
   * @throws IllegalArgumentException when a known field has the wrong type
   */
  static List<String> strip(ApiResource resource, ObjectNode object) {
    Class<?> model = MODELS.get(resource);
    if (model == null) {
      return List.of();
    }
    Object typed;
    try {
      typed = Serialization.unmarshal(object.toString(), model);
    } catch (RuntimeException e) {
      // fabric8 wraps Jackson's error in a KubernetesClientException: the cause says what is wrong.
      Throwable why = e.getCause() instanceof JacksonException j ? j : e;
      String message = why instanceof JacksonException j ? j.getOriginalMessage() : why.getMessage();
      throw new IllegalArgumentException(resource.kind() + " in version \"" + resource.version()
          + "\" cannot be handled as a " + resource.kind() + ": " + message, e);
    }
    List<String> unknown = new ArrayList<>();
    walk(typed, object, "", unknown);
    return unknown;
  }

  private static void walk(Object typed, JsonNode json, String path, List<String> unknown) {
    if (typed == null || json == null) {
      return;
    }
    if (json.isArray() && typed instanceof List<?> list) {
      for (int i = 0; i < Math.min(list.size(), json.size()); i++) {
        walk(list.get(i), json.get(i), path + "[" + i + "]", unknown);
      }
      return;
    }
    // FieldsV1 (managedFields) keeps arbitrary JSON in additionalProperties by design.
    if (!(json instanceof ObjectNode o) || typed instanceof FieldsV1
        || !typed.getClass().getName().startsWith(MODEL_PACKAGE)) {
      return;
    }
    Map<?, ?> additional = invoke(typed, "getAdditionalProperties") instanceof Map<?, ?> m ? m : Map.of();
    for (String field : new ArrayList<>(o.propertyNames())) {
      String fieldPath = path.isEmpty() ? field : path + "." + field;
      if (additional.containsKey(field)) {
        unknown.add(fieldPath);
        o.remove(field);
      } else if (!field.isEmpty()) {
        walk(invoke(typed, "get" + field.substring(0, 1).toUpperCase(Locale.ROOT) + field.substring(1)),
            o.get(field), fieldPath, unknown);
      }
    }
  }

  private static Object invoke(Object target, String getter) {
    try {
      Method m = target.getClass().getMethod(getter);
      return m.getParameterCount() == 0 ? m.invoke(target) : null;
    } catch (NoSuchMethodException e) {
      return null;
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + getter + " of " + target.getClass().getName(), e);
    }
  }
}
