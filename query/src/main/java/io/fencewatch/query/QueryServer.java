package io.fencewatch.query;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyStoreOptions;

/**
 * The query and alert surface of one stream-processor instance, on one port: REST over the
 * coverage store (interactive queries across instances), the SSE drift feed, the dashboard,
 * {@code /metrics}, {@code /healthz}, {@code /readyz}, and the optional webhook alert sink;
 * optionally a second port ({@code query.health.port}) with the probes only.
 *
 * <p>Wiring in the processor's main:
 * <pre>{@code
 * QueryConfig qc = QueryConfig.fromEnv(System.getenv(), Map.of());
 * props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, qc.applicationServer());  // before new KafkaStreams
 * KafkaStreams streams = new KafkaStreams(topology, props);
 * QueryServer query = new QueryServer(qc, streams, "coverage-store", kafkaClientConfig).start();
 * streams.start();
 * // shutdown hook: query.close(); streams.close();
 * }</pre>
 * HTTP is served by Vert.x (Netty): connections are read without holding a thread, so slow or
 * half-open clients cost a socket each, bounded by {@link QueryConfig.HttpLimits}; requests that
 * query the stores run on a bounded worker pool; SSE streams and the probes never wait for it.
 */
public final class QueryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);

    /** The store name used unless the processor names it otherwise. */
    public static final String DEFAULT_STORE = "coverage-store";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final QueryConfig config;
    private final KafkaStreams streams;
    private final String storeName;
    private final String clusterStoreName;
    private final Map<String, Object> kafkaConfig;
    private final QueryMetrics metrics = new QueryMetrics();

    private Vertx vertx;
    private HttpServer server;
    private HttpServer healthServer;
    private ConnectionGuard guard;
    private ConnectionGuard healthGuard;
    private ThreadPoolExecutor pool;
    private ThreadPoolExecutor probes;
    private DriftFeed drift;
    private SseStreams sse;
    private WebhookSink webhook;
    private boolean started;
    private boolean closed;

    /**
     * @param config      settings; {@link QueryConfig#applicationServer()} must be this instance's
     *                    {@code application.server}
     * @param streams     the processor's Kafka Streams instance (started before or after)
     * @param storeName   name of its {@code KeyValueStore<String, NamespaceCoverage>}
     * @param kafkaConfig client settings reaching the cluster (bootstrap.servers and security),
     *                    used by the drift feed and the webhook sink's consumers
     */
    public QueryServer(QueryConfig config, KafkaStreams streams, String storeName, Map<String, Object> kafkaConfig) {
        this(config, streams, storeName, null, kafkaConfig);
    }

    /**
     * As above, plus the store of per-cluster liveness: a {@code KeyValueStore<String, V>} keyed by
     * cluster id, co-partitioned with the coverage store, whose values implement
     * {@link ClusterLiveness} (the processor's cluster state). It gives each cluster's
     * {@code lastSeen}, heartbeats included; without it {@code lastSeen} is the last change.
     */
    public QueryServer(QueryConfig config, KafkaStreams streams, String storeName, String clusterStoreName,
            Map<String, Object> kafkaConfig) {
        this.config = Objects.requireNonNull(config, "config");
        this.streams = Objects.requireNonNull(streams, "streams");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.clusterStoreName = clusterStoreName;
        this.kafkaConfig = Map.copyOf(kafkaConfig);
    }

    /**
     * Binds the port(s) and starts the drift feed (and the webhook sink if configured). Refuses
     * ({@link IllegalStateException}) to serve beyond loopback without a token unless
     * {@code query.auth=none}: see {@link QueryConfig#exposureProblem()}.
     */
    public synchronized QueryServer start() {
        if (closed) {
            throw new IllegalStateException("query server is closed");
        }
        if (started) {
            return this;
        }
        String exposure = config.exposureProblem();
        if (exposure != null) {
            throw new IllegalStateException(exposure);
        }
        BearerAuth auth = BearerAuth.from(config);
        if (QueryConfig.AUTH_NONE.equals(config.auth()) && !config.loopbackBind()) {
            LOG.warn("{}=none: the API on {} answers anyone who can reach it", QueryConfig.AUTH.name(), config.bindAddress());
        }
        SSLContext ssl = config.tls() ? sslContext() : null;
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(config.forwardTimeout())
                .version(HttpClient.Version.HTTP_1_1);
        if (ssl != null) {
            client.sslContext(ssl);
        }
        HostInfo self = HostInfo.buildFromEndpoint(applicationServer());
        CoverageQueryService queries = new CoverageQueryService(streams, storeName, clusterStoreName, self, client.build(),
                config.tls(), config.forwardTimeout());
        vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
                .setWorkerPoolSize(2)
                .setInternalBlockingPoolSize(2));
        pool = executor("fencewatch-http-", config.workerThreads(), config.limits().queue());
        probes = executor("fencewatch-probe-", 2, 16);
        drift = new DriftFeed(kafkaConfig, config.topics().drift(), config.historySize(), metrics::onDrift);
        sse = new SseStreams(vertx, drift, config.maxSseClients(), Duration.ofSeconds(15));
        String forwardAuth = auth.enabled() ? "Bearer " + readToken() : null;
        AllowedHosts hosts = new AllowedHosts(config);
        QueryConfig.HttpLimits limits = config.limits();
        guard = new ConnectionGuard(vertx, limits.maxConnections(), limits.headerTimeout().toMillis());
        ApiHandler api = new ApiHandler(config, queries, drift, metrics, auth, forwardAuth, sse, new Dashboard(), hosts,
                guard, pool, probes);
        metrics.connections(guard::open);
        try {
            server = listen(api, guard, config.port(), ssl != null);
            if (config.healthPort() >= 0) {
                healthGuard = new ConnectionGuard(vertx, 64, limits.headerTimeout().toMillis());
                healthServer = listen(api.probesOnly(healthGuard), healthGuard, config.healthPort(), ssl != null);
            }
        } catch (RuntimeException e) {
            vertx.close();
            pool.shutdownNow();
            probes.shutdownNow();
            throw e;
        }
        drift.start();
        if (config.webhook().enabled()) {
            webhook = new WebhookSink(config.webhook(), kafkaConfig, config.topics().drift(), metrics);
            webhook.start();
        }
        started = true;
        LOG.info("query server listening on {}://{}:{}{} (advertised {}, store {}, auth {}, hosts {}, webhook {})",
                config.tls() ? "https" : "http", config.bindAddress(), port(),
                healthServer == null ? "" : ", probes also on :" + healthPort(), applicationServer(), storeName,
                auth.enabled() ? "on" : "off", hosts.describe(), config.webhook());
        return this;
    }

    private HttpServer listen(ApiHandler handler, ConnectionGuard g, int port, boolean tls) {
        QueryConfig.HttpLimits limits = config.limits();
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.bindAddress())
                .setPort(port)
                .setTcpNoDelay(true)
                .setIdleTimeout((int) limits.idleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setHttp2ClearTextEnabled(false)
                .setCompressionSupported(false)
                .setHandle100ContinueAutomatically(false)
                .setAcceptBacklog(128);
        if (tls) {
            options.setSsl(true).setUseAlpn(false).setKeyCertOptions(new KeyStoreOptions().setType("PKCS12")
                    .setPath(config.keystore().toString()).setPassword(config.keystorePassword()));
        }
        HttpServer s = vertx.createHttpServer(options)
                .connectionHandler(g::onConnection)
                .invalidRequestHandler(handler::invalid)
                .requestHandler(handler)
                .exceptionHandler(e -> LOG.debug("HTTP connection error: {}", e.toString()));
        try {
            return s.listen().toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + config.bindAddress() + ":" + port, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new UncheckedIOException("cannot listen on " + config.bindAddress() + ":" + port,
                    cause instanceof IOException io ? io : new IOException(cause.toString(), cause));
        }
    }

    private static ThreadPoolExecutor executor(String prefix, int threads, int queue) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor e = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    /** The port actually bound (useful with port 0). */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return server.actualPort();
    }

    /** The probes-only port actually bound, or -1 when there is none. */
    public synchronized int healthPort() {
        return healthServer == null ? -1 : healthServer.actualPort();
    }

    /** This instance's {@code host:port} for {@link StreamsConfig#APPLICATION_SERVER_CONFIG}. */
    public String applicationServer() {
        return config.applicationServer();
    }

    public QueryMetrics metrics() {
        return metrics;
    }

    /** The drift feed (for embedders and tests). */
    public synchronized DriftFeed driftFeed() {
        return drift;
    }

    /** Stops serving (open SSE streams end), then the drift feed and the webhook sink. Safe twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (sse != null) {
            sse.close();
        }
        if (guard != null) {
            guard.close();
        }
        if (healthGuard != null) {
            healthGuard.close();
        }
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("HTTP server did not close cleanly: {}", e.toString());
            }
        }
        if (pool != null) {
            pool.shutdownNow();
        }
        if (probes != null) {
            probes.shutdownNow();
        }
        if (webhook != null) {
            webhook.close();
        }
        if (drift != null) {
            drift.close();
        }
        LOG.info("query server closed");
    }

    private String readToken() {
        if (config.tokenFile() != null) {
            try {
                return Files.readString(config.tokenFile()).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the token file", e);
            }
        }
        return config.token();
    }

    private SSLContext sslContext() {
        // The server's own TLS is Vert.x's (same keystore); this context is the forwarding client's.
        char[] password = config.keystorePassword().toCharArray();
        try (InputStream in = Files.newInputStream(config.keystore())) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            // Peers forward to each other over TLS: they trust the certificates of this same keystore.
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(QueryConfig.KEYSTORE.name() + ": cannot load the PKCS12 keystore ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }
}
