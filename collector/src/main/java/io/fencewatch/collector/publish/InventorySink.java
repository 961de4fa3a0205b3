package io.fencewatch.collector.publish;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;

import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * Where {@link InventoryPublisher} hands its records: the Kafka producer, or OCI Streaming
 * ({@link io.fencewatch.collector.publish.oci.OciStreamingSink}). The publisher keeps the queue,
 * epochs, backpressure, drain, health and metrics; a sink only delivers, acks through the callback
 * (in order per key), and reports failures as Kafka's exception types so that the publisher's
 * handling (retry on {@code TimeoutException}, a new epoch on a refused record) is the same for both.
 */
public interface InventorySink {
    /** The partitions records may be sent to; a sink that partitions by itself (OCI) reports one. */
    List<PartitionInfo> partitionsFor(String topic);

    /**
     * Takes a record (its partition already chosen). May block for buffer space and then throw
     * {@link org.apache.kafka.common.errors.TimeoutException}; reports the outcome through {@code callback}.
     */
    Future<RecordMetadata> send(ProducerRecord<String, InventoryEvent> record, Callback callback);

    /** Waits until every record taken so far is acked or failed. */
    void flush();

    void close(Duration timeout);

    /** Sink-specific counters for /metrics (name without the {@code fencewatch_collector_} prefix → value). */
    default Map<String, Long> counters() {
        return Map.of();
    }

    /** The Kafka producer as a sink. */
    static InventorySink kafka(Producer<String, InventoryEvent> producer) {
        Objects.requireNonNull(producer);
        return new InventorySink() {
            @Override
            public List<PartitionInfo> partitionsFor(String topic) {
                return producer.partitionsFor(topic);
            }

            @Override
            public Future<RecordMetadata> send(ProducerRecord<String, InventoryEvent> record, Callback callback) {
                return producer.send(record, callback);
            }

            @Override
            public void flush() {
                producer.flush();
            }

            @Override
            public void close(Duration timeout) {
                producer.close(timeout);
            }
        };
    }
}
