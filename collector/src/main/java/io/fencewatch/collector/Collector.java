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
import io.fencewatch.collector.fleet.OkeFleet;
import io.fencewatch.collector.fleet.OkeFleets;
import io.fencewatch.collector.publish.ClusterMarkers;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.ClusterFacts;
import java.util.Map;
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
 * Kubernetes client and producer), or per cluster of a discovered OKE fleet ({@link OkeFleet},
 * {@code --oci-compartments}), and the HTTP server. {@link #close()} is safe twice.
 */
public final class Collector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

    /** Makes the Kubernetes client of a cluster; tests pass the mock server's. */
    @FunctionalInterface
    public interface ClientFactory {
        KubernetesClient create(ClusterTarget target);
    }

    private final CollectorConfig config;
    private final FatalErrorHandler fatal;
    private final Clock clock;
    private final List<ClusterAgent> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, KubernetesClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
    private final OkeFleet fleet;
    private final ClusterMarkers fleetMarkers;
    private CollectorHttpServer http;
    private boolean closed;

    public Collector(CollectorConfig config, ClientFactory clients, FatalErrorHandler fatal) {
        this(config, clients, fatal, Clock.systemUTC());
    }

    /** With the clock that agents, OKE tokens and markers read (tests move it). */
    public Collector(CollectorConfig config, ClientFactory clients, FatalErrorHandler fatal, Clock clock) {
        this.config = Objects.requireNonNull(config);
        this.fatal = Objects.requireNonNull(fatal);
        this.clock = Objects.requireNonNull(clock);
        for (ClusterTarget target : config.targets()) {
            KubernetesClient client = clients.create(target);
            this.clients.put(target.clusterId(), client);
            agents.add(newAgent(AgentSettings.from(config, target), client));
        }
        if (config.okeFleet()) {
            var auth = OciClients.auth(config.get(CollectorConfig.OCI_AUTH), config.get(CollectorConfig.OCI_CONFIG_FILE),
                    config.get(CollectorConfig.OCI_PROFILE));
            fleetMarkers = new ClusterMarkers(newSink("oke-fleet"), config.topics().inventory(), config.collectorId(), clock);
            fleet = new OkeFleet(OkeFleets.discovery(config, auth), OkeFleets.plan(config, auth), new FleetWatcher(auth), clock);
        } else {
            fleet = null;
            fleetMarkers = null;
        }
    }

    private ClusterAgent newAgent(AgentSettings settings, KubernetesClient client) {
        InventorySink sink = newSink(settings.clusterId());
        ClusterAgent agent = new ClusterAgent(settings, client, sink, fatal, clock);
        agent.publisher().maxRecordBytes(config.ociSink() ? OciStreamingSink.MAX_MESSAGE_BYTES
                : ProducerSettings.maxRequestSize(ProducerSettings.producerProperties(config, settings.clusterId())));
        return agent;
    }

    private InventorySink newSink(String clusterId) {
        if (config.ociSink()) {
            return OciSinks.create(config, clusterId);
        }
        return InventorySink.kafka(ProducerSettings.newProducer(ProducerSettings.producerProperties(config, clusterId)));
    }

    /** How the fleet starts, marks and forgets agents here. */
    private final class FleetWatcher implements OkeFleet.Watcher {
        private final com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider auth;

        FleetWatcher(com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider auth) {
            this.auth = auth;
        }

        @Override
        public ClusterAgent start(String clusterId, String kubeconfig, ClusterFacts facts) {
            Config kube = OciExecKubeconfig.configure(kubeconfig, null, profile -> auth, clock)
                    .orElseThrow(() -> new IllegalStateException("the kubeconfig CreateKubeconfig wrote has no"
                            + " 'oci ce cluster generate-token' user"));
            KubernetesClient client = new KubernetesClientBuilder().withConfig(kube).build();
            ClusterAgent agent = newAgent(AgentSettings.from(config, new ClusterTarget(clusterId, null)), client);
            agent.publisher().clusterFacts(facts);
            synchronized (Collector.this) {
                if (closed) {
                    client.close();
                    throw new IllegalStateException("collector closing");
                }
                clients.put(clusterId, client);
                agents.add(agent);
                agent.start();
            }
            agent.onClosed(() -> {
                agents.remove(agent);
                KubernetesClient c = clients.remove(clusterId);
                if (c != null) {
                    c.close();
                }
            });
            return agent;
        }

        @Override
        public void mark(String clusterId, Op op, ClusterFacts facts) {
            fleetMarkers.send(clusterId, op, facts, config.get(CollectorConfig.SHUTDOWN_TIMEOUT));
        }
    }

    /** The OKE fleet, or null when clusters are named by kubeconfig contexts. */
    public OkeFleet fleet() {
        return fleet;
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
            http = new CollectorHttpServer(config.get(CollectorConfig.HTTP_BIND), port, this::agents,
                    fleet == null ? null : this::fleetProblem).start();
        }
        for (ClusterAgent a : agents) {
            a.start();
        }
        String sink = config.ociSink() ? "OCI stream " + config.get(CollectorConfig.OCI_STREAM_OCID) : config.topics().inventory();
        if (fleet != null) {
            fleet.start();
            LOG.info("collector {} watching the OKE clusters of {} (subtree {}), rediscovered every {}, publishing to {}",
                    config.collectorId(), config.ociCompartments(), config.get(CollectorConfig.OCI_SUBTREE),
                    config.get(CollectorConfig.OCI_REDISCOVER_INTERVAL), sink);
        } else {
            LOG.info("collector {} watching {} cluster(s) {}, publishing to {}", config.collectorId(), agents.size(),
                    config.targets(), sink);
        }
        return this;
    }

    public List<ClusterAgent> agents() {
        return List.copyOf(agents);
    }

    /** For /healthz: the fleet's discovery has not succeeded yet, or failed last; null when fine. */
    private String fleetProblem() {
        OkeFleet.Pass pass = fleet.lastPass();
        if (pass == null) {
            return "fleet: first discovery not done yet";
        }
        return pass.error() == null ? null : "fleet: last discovery failed: " + pass.error();
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
        if (fleet != null) {
            fleet.close();
        }
        for (ClusterAgent a : agents) {
            a.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (KubernetesClient c : clients.values()) {
            c.close();
        }
        if (fleetMarkers != null) {
            fleetMarkers.close();
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
