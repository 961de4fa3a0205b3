package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.collector.Collector;
import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;
import io.fencewatch.controlplane.KubeControlPlane;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * The whole of Fencewatch in one JVM: an in-process KRaft broker, the simulated API server (or a
 * real cluster), a collector, the stream processor (which serves REST and the dashboard), and a
 * terminal printer of drift. This class only wires them; each component is the production one.
 *
 * <p>Everything lives under the data directory: {@code kafka/} (the broker's log),
 * {@code streams/} (the processor's state), {@code kubeconfig}, {@code sandbox.properties} (the
 * broker's controller port, which the formatted log records) and, when run from the command line,
 * {@code sandbox.log}. {@link #close()} stops everything, in reverse order, and is safe twice.
 *
 * <p>With {@code --transport oci-streaming} the collector does not write to the broker: it puts its events to
 * the OCI Streaming stand-in ({@link OciStreamingTransport}, key and config under {@code oci/}), and the
 * oci-bridge forwards them into the inventory topic.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    static final String STATE_FILE = "sandbox.properties";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final SandboxConfig config;
    private final PrintStream out;
    private final TopicNames topics = TopicNames.defaults();
    private final Path dataDir;
    private final boolean restarted;
    private final EmbeddedKafkaBroker broker;
    private final SimulatedApiServer api;
    private KubeControlPlane controlPlane; // --control-plane=real
    private final ProcessorApp processor;
    private final DriftPrinter drift;
    private final Duration demoPause;
    private Collector collector;
    private DemoScenario demo;
    private OkeFleetScenario oke;
    private OciStreamingTransport oci; // --transport=oci-streaming
    private boolean started;
    private volatile boolean closed;

    /**
     * Wires the components (nothing listens yet). {@code config} must have its ports chosen
     * ({@link SandboxConfig#withPortsChosen()}); {@code out} is the terminal.
     */
    public Sandbox(SandboxConfig config, PrintStream out) {
        this(config, out, Duration.ofSeconds(3));
    }

    Sandbox(SandboxConfig config, PrintStream out, Duration demoPause) {
        this.config = config;
        this.out = out;
        this.demoPause = demoPause;
        this.dataDir = config.dataDir().toAbsolutePath().normalize();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        Path kafkaDir = dataDir.resolve("kafka");
        this.restarted = Files.exists(kafkaDir.resolve("log").resolve("meta.properties"));
        this.broker = EmbeddedKafkaBroker.builder()
                .dataDir(kafkaDir)
                .brokerPort(config.kafkaPort())
                .controllerPort(controllerPort())
                .build();
        this.api = config.simulated() && !config.realControlPlane() && !config.okeFleet() ? new SimulatedApiServer() : null;

        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap-servers", broker.bootstrapServers());
        p.put("topic-prefix", topics.prefix());
        p.put("state-dir", dataDir.resolve("streams").toString());
        p.put("grace-period", config.grace().toMillis() + "ms");
        p.put("profile", config.profile().wireName());
        // The processor serves REST, the drift feed, the dashboard and /metrics itself; a second
        // `fencewatch processor` started with the same defaults joins this one as another instance.
        p.put("http-port", Integer.toString(config.httpPort()));
        p.put("application-server", advertised());
        p.put("query.http.bind", config.httpBind());
        // --http-bind beyond loopback is the user's explicit choice, and the sandbox serves simulated
        // data only: open on purpose (the processor itself refuses that without a token).
        p.put("query.auth", "none");
        p.put("partitions", "3");
        // Only the sandbox's own cluster: records of any other are dead letters (issue 19). An OKE
        // fleet's clusters come and go: any cluster id is taken.
        if (!config.okeFleet()) {
            p.put("clusters", config.clusterId());
        }
        this.processor = new ProcessorApp(ProcessorConfig.fromMap(p));
        this.drift = new DriftPrinter(broker.bootstrapServers(), topics.drift(), out);
    }

    /** Starts everything and returns once the table is live (collector synced, processor running). */
    public synchronized Sandbox start() {
        if (started || closed) {
            throw new IllegalStateException("a sandbox starts once");
        }
        started = true;
        long begin = System.nanoTime();
        broker.start();
        if (api != null) {
            api.start(config.apiPort());
            api.writeKubeconfig(kubeconfig());
        }
        if (config.realControlPlane()) {
            controlPlane = KubeControlPlane.start(KubeControlPlane.binariesDir(), config.apiPort(), config.clusterId(),
                    KubeControlPlane.WORKLOAD_CONTROLLERS);
            controlPlane.writeKubeconfig(kubeconfig());
        }
        if (config.okeFleet()) {
            oke = new OkeFleetScenario(dataDir, out, demoPause);
        }
        if (config.ociStreaming()) {
            oci = new OciStreamingTransport(dataDir.resolve("oci"), oke != null ? oke.credentials() : null);
        }
        processor.start(); // creates the topics before the collector writes to them, serves HTTP
        drift.start();
        if (oci != null) {
            oci.startBridge(broker.bootstrapServers(), topics);
        }
        collector = newCollector();
        try {
            collector.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the collector", e);
        }
        awaitReady();
        LOG.info("sandbox ready in {} ms (data {}, {})", (System.nanoTime() - begin) / 1_000_000, dataDir,
                restarted ? "restarted" : "fresh");
        return this;
    }

    /** Prints the banner: dashboard URL, KUBECONFIG and Kafka; then plays the scenario, if any. */
    public synchronized void announce() {
        out.println();
        out.println("Fencewatch sandbox is ready" + (restarted ? " (restarted: Kafka log and processor state from "
                + dataDir + ")" : "") + ".");
        out.println("  Dashboard  " + dashboardUrl());
        out.println("  REST       " + dashboardUrl() + (oke != null ? "api/v1/clusters"
                : "api/v1/clusters/" + config.clusterId() + "/namespaces"));
        if (oke != null) {
            out.println("  Fleet      an OKE tenancy with compartments prod and dev, discovered by the collector"
                    + " (--oci-compartments, rediscovery every " + OkeFleetScenario.REDISCOVER.toSeconds() + " s),"
                    + " each cluster reached with an in-process OKE token:");
            oke.announce(out);
        } else if (api != null) {
            out.println("  Cluster    simulated Kubernetes API server at " + api.url() + " (cluster '"
                    + config.clusterId() + "'); drive it with kubectl:");
            out.println("               export KUBECONFIG=" + kubeconfig());
            out.println("             " + engineLine());
        } else if (controlPlane != null) {
            out.println("  Cluster    real kube-apiserver, etcd and kube-controller-manager at " + controlPlane.url()
                    + " (cluster '" + config.clusterId() + "'); drive it with kubectl:");
            out.println("               export KUBECONFIG=" + kubeconfig());
            out.println("             " + engineLine()); // no nodes, no CNI: nothing enforces policies here either
        } else {
            out.println("  Cluster    watching " + (config.context() != null ? "context '" + config.context() + "'"
                    : "the current context") + (config.kubeconfig() != null ? " of " + config.kubeconfig() : "")
                    + " as cluster '" + config.clusterId() + "' (read-only)");
        }
        if (oci != null) {
            out.println(oci.bannerLine());
        }
        out.println("  Kafka      " + broker.bootstrapServers() + "  (topics " + topics.prefix()
                + ".inventory, .coverage, .drift, .findings, .dlq)");
        out.println("  Logs       " + dataDir.resolve("sandbox.log"));
        out.println("Drift appears below as it happens. Ctrl-C stops everything.");
        out.println();
        drift.release();
        if (oke != null) {
            oke.start();
        } else if (config.simulated() && config.scenario() == SandboxConfig.Scenario.DEMO) {
            demo = new DemoScenario(this::clusterClient, out, demoPause);
            demo.start();
        }
    }

    /** What the banner says of NetworkPolicy enforcement on the sandbox's own cluster (FW-NP-002). */
    String engineLine() {
        return "It starts with no NetworkPolicy engine: its policies are not enforced "
                + (config.scenario() == SandboxConfig.Scenario.DEMO ? "until the demo installs Calico"
                        : "until an engine runs (e.g. Calico's calico-node DaemonSet in kube-system)") + ".";
    }

    public String dashboardUrl() {
        String host = config.httpBind().equals("0.0.0.0") ? "localhost" : config.httpBind();
        return "http://" + host + ":" + processor.queryServer().port() + "/";
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The kubeconfig the sandbox writes for its simulated cluster. */
    public Path kubeconfig() {
        return dataDir.resolve("kubeconfig");
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean restarted() {
        return restarted;
    }

    public TopicNames topics() {
        return topics;
    }

    /** The real control plane of {@code --control-plane=real}, or null. */
    public KubeControlPlane controlPlane() {
        return controlPlane;
    }

    /** A new client of the sandbox's own cluster: the simulated one, or the real control plane. */
    public KubernetesClient clusterClient() {
        if (api != null) {
            return api.client();
        }
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig().toFile())).build();
    }

    /** The simulated API server, or null when watching a real cluster. */
    public SimulatedApiServer apiServer() {
        return api;
    }

    public KafkaStreams streams() {
        return processor.streams();
    }

    /** The OCI Streaming path of {@code --transport oci-streaming} (stand-in, stream, bridge), or null. */
    OciStreamingTransport ociTransport() {
        return oci;
    }

    /**
     * Null while what the sandbox started still runs: the processor (running or rebalancing), each cluster's
     * collector agent and, with {@code --transport oci-streaming}, the oci-bridge; else the first problem.
     */
    public String healthProblem() {
        KafkaStreams.State state = processor.streams().state();
        if (!state.isRunningOrRebalancing()) {
            return "processor " + state;
        }
        if (collector != null) {
            for (ClusterAgent a : collector.agents()) {
                String why = a.healthProblem();
                if (why != null) {
                    return "collector for " + a.clusterId() + ": " + why;
                }
            }
        }
        return oci == null ? null : oci.healthProblem();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        long begin = System.nanoTime();
        List<RuntimeException> failures = new ArrayList<>();
        step(failures, "demo", () -> {
            if (demo != null) {
                demo.close();
            }
        });
        step(failures, "collector", () -> {
            if (collector != null) {
                collector.close(Duration.ofSeconds(2));
            }
        });
        // The bridge after the collector (what it put is forwarded), before the broker (its producer flushes).
        step(failures, "oci-bridge", () -> {
            if (oci != null) {
                oci.closeBridge(Duration.ofSeconds(2));
            }
        });
        step(failures, "OCI Streaming stand-in", () -> {
            if (oci != null) {
                oci.closeStub();
            }
        });
        step(failures, "drift printer", drift::close);
        step(failures, "query server", () -> processor.queryServer().close());
        // ProcessorApp leaves the consumer group on close, so the next start runs at once.
        step(failures, "processor", processor::close);
        step(failures, "simulated API server", () -> {
            if (api != null) {
                api.close();
            }
        });
        step(failures, "OKE fleet", () -> {
            if (oke != null) {
                oke.close();
            }
        });
        step(failures, "control plane", () -> {
            if (controlPlane != null) {
                controlPlane.close();
            }
        });
        step(failures, "broker", broker::close);
        LOG.info("sandbox stopped in {} ms", (System.nanoTime() - begin) / 1_000_000);
        if (!failures.isEmpty()) {
            RuntimeException e = failures.get(0);
            failures.subList(1, failures.size()).forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void step(List<RuntimeException> failures, String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("stopping the {} failed: {}", what, e.toString());
            failures.add(e);
        }
    }

    private Collector newCollector() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("bootstrap-servers", broker.bootstrapServers());
        c.put("topic-prefix", topics.prefix());
        c.put("http-port", "-1"); // one HTTP port in the sandbox: the dashboard's
        c.put("collector-id", "sandbox-collector");
        c.put("shutdown-timeout", "2s");
        c.put("watch-pods", String.valueOf(config.watchPods()));
        if (oke != null) {
            c.putAll(oke.collectorFlags());
            return new Collector(CollectorConfig.fromMap(withTransport(c)), target -> {
                throw new IllegalStateException("an OKE fleet's clients come from CreateKubeconfig");
            }, (cluster, reason) -> LOG.error("collector for {} cannot go on: {}", cluster, reason));
        }
        if (config.simulated()) {
            c.put("cluster-id", config.clusterId());
            return new Collector(CollectorConfig.fromMap(withTransport(c)), target -> clusterClient(), (cluster, reason) ->
                    LOG.error("collector for {} cannot go on: {}", cluster, reason));
        }
        c.put("cluster-id", config.clusterId());
        if (config.context() != null) {
            c.put("contexts", config.clusterId() + "=" + config.context());
        }
        if (config.kubeconfig() != null) {
            c.put("kubeconfig", config.kubeconfig().toString());
        }
        CollectorConfig cc = CollectorConfig.fromMap(c);
        // Collector.defaultClient serves an OKE kubeconfig's 'oci ce cluster generate-token' in process, signed with
        // the user's --oci-auth (~/.oci/config): from the config without the stand-in's key, which only the sink uses.
        return new Collector(CollectorConfig.fromMap(withTransport(c)), target -> Collector.defaultClient(cc, target),
                (cluster, reason) -> LOG.error("collector for {} cannot go on: {}", cluster, reason));
    }

    /** The collector's flags with the transport's: the OCI sink instead of the broker with oci-streaming. */
    private Map<String, String> withTransport(Map<String, String> flags) {
        if (oci == null) {
            return flags;
        }
        Map<String, String> c = new LinkedHashMap<>(flags);
        c.remove("bootstrap-servers"); // the collector does not talk to Kafka on this path
        c.putAll(oci.collectorFlags());
        return c;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String why = "starting";
        while (System.nanoTime() < deadline) {
            if (closed) {
                throw new IllegalStateException("stopped while starting");
            }
            why = notReady();
            if (why == null) {
                return;
            }
            try {
                wait(100); // releases the monitor; nothing notifies, it is a bounded poll
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting", e);
            }
        }
        throw new IllegalStateException("the sandbox did not become ready within " + READY_TIMEOUT.toSeconds()
                + " s: " + why + " (see " + dataDir.resolve("sandbox.log") + ")");
    }

    private String notReady() {
        if (processor.streams().state() != KafkaStreams.State.RUNNING) {
            return "processor " + processor.streams().state();
        }
        if (oke != null) {
            var pass = collector.fleet().lastPass();
            if (pass == null || pass.error() != null || collector.agents().size() < oke.initialClusters()) {
                return "OKE fleet: " + (pass == null ? "first discovery" : pass.error() != null ? pass.error()
                        : collector.agents().size() + " of " + oke.initialClusters() + " clusters watched");
            }
        }
        for (ClusterAgent a : collector.agents()) {
            String why = a.readinessProblem();
            if (why != null) {
                return "collector for " + a.clusterId() + ": " + why;
            }
        }
        return oci == null ? null : oci.readinessProblem();
    }

    private String advertised() {
        return "localhost:" + config.httpPort();
    }

    /**
     * The controller port: the one recorded in {@code sandbox.properties} when the broker's log was
     * formatted (its quorum endpoint is in the log), else a free one, recorded now.
     */
    private int controllerPort() {
        Path file = dataDir.resolve(STATE_FILE);
        Properties props = new Properties();
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        String known = props.getProperty("kafka.controller.port");
        if (known != null && restarted) {
            int port = Integer.parseInt(known.strip());
            if (!SandboxConfig.portFree("127.0.0.1", port)) {
                throw new SandboxConfig.BadFlag("--data-dir: its Kafka controller port " + port
                        + " is in use (is another sandbox running on " + dataDir + "?)");
            }
            return port;
        }
        int port = SandboxConfig.freePort();
        props.setProperty("kafka.controller.port", Integer.toString(port));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(w, "Fencewatch sandbox: the broker's controller port is recorded in its formatted log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return port;
    }
}
