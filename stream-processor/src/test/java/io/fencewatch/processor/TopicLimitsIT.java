package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** The inventory topic the processor creates says how large a record may be, as the collector's producer does. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicLimitsIT {

    @Test
    void shouldCreateTheInventoryWithMaxMessageBytesOfTheRecordLimitWhenTopicsAreMissing(EmbeddedKafkaBroker broker)
            throws Exception {
        TopicNames names = new TopicNames("limits-" + UUID.randomUUID().toString().substring(0, 8));
        ProcessorConfig config = ProcessorConfig.fromMap(Map.of("bootstrap-servers", broker.bootstrapServers(),
                "topic-prefix", names.prefix(), "max-record-size", "2MiB"));
        Properties props = config.streamsProperties();
        TopicBootstrap.ensureTopics(props, names, 3, config.limits());
        try (Admin admin = broker.admin()) {
            ConfigResource inventory = new ConfigResource(ConfigResource.Type.TOPIC, names.inventory());
            Config c = admin.describeConfigs(List.of(inventory)).all().get(30, TimeUnit.SECONDS).get(inventory);
            assertThat(c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value()).isEqualTo(Integer.toString(2 * 1024 * 1024));
        }
        assertThat(Integer.parseInt(props.getProperty("producer.max.request.size")))
                .isGreaterThan(2 * 1024 * 1024);
    }
}
