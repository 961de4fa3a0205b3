package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated Kubernetes API server for the sandbox: fabric8's CRUD mock server made to behave like
 * a real API server wherever kubectl 1.32 and fabric8 informers depend on it.
 *
 * <p>It serves discovery, OpenAPI v3, Namespaces, Pods, DaemonSets, NetworkPolicies, Leases, CustomResourceDefinitions
 * and the policy kinds of Calico, Cilium and the AdminNetworkPolicy API ({@link #servePolicyKinds}) over plain
 * HTTP on
 * 127.0.0.1, with watches over WebSocket (fabric8) and HTTP streaming (kubectl). It starts with the
 * namespaces every cluster has ({@code default}, {@code kube-system}, {@code kube-public},
 * {@code kube-node-lease}). What it does not emulate is listed in the module's README.
 *
 * <pre>{@code
 * try (SimulatedApiServer api = new SimulatedApiServer().start(0);
 *      KubernetesClient client = api.client()) {
 *   api.writeKubeconfig(dataDir.resolve("kubeconfig"));
 *   ...
 * }
 * }</pre>
 */
public final class SimulatedApiServer implements AutoCloseable {

  /** Cluster, context and user name in the kubeconfig. */
  public static final String NAME = "sandbox";
  /** The bearer token clients send; the server accepts any. */
  public static final String TOKEN = "sandbox-token";
  /** Default pause between the steps of a namespace deletion. */
  public static final Duration DEFAULT_NAMESPACE_CLEANUP_STEP = Duration.ofMillis(150);

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedApiServer.class);
  private static final long BOOKMARK_INTERVAL_MS = 10_000;
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final SimulatedApiDispatcher dispatcher;
  /** Which other bearer tokens it accepts besides {@link #TOKEN}; null: any request, as before. */
  private volatile java.util.function.Predicate<String> tokens;
  /** Resources refused with 403, as RBAC would refuse them (see {@link #forbid}). */
  private final java.util.List<Forbidden> forbidden = new java.util.concurrent.CopyOnWriteArrayList<>();

  private record Forbidden(String group, String plural, String namespace) {
    boolean covers(ApiPath p) {
      return p.group().equals(group) && p.plural().equals(plural)
          && (namespace == null || namespace.equals(p.namespace()));
    }
  }
  private Vertx vertx;
  private HttpServer server;
  private int port = -1;
  private boolean closed;

  /** A server whose namespace deletions take {@link #DEFAULT_NAMESPACE_CLEANUP_STEP} per step. */
  public SimulatedApiServer() {
    this(DEFAULT_NAMESPACE_CLEANUP_STEP);
  }

  /**
   * A server whose namespace deletions pause {@code namespaceCleanupStep} after Terminating and
   * again after removing the namespace's content, as the namespace controller takes its time.
   */
  public SimulatedApiServer(Duration namespaceCleanupStep) {
    this(namespaceCleanupStep, WatchHub.DEFAULT_HISTORY);
  }

  /** As above, keeping only {@code watchHistory} changes for resuming watches (tests use few). */
  SimulatedApiServer(Duration namespaceCleanupStep, int watchHistory) {
    if (namespaceCleanupStep.isNegative()) {
      throw new IllegalArgumentException("namespaceCleanupStep must not be negative: " + namespaceCleanupStep);
    }
    this.dispatcher = new SimulatedApiDispatcher(namespaceCleanupStep, watchHistory);
  }

  /**
   * Listens on 127.0.0.1:{@code port}, 0 for a free port, and creates the system namespaces.
   *
   * @return this server
   * @throws IllegalStateException when started twice or when the port cannot be bound
   */
  public synchronized SimulatedApiServer start(int port) {
    if (vertx != null || closed) {
      throw new IllegalStateException("the simulated API server starts once");
    }
    dispatcher.seedSystemNamespaces();
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2).setInternalBlockingPoolSize(2));
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
        .setHandle100ContinueAutomatically(true).setCompressionSupported(false)
        // Plain HTTP/1.1 as a real API server speaks it without TLS: no h2c upgrade.
        .setHttp2ClearTextEnabled(false));
    server.requestHandler(this::handle);
    try {
      await(server.listen());
    } catch (RuntimeException e) {
      closeVertx();
      throw new IllegalStateException("the simulated API server could not listen on 127.0.0.1:" + port, e);
    }
    this.port = server.actualPort();
    vertx.setPeriodic(BOOKMARK_INTERVAL_MS, id -> dispatcher.watchHub().bookmarks());
    LOG.info("simulated API server listening on {}", url());
    return this;
  }

  /**
   * Serves the policy kinds of NetworkPolicy engines beyond {@code networking.k8s.io} ({@code on}, the
   * default) or stops serving them: Calico's {@code projectcalico.org/v3} NetworkPolicy and
   * GlobalNetworkPolicy, Cilium's {@code cilium.io/v2} CiliumNetworkPolicy and
   * CiliumClusterwideNetworkPolicy, and {@code policy.networking.k8s.io}'s AdminNetworkPolicy,
   * BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2). As installing or removing the
   * engine would: discovery and OpenAPI change, and a CRD is created or deleted for the kinds a real cluster
   * serves through one (a watch on {@code customresourcedefinitions} sees ADDED or DELETED); turning a kind
   * off deletes its objects first (DELETED events) and ends the watches on it. Before {@link #start} it only
   * decides what start creates.
   *
   * @return this server
   */
  public SimulatedApiServer servePolicyKinds(boolean on) {
    dispatcher.servePolicyKinds(r -> true, on);
    return this;
  }

  /**
   * As {@link #servePolicyKinds}, for the kinds of one API group: {@code projectcalico.org},
   * {@code cilium.io} or {@code policy.networking.k8s.io}.
   *
   * @throws IllegalArgumentException for another group
   */
  public SimulatedApiServer servePolicyGroup(String group, boolean on) {
    if (ApiResource.POLICY_KINDS.stream().noneMatch(r -> r.group().equals(group))) {
      throw new IllegalArgumentException("not a policy group served here: " + group + " (known: "
          + ApiResource.POLICY_KINDS.stream().map(ApiResource::group).distinct().toList() + ")");
    }
    dispatcher.servePolicyKinds(r -> r.group().equals(group), on);
    return this;
  }

  /**
   * Loads objects (Namespaces, NetworkPolicies, any kind served) straight into the store, for benchmarks that need
   * tens of thousands: no HTTP round trip and no validation per object. Each object must carry its
   * uid, resourceVersion and creationTimestamp (and a Namespace its phase and name label).
   */
  public void load(java.util.List<? extends io.fabric8.kubernetes.api.model.HasMetadata> objects) {
    dispatcher.load(objects);
  }

  /** The port it listens on. */
  public synchronized int port() {
    if (port < 0) {
      throw new IllegalStateException("the simulated API server is not started");
    }
    return port;
  }

  /** Ends every open watch (as an API server restart or a load balancer does); clients watch again. */
  public void endWatches() {
    dispatcher.watchHub().closeAll();
  }

  /** Watches open right now; for tests. */
  int openWatches() {
    return dispatcher.watchHub().openWatches();
  }

  /** Its base URL, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** A new fabric8 client for this server, namespace {@code default}; the caller closes it. */
  public KubernetesClient client() {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(url())
        .withOauthToken(TOKEN)
        .withNamespace("default")
        .withHttp2Disable(true)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * Writes a kubeconfig for this server (cluster, context and user {@code sandbox}, a dummy token)
   * that kubectl uses as is; the file is readable by its owner only where the file system allows.
   *
   * @return {@code file}
   */
  public Path writeKubeconfig(Path file) {
    String yaml = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: %2$s
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s
            namespace: default
        current-context: %1$s
        users:
        - name: %1$s
          user:
            token: %3$s
        preferences: {}
        """.formatted(NAME, url(), TOKEN);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("could not write kubeconfig " + file, e);
    }
  }

  /** Ends every watch, stops listening; safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    dispatcher.close();
    // Vert.x closes its servers before its event loops; closing the server first ourselves left
    // Netty notifying a channel group on terminated loops (an ERROR in the log at every stop).
    closeVertx();
    LOG.info("simulated API server on port {} stopped", port);
  }

  private void closeVertx() {
    if (vertx != null) {
      try {
        await(vertx.close());
      } catch (RuntimeException e) {
        LOG.warn("simulated API server on port {}: Vert.x close failed", port, e);
      }
    }
  }

  // ------------------------------------------------------------------------------------ requests

  /**
   * From now on, answers 401 to a request whose bearer token is neither {@link #TOKEN} (kubectl's, in
   * the kubeconfig it writes) nor accepted by {@code accepts} (an OKE cluster's token check, say).
   */
  public SimulatedApiServer requireToken(java.util.function.Predicate<String> accepts) {
    this.tokens = java.util.Objects.requireNonNull(accepts);
    return this;
  }

  /**
   * From now on, answers 403 Forbidden, with the Status an RBAC-enforcing server sends, to every
   * request for {@code plural} of {@code group} ({@code ""} for core) in {@code namespace} (null: in
   * every namespace and cluster-wide): a client with partial permissions, for tests. There is no
   * RBAC otherwise.
   */
  public SimulatedApiServer forbid(String group, String plural, String namespace) {
    forbidden.add(new Forbidden(java.util.Objects.requireNonNull(group), java.util.Objects.requireNonNull(plural),
        namespace));
    return this;
  }

  private Optional<String> forbiddenBody(HttpServerRequest request, Optional<ApiPath> path) {
    if (forbidden.isEmpty() || path.isEmpty()) {
      return Optional.empty();
    }
    ApiPath p = path.get();
    if (forbidden.stream().noneMatch(f -> f.covers(p))) {
      return Optional.empty();
    }
    String verb = switch (request.method().name()) {
      case "GET" -> p.isWatch() ? "watch" : p.name() == null ? "list" : "get";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> p.name() == null ? "deletecollection" : "delete";
      default -> request.method().name().toLowerCase(Locale.ROOT);
    };
    String qualified = p.group().isEmpty() ? p.plural() : p.plural() + "." + p.group();
    String message = qualified + (p.name() == null ? "" : " \"" + p.name() + "\"") + " is forbidden: User \"" + NAME
        + "\" cannot " + verb + " resource \"" + p.plural() + "\" in API group \"" + p.group() + "\""
        + (p.namespace() == null ? " at the cluster scope" : " in the namespace \"" + p.namespace() + "\"");
    return Optional.of(ApiStatus.body(403, "Forbidden", message, p.plural(), p.group(), p.name(), null));
  }

  private boolean authorized(HttpServerRequest request) {
    java.util.function.Predicate<String> check = tokens;
    if (check == null) {
      return true;
    }
    String auth = request.getHeader("Authorization");
    String token = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : null;
    if (token == null) {
      return false;
    }
    if (TOKEN.equals(token)) {
      return true;
    }
    try {
      return check.test(token);
    } catch (RuntimeException e) {
      LOG.debug("token refused: {}", e.getMessage());
      return false;
    }
  }

  private void handle(HttpServerRequest request) {
    if (!authorized(request)) {
      request.response().setStatusCode(401).putHeader("Content-Type", "application/json")
          .end("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
              + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
      return;
    }
    Optional<ApiPath> path = ApiPath.parse(request.uri());
    Optional<String> refused = forbiddenBody(request, path);
    if (refused.isPresent()) {
      request.response().setStatusCode(403).putHeader("Content-Type", "application/json").end(refused.get());
      return;
    }
    if (request.method() == io.vertx.core.http.HttpMethod.GET && path.isPresent() && path.get().isWatch()) {
      Optional<io.fabric8.mockwebserver.http.MockResponse> notWatched = dispatcher.refusedWatch(path.get());
      if (notWatched.isPresent()) {
        request.response().setStatusCode(notWatched.get().code()).putHeader("Content-Type", "application/json")
            .end(notWatched.get().getBody().readUtf8());
        return;
      }
      watch(request, path.get());
      return;
    }
    request.body()
        .onSuccess(body -> respond(request, body))
        .onFailure(e -> request.response().setStatusCode(500).end());
  }

  private void respond(HttpServerRequest request, Buffer body) {
    Headers.Builder headers = Headers.builder();
    request.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
    RecordedRequest recorded = new RecordedRequest(request.version().alpnName().toUpperCase(Locale.ROOT),
        HttpMethod.fromVertx(request.method()), request.uri(), headers.build(),
        new io.fabric8.mockwebserver.http.Buffer(body == null ? new byte[0] : body.getBytes()));
    MockResponse answer = dispatcher.dispatch(recorded);
    HttpServerResponse response = request.response().setStatusCode(answer.code());
    answer.getHeaders().toMultimap().forEach((k, v) -> response.headers().add(k, v));
    byte[] bytes = answer.getBody() == null ? new byte[0] : answer.getBody().getBytes();
    response.end(Buffer.buffer(bytes));
  }

  private void watch(HttpServerRequest request, ApiPath path) {
    long timeoutSeconds = parseLong(path.query().get("timeoutSeconds"));
    // The peer may go before openWatch returns (or openWatch may end the watch itself, 410).
    AtomicReference<WatchHub.Watch> opened = new AtomicReference<>();
    Handler<Object> peerGone = ignored -> Optional.ofNullable(opened.get()).ifPresent(WatchHub.Watch::forget);
    if (request.canUpgradeToWebSocket()) {
      request.toWebSocket()
          .onSuccess(ws -> {
            LOG.debug("watch {} over WebSocket", path.where());
            ws.closeHandler(peerGone::handle);
            ws.exceptionHandler(peerGone::handle);
            ws.handler(ignored -> { });
            opened.set(dispatcher.openWatch(path, request.getHeader("Accept"), new WebSocketSink(ws)));
            if (ws.isClosed()) {
              opened.get().forget();
            }
            scheduleTimeout(opened.get(), timeoutSeconds);
          })
          .onFailure(e -> LOG.debug("watch {}: WebSocket upgrade failed", path.where(), e));
      return;
    }
    LOG.debug("watch {} over HTTP streaming", path.where());
    HttpServerResponse response = request.response().setStatusCode(200).setChunked(true)
        .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-cache, private");
    response.closeHandler(peerGone::handle);
    response.exceptionHandler(peerGone::handle);
    response.writeHead();
    opened.set(dispatcher.openWatch(path, request.getHeader("Accept"), new StreamSink(response)));
    if (response.closed()) {
      opened.get().forget();
    }
    scheduleTimeout(opened.get(), timeoutSeconds);
  }

  private void scheduleTimeout(WatchHub.Watch w, long timeoutSeconds) {
    if (timeoutSeconds > 0) {
      vertx.setTimer(TimeUnit.SECONDS.toMillis(timeoutSeconds), id -> w.close());
    }
  }

  private static long parseLong(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Watch events as WebSocket text frames, the transport fabric8 prefers. */
  private static final class WebSocketSink implements WatchHub.Sink {
    private final ServerWebSocket ws;

    WebSocketSink(ServerWebSocket ws) {
      this.ws = ws;
    }

    @Override
    public boolean send(String event) {
      if (ws.isClosed()) {
        return false;
      }
      ws.writeTextMessage(event);
      return true;
    }

    @Override
    public void close() {
      if (!ws.isClosed()) {
        ws.close((short) 1000, "watch closed");
      }
    }
  }

  /** Watch events as newline-delimited JSON in a chunked response, the transport kubectl uses. */
  private static final class StreamSink implements WatchHub.Sink {
    private final HttpServerResponse response;

    StreamSink(HttpServerResponse response) {
      this.response = response;
    }

    @Override
    public boolean send(String event) {
      if (response.closed() || response.ended()) {
        return false;
      }
      response.write(event + "\n");
      return true;
    }

    @Override
    public void close() {
      if (!response.closed() && !response.ended()) {
        response.end();
      }
    }
  }
}
