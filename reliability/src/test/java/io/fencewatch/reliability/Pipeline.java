package io.fencewatch.reliability;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.streams.KafkaStreams;

import io.fencewatch.collector.Collector;
import io.fencewatch.processor.ProcessorApp;
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
        this.bootstrap = broker.bootstrapServers();
        this.prefix = Processors.uniquePrefix(name);
        this.clusterId = clusterId;
        broker.createTopic(prefix + ".inventory", Processors.PARTITIONS);
        this.stateDir = Processors.tempDir(name);
        this.processor = Processors.startInProcess(Processors.flags(bootstrap, prefix, prefix + "-app", stateDir, -1));
        await().atMost(WAIT).until(() -> processor.state() == KafkaStreams.State.RUNNING);
        this.cluster = new MockCluster();
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
