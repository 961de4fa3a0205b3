package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.http.MockResponse;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * What kube-apiserver does to a core/v1 Pod beyond storing it, as far as kubectl, informers and Fencewatch depend on
 * it: the pod strategy's create and update rules, {@code SetDefaults_Pod}/{@code _PodSpec}/{@code _Container}, the
 * pod validation that matters here, the pod's selectable fields, and the printer's READY/STATUS/RESTARTS.
 *
 * <p>Nothing else acts on a pod: there is no scheduler, no kubelet and no controller, so a pod stays {@code Pending}
 * (with no node, IP or container statuses) until a client writes its {@code status} through the status subresource.
 */
final class Pods {

  static final String QUALIFIED_KIND = "Pod";

  /** {@code ToSelectableFields} of the pod strategy, beside {@code metadata.name} and {@code metadata.namespace}. */
  static final List<String> SELECTABLE_FIELDS = List.of("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
      "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName");

  /** {@code updatablePodSpecFields} of the pod validation, joined as upstream joins them. */
  static final String UPDATABLE_FIELDS = String.join(",", List.of(
      "`spec.containers[*].image`",
      "`spec.initContainers[*].image`",
      "`spec.activeDeadlineSeconds`",
      "`spec.tolerations` (only additions to existing tolerations)",
      "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));

  private static final List<String> CONTAINER_LISTS = List.of("containers", "initContainers");
  private static final List<String> QOS_RESOURCES = List.of("cpu", "memory");

  private Pods() {
  }

  // ------------------------------------------------------------------------------------ create

  /**
   * As the pod strategy's {@code PrepareForCreate}, the defaulting and {@code ValidatePodCreate}: the status a client
   * sent is dropped ({@code phase: Pending} and the computed {@code qosClass} instead), the spec defaulted, then
   * validated.
   *
   * @return the 422 when the pod is invalid
   */
  static Optional<MockResponse> prepareForCreate(ObjectNode pod, String name) {
    setDefaults(pod);
    List<ApiStatus.Cause> causes = validateSpec(pod.path("spec"));
    if (!causes.isEmpty()) {
      return Optional.of(ApiStatus.invalid(QUALIFIED_KIND, "", name, causes));
    }
    ObjectNode status = pod.putObject("status").put("phase", "Pending");
    status.put("qosClass", qosClass(pod.path("spec")));
    return Optional.empty();
  }

  // ------------------------------------------------------------------------------------ update

  /**
   * An update of the pod itself (not its status), as {@code ValidatePodUpdate}: defaulted and validated as on
   * create, then refused when it changes the spec beyond the container images, a shorter
   * {@code activeDeadlineSeconds} and added tolerations.
   *
   * @return the 422 when the update is not allowed
   */
  static Optional<MockResponse> prepareForUpdate(ObjectNode pod, ObjectNode before, String name) {
    setDefaults(pod);
    JsonNode spec = pod.path("spec");
    JsonNode old = before.path("spec");
    List<ApiStatus.Cause> causes = new ArrayList<>(validateSpec(spec));
    causes.addAll(validateSpecUpdate(spec, old));
    return causes.isEmpty() ? Optional.empty() : Optional.of(ApiStatus.invalid(QUALIFIED_KIND, "", name, causes));
  }

  /** An update through {@code pods/status}, as {@code podStatusStrategy}: the QoS class, once set, stays. */
  static void prepareForStatusUpdate(ObjectNode pod, ObjectNode before) {
    ObjectNode status = pod.withObjectProperty("status");
    String oldQos = before.path("status").path("qosClass").asString("");
    if (!oldQos.isEmpty()) {
      status.put("qosClass", oldQos);
    }
  }

  private static List<ApiStatus.Cause> validateSpecUpdate(JsonNode spec, JsonNode old) {
    List<ApiStatus.Cause> causes = new ArrayList<>();
    for (String list : CONTAINER_LISTS) {
      if (spec.path(list).size() != old.path(list).size()) {
        causes.add(forbidden("spec." + list, "pod updates may not add or remove containers"));
        return causes;
      }
    }
    JsonNode deadline = spec.path("activeDeadlineSeconds");
    JsonNode oldDeadline = old.path("activeDeadlineSeconds");
    if (deadline.isNumber()) {
      if (deadline.asLong() < 0 || deadline.asLong() > Integer.MAX_VALUE) {
        causes.add(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: " + deadline.asLong()
            + ": must be between 0 and " + Integer.MAX_VALUE + ", inclusive", "spec.activeDeadlineSeconds"));
        return causes;
      }
      if (oldDeadline.isNumber() && oldDeadline.asLong() < deadline.asLong()) {
        causes.add(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: " + deadline.asLong()
            + ": must be less than or equal to previous value", "spec.activeDeadlineSeconds"));
        return causes;
      }
    } else if (oldDeadline.isNumber()) {
      causes.add(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"null\": must not update from a positive"
          + " integer to nil value", "spec.activeDeadlineSeconds"));
    }
    if (!onlyAddedTolerations(spec.path("tolerations"), old.path("tolerations"))) {
      causes.add(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
    }
    // The rest must be as it was: what may change is taken from the old spec before comparing.
    ObjectNode munged = spec.isObject() ? (ObjectNode) spec.deepCopy() : JsonNodeFactory.instance.objectNode();
    for (String list : CONTAINER_LISTS) {
      for (int i = 0; i < munged.path(list).size(); i++) {
        JsonNode oldImage = old.path(list).path(i).path("image");
        if (!(munged.path(list).path(i) instanceof ObjectNode container)) {
          continue;
        }
        if (oldImage.isMissingNode()) {
          container.remove("image");
        } else {
          container.set("image", oldImage);
        }
      }
    }
    for (String field : List.of("activeDeadlineSeconds", "tolerations", "schedulingGates")) {
      if (old.has(field)) {
        munged.set(field, old.get(field));
      } else {
        munged.remove(field);
      }
    }
    if (old.path("terminationGracePeriodSeconds").asLong(0) < 0
        && munged.path("terminationGracePeriodSeconds").asLong(0) == 1) {
      munged.set("terminationGracePeriodSeconds", old.get("terminationGracePeriodSeconds"));
    }
    if (!semantic(munged).equals(semantic(old))) {
      causes.add(forbidden("spec", "pod updates may not change fields other than " + UPDATABLE_FIELDS + "\n"
          + specDiff(old, munged)));
    }
    return causes;
  }

  /** Each old toleration is still there, equal but for {@code tolerationSeconds}. */
  private static boolean onlyAddedTolerations(JsonNode tolerations, JsonNode old) {
    for (JsonNode o : old.values()) {
      boolean found = false;
      for (JsonNode t : tolerations.values()) {
        JsonNode a = semantic(o);
        JsonNode b = semantic(t);
        if (a instanceof ObjectNode oa && b instanceof ObjectNode ob) {
          oa.remove("tolerationSeconds");
          ob.remove("tolerationSeconds");
        }
        if (a.equals(b)) {
          found = true;
          break;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /**
   * The value as Go compares it after decoding: an absent field, null, {@code false}, 0, {@code ""}, an empty list
   * and an empty object all decode to the zero value, so they are equal.
   */
  private static JsonNode semantic(JsonNode node) {
    if (node.isObject()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      node.properties().forEach(e -> {
        JsonNode v = semantic(e.getValue());
        if (!isZero(v)) {
          out.set(e.getKey(), v);
        }
      });
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.values().forEach(v -> out.add(semantic(v)));
      return out;
    }
    return node;
  }

  private static boolean isZero(JsonNode v) {
    return v.isNull() || v.isMissingNode() || (v.isBoolean() && !v.asBoolean())
        || (v.isNumber() && v.asDouble() == 0) || (v.isString() && v.asString().isEmpty())
        || ((v.isArray() || v.isObject()) && v.isEmpty());
  }

  /** What differs, one line per top-level field, in the spirit of the {@code cmp.Diff} a real server appends. */
  private static String specDiff(JsonNode old, JsonNode changed) {
    StringBuilder b = new StringBuilder("  core.PodSpec{\n");
    Set<String> fields = new java.util.TreeSet<>();
    old.propertyNames().forEach(fields::add);
    changed.propertyNames().forEach(fields::add);
    for (String f : fields) {
      JsonNode was = semantic(old.path(f));
      JsonNode now = semantic(changed.path(f));
      if (!was.equals(now)) {
        b.append("- \t").append(f).append(": ").append(old.path(f).isMissingNode() ? "null" : old.get(f)).append(",\n");
        b.append("+ \t").append(f).append(": ").append(changed.path(f).isMissingNode() ? "null" : changed.get(f))
            .append(",\n");
      }
    }
    return b.append("  }\n").toString();
  }

  // ------------------------------------------------------------------------------------ validation

  /**
   * The part of {@code ValidatePodSpec} served here: containers present, each named (a DNS-1123 label, unique among
   * containers and init containers), each with an image.
   */
  private static List<ApiStatus.Cause> validateSpec(JsonNode spec) {
    List<ApiStatus.Cause> causes = new ArrayList<>();
    JsonNode containers = spec.path("containers");
    if (containers.isEmpty()) {
      causes.add(required("spec.containers"));
    }
    Set<String> names = new HashSet<>();
    for (String list : CONTAINER_LISTS) {
      JsonNode items = spec.path(list);
      for (int i = 0; i < items.size(); i++) {
        String path = "spec." + list + "[" + i + "]";
        String name = items.get(i).path("name").asString("");
        if (name.isEmpty()) {
          causes.add(required(path + ".name"));
        } else if (name.length() > 63 || !SimulatedApiDispatcher.DNS1123_LABEL.matcher(name).matches()) {
          causes.add(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"" + name + "\": "
              + SimulatedApiDispatcher.DNS1123_LABEL_MESSAGE, path + ".name"));
        }
        if (!names.add(name)) {
          causes.add(new ApiStatus.Cause("FieldValueDuplicate", "Duplicate value: \"" + name + "\"", path + ".name"));
        }
        if (items.get(i).path("image").asString("").isEmpty()) {
          causes.add(required(path + ".image"));
        }
      }
    }
    return causes;
  }

  private static ApiStatus.Cause required(String field) {
    return new ApiStatus.Cause("FieldValueRequired", "Required value", field);
  }

  private static ApiStatus.Cause forbidden(String field, String why) {
    return new ApiStatus.Cause("FieldValueForbidden", "Forbidden: " + why, field);
  }

  // ------------------------------------------------------------------------------------ defaults

  /**
   * {@code SetDefaults_PodSpec} (dnsPolicy ClusterFirst, restartPolicy Always, an empty securityContext,
   * terminationGracePeriodSeconds 30, schedulerName default-scheduler), {@code SetDefaults_Pod} (enableServiceLinks,
   * requests from limits, host ports on the host network), {@code SetDefaults_Container} (imagePullPolicy,
   * termination message path and policy), ports' TCP, volumes' and probes' defaults, and the v1 conversion of
   * {@code serviceAccountName} to the deprecated {@code serviceAccount}. {@code hostNetwork} is kept as written.
   */
  static void setDefaults(ObjectNode pod) {
    ObjectNode spec = pod.withObjectProperty("spec");
    defaultString(spec, "dnsPolicy", "ClusterFirst");
    defaultString(spec, "restartPolicy", "Always");
    if (!spec.path("securityContext").isObject()) {
      spec.putObject("securityContext");
    }
    if (!spec.path("terminationGracePeriodSeconds").isNumber()) {
      spec.put("terminationGracePeriodSeconds", 30);
    }
    defaultString(spec, "schedulerName", "default-scheduler");
    if (!spec.path("enableServiceLinks").isBoolean()) {
      spec.put("enableServiceLinks", true);
    }
    String account = spec.path("serviceAccountName").asString("");
    if (account.isEmpty()) {
      account = spec.path("serviceAccount").asString("");
    }
    if (!account.isEmpty()) {
      spec.put("serviceAccountName", account).put("serviceAccount", account);
    }
    boolean hostNetwork = spec.path("hostNetwork").asBoolean(false);
    for (String list : CONTAINER_LISTS) {
      for (JsonNode c : spec.path(list).values()) {
        if (c.isObject()) {
          defaultContainer((ObjectNode) c, hostNetwork);
        }
      }
    }
    for (JsonNode v : spec.path("volumes").values()) {
      if (v.isObject()) {
        defaultVolume((ObjectNode) v);
      }
    }
  }

  private static void defaultContainer(ObjectNode c, boolean hostNetwork) {
    if (c.path("imagePullPolicy").asString("").isEmpty()) {
      c.put("imagePullPolicy", "latest".equals(imageTag(c.path("image").asString(""))) ? "Always" : "IfNotPresent");
    }
    defaultString(c, "terminationMessagePath", "/dev/termination-log");
    defaultString(c, "terminationMessagePolicy", "File");
    ObjectNode resources = c.withObjectProperty("resources");
    if (resources.path("limits").isObject() && !resources.path("limits").isEmpty()) {
      ObjectNode requests = resources.withObjectProperty("requests");
      resources.path("limits").properties().forEach(e -> {
        if (!requests.has(e.getKey())) {
          requests.set(e.getKey(), e.getValue().deepCopy());
        }
      });
    }
    for (JsonNode port : c.path("ports").values()) {
      if (port.isObject()) {
        ObjectNode p = (ObjectNode) port;
        defaultString(p, "protocol", "TCP");
        if (hostNetwork && p.path("hostPort").asInt(0) == 0 && p.path("containerPort").isNumber()) {
          p.put("hostPort", p.path("containerPort").asInt());
        }
      }
    }
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      if (c.path(probe).isObject()) {
        ObjectNode p = (ObjectNode) c.get(probe);
        defaultNumber(p, "timeoutSeconds", 1);
        defaultNumber(p, "periodSeconds", 10);
        defaultNumber(p, "successThreshold", 1);
        defaultNumber(p, "failureThreshold", 3);
        if (p.path("httpGet").isObject()) {
          defaultString((ObjectNode) p.get("httpGet"), "path", "/");
          defaultString((ObjectNode) p.get("httpGet"), "scheme", "HTTP");
        }
      }
    }
  }

  private static void defaultVolume(ObjectNode v) {
    if (v.size() == 1 && v.has("name")) {
      v.putObject("emptyDir");
    }
    for (String source : List.of("configMap", "secret", "downwardAPI", "projected")) {
      if (v.path(source).isObject() && !v.path(source).path("defaultMode").isNumber()) {
        ((ObjectNode) v.get(source)).put("defaultMode", 420);
      }
    }
    if (v.path("hostPath").isObject()) {
      defaultString((ObjectNode) v.get("hostPath"), "type", "");
    }
  }

  /** The tag as {@code parsers.ParseImageName} finds it: {@code latest} when there is neither tag nor digest. */
  static String imageTag(String image) {
    int at = image.indexOf('@');
    String name = at >= 0 ? image.substring(0, at) : image;
    int slash = name.lastIndexOf('/');
    int colon = name.lastIndexOf(':');
    String tag = colon > slash ? name.substring(colon + 1) : "";
    return tag.isEmpty() && at < 0 ? "latest" : tag;
  }

  private static void defaultString(ObjectNode o, String field, String value) {
    if (!o.path(field).isString() || (o.path(field).asString().isEmpty() && !value.isEmpty())) {
      o.put(field, value);
    }
  }

  private static void defaultNumber(ObjectNode o, String field, int value) {
    if (!o.path(field).isNumber() || o.path(field).asInt() == 0) {
      o.put(field, value);
    }
  }

  /** As {@code qos.GetPodQOS}: BestEffort without cpu/memory requests and limits, Guaranteed when all are equal. */
  static String qosClass(JsonNode spec) {
    Map<String, BigDecimal> requests = new HashMap<>();
    Map<String, BigDecimal> limits = new HashMap<>();
    boolean guaranteed = true;
    for (String list : CONTAINER_LISTS) {
      for (JsonNode c : spec.path(list).values()) {
        add(requests, c.path("resources").path("requests"), null);
        Set<String> limitsFound = new HashSet<>();
        add(limits, c.path("resources").path("limits"), limitsFound);
        if (!limitsFound.containsAll(QOS_RESOURCES)) {
          guaranteed = false;
        }
      }
    }
    if (requests.isEmpty() && limits.isEmpty()) {
      return "BestEffort";
    }
    if (guaranteed) {
      for (Map.Entry<String, BigDecimal> r : requests.entrySet()) {
        BigDecimal l = limits.get(r.getKey());
        if (l == null || l.compareTo(r.getValue()) != 0) {
          guaranteed = false;
          break;
        }
      }
    }
    return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
  }

  private static void add(Map<String, BigDecimal> sums, JsonNode quantities, Set<String> found) {
    for (String resource : QOS_RESOURCES) {
      JsonNode q = quantities.path(resource);
      if (q.isMissingNode() || q.isNull()) {
        continue;
      }
      BigDecimal amount;
      try {
        amount = Quantity.getAmountInBytes(new Quantity(q.asString()));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("quantities must match the regular expression"
            + " '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': " + q.asString(), e);
      }
      if (amount.signum() > 0) {
        sums.merge(resource, amount, BigDecimal::add);
        if (found != null) {
          found.add(resource);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------ fields

  /**
   * The pod's selectable fields with a value, as store attributes: field selectors on them then select pods in
   * lists and watches as label selectors do. {@code spec.hostNetwork} is always there ({@code "true"} or
   * {@code "false"}).
   */
  static List<Attribute> fieldAttributes(JsonNode pod) {
    List<Attribute> out = new ArrayList<>();
    for (String field : SELECTABLE_FIELDS) {
      String value = field.equals("spec.hostNetwork")
          ? Boolean.toString(pod.path("spec").path("hostNetwork").asBoolean(false))
          : pod.path(field.substring(0, field.indexOf('.'))).path(field.substring(field.indexOf('.') + 1))
              .asString("");
      if (!value.isEmpty()) {
        out.add(new Attribute(field, value));
      }
    }
    return out;
  }

  /**
   * A pod field selector ({@code status.phase=Running,spec.nodeName!=}) in the form the store matches: a field
   * without a value as absent ({@code !spec.nodeName}), {@code spec.host} as {@code spec.nodeName}, as the v1
   * field label conversion does.
   *
   * @throws IllegalArgumentException for a field pods cannot be selected by (a 400, as upstream)
   */
  static String storeFieldSelector(String selector) {
    List<String> terms = new ArrayList<>();
    for (String term : selector.split(",")) {
      if (term.isBlank()) {
        continue;
      }
      String op = term.contains("!=") ? "!=" : term.contains("==") ? "==" : term.contains("=") ? "=" : null;
      if (op == null) {
        throw new IllegalArgumentException("invalid selector: '" + selector + "'; can't understand '" + term + "'");
      }
      String field = term.substring(0, term.indexOf(op)).trim();
      String value = term.substring(term.indexOf(op) + op.length()).trim();
      if (field.equals("spec.host")) {
        field = "spec.nodeName";
      }
      if (!field.equals("metadata.name") && !field.equals("metadata.namespace") && !SELECTABLE_FIELDS.contains(field)) {
        throw new IllegalArgumentException("field label not supported: " + field);
      }
      boolean not = op.equals("!=");
      terms.add(value.isEmpty() ? (not ? field : "!" + field) : field + (not ? "!=" : "=") + value);
    }
    return String.join(",", terms);
  }

  // ------------------------------------------------------------------------------------ printing

  /**
   * The cells {@code printPod} computes beyond NAME and AGE, and the row's Completed condition ({@code Succeeded}
   * or {@code Failed}, else null).
   */
  record Printed(String ready, String status, String restarts, String ip, String node, String nominatedNode,
                 String readinessGates, String completed) {
  }

  /** As {@code printPod} in {@code pkg/printers/internalversion}. */
  static Printed print(JsonNode pod, Instant now) {
    JsonNode spec = pod.path("spec");
    JsonNode status = pod.path("status");
    int restarts = 0;
    int sidecarRestarts = 0;
    int totalContainers = spec.path("containers").size();
    int readyContainers = 0;
    Instant lastRestart = null;
    Instant lastSidecarRestart = null;

    String phase = status.path("phase").asString("");
    String reason = status.path("reason").asString("").isEmpty() ? phase : status.path("reason").asString();
    for (JsonNode condition : status.path("conditions").values()) {
      if ("PodScheduled".equals(condition.path("type").asString(""))
          && "SchedulingGated".equals(condition.path("reason").asString(""))) {
        reason = "SchedulingGated";
      }
    }
    String completed = switch (phase) {
      case "Succeeded", "Failed" -> phase;
      default -> null;
    };

    Map<String, JsonNode> initContainers = new LinkedHashMap<>();
    for (JsonNode c : spec.path("initContainers").values()) {
      initContainers.put(c.path("name").asString(""), c);
      if (isRestartable(c)) {
        totalContainers++;
      }
    }

    boolean initializing = false;
    JsonNode initStatuses = status.path("initContainerStatuses");
    for (int i = 0; i < initStatuses.size(); i++) {
      JsonNode container = initStatuses.get(i);
      int count = container.path("restartCount").asInt(0);
      restarts += count;
      Instant finished = finishedAt(container.path("lastState").path("terminated"));
      lastRestart = later(lastRestart, finished);
      boolean restartable = isRestartable(initContainers.get(container.path("name").asString("")));
      if (restartable) {
        sidecarRestarts += count;
        lastSidecarRestart = later(lastSidecarRestart, finished);
      }
      JsonNode state = container.path("state");
      JsonNode terminated = state.path("terminated");
      JsonNode waiting = state.path("waiting");
      if (terminated.isObject() && terminated.path("exitCode").asInt(0) == 0) {
        continue;
      }
      if (restartable && container.path("started").asBoolean(false)) {
        if (container.path("ready").asBoolean(false)) {
          readyContainers++;
        }
        continue;
      }
      if (terminated.isObject()) {
        String why = terminated.path("reason").asString("");
        if (why.isEmpty()) {
          int signal = terminated.path("signal").asInt(0);
          reason = signal != 0 ? "Init:Signal:" + signal : "Init:ExitCode:" + terminated.path("exitCode").asInt(0);
        } else {
          reason = "Init:" + why;
        }
      } else if (waiting.isObject() && !waiting.path("reason").asString("").isEmpty()
          && !"PodInitializing".equals(waiting.path("reason").asString())) {
        reason = "Init:" + waiting.path("reason").asString();
      } else {
        reason = "Init:" + i + "/" + spec.path("initContainers").size();
      }
      initializing = true;
      break;
    }

    if (!initializing || hasCondition(status, "Initialized")) {
      restarts = sidecarRestarts;
      lastRestart = lastSidecarRestart;
      boolean hasRunning = false;
      JsonNode statuses = status.path("containerStatuses");
      for (int i = statuses.size() - 1; i >= 0; i--) {
        JsonNode container = statuses.get(i);
        restarts += container.path("restartCount").asInt(0);
        lastRestart = later(lastRestart, finishedAt(container.path("lastState").path("terminated")));
        JsonNode state = container.path("state");
        JsonNode terminated = state.path("terminated");
        if (!state.path("waiting").path("reason").asString("").isEmpty()) {
          reason = state.path("waiting").path("reason").asString();
        } else if (terminated.isObject() && !terminated.path("reason").asString("").isEmpty()) {
          reason = terminated.path("reason").asString();
        } else if (terminated.isObject()) {
          int signal = terminated.path("signal").asInt(0);
          reason = signal != 0 ? "Signal:" + signal : "ExitCode:" + terminated.path("exitCode").asInt(0);
        } else if (container.path("ready").asBoolean(false) && state.path("running").isObject()) {
          hasRunning = true;
          readyContainers++;
        }
      }
      if (reason.equals("Completed") && hasRunning) {
        reason = hasCondition(status, "Ready") ? "Running" : "NotReady";
      }
    }

    boolean deleting = pod.path("metadata").has("deletionTimestamp");
    if (deleting && "NodeLost".equals(status.path("reason").asString(""))) {
      reason = "Unknown";
    } else if (deleting && !phase.equals("Succeeded") && !phase.equals("Failed")) {
      reason = "Terminating";
    }

    String restartsText = Integer.toString(restarts);
    if (restarts != 0 && lastRestart != null) {
      restartsText = restarts + " (" + Tables.humanDuration(Duration.between(lastRestart, now)) + " ago)";
    }

    JsonNode ips = status.path("podIPs");
    String ip = ips.isEmpty() ? "" : ips.get(0).path("ip").asString("");
    String gates = "<none>";
    if (!spec.path("readinessGates").isEmpty()) {
      int trueConditions = 0;
      for (JsonNode gate : spec.path("readinessGates").values()) {
        String type = gate.path("conditionType").asString("");
        for (JsonNode condition : status.path("conditions").values()) {
          if (type.equals(condition.path("type").asString(""))) {
            if ("True".equals(condition.path("status").asString(""))) {
              trueConditions++;
            }
            break;
          }
        }
      }
      gates = trueConditions + "/" + spec.path("readinessGates").size();
    }
    return new Printed(readyContainers + "/" + totalContainers, reason, restartsText, orNone(ip),
        orNone(spec.path("nodeName").asString("")), orNone(status.path("nominatedNodeName").asString("")), gates,
        completed);
  }

  private static boolean isRestartable(JsonNode initContainer) {
    return initContainer != null && "Always".equals(initContainer.path("restartPolicy").asString(""));
  }

  private static boolean hasCondition(JsonNode status, String type) {
    for (JsonNode condition : status.path("conditions").values()) {
      if (type.equals(condition.path("type").asString("")) && "True".equals(condition.path("status").asString(""))) {
        return true;
      }
    }
    return false;
  }

  private static Instant finishedAt(JsonNode terminated) {
    String at = terminated.path("finishedAt").asString("");
    try {
      return at.isEmpty() ? null : Instant.parse(at);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a == null ? b : b == null || !a.isBefore(b) ? a : b;
  }

  private static String orNone(String s) {
    return s.isEmpty() ? "<none>" : s;
  }
}
