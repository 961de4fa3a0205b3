package io.fencewatch.reliability;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.streams.KafkaStreams;

import io.fencewatch.collector.Collector;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * The whole path in this JVM for one scenario: a processor (HTTP off) on its own topic prefix and
 * state dir, a mock cluster, and its collector. {@link #close()} tears them down in order.
 */
final class Pipeline implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(60);

    final List<String> fatal = new CopyOnWriteArrayList<>();
    final String bootstrap;
    final String prefix;
    final String clusterId;
    final ProcessorApp processor;
    final MockCluster cluster;
    private final Path stateDir;
    private Collector collector;

    private Pipeline(EmbeddedKafkaBroker broker, String name, String clusterId) {
        this(broker, name, clusterId, -1, Map.of(), Map.of(), null);
    }

    private Pipeline(EmbeddedKafkaBroker broker, String name, String clusterId, int httpPort, Map<String, String> flags,
            Map<String, String> inventoryConfig, KafkaStreams.StateListener states) {
        this.bootstrap = broker.bootstrapServers();
        this.prefix = Processors.uniquePrefix(name);
        this.clusterId = clusterId;
        broker.createTopic(prefix + ".inventory", Processors.PARTITIONS, inventoryConfig);
        this.stateDir = Processors.tempDir(name);
        Map<String, String> all = new LinkedHashMap<>(Processors.flags(bootstrap, prefix, prefix + "-app", stateDir, httpPort));
        all.putAll(flags);
        ProcessorApp app = new ProcessorApp(ProcessorConfig.fromMap(all));
        if (states != null) {
            app.onStateChange(states);
        }
        this.processor = app.start();
        await().atMost(WAIT).until(() -> processor.state() == KafkaStreams.State.RUNNING);
        this.cluster = new MockCluster();
    }

    /**
     * As {@link #start(EmbeddedKafkaBroker, String, String)}, with HTTP on {@code httpPort}, more
     * processor flags, the inventory topic's configuration, and a listener of every state change.
     */
    static Pipeline start(EmbeddedKafkaBroker broker, String name, String clusterId, int httpPort,
            Map<String, String> flags, Map<String, String> inventoryConfig, KafkaStreams.StateListener states) {
        return new Pipeline(broker, name, clusterId, httpPort, flags, inventoryConfig, states);
    }

    /** Starts the processor (waits for RUNNING) and an empty mock cluster; no collector yet. */
    static Pipeline start(EmbeddedKafkaBroker broker, String name, String clusterId) {
        return new Pipeline(broker, name, clusterId);
    }

    /** Starts a collector on the mock cluster and waits until it is ready (its epoch is synced). */
    Collector startCollector() {
        collector = Collectors.start(bootstrap, prefix, clusterId, cluster, fatal);
        await().atMost(WAIT).until(() -> Collectors.ready(collector));
        return collector;
    }

    void stopCollector() {
        if (collector != null) {
            collector.close();
            collector = null;
        }
    }

    Collector collector() {
        return collector;
    }

    /** The epoch the collector's publisher has open now. */
    long openEpoch() {
        return Collectors.agent(collector).publisher().openEpoch();
    }

    CoverageView coverage() {
        return new CoverageView(bootstrap, prefix + ".coverage");
    }

    DriftLog drift() {
        return new DriftLog(bootstrap, prefix + ".drift");
    }

    @Override
    public void close() {
        stopCollector();
        processor.close();
        cluster.close();
        Processors.deleteQuietly(stateDir);
    }
}
