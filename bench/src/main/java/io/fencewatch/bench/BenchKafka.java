package io.fencewatch.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/** Kafka chores the benchmarks share: topics of a prefix, committed offsets, read_committed readers. */
final class BenchKafka {
    private BenchKafka() {
    }

    /** The five topics of a deployment, coverage compacted, as the processor would create them. */
    /**
     * The processor flags a benchmark starts from: {@code base} (a mode's settings), then this
     * broker, {@code prefix} as application id and topic prefix, {@code stateDir}, HTTP off, and the
     * topics the benchmark created itself.
     */
    static Map<String, String> processorFlags(EmbeddedKafkaBroker broker, String prefix, Path stateDir,
            Map<String, String> base) {
        Map<String, String> flags = new HashMap<>(base);
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("application-id", prefix);
        flags.put("topic-prefix", prefix);
        flags.put("state-dir", stateDir.toString());
        flags.put("http-port", "-1");
        flags.put("create-topics", "false");
        return flags;
    }

    static void createTopics(EmbeddedKafkaBroker broker, TopicNames topics, int partitions) {
        broker.createTopic(topics.inventory(), partitions);
        broker.createTopic(topics.coverage(), partitions, Map.of("cleanup.policy", "compact"));
        broker.createTopic(topics.drift(), partitions);
        broker.createTopic(topics.findings(), partitions);
        broker.createTopic(topics.dlq(), partitions);
    }

    /** Sum of a group's committed offsets on a topic; 0 when it has none yet or cannot be read. */
    static long committed(Admin admin, String group, String topic) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            long sum = 0;
            for (var e : offsets.entrySet()) {
                if (e.getKey().topic().equals(topic) && e.getValue() != null) {
                    sum += e.getValue().offset();
                }
            }
            return sum;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (Exception e) {
            return 0; // no commit yet: the caller polls again
        }
    }

    /** A group-less read_committed consumer of every partition of {@code topic}, from the start. */
    static KafkaConsumer<String, byte[]> readCommitted(EmbeddedKafkaBroker broker, String topic) {
        Properties p = broker.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }
}
