package io.fencewatch.query;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
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

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * The query and alert surface of one stream-processor instance, on one port: REST over the
 * coverage store (interactive queries across instances), the SSE drift feed, the dashboard,
 * {@code /metrics}, {@code /healthz}, {@code /readyz}, and the optional webhook alert sink.
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
 * Uses the JDK's {@code com.sun.net.httpserver} with a bounded pool: no extra jars in the
 * processor, and everything the API needs (one port, TLS, streaming responses) is there.
 */
public final class QueryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);

    /** The store name used unless the processor names it otherwise. */
    public static final String DEFAULT_STORE = "coverage-store";

    static {
        // The JDK server writes headers and body in separate segments; with Nagle's algorithm on,
        // a client's delayed ACK then adds ~40 ms to every small answer. Read once by the JDK
        // server's config, so set before the first server is created (an explicit -D wins).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final QueryConfig config;
    private final KafkaStreams streams;
    private final String storeName;
    private final Map<String, Object> kafkaConfig;
    private final QueryMetrics metrics = new QueryMetrics();

    private HttpServer server;
    private ThreadPoolExecutor pool;
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
        this.config = Objects.requireNonNull(config, "config");
        this.streams = Objects.requireNonNull(streams, "streams");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.kafkaConfig = Map.copyOf(kafkaConfig);
    }

    /** Binds the port and starts the drift feed (and the webhook sink if configured). */
    public synchronized QueryServer start() {
        if (closed) {
            throw new IllegalStateException("query server is closed");
        }
        if (started) {
            return this;
        }
        BearerAuth auth = BearerAuth.from(config);
        SSLContext ssl = config.tls() ? sslContext() : null;
        try {
            InetSocketAddress address = new InetSocketAddress(config.bindAddress(), config.port());
            if (ssl != null) {
                HttpsServer https = HttpsServer.create(address, 128);
                https.setHttpsConfigurator(new HttpsConfigurator(ssl));
                server = https;
            } else {
                server = HttpServer.create(address, 128);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.bindAddress() + ":" + config.port(), e);
        }
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(config.forwardTimeout())
                .version(HttpClient.Version.HTTP_1_1);
        if (ssl != null) {
            client.sslContext(ssl);
        }
        HostInfo self = HostInfo.buildFromEndpoint(applicationServer());
        CoverageQueryService queries = new CoverageQueryService(streams, storeName, self, client.build(), config.tls(),
                config.forwardTimeout());
        drift = new DriftFeed(kafkaConfig, config.topics().drift(), config.historySize(), metrics::onDrift);
        sse = new SseStreams(drift, config.maxSseClients(), Duration.ofSeconds(15));
        String forwardAuth = auth.enabled() ? "Bearer " + readToken() : null;
        server.createContext("/", new ApiHandler(config, queries, drift, metrics, auth, forwardAuth, sse, new Dashboard()));
        int threads = config.workerThreads() + config.maxSseClients();
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "fencewatch-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        server.setExecutor(pool);
        drift.start();
        if (config.webhook().enabled()) {
            webhook = new WebhookSink(config.webhook(), kafkaConfig, config.topics().drift(), metrics);
            webhook.start();
        }
        server.start();
        started = true;
        LOG.info("query server listening on {}://{}:{} (advertised {}, store {}, auth {}, webhook {})",
                config.tls() ? "https" : "http", config.bindAddress(), port(), applicationServer(), storeName,
                auth.enabled() ? "on" : "off", config.webhook());
        return this;
    }

    /** The port actually bound (useful with port 0). */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return server.getAddress().getPort();
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
        if (server != null) {
            server.stop(0);
        }
        if (pool != null) {
            pool.shutdownNow();
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
