package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Server-side printing: the {@code meta.k8s.io/v1 Table} that {@code kubectl get} asks for
 * ({@code Accept: application/json;as=Table;...}), with the columns a real server prints for the
 * kinds served here.
 */
final class Tables {

  /** One column: {@code type} string or integer; {@code priority} 1 only with {@code -o wide}. */
  private record Column(String name, String type, String format, String description, int priority,
                        Function<JsonNode, Object> cell) {
    Column(String name, String format, String description, Function<JsonNode, Object> cell) {
      this(name, "string", format, description, 0, cell);
    }
  }

  private static final Column NAME = new Column("Name", "name", "Name must be unique within a namespace.",
      o -> o.path("metadata").path("name").asString(""));
  private static final Column AGE = new Column("Age", "", "CreationTimestamp is a timestamp representing the server"
      + " time when this object was created.", Tables::age);

  private static final Map<ApiResource, List<Column>> COLUMNS = Map.of(
      ApiResource.NAMESPACES, List.of(NAME,
          new Column("Status", "", "The status of the namespace", o -> o.path("status").path("phase").asString("")),
          AGE),
      // As printPod: READY, STATUS and RESTARTS from the status (0/1 Pending until a client writes one); IP, node,
      // nominated node and readiness gates with -o wide.
      ApiResource.PODS, List.of(NAME,
          new Column("Ready", "", "The aggregate readiness state of this pod for accepting traffic.",
              o -> printed(o).ready()),
          new Column("Status", "", "The aggregate status of the containers in this pod.", o -> printed(o).status()),
          new Column("Restarts", "", "The number of times the containers in this pod have been restarted and when the"
              + " last container in this pod has restarted.", o -> printed(o).restarts()),
          AGE,
          new Column("IP", "string", "", "podIP address allocated to the pod. Routable at least within the cluster."
              + " Empty if not yet allocated.", 1, o -> printed(o).ip()),
          new Column("Node", "string", "", "NodeName indicates in which node this pod is scheduled. If empty, this pod"
              + " is a candidate for scheduling by the scheduler defined in schedulerName.", 1, o -> printed(o).node()),
          new Column("Nominated Node", "string", "", "nominatedNodeName is set only when this pod preempts other pods"
              + " on the node, but it cannot be scheduled right away as preemption victims receive their graceful"
              + " termination periods.", 1, o -> printed(o).nominatedNode()),
          new Column("Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod"
              + " readiness.", 1, o -> printed(o).readinessGates())),
      ApiResource.NETWORK_POLICIES, List.of(NAME,
          new Column("Pod-Selector", "", "podSelector selects the pods to which this NetworkPolicy object applies.",
              o -> selector(o.path("spec").path("podSelector"))),
          AGE),
      ApiResource.LEASES, List.of(NAME,
          new Column("Holder", "", "holderIdentity contains the identity of the holder of a current lease.",
              o -> o.path("spec").path("holderIdentity").asString("")),
          AGE),
      // As the API server's printer: the status counts (0 until a controller writes them), the
      // template's node selector; containers, images and selector with -o wide.
      ApiResource.DAEMON_SETS, List.of(NAME,
          count("Desired", "desiredNumberScheduled", "The total number of nodes that should be running the daemon"
              + " pod (including nodes correctly running the daemon pod)."),
          count("Current", "currentNumberScheduled", "The number of nodes that are running at least 1 daemon pod"
              + " and are supposed to run the daemon pod."),
          count("Ready", "numberReady", "numberReady is the number of nodes that should be running the daemon pod"
              + " and have one or more of the daemon pod running with a Ready Condition."),
          count("Up-to-date", "updatedNumberScheduled", "The total number of nodes that are running updated daemon"
              + " pod"),
          count("Available", "numberAvailable", "The number of nodes that should be running the daemon pod and have"
              + " one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
          new Column("Node Selector", "", "NodeSelector is a selector which must be true for the pod to fit on a"
              + " node.", o -> labels(o.path("spec").path("template").path("spec").path("nodeSelector"))),
          AGE,
          new Column("Containers", "string", "", "Names of each container in the template.", 1,
              o -> containers(o, "name")),
          new Column("Images", "string", "", "Images referenced by each container in the template.", 1,
              o -> containers(o, "image")),
          new Column("Selector", "string", "", "A label query over pods that are managed by the daemon set.", 1,
              o -> selector(o.path("spec").path("selector")))));

  private Tables() {
  }

  private static Pods.Printed printed(JsonNode pod) {
    return Pods.print(pod, Instant.now());
  }

  /** A row's conditions: a Succeeded or Failed pod's {@code Completed}, as printPod sets it; else none. */
  private static Optional<ArrayNode> rowConditions(ApiResource resource, JsonNode o) {
    if (!ApiResource.PODS.equals(resource)) {
      return Optional.empty();
    }
    String phase = o.path("status").path("phase").asString("");
    if (!phase.equals("Succeeded") && !phase.equals("Failed")) {
      return Optional.empty();
    }
    ArrayNode conditions = Serialization.jsonMapper().createArrayNode();
    conditions.addObject().put("type", "Completed").put("status", "True").put("reason", phase)
        .put("message", phase.equals("Succeeded") ? "The pod has completed successfully." : "The pod failed.");
    return Optional.of(conditions);
  }

  private static Column count(String name, String statusField, String description) {
    return new Column(name, "integer", "", description, 0, o -> o.path("status").path(statusField).asLong(0));
  }

  /** As {@code labels.FormatLabels}: {@code k=v} sorted by key, comma-separated; {@code <none>} when empty. */
  static String labels(JsonNode map) {
    List<String> pairs = new ArrayList<>();
    map.properties().forEach(e -> pairs.add(e.getKey() + "=" + e.getValue().asString("")));
    pairs.sort(Comparator.naturalOrder());
    return pairs.isEmpty() ? "<none>" : String.join(",", pairs);
  }

  private static String containers(JsonNode o, String field) {
    List<String> values = new ArrayList<>();
    o.path("spec").path("template").path("spec").path("containers").values()
        .forEach(c -> values.add(c.path(field).asString("")));
    return String.join(",", values);
  }

  /** Its columns: as above for the built-in kinds, NAME and the resource's own printer columns otherwise. */
  private static List<Column> columns(ApiResource r) {
    List<Column> known = COLUMNS.get(r);
    if (known != null || r.columns().isEmpty()) {
      return known;
    }
    List<Column> out = new ArrayList<>();
    out.add(NAME);
    for (ApiResource.PrinterColumn c : r.columns()) {
      out.add(switch (c.type()) {
        case "date" -> new Column(c.name(), "date", "", "", 0, Tables::age);
        case "timestamp" -> new Column(c.name(), "date", "", "", 0, o -> at(o, c.jsonPath()));
        default -> new Column(c.name(), c.type(), "", "", 0, o -> at(o, c.jsonPath()));
      });
    }
    return out;
  }

  /** The value at a dotted path ({@code .spec.priority}) as text, empty when absent. */
  private static String at(JsonNode o, String jsonPath) {
    JsonNode n = o;
    for (String field : jsonPath.replaceFirst("^\\.", "").split("\\.")) {
      n = n.path(field);
    }
    return n.isValueNode() ? n.asString("") : n.isMissingNode() || n.isNull() ? "" : n.toString();
  }

  static boolean requested(String accept) {
    return accept != null && accept.contains("as=Table");
  }

  /** The list (or the single object) as a Table, when its kind has columns here. */
  static Optional<String> of(ApiPath ap, JsonNode listOrObject) {
    List<Column> columns = ap.resource().map(Tables::columns).orElse(null);
    if (columns == null) {
      return Optional.empty();
    }
    boolean list = listOrObject.has("items");
    List<JsonNode> objects = list ? new ArrayList<>(listOrObject.path("items").values()) : List.of(listOrObject);
    String rv = list ? listOrObject.path("metadata").path("resourceVersion").asString("")
        : listOrObject.path("metadata").path("resourceVersion").asString("");
    return Optional.of(table(ap.resource().orElseThrow(), columns, objects, rv,
        ap.query().getOrDefault("includeObject", "Metadata")).toString());
  }

  /** Turns each watched object into a one-row Table, as for {@code kubectl get -w}; empty if not asked. */
  static Optional<UnaryOperator<String>> forWatch(ApiPath ap, String accept) {
    List<Column> columns = ap.resource().map(Tables::columns).orElse(null);
    if (!requested(accept) || columns == null) {
      return Optional.empty();
    }
    String includeObject = ap.query().getOrDefault("includeObject", "Metadata");
    return Optional.of(json -> {
      JsonNode o = Serialization.jsonMapper().readTree(json);
      return table(ap.resource().orElseThrow(), columns, List.of(o),
          o.path("metadata").path("resourceVersion").asString(""), includeObject)
          .toString();
    });
  }

  private static ObjectNode table(ApiResource resource, List<Column> columns, List<JsonNode> objects, String rv,
                                  String includeObject) {
    ObjectNode t = Serialization.jsonMapper().createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    t.putObject("metadata").put("resourceVersion", rv);
    ArrayNode defs = t.putArray("columnDefinitions");
    for (Column c : columns) {
      defs.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
          .put("description", c.description()).put("priority", c.priority());
    }
    ArrayNode rows = t.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      rowConditions(resource, o).ifPresent(c -> row.set("conditions", c));
      for (Column c : columns) {
        Object cell = c.cell().apply(o);
        if (cell instanceof Long n) {
          cells.add(n);
        } else {
          cells.add(String.valueOf(cell));
        }
      }
      switch (includeObject) {
        case "None" -> { }
        case "Object" -> row.set("object", o);
        default -> {
          ObjectNode partial = row.putObject("object").put("kind", "PartialObjectMetadata")
              .put("apiVersion", "meta.k8s.io/v1");
          partial.set("metadata", o.path("metadata"));
        }
      }
    }
    return t;
  }

  /** As {@code metav1.FormatLabelSelector}: requirements sorted by key, {@code <none>} when empty. */
  static String selector(JsonNode selector) {
    List<String[]> requirements = new ArrayList<>();
    selector.path("matchLabels").properties()
        .forEach(e -> requirements.add(new String[] {e.getKey(), e.getKey() + "=" + e.getValue().asString("")}));
    for (JsonNode expr : selector.path("matchExpressions").values()) {
      String key = expr.path("key").asString("");
      List<String> values = new ArrayList<>();
      expr.path("values").values().forEach(v -> values.add(v.asString("")));
      values.sort(Comparator.naturalOrder());
      String text = switch (expr.path("operator").asString("")) {
        case "In" -> key + " in (" + String.join(",", values) + ")";
        case "NotIn" -> key + " notin (" + String.join(",", values) + ")";
        case "Exists" -> key;
        case "DoesNotExist" -> "!" + key;
        default -> "<error>";
      };
      requirements.add(new String[] {key, text});
    }
    requirements.sort(Comparator.comparing(r -> r[0]));
    List<String> parts = new ArrayList<>();
    requirements.forEach(r -> parts.add(r[1]));
    return parts.isEmpty() ? "<none>" : String.join(",", parts);
  }

  private static String age(JsonNode o) {
    String created = o.path("metadata").path("creationTimestamp").asString("");
    try {
      return humanDuration(Duration.between(Instant.parse(created), Instant.now()));
    } catch (DateTimeParseException e) {
      return "<unknown>";
    }
  }

  /** As {@code duration.HumanDuration} in apimachinery, which kubectl's AGE column shows. */
  static String humanDuration(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = d.toMinutes();
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = d.toHours();
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
