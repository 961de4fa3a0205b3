package io.fencewatch.reliability;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.TopicReader;

/**
 * The compacted view of {@code <prefix>.coverage} as a consumer sees it: read_committed from the
 * start, the last value per key, tombstones remove the key.
 */
final class CoverageView implements AutoCloseable {
    private final TopicReader<String, byte[]> reader;
    private final String topic;
    private final Map<String, NamespaceCoverage> table = new HashMap<>();
    private int consumed;

    CoverageView(String bootstrap, String topic) {
        this.topic = topic;
        this.reader = new TopicReader<>(bootstrap, topic, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Polls once and returns the table as of what was read. */
    synchronized Map<String, NamespaceCoverage> table() {
        List<ConsumerRecord<String, byte[]>> all = reader.poll(Duration.ofMillis(200));
        for (int i = consumed; i < all.size(); i++) {
            ConsumerRecord<String, byte[]> r = all.get(i);
            if (r.value() == null) {
                table.remove(r.key());
            } else {
                table.put(r.key(), FencewatchSerdes.namespaceCoverage().deserialize(topic, r.value()));
            }
        }
        consumed = all.size();
        return Map.copyOf(table);
    }

    /** Polls until a poll brings nothing new, then returns the table. */
    synchronized Map<String, NamespaceCoverage> tableAll() {
        int before;
        do {
            before = consumed;
            table();
        } while (consumed != before);
        return Map.copyOf(table);
    }

    synchronized int recordsRead() {
        return consumed;
    }

    @Override
    public void close() {
        reader.close();
    }
}
