package io.fencewatch.collector;

import java.io.File;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.collector.config.ClusterTarget;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.http.CollectorHttpServer;
import io.fencewatch.collector.kube.OciExecKubeconfig;
import io.fencewatch.collector.publish.InventorySink;
import io.fencewatch.collector.publish.ProducerSettings;
import io.fencewatch.collector.publish.oci.OciSinks;
import io.fencewatch.collector.publish.oci.OciStreamingSink;
import io.fencewatch.oci.OciClients;

/**
 * A collector process: one {@link ClusterAgent} per configured cluster (each with its own
 * Kubernetes client and producer) and the HTTP server. {@link #close()} is safe twice.
 */
public final class Collector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

    /** Makes the Kubernetes client of a cluster; tests pass the mock server's. */
    @FunctionalInterface
    public interface ClientFactory {
        KubernetesClient create(ClusterTarget target);
    }

    private final CollectorConfig config;
    private final List<ClusterAgent> agents = new ArrayList<>();
    private final List<KubernetesClient> clients = new ArrayList<>();
    private CollectorHttpServer http;
    private boolean closed;

    public Collector(CollectorConfig config, ClientFactory clients, FatalErrorHandler fatal) {
        this.config = Objects.requireNonNull(config);
        for (ClusterTarget target : config.targets()) {
            KubernetesClient client = clients.create(target);
            this.clients.add(client);
            AgentSettings settings = AgentSettings.from(config, target);
            InventorySink sink;
            int maxRecordBytes;
            if (config.ociSink()) {
                sink = OciSinks.create(config, target.clusterId());
                maxRecordBytes = OciStreamingSink.MAX_MESSAGE_BYTES;
            } else {
                java.util.Properties props = ProducerSettings.producerProperties(config, target.clusterId());
                maxRecordBytes = ProducerSettings.maxRequestSize(props);
                sink = InventorySink.kafka(ProducerSettings.newProducer(props));
            }
            ClusterAgent agent = new ClusterAgent(settings, client, sink, fatal, Clock.systemUTC());
            agent.publisher().maxRecordBytes(maxRecordBytes);
            agents.add(agent);
        }
    }

    /**
     * fabric8's client for a target: a named kubeconfig context, or auto-configuration. A context
     * whose user runs the OCI CLI's generate-token gets that token in process instead (unless
     * {@code --oci-exec-plugin=keep}).
     */
    public static KubernetesClient defaultClient(CollectorConfig config, ClusterTarget target) {
        Optional<Config> oke = ociExecConfig(config, target);
        if (oke.isPresent()) {
            LOG.info("cluster {}: the kubeconfig's 'oci ce cluster generate-token' is served in process (--oci-auth={})",
                    target.clusterId(), config.get(CollectorConfig.OCI_AUTH));
            return new KubernetesClientBuilder().withConfig(oke.get()).build();
        }
        Config kube;
        if (config.get(CollectorConfig.KUBECONFIG) != null) {
            kube = Config.fromKubeconfig(target.context(), config.get(CollectorConfig.KUBECONFIG).toFile());
        } else {
            kube = Config.autoConfigure(target.context());
        }
        return new KubernetesClientBuilder().withConfig(kube).build();
    }

    private static Optional<Config> ociExecConfig(CollectorConfig config, ClusterTarget target) {
        if ("keep".equals(config.get(CollectorConfig.OCI_EXEC_PLUGIN))) {
            return Optional.empty();
        }
        File file;
        if (config.get(CollectorConfig.KUBECONFIG) != null) {
            file = config.get(CollectorConfig.KUBECONFIG).toFile();
        } else {
            String env = System.getenv("KUBECONFIG");
            file = env != null && !env.isBlank() && !env.contains(File.pathSeparator) ? new File(env)
                    : new File(System.getProperty("user.home"), ".kube/config");
        }
        if (!file.isFile()) {
            return Optional.empty();
        }
        return OciExecKubeconfig.configure(file, target.context(),
                profile -> OciClients.auth(config.get(CollectorConfig.OCI_AUTH), config.get(CollectorConfig.OCI_CONFIG_FILE),
                        profile != null ? profile : config.get(CollectorConfig.OCI_PROFILE)),
                Clock.systemUTC());
    }

    public synchronized Collector start() throws IOException {
        int port = config.get(CollectorConfig.HTTP_PORT);
        if (port >= 0) {
            http = new CollectorHttpServer(config.get(CollectorConfig.HTTP_BIND), port, this::agents).start();
        }
        for (ClusterAgent a : agents) {
            a.start();
        }
        LOG.info("collector {} watching {} cluster(s) {}, publishing to {}", config.collectorId(), agents.size(),
                config.targets(), config.ociSink() ? "OCI stream " + config.get(CollectorConfig.OCI_STREAM_OCID)
                        : config.topics().inventory());
        return this;
    }

    public List<ClusterAgent> agents() {
        return List.copyOf(agents);
    }

    /** The HTTP port, or -1 if the server is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Flushes each agent's queue within the configured shutdown timeout overall, then closes. */
    public void close(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ClusterAgent a : agents) {
            a.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (KubernetesClient c : clients) {
            c.close();
        }
        if (http != null) {
            http.close();
        }
    }

    @Override
    public void close() {
        close(config.get(CollectorConfig.SHUTDOWN_TIMEOUT));
    }
}
