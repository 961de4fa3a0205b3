package io.fencewatch.collector.publish;

import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * The collector's producer settings. Raw client properties (the properties file: SASL, SSL...)
 * pass through and win over these defaults, except the serializers, which are the contract's.
 */
public final class ProducerSettings {
    private ProducerSettings() {
    }

    public static Properties producerProperties(CollectorConfig config, String clusterId) {
        Properties p = config.kafkaProperties();
        if (config.get(CollectorConfig.BOOTSTRAP_SERVERS) != null) {
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(CollectorConfig.BOOTSTRAP_SERVERS));
        }
        boolean idempotent = config.get(CollectorConfig.IDEMPOTENCE);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fencewatch-collector-" + clusterId);
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(idempotent));
        // Without idempotence, only one request in flight keeps retries from reordering a key's events.
        p.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, idempotent ? "5" : "1");
        p.putIfAbsent(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(128 * 1024));
        // A broker outage shorter than this loses nothing: records wait in the buffer and are retried.
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        // Bounds how long the publisher waits for metadata or buffer space before it reports and retries.
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.putIfAbsent(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        return p;
    }

    /** The producer's {@code max.request.size}: the largest record the publisher sends whole. */
    public static int maxRequestSize(Properties props) {
        Object v = props.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return v == null ? 1_048_576 : Integer.parseInt(v.toString().strip());
    }

    public static Producer<String, InventoryEvent> newProducer(Properties props) {
        props.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        return new KafkaProducer<>(props, new StringSerializer(), FencewatchSerdes.inventoryEvent());
    }
}
