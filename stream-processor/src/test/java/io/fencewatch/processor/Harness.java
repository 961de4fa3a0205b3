package io.fencewatch.processor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.rules.Rules;

/** The topology in a {@link TopologyTestDriver} with in-memory stores and a mocked wall clock. */
final class Harness implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-06-01T12:00:00Z");

    final Topics topics;
    final TopologyTestDriver driver;
    final TestInputTopic<String, InventoryEvent> inventory;
    final TestInputTopic<byte[], byte[]> raw;
    final TestOutputTopic<String, NamespaceCoverage> coverageTopic;
    final TestOutputTopic<String, DriftEvent> driftTopic;
    final TestOutputTopic<String, String> findingsTopic;
    final TestOutputTopic<byte[], byte[]> dlqTopic;
    final KeyValueStore<String, NamespaceCoverage> coverage;
    private final Path stateDir;

    Harness(Rules rules) {
        this(rules, TopologyOptions.defaults(), Topics.of("fw"));
    }

    /** With other limits, dead-letter failures or serdes than the defaults. */
    Harness(Rules rules, TopologyOptions options, Topics topics) {
        this.topics = topics;
        try {
            stateDir = Files.createTempDirectory("fw-ttd-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "fw-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(CoverageTopology.build(topics, rules, options.inMemory()), p, T0);
        inventory = driver.createInputTopic(topics.inventory().name(), new StringSerializer(),
                FencewatchSerdes.inventoryEvent().serializer(), T0, Duration.ZERO);
        raw = driver.createInputTopic(topics.inventory().name(), new ByteArraySerializer(), new ByteArraySerializer());
        coverageTopic = driver.createOutputTopic(topics.coverage().name(), new StringDeserializer(),
                FencewatchSerdes.namespaceCoverage().deserializer());
        driftTopic = driver.createOutputTopic(topics.drift().name(), new StringDeserializer(),
                FencewatchSerdes.driftEvent().deserializer());
        findingsTopic = driver.createOutputTopic(topics.findings().name(), new StringDeserializer(), new StringDeserializer());
        dlqTopic = driver.createOutputTopic(topics.dlq().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        coverage = driver.getKeyValueStore(CoverageTopology.COVERAGE_STORE);
    }

    Instant now() {
        return T0.plusMillis(elapsed);
    }

    private long elapsed;

    void send(KeyValue<String, InventoryEvent> kv) {
        inventory.pipeInput(kv.key, kv.value, now());
    }

    void advance(Duration d) {
        elapsed += d.toMillis();
        driver.advanceWallClockTime(d);
    }

    NamespaceCoverage coverage(String key) {
        return coverage.get(key);
    }

    List<TestRecord<String, DriftEvent>> drift() {
        return driftTopic.readRecordsToList();
    }

    List<TestRecord<String, String>> findings() {
        return findingsTopic.readRecordsToList();
    }

    List<TestRecord<String, NamespaceCoverage>> coverageRecords() {
        return coverageTopic.readRecordsToList();
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return new ArrayList<>(dlqTopic.readRecordsToList());
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            // A temporary directory left behind is harmless.
        }
    }
}
