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

  private record Column(String name, String format, String description, Function<JsonNode, String> cell) {
  }

  private static final Column NAME = new Column("Name", "name", "Name must be unique within a namespace.",
      o -> o.path("metadata").path("name").asString(""));
  private static final Column AGE = new Column("Age", "", "CreationTimestamp is a timestamp representing the server"
      + " time when this object was created.", Tables::age);

  private static final Map<ApiResource, List<Column>> COLUMNS = Map.of(
      ApiResource.NAMESPACES, List.of(NAME,
          new Column("Status", "", "The status of the namespace", o -> o.path("status").path("phase").asString("")),
          AGE),
      ApiResource.NETWORK_POLICIES, List.of(NAME,
          new Column("Pod-Selector", "", "podSelector selects the pods to which this NetworkPolicy object applies.",
              o -> selector(o.path("spec").path("podSelector"))),
          AGE),
      ApiResource.LEASES, List.of(NAME,
          new Column("Holder", "", "holderIdentity contains the identity of the holder of a current lease.",
              o -> o.path("spec").path("holderIdentity").asString("")),
          AGE));

  private Tables() {
  }

  static boolean requested(String accept) {
    return accept != null && accept.contains("as=Table");
  }

  /** The list (or the single object) as a Table, when its kind has columns here. */
  static Optional<String> of(ApiPath ap, JsonNode listOrObject) {
    List<Column> columns = ap.resource().map(COLUMNS::get).orElse(null);
    if (columns == null) {
      return Optional.empty();
    }
    boolean list = listOrObject.has("items");
    List<JsonNode> objects = list ? new ArrayList<>(listOrObject.path("items").values()) : List.of(listOrObject);
    String rv = list ? listOrObject.path("metadata").path("resourceVersion").asString("")
        : listOrObject.path("metadata").path("resourceVersion").asString("");
    return Optional.of(table(columns, objects, rv, ap.query().getOrDefault("includeObject", "Metadata")).toString());
  }

  /** Turns each watched object into a one-row Table, as for {@code kubectl get -w}; empty if not asked. */
  static Optional<UnaryOperator<String>> forWatch(ApiPath ap, String accept) {
    List<Column> columns = ap.resource().map(COLUMNS::get).orElse(null);
    if (!requested(accept) || columns == null) {
      return Optional.empty();
    }
    String includeObject = ap.query().getOrDefault("includeObject", "Metadata");
    return Optional.of(json -> {
      JsonNode o = Serialization.jsonMapper().readTree(json);
      return table(columns, List.of(o), o.path("metadata").path("resourceVersion").asString(""), includeObject)
          .toString();
    });
  }

  private static ObjectNode table(List<Column> columns, List<JsonNode> objects, String rv, String includeObject) {
    ObjectNode t = Serialization.jsonMapper().createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    t.putObject("metadata").put("resourceVersion", rv);
    ArrayNode defs = t.putArray("columnDefinitions");
    for (Column c : columns) {
      defs.addObject().put("name", c.name()).put("type", "string").put("format", c.format())
          .put("description", c.description()).put("priority", 0);
    }
    ArrayNode rows = t.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      columns.forEach(c -> cells.add(c.cell().apply(o)));
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
