package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * fabric8's CRUD dispatcher, made to answer like a real API server where kubectl and informers
 * depend on it.
 *
 * <p>Kept from the CRUD dispatcher: the object store and its attribute matching (label and
 * {@code metadata.name}/{@code metadata.namespace} field selectors), create with uid,
 * creationTimestamp and resourceVersion, get, list, and delete honouring finalizers. Added here:
 * discovery and OpenAPI, Status bodies on every error, the protobuf Namespace kubectl creates,
 * all three patch types, updates that keep server-owned fields, Namespace, NetworkPolicy and
 * DaemonSet defaulting, Pod defaulting, validation and field selectors (see {@link Pods}), namespace existence
 * checks, namespace deletion through Terminating, and watch events with their own resourceVersion (see
 * {@link WatchHub}).
 *
 * <p>Every change and every read happens under one lock, {@link #mutations}: events leave in
 * resourceVersion order and no read sees an update half done. It is held for microseconds.
 */
final class SimulatedApiDispatcher extends KubernetesCrudDispatcher {

  static final String NAME_LABEL = "kubernetes.io/metadata.name";
  static final List<String> SYSTEM_NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedApiDispatcher.class);
  private static final Logger REQUESTS = LoggerFactory.getLogger("io.fencewatch.sandbox.apiserver.requests");
  static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  /** What {@code ValidateDNS1123Label} says after {@code Invalid value: "<value>": }. */
  static final String DNS1123_LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric"
      + " characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc',"
      + " regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final String TERMINATING_CONFLICT = "The system is ensuring all content is removed from this"
      + " namespace.  Upon completion, this namespace will automatically be purged by the system.";

  private final Object mutations = new Object();
  private final ObjectMapper mapper = Serialization.jsonMapper();
  private final KubernetesAttributesExtractor extractor = (KubernetesAttributesExtractor) attributeExtractor;
  /** What is served now, in {@link ApiResource#ALL}'s order: the built-in kinds and the policy kinds turned on. */
  private volatile List<ApiResource> served = ApiResource.ALL;
  private volatile Discovery discovery = new Discovery(served);
  private volatile OpenApiDocuments openApi = new OpenApiDocuments(served);
  /** Whether the system namespaces (and the CRDs of the served policy kinds) are there. */
  private boolean seeded;
  private final WatchHub watchHub;
  private final Duration namespaceCleanupStep;
  private final ScheduledExecutorService namespaceController = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "simulated-namespace-controller");
    t.setDaemon(true);
    return t;
  });

  SimulatedApiDispatcher(Duration namespaceCleanupStep, int watchHistory) {
    this.namespaceCleanupStep = namespaceCleanupStep;
    this.watchHub = new WatchHub(watchHistory);
  }

  WatchHub watchHub() {
    return watchHub;
  }

  /** Creates the namespaces every cluster has, and the CRDs of the policy kinds served through one. */
  void seedSystemNamespaces() {
    synchronized (mutations) {
      for (String name : SYSTEM_NAMESPACES) {
        ObjectNode ns = mapper.createObjectNode().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", name);
        MockResponse r = create(ApiPath.parse("/api/v1/namespaces").orElseThrow(), ns);
        if (r.code() != 201) {
          throw new IllegalStateException("could not seed namespace " + name + ": " + r.getBody().readUtf8());
        }
      }
      served.stream().filter(r -> r.origin() == ApiResource.Origin.CRD).forEach(this::createCrd);
      seeded = true;
    }
  }

  // ------------------------------------------------------------------------------- policy kinds

  /** Whether {@code resource} is served now. */
  boolean serves(ApiResource resource) {
    return served.contains(resource);
  }

  /**
   * Turns the policy kinds {@code which} selects on or off, as installing or removing an engine does on a real
   * cluster. On: discovery and OpenAPI list the kind, then its CRD is created (a CRD ADDED event; Calico's
   * aggregated kinds have none). Off: its objects are deleted (a DELETED event each), discovery drops it, the
   * watches on it end, then its CRD is deleted (DELETED). Kinds already in the asked state are left alone.
   *
   * @return the kinds that changed
   */
  List<ApiResource> servePolicyKinds(java.util.function.Predicate<ApiResource> which, boolean on) {
    synchronized (mutations) {
      List<ApiResource> changed = ApiResource.POLICY_KINDS.stream()
          .filter(which).filter(r -> serves(r) != on).toList();
      for (ApiResource r : changed) {
        if (on) {
          setServed(r, true);
          if (seeded && r.origin() == ApiResource.Origin.CRD) {
            createCrd(r);
          }
        } else {
          removeObjects(r);
          setServed(r, false);
          watchHub.closeWatches(r);
          if (r.origin() == ApiResource.Origin.CRD) {
            deleteCrd(r);
          }
        }
        LOG.debug("policy kind {} {}", r.qualifiedName(), on ? "served" : "no longer served");
      }
      return changed;
    }
  }

  private void setServed(ApiResource r, boolean on) {
    java.util.Set<ApiResource> now = new java.util.HashSet<>(served);
    if (on) {
      now.add(r);
    } else {
      now.remove(r);
    }
    List<ApiResource> next = ApiResource.ALL.stream().filter(now::contains).toList();
    discovery = new Discovery(next);
    openApi = new OpenApiDocuments(next);
    served = next;
  }

  private void removeObjects(ApiResource r) {
    AttributeSet ofKind = getKey(r.collectionPath(null));
    List<AttributeSet> keys;
    synchronized (map) {
      keys = map.keySet().stream().filter(k -> k.matches(ofKind)).toList();
    }
    keys.forEach(key -> processEvent(r.collectionPath(null), key, key, null, null));
  }

  private static final String CRD_PATH = ApiResource.CUSTOM_RESOURCE_DEFINITIONS.collectionPath(null);

  /** The CRD a real cluster has for {@code r}: its names, scope, one served storage version, Established. */
  private void createCrd(ApiResource r) {
    if (findResource(getKey(CRD_PATH + "/" + r.qualifiedName())) != null) {
      return;
    }
    ObjectNode crd = mapper.createObjectNode().put("apiVersion", ApiResource.CUSTOM_RESOURCE_DEFINITIONS.apiVersion())
        .put("kind", ApiResource.CUSTOM_RESOURCE_DEFINITIONS.kind());
    crd.putObject("metadata").put("name", r.qualifiedName());
    ObjectNode spec = crd.putObject("spec").put("group", r.group())
        .put("scope", r.namespaced() ? "Namespaced" : "Cluster");
    ObjectNode names = crdNames(r);
    spec.set("names", names);
    ObjectNode version = spec.putArray("versions").addObject().put("name", r.version()).put("served", true)
        .put("storage", true);
    version.putObject("schema").putObject("openAPIV3Schema").put("type", "object")
        .put("x-kubernetes-preserve-unknown-fields", true);
    ArrayNode columns = version.putArray("additionalPrinterColumns");
    r.columns().forEach(c -> columns.addObject().put("name", c.name())
        .put("type", c.type().equals("timestamp") ? "date" : c.type()).put("jsonPath", c.jsonPath()));
    spec.putObject("conversion").put("strategy", "None");
    ObjectNode status = crd.putObject("status");
    status.set("acceptedNames", names.deepCopy());
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    ArrayNode conditions = status.putArray("conditions");
    conditions.addObject().put("type", "NamesAccepted").put("status", "True").put("lastTransitionTime", now)
        .put("reason", "NoConflicts").put("message", "no conflicts found");
    conditions.addObject().put("type", "Established").put("status", "True").put("lastTransitionTime", now)
        .put("reason", "InitialNamesAccepted").put("message", "the initial names have been accepted");
    status.putArray("storedVersions").add(r.version());
    MockResponse created = create(ApiPath.parse(CRD_PATH).orElseThrow(), crd);
    if (created.code() != 201) {
      throw new IllegalStateException("could not create CRD " + r.qualifiedName() + ": "
          + created.getBody().readUtf8());
    }
  }

  private ObjectNode crdNames(ApiResource r) {
    ObjectNode names = mapper.createObjectNode().put("plural", r.plural()).put("singular", r.singular())
        .put("kind", r.kind()).put("listKind", r.kind() + "List");
    if (!r.shortNames().isEmpty()) {
      ArrayNode shorts = names.putArray("shortNames");
      r.shortNames().forEach(shorts::add);
    }
    return names;
  }

  private void deleteCrd(ApiResource r) {
    String path = CRD_PATH + "/" + r.qualifiedName();
    Map.Entry<AttributeSet, String> crd = findResource(getKey(path));
    if (crd != null) {
      processEvent(path, getKey(path), crd.getKey(), null, null);
    }
  }

  /**
   * Bulk load (benchmarks): each object straight into the store through the call a create ends
   * with, without an HTTP round trip or the per-request checks. Objects carry their own uid,
   * resourceVersion and creationTimestamp.
   */
  void load(List<? extends io.fabric8.kubernetes.api.model.HasMetadata> objects) {
    io.fabric8.kubernetes.client.utils.KubernetesSerialization json =
        new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
    synchronized (mutations) {
      for (io.fabric8.kubernetes.api.model.HasMetadata o : objects) {
        ApiResource r = ApiResource.byApiVersionKind(o.getApiVersion(), o.getKind()).filter(this::serves)
            .orElseThrow(() -> new IllegalArgumentException("not a kind served here: " + o.getApiVersion() + " "
                + o.getKind()));
        String path = r.collectionPath(o.getMetadata().getNamespace());
        String body = json.asJson(o);
        AttributeSet key = getKey(path).add(new Attribute("name", o.getMetadata().getName()));
        processEvent(path, key, null, json.unmarshal(body, GenericKubernetesResource.class), body);
      }
    }
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    MockResponse response;
    try {
      response = route(request);
    } catch (UnsupportedMedia e) {
      response = ApiStatus.unsupportedMediaType(e.getMessage());
    } catch (JacksonException | IllegalArgumentException e) {
      response = ApiStatus.badRequest(e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", request.getMethod(), request.getPath(), e);
      response = ApiStatus.internalError(String.valueOf(e.getMessage()));
    }
    if (response.getBody() != null && response.getBody().size() > 0 && response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    REQUESTS.debug("{} {} [{}] -> {}", request.getMethod(), request.getPath(), request.getHeader("Content-Type"),
        response.code());
    return response;
  }

  private MockResponse route(RecordedRequest request) {
    String raw = request.getPath();
    String path = raw.contains("?") ? raw.substring(0, raw.indexOf('?')) : raw;
    HttpMethod method = request.method();
    if (method == HttpMethod.GET) {
      Optional<String> doc = discovery.document(path).or(() -> openApi.document(path));
      if (doc.isPresent()) {
        return ApiStatus.json(200, doc.get());
      }
      if (path.equals("/openapi/v2")) {
        return openApiV2(request.getHeader("Accept"));
      }
      if (path.equals("/healthz") || path.equals("/livez") || path.equals("/readyz")) {
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody("ok");
      }
    }
    Optional<ApiPath> parsed = ApiPath.parse(raw);
    if (parsed.isEmpty()) {
      return ApiStatus.notFound(null, null, null);
    }
    ApiPath ap = parsed.get();
    Optional<MockResponse> unserved = unserved(ap);
    if (unserved.isPresent()) {
      return unserved.get();
    }
    return switch (method) {
      case GET -> get(ap, request.getHeader("Accept"));
      case POST -> ap.name() != null ? ApiStatus.methodNotAllowed("POST is not allowed on a named resource")
          : create(ap, readBody(request, true));
      case PUT -> ap.name() == null ? ApiStatus.methodNotAllowed("PUT needs a named resource")
          : update(ap, readBody(request, false));
      case PATCH -> ap.name() == null ? ApiStatus.methodNotAllowed("PATCH needs a named resource") : patch(ap, request);
      case DELETE -> delete(ap);
      default -> ApiStatus.methodNotAllowed(method + " is not supported");
    };
  }

  /**
   * OpenAPI v2 without definitions. kubectl reads it only to validate, client-side, what OpenAPI v3 does not
   * describe, a kind that is not served: with no definition for it the validation passes and kubectl reports
   * {@code no matches for kind "CiliumNetworkPolicy" in version "cilium.io/v2"}, as against a real cluster
   * without the CRD. It asks for protobuf, where an empty message is an empty {@code Document}.
   */
  private static MockResponse openApiV2(String accept) {
    if (accept != null && accept.contains("protobuf")) {
      return new MockResponse().setResponseCode(200)
          .setHeader("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf").setBody("");
    }
    return ApiStatus.json(200, "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\""
        + Discovery.GIT_VERSION + "\"},\"paths\":{},\"definitions\":{}}");
  }

  /**
   * The 404 a real server answers for a path it has no route for: a policy kind that is not served (its CRD
   * or aggregated API is not installed), another version of a served group, or a cluster-scoped kind under
   * {@code /namespaces/<ns>/}. Empty when the path is served (or not one of the kinds known here).
   */
  Optional<MockResponse> unserved(ApiPath ap) {
    Optional<ApiResource> resource = ap.resource();
    if (resource.isPresent()) {
      boolean routed = serves(resource.get()) && (resource.get().namespaced() || ap.namespace() == null);
      return routed ? Optional.empty() : Optional.of(ApiStatus.notFound(null, null, null));
    }
    boolean policyGroup = ApiResource.POLICY_KINDS.stream().anyMatch(r -> r.group().equals(ap.group()));
    return policyGroup ? Optional.of(ApiStatus.notFound(null, null, null)) : Optional.empty();
  }

  /** Why a watch on {@code ap} is refused before it starts: not served (404), or a bad field selector (400). */
  Optional<MockResponse> refusedWatch(ApiPath ap) {
    Optional<MockResponse> unserved = unserved(ap);
    if (unserved.isPresent()) {
      return unserved;
    }
    try {
      forStore(ap);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(ApiStatus.badRequest(e.getMessage()));
    }
  }

  /**
   * {@code ap} as the store matches it: a pod field selector checked (400 for a field pods cannot be selected by)
   * and written in the store's terms ({@link Pods#storeFieldSelector}); other kinds as they are.
   */
  private static ApiPath forStore(ApiPath ap) {
    String fields = ap.query().get("fieldSelector");
    if (fields == null || fields.isEmpty() || !ApiResource.PODS.equals(ap.resource().orElse(null))) {
      return ap;
    }
    return ap.withQuery("fieldSelector", Pods.storeFieldSelector(fields));
  }

  private ObjectNode readBody(RecordedRequest request, boolean protobufAllowed) {
    String contentType = mediaType(request.getHeader("Content-Type"));
    byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
    if (contentType.equals(NamespaceProtobuf.CONTENT_TYPE)) {
      if (!protobufAllowed) {
        throw new UnsupportedMedia(contentType);
      }
      try {
        return NamespaceProtobuf.toJson(body);
      } catch (IllegalArgumentException e) {
        throw new UnsupportedMedia(contentType + " (" + e.getMessage() + ")");
      }
    }
    String text = new String(body, StandardCharsets.UTF_8);
    JsonNode node = contentType.contains("yaml") ? Serialization.yamlMapper().readTree(text) : mapper.readTree(text);
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("the request body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  // ---------------------------------------------------------------------------------------- read

  private MockResponse get(ApiPath ap, String accept) {
    MockResponse r;
    // Updates replace an entry in two steps (remove, put): reads wait for them to finish.
    synchronized (mutations) {
      // GET .../<name>/status answers the whole object, as a real server does.
      r = super.handleGet("status".equals(ap.subresource()) ? itemPath(ap) : forStore(ap).storePathWithSelectors());
    }
    if (r.code() == 404) {
      return ApiStatus.notFound(ap.plural(), ap.group(), ap.name());
    }
    if (r.code() != 200) {
      return r;
    }
    String body = ap.name() == null ? typedList(ap, r.getBody().readUtf8()) : r.getBody().readUtf8();
    if (Tables.requested(accept)) {
      Optional<String> table = Tables.of(ap, mapper.readTree(body));
      if (table.isPresent()) {
        return ApiStatus.json(200, table.get());
      }
    }
    return ApiStatus.json(200, body);
  }

  /** The CRUD store answers {@code kind: List}; a real server names the list and sorts it. */
  private String typedList(ApiPath ap, String body) {
    ObjectNode list = (ObjectNode) mapper.readTree(body);
    ap.resource().ifPresent(res -> list.put("kind", res.kind() + "List").put("apiVersion", res.apiVersion()));
    List<JsonNode> items = new ArrayList<>(list.withArrayProperty("items").values());
    items.sort(Comparator.comparing((JsonNode i) -> i.path("metadata").path("namespace").asString(""))
        .thenComparing(i -> i.path("metadata").path("name").asString("")));
    ArrayNode sorted = list.putArray("items");
    items.forEach(sorted::add);
    ObjectNode metadata = list.withObjectProperty("metadata");
    metadata.remove("selfLink");
    return list.toString();
  }

  /** Opens a watch on {@code ap} (a collection, or a name through its field selector). */
  WatchHub.Watch openWatch(ApiPath ap, String accept, WatchHub.Sink sink) {
    AttributeSet query = getKey(forStore(ap).storePathWithSelectors());
    String rv = ap.query().getOrDefault("resourceVersion", "");
    Long from;
    try {
      from = rv.isEmpty() ? null : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      from = 0L;
    }
    boolean initialEvents = "true".equals(ap.query().get("sendInitialEvents"));
    boolean bookmarks = "true".equals(ap.query().get("allowWatchBookmarks"));
    synchronized (mutations) {
      List<WatchHub.Current> current = new ArrayList<>();
      synchronized (map) {
        map.forEach((key, json) -> {
          if (key.matches(query)) {
            current.add(new WatchHub.Current(json, key));
          }
        });
      }
      current.sort(Comparator.comparing((WatchHub.Current c) -> String.valueOf(c.attributes().getAttribute("namespace")))
          .thenComparing(c -> String.valueOf(c.attributes().getAttribute("name"))));
      return watchHub.open(ap.where(), query, ap.resource().orElse(null), from, initialEvents, bookmarks, current,
          watchHub.lastPublished(), Tables.forWatch(ap, accept).orElse(UnaryOperator.identity()), sink);
    }
  }

  // -------------------------------------------------------------------------------------- create

  private MockResponse create(ApiPath ap, ObjectNode body) {
    return create(ap, body, null);
  }

  /** @param managedFieldsEntry the server-side apply manager's entry, or null */
  private MockResponse create(ApiPath ap, ObjectNode body, JsonNode managedFieldsEntry) {
    synchronized (mutations) {
      ObjectNode metadata = body.withObjectProperty("metadata");
      if (metadata.path("name").asString("").isEmpty() && !metadata.path("generateName").asString("").isEmpty()) {
        metadata.put("name", metadata.path("generateName").asString() + randomSuffix());
      }
      String name = metadata.path("name").asString("");
      if (ap.namespace() != null) {
        Optional<ObjectNode> ns = currentNamespace(ap.namespace());
        if (ns.isEmpty()) {
          return ApiStatus.notFound("namespaces", "", ap.namespace());
        }
        if (isTerminating(ns.get())) {
          return ApiStatus.namespaceTerminating(ap.plural(), ap.group(), name, ap.namespace());
        }
        String declared = metadata.path("namespace").asString("");
        if (!declared.isEmpty() && !declared.equals(ap.namespace())) {
          return ApiStatus.badRequest("the namespace of the provided object does not match the namespace sent on the"
              + " request");
        }
      } else {
        metadata.remove("namespace");
      }
      for (String serverOwned : List.of("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
          "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink")) {
        metadata.remove(serverOwned);
      }
      if (managedFieldsEntry != null) {
        metadata.putArray("managedFields").add(managedFieldsEntry);
      }
      Optional<ApiResource> resource = ap.resource();
      if (resource.isPresent() && resource.get().origin() != ApiResource.Origin.BUILT_IN) {
        Optional<MockResponse> refused = checkPolicyObject(resource.get(), body, name);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      if (resource.isPresent() && !name.isEmpty()) {
        Optional<MockResponse> invalid = validateName(resource.get(), name);
        if (invalid.isPresent()) {
          return invalid.get();
        }
      }
      if (ApiResource.NAMESPACES.equals(resource.orElse(null))) {
        defaultNamespace(body, null);
      } else if (ApiResource.NETWORK_POLICIES.equals(resource.orElse(null))) {
        Optional<MockResponse> invalid = defaultNetworkPolicy(body, name);
        if (invalid.isPresent()) {
          return invalid.get();
        }
      } else if (ApiResource.DAEMON_SETS.equals(resource.orElse(null))) {
        Optional<MockResponse> invalid = defaultDaemonSet(body, null, name);
        if (invalid.isPresent()) {
          return invalid.get();
        }
      }
      if (ApiResource.PODS.equals(resource.orElse(null))) {
        Optional<MockResponse> invalid = Pods.prepareForCreate(body, name);
        if (invalid.isPresent()) {
          return invalid.get();
        }
      }
      List<String> warnings = new ArrayList<>();
      if (resource.isPresent()) {
        Optional<MockResponse> refused = dropUnknownFields(ap, resource.get(), body, warnings);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      if (!name.isEmpty() && findResource(getKey(ap.storePath() + "/" + name)) != null) {
        return ApiStatus.alreadyExists(ap.plural(), ap.group(), name);
      }
      if (isDryRun(ap)) {
        return warn(ApiStatus.json(201, body.toString()), warnings);
      }
      MockResponse created = super.handleCreate(jsonRequest(HttpMethod.POST, ap.storePath(), body));
      if (created.code() != 201) {
        return created;
      }
      // The store holds what watchers saw (see processEvent), which the handler's own answer is not.
      String createdName = mapper.readTree(created.getBody().readUtf8()).path("metadata").path("name").asString();
      Map.Entry<AttributeSet, String> stored = findResource(getKey(ap.storePath() + "/" + createdName));
      if (ApiResource.CUSTOM_RESOURCE_DEFINITIONS.equals(resource.orElse(null))) {
        // kubectl apply -f of an engine's CRDs: the kind it names is served from now on.
        ApiResource.byCrdName(createdName).filter(r -> !serves(r)).ifPresent(r -> setServed(r, true));
      }
      return warn(ApiStatus.json(201, stored.getValue()), warnings);
    }
  }

  private RecordedRequest jsonRequest(HttpMethod method, String path, JsonNode body) {
    Headers headers = Headers.builder().add("Content-Type", "application/json").build();
    return new RecordedRequest("HTTP/1.1", method, path, headers,
        new Buffer(body.toString().getBytes(StandardCharsets.UTF_8)));
  }

  // -------------------------------------------------------------------------------------- update

  private MockResponse patch(ApiPath ap, RecordedRequest request) {
    String contentType = mediaType(request.getHeader("Content-Type"));
    if (contentType.equals("application/apply-patch+cbor")) {
      return ApiStatus.unsupportedMediaType(contentType);
    }
    if (contentType.equals("application/apply-patch+yaml")) {
      return serverSideApply(ap, request);
    }
    if (!List.of(Patches.JSON_PATCH, Patches.MERGE_PATCH, Patches.STRATEGIC_MERGE_PATCH).contains(contentType)) {
      return ApiStatus.unsupportedMediaType(contentType);
    }
    synchronized (mutations) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(itemPath(ap)));
      if (current == null) {
        return ApiStatus.notFound(ap.plural(), ap.group(), ap.name());
      }
      JsonNode patch = mapper.readTree(request.getBody().readUtf8());
      JsonNode patched;
      try {
        patched = Patches.apply(contentType, mapper.readTree(current.getValue()), patch);
      } catch (RuntimeException e) {
        return ApiStatus.failure(422, "Invalid", "the patch could not be applied: " + e.getMessage(), ap.plural(),
            ap.group(), ap.name(), null);
      }
      if (!patched.isObject()) {
        return ApiStatus.badRequest("the patched object is not a JSON object");
      }
      return update(ap, (ObjectNode) patched);
    }
  }

  /**
   * Server-side apply, as far as Fencewatch and kubectl need it: a field manager is required; an
   * object that does not exist is created (201) from the applied configuration; an existing one
   * gets the applied fields merged in (JSON merge semantics, 200). Field ownership and conflicts
   * are not tracked; the manager is recorded in {@code metadata.managedFields}. Honours dryRun.
   */
  private MockResponse serverSideApply(ApiPath ap, RecordedRequest request) {
    String manager = ap.query().get("fieldManager");
    if (manager == null || manager.isBlank()) {
      return ApiStatus.badRequest("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");
    }
    JsonNode applied = mapper.valueToTree(new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
        .unmarshal(request.getBody().readUtf8(), GenericKubernetesResource.class));
    if (!applied.isObject()) {
      return ApiStatus.badRequest("the applied configuration is not an object");
    }
    ObjectNode body = (ObjectNode) applied;
    ObjectNode meta = body.withObjectProperty("metadata");
    if (!meta.path("name").asString("").isEmpty() && !meta.path("name").asString().equals(ap.name())) {
      return ApiStatus.badRequest("the name of the object (" + meta.path("name").asString()
          + ") does not match the name on the URL (" + ap.name() + ")");
    }
    meta.put("name", ap.name());
    ObjectNode entry = mapper.createObjectNode().put("manager", manager).put("operation", "Apply")
        .put("apiVersion", body.path("apiVersion").asString("")).put("time", Instant.now()
            .truncatedTo(ChronoUnit.SECONDS).toString()).put("fieldsType", "FieldsV1");
    synchronized (mutations) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(itemPath(ap)));
      if (current == null) {
        ApiPath collection = new ApiPath(ap.group(), ap.version(), ap.namespace(), ap.plural(), null, null, ap.query());
        return create(collection, body, entry);
      }
      JsonNode patched = Patches.apply(Patches.MERGE_PATCH, mapper.readTree(current.getValue()), body);
      if (!patched.isObject()) {
        return ApiStatus.badRequest("the patched object is not a JSON object");
      }
      return update(ap, (ObjectNode) patched);
    }
  }

  private MockResponse update(ApiPath ap, ObjectNode body) {
    synchronized (mutations) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(itemPath(ap)));
      if (current == null) {
        return ApiStatus.notFound(ap.plural(), ap.group(), ap.name());
      }
      ObjectNode before = (ObjectNode) mapper.readTree(current.getValue());
      ObjectNode meta = body.withObjectProperty("metadata");
      ObjectNode currentMeta = before.withObjectProperty("metadata");
      String bodyName = meta.path("name").asString("");
      if (!bodyName.isEmpty() && !bodyName.equals(ap.name())) {
        return ApiStatus.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL ("
            + ap.name() + ")");
      }
      String bodyNamespace = meta.path("namespace").asString("");
      if (ap.namespace() != null && !bodyNamespace.isEmpty() && !bodyNamespace.equals(ap.namespace())) {
        return ApiStatus.badRequest("the namespace of the object (" + bodyNamespace
            + ") does not match the namespace on the URL (" + ap.namespace() + ")");
      }
      String precondition = meta.path("resourceVersion").asString("");
      if (!precondition.isEmpty() && !precondition.equals(currentMeta.path("resourceVersion").asString())) {
        return ApiStatus.conflict(ap.plural(), ap.group(), ap.name(),
            "the object has been modified; please apply your changes to the latest version and try again");
      }
      ObjectNode after;
      if ("status".equals(ap.subresource())) {
        after = before.deepCopy();
        if (body.has("status")) {
          after.set("status", body.get("status"));
        }
      } else if (ap.subresource() != null) {
        return ApiStatus.methodNotAllowed("the simulated API server does not update " + ap.subresource());
      } else {
        after = body;
        if (before.has("status")) {
          after.set("status", before.get("status"));
        }
      }
      after.put("apiVersion", before.path("apiVersion").asString()).put("kind", before.path("kind").asString());
      ObjectNode afterMeta = after.withObjectProperty("metadata");
      afterMeta.put("name", ap.name());
      for (String serverOwned : List.of("namespace", "uid", "creationTimestamp", "deletionTimestamp",
          "deletionGracePeriodSeconds", "generation", "resourceVersion")) {
        if (currentMeta.has(serverOwned)) {
          afterMeta.set(serverOwned, currentMeta.get(serverOwned));
        } else {
          afterMeta.remove(serverOwned);
        }
      }
      Optional<ApiResource> resource = ap.resource();
      if (ApiResource.NAMESPACES.equals(resource.orElse(null))) {
        defaultNamespace(after, before);
      } else if (ApiResource.NETWORK_POLICIES.equals(resource.orElse(null))) {
        Optional<MockResponse> invalid = defaultNetworkPolicy(after, ap.name());
        if (invalid.isPresent()) {
          return invalid.get();
        }
      } else if (ApiResource.DAEMON_SETS.equals(resource.orElse(null))) {
        Optional<MockResponse> invalid = defaultDaemonSet(after, before, ap.name());
        if (invalid.isPresent()) {
          return invalid.get();
        }
      }
      if (ApiResource.PODS.equals(resource.orElse(null))) {
        if ("status".equals(ap.subresource())) {
          Pods.prepareForStatusUpdate(after, before);
        } else {
          Optional<MockResponse> invalid = Pods.prepareForUpdate(after, before, ap.name());
          if (invalid.isPresent()) {
            return invalid.get();
          }
        }
      }
      List<String> warnings = new ArrayList<>();
      if (resource.isPresent()) {
        Optional<MockResponse> refused = dropUnknownFields(ap, resource.get(), after, warnings);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      touchGeneration(before, after);
      touchResourceVersion(before, after);
      String json = after.toString();
      if (isDryRun(ap)) {
        return warn(ApiStatus.json(200, json), warnings);
      }
      boolean finalizersDone = afterMeta.has("deletionTimestamp") && afterMeta.path("finalizers").isEmpty()
          && !ApiResource.NAMESPACES.equals(resource.orElse(null));
      processEvent(itemPath(ap), getKey(itemPath(ap)), current.getKey(), null, finalizersDone ? null : json);
      return warn(ApiStatus.json(200, json), warnings);
    }
  }

  // -------------------------------------------------------------------------------------- delete

  private MockResponse delete(ApiPath ap) {
    if (ApiResource.NAMESPACES.equals(ap.resource().orElse(null))) {
      return ap.name() == null ? ApiStatus.methodNotAllowed("the server does not allow this method on the requested"
          + " resource (delete collection of namespaces)") : deleteNamespace(ap);
    }
    synchronized (mutations) {
      if (isDryRun(ap)) {
        return get(ap, null);
      }
      if (ApiResource.CUSTOM_RESOURCE_DEFINITIONS.equals(ap.resource().orElse(null)) && ap.name() != null
          && findResource(getKey(itemPath(ap))) != null) {
        // As the CRD finalizer: the kind's objects go first, then its watches end, then the CRD.
        ApiResource.byCrdName(ap.name()).filter(this::serves).ifPresent(kind -> {
          removeObjects(kind);
          setServed(kind, false);
          watchHub.closeWatches(kind);
        });
      }
      MockResponse r = super.handleDelete(ap.storePathWithSelectors());
      if (r.code() == 404 && ap.name() != null) {
        return ApiStatus.notFound(ap.plural(), ap.group(), ap.name());
      }
      return r;
    }
  }

  /**
   * Deletes a namespace the way the namespace controller does: at once Terminating (a MODIFIED
   * event), a step later its content (a DELETED event per object), a step after that the
   * namespace itself (DELETED).
   */
  private MockResponse deleteNamespace(ApiPath ap) {
    synchronized (mutations) {
      Map.Entry<AttributeSet, String> current = findResource(getKey(itemPath(ap)));
      if (current == null) {
        return ApiStatus.notFound("namespaces", "", ap.name());
      }
      ObjectNode ns = (ObjectNode) mapper.readTree(current.getValue());
      if (isTerminating(ns)) {
        return ApiStatus.conflict("namespaces", "", ap.name(), TERMINATING_CONFLICT);
      }
      if (isDryRun(ap)) {
        return ApiStatus.json(200, ns.toString());
      }
      ObjectNode meta = ns.withObjectProperty("metadata");
      meta.put("deletionTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      meta.put("deletionGracePeriodSeconds", 0);
      meta.put("resourceVersion", Long.toString(requestResourceVersion()));
      ns.withObjectProperty("status").put("phase", "Terminating");
      String json = ns.toString();
      processEvent(itemPath(ap), getKey(itemPath(ap)), current.getKey(), null, json);
      String uid = meta.path("uid").asString();
      LOG.debug("namespace {} is Terminating", ap.name());
      namespaceController.schedule(() -> removeContent(ap.name(), uid), namespaceCleanupStep.toMillis(),
          TimeUnit.MILLISECONDS);
      return ApiStatus.json(200, json);
    }
  }

  private void removeContent(String namespace, String uid) {
    try {
      synchronized (mutations) {
        if (!sameNamespace(namespace, uid)) {
          return;
        }
        AttributeSet inNamespace = new AttributeSet(new Attribute(KubernetesAttributesExtractor.NAMESPACE, namespace));
        List<AttributeSet> content;
        synchronized (map) {
          content = map.keySet().stream().filter(k -> k.matches(inNamespace)).toList();
        }
        String path = "/api/v1/namespaces/" + namespace;
        content.forEach(key -> processEvent(path + "/content", key, key, null, null));
        LOG.debug("namespace {}: removed {} objects", namespace, content.size());
      }
      namespaceController.schedule(() -> removeNamespace(namespace, uid), namespaceCleanupStep.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      LOG.warn("namespace {}: content removal failed", namespace, e);
    }
  }

  private void removeNamespace(String namespace, String uid) {
    try {
      synchronized (mutations) {
        if (sameNamespace(namespace, uid)) {
          String path = "/api/v1/namespaces/" + namespace;
          processEvent(path, getKey(path), findResource(getKey(path)).getKey(), null, null);
          LOG.debug("namespace {} deleted", namespace);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("namespace {}: removal failed", namespace, e);
    }
  }

  private boolean sameNamespace(String namespace, String uid) {
    return currentNamespace(namespace)
        .map(ns -> uid.equals(ns.path("metadata").path("uid").asString()) && isTerminating(ns))
        .orElse(false);
  }

  // -------------------------------------------------------------------------------------- events

  /** Every change of the store passes here: the CRUD store updates itself, then watches hear of it. */
  @Override
  public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
                           GenericKubernetesResource resource, String newState) {
    String before = oldAttributes == null ? null : map.get(oldAttributes);
    if (oldAttributes == null && newState != null) {
      newState = asCreated(newState);
    }
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    AttributeSet after = null;
    JsonNode object = null;
    if (newState != null) {
      after = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
      if (!after.containsKey(KubernetesAttributesExtractor.PLURAL)) {
        after = AttributeSet.merge(pathAttributes, after);
      }
      object = mapper.readTree(newState);
      if ("Pod".equals(object.path("kind").asString("")) && "v1".equals(object.path("apiVersion").asString(""))) {
        // The store keys a pod by its selectable fields too, so field selectors select it (see Pods); also when
        // nothing changed, as the store has put it again under its plain key.
        AttributeSet keyed = after.add(Pods.fieldAttributes(object).toArray(Attribute[]::new));
        synchronized (map) {
          map.remove(after);
          map.put(keyed, newState);
        }
        after = keyed;
      }
    }
    if (Objects.equals(before, newState)) {
      return;
    }
    long rv = object != null ? object.path("metadata").path("resourceVersion").asLong(0) : requestResourceVersion();
    watchHub.publish(new WatchHub.Change(rv, before, oldAttributes, newState, after));
  }

  /**
   * The CRUD store numbers uids 00000000-...-000000000001 upwards, the same after every restart;
   * a real server's are random. Namespaces carry no generation on a real server.
   */
  private String asCreated(String json) {
    ObjectNode o = (ObjectNode) mapper.readTree(json);
    ObjectNode metadata = o.withObjectProperty("metadata");
    metadata.put("uid", UUID.randomUUID().toString());
    if ("Namespace".equals(o.path("kind").asString("")) && "v1".equals(o.path("apiVersion").asString(""))) {
      metadata.remove("generation");
    }
    return o.toString();
  }

  // ------------------------------------------------------------------------------------ defaults

  private Optional<ObjectNode> currentNamespace(String name) {
    Map.Entry<AttributeSet, String> e = findResource(getKey("/api/v1/namespaces/" + name));
    return e == null ? Optional.empty() : Optional.of((ObjectNode) mapper.readTree(e.getValue()));
  }

  private static boolean isTerminating(ObjectNode ns) {
    return ns.path("metadata").has("deletionTimestamp") || "Terminating".equals(ns.path("status").path("phase").asString(""));
  }

  /** The name label always matches the name; finalizers and status belong to the server. */
  private static void defaultNamespace(ObjectNode ns, ObjectNode before) {
    ObjectNode metadata = ns.withObjectProperty("metadata");
    metadata.withObjectProperty("labels").put(NAME_LABEL, metadata.path("name").asString());
    if (before == null) {
      ArrayNode finalizers = ns.withObjectProperty("spec").withArrayProperty("finalizers");
      if (finalizers.isEmpty()) {
        finalizers.add("kubernetes");
      }
      ns.putObject("status").put("phase", "Active");
    } else {
      if (before.has("spec")) {
        ns.set("spec", before.get("spec"));
      }
    }
  }

  /** As {@code SetDefaults_NetworkPolicy}: podSelector, policyTypes, port protocol. */
  private static Optional<MockResponse> defaultNetworkPolicy(ObjectNode policy, String name) {
    ObjectNode spec = policy.withObjectProperty("spec");
    if (!spec.path("podSelector").isObject()) {
      spec.putObject("podSelector");
    }
    ArrayNode types = spec.path("policyTypes").isArray() ? (ArrayNode) spec.get("policyTypes") : null;
    if (types == null || types.isEmpty()) {
      types = spec.putArray("policyTypes").add("Ingress");
      if (spec.path("egress").isArray() && !spec.path("egress").isEmpty()) {
        types.add("Egress");
      }
    }
    for (JsonNode t : types.values()) {
      if (!t.asString("").equals("Ingress") && !t.asString("").equals("Egress")) {
        return Optional.of(ApiStatus.invalid("NetworkPolicy.networking.k8s.io", "networking.k8s.io", name,
            new ApiStatus.Cause("FieldValueNotSupported", "Unsupported value: \"" + t.asString("")
                + "\": supported values: \"Egress\", \"Ingress\"", "spec.policyTypes")));
      }
    }
    for (String direction : List.of("ingress", "egress")) {
      for (JsonNode rule : spec.path(direction).values()) {
        for (JsonNode port : rule.path("ports").values()) {
          if (port.isObject() && !port.has("protocol")) {
            ((ObjectNode) port).put("protocol", "TCP");
          }
        }
      }
    }
    return Optional.empty();
  }

  /**
   * As {@code SetDefaults_DaemonSet} and the DaemonSet validation, for what clients depend on:
   * {@code updateStrategy} (RollingUpdate, maxUnavailable 1, maxSurge 0) and
   * {@code revisionHistoryLimit} (10) defaulted; a selector required, not empty, matching the pod
   * template's labels and, once created, immutable; at least one container. The status is left as
   * written (there are no nodes and no DaemonSet controller to count them).
   */
  private static Optional<MockResponse> defaultDaemonSet(ObjectNode ds, ObjectNode before, String name) {
    ObjectNode spec = ds.withObjectProperty("spec");
    ObjectNode strategy = spec.withObjectProperty("updateStrategy");
    if (strategy.path("type").asString("").isEmpty()) {
      strategy.put("type", "RollingUpdate");
    }
    if (strategy.path("type").asString("").equals("RollingUpdate")) {
      ObjectNode rolling = strategy.withObjectProperty("rollingUpdate");
      if (!rolling.has("maxUnavailable")) {
        rolling.put("maxUnavailable", 1);
      }
      if (!rolling.has("maxSurge")) {
        rolling.put("maxSurge", 0);
      }
    }
    if (!spec.has("revisionHistoryLimit")) {
      spec.put("revisionHistoryLimit", 10);
    }
    JsonNode selector = spec.path("selector");
    JsonNode templateLabels = spec.path("template").path("metadata").path("labels");
    Optional<ApiStatus.Cause> problem = Optional.empty();
    if (!selector.isObject()) {
      problem = Optional.of(new ApiStatus.Cause("FieldValueRequired", "Required value", "spec.selector"));
    } else if (selector.path("matchLabels").isEmpty() && selector.path("matchExpressions").isEmpty()) {
      problem = Optional.of(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"" + Tables.selector(selector)
          + "\": empty selector is invalid for daemonset", "spec.selector"));
    } else if (before != null && !selector.equals(before.path("spec").path("selector"))) {
      problem = Optional.of(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"" + Tables.selector(selector)
          + "\": field is immutable", "spec.selector"));
    } else if (!selects(selector, templateLabels)) {
      problem = Optional.of(new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"" + Tables.labels(templateLabels)
          + "\": `selector` does not match template `labels`", "spec.template.metadata.labels"));
    } else if (spec.path("template").path("spec").path("containers").isEmpty()) {
      problem = Optional.of(new ApiStatus.Cause("FieldValueRequired", "Required value",
          "spec.template.spec.containers"));
    }
    return problem.map(c -> ApiStatus.invalid("DaemonSet.apps", "apps", name, c));
  }

  /**
   * What a policy kind's object is checked for, its spec being stored as written: {@code apiVersion} and
   * {@code kind} those of the resource (400, as the decoder refuses them), a name (422).
   */
  private static Optional<MockResponse> checkPolicyObject(ApiResource r, ObjectNode body, String name) {
    String apiVersion = body.path("apiVersion").asString("");
    String kind = body.path("kind").asString("");
    if (kind.isEmpty()) {
      return Optional.of(ApiStatus.badRequest("Object 'Kind' is missing in '" + body + "'"));
    }
    if (!apiVersion.equals(r.apiVersion())) {
      return Optional.of(ApiStatus.badRequest("the API version in the data (" + apiVersion
          + ") does not match the expected API version (" + r.apiVersion() + ")"));
    }
    if (!kind.equals(r.kind())) {
      return Optional.of(ApiStatus.badRequest("the kind in the data (" + kind + ") does not match the expected kind ("
          + r.kind() + ")"));
    }
    if (name.isEmpty()) {
      return Optional.of(ApiStatus.invalid(r.kind() + "." + r.group(), r.group(), "",
          new ApiStatus.Cause("FieldValueRequired", "Required value: name or generateName is required",
              "metadata.name")));
    }
    return Optional.empty();
  }

  /** Whether a label selector ({@code matchLabels}, {@code matchExpressions}) selects these labels. */
  static boolean selects(JsonNode selector, JsonNode labels) {
    for (Map.Entry<String, JsonNode> e : selector.path("matchLabels").properties()) {
      JsonNode value = labels.path(e.getKey());
      if (!value.isString() || !value.asString().equals(e.getValue().asString(""))) {
        return false;
      }
    }
    for (JsonNode expr : selector.path("matchExpressions").values()) {
      String key = expr.path("key").asString("");
      boolean has = labels.path(key).isString();
      List<String> values = new ArrayList<>();
      expr.path("values").values().forEach(v -> values.add(v.asString("")));
      boolean ok = switch (expr.path("operator").asString("")) {
        case "In" -> has && values.contains(labels.path(key).asString());
        case "NotIn" -> !has || !values.contains(labels.path(key).asString());
        case "Exists" -> has;
        case "DoesNotExist" -> !has;
        default -> false;
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static Optional<MockResponse> validateName(ApiResource resource, String name) {
    boolean label = resource.equals(ApiResource.NAMESPACES);
    boolean valid = name.length() <= (label ? 63 : 253)
        && (label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).matcher(name).matches();
    if (valid) {
      return Optional.empty();
    }
    String why = label
        ? DNS1123_LABEL_MESSAGE
        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must"
            + " start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is"
            + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    String kind = resource.group().isEmpty() ? resource.kind() : resource.kind() + "." + resource.group();
    return Optional.of(ApiStatus.invalid(kind, resource.group(), name,
        new ApiStatus.Cause("FieldValueInvalid", "Invalid value: \"" + name + "\": " + why, "metadata.name")));
  }

  /**
   * Field validation as {@code ?fieldValidation=} asks: Strict refuses unknown fields (400), Warn
   * (the default) and Ignore drop them, Warn with a {@code Warning} header each.
   */
  private static Optional<MockResponse> dropUnknownFields(ApiPath ap, ApiResource resource, ObjectNode object,
                                                          List<String> warnings) {
    List<String> unknown = UnknownFields.strip(resource, object);
    if (unknown.isEmpty()) {
      return Optional.empty();
    }
    String directive = ap.query().getOrDefault("fieldValidation", "Warn");
    if (directive.equalsIgnoreCase("Strict")) {
      String fields = unknown.stream().map(f -> "unknown field \"" + f + "\"").collect(Collectors.joining(", "));
      return Optional.of(ApiStatus.badRequest(resource.kind() + " in version \"" + resource.version()
          + "\" cannot be handled as a " + resource.kind() + ": strict decoding error: " + fields));
    }
    if (!directive.equalsIgnoreCase("Ignore")) {
      unknown.forEach(f -> warnings.add("unknown field \"" + f + "\""));
    }
    return Optional.empty();
  }

  private static MockResponse warn(MockResponse response, List<String> warnings) {
    warnings.forEach(w -> response.addHeader("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\""));
    return response;
  }

  // --------------------------------------------------------------------------------------- misc

  /** Five characters from the alphabet the API server's name generator uses. */
  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder b = new StringBuilder(5);
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < 5; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  private static String itemPath(ApiPath ap) {
    return new ApiPath(ap.group(), ap.version(), ap.namespace(), ap.plural(), ap.name(), null, Map.of()).storePath();
  }

  private static boolean isDryRun(ApiPath ap) {
    return ap.query().containsKey("dryRun");
  }

  private static String mediaType(String header) {
    if (header == null || header.isBlank()) {
      return "application/json";
    }
    int semicolon = header.indexOf(';');
    return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** Stops the namespace controller and ends every watch. */
  void close() {
    namespaceController.shutdownNow();
    watchHub.closeAll();
  }

  /** A body in a media type this server does not read. */
  static final class UnsupportedMedia extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedMedia(String contentType) {
      super(contentType);
    }
  }
}
