package io.fencewatch.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.schema.TopicNames;

/**
 * Creates the processor's topics when missing: the inventory with the configured partitions, and
 * the outputs with as many partitions as the inventory (the coverage topic compacted). Existing
 * topics are left as they are. Replication follows the broker's default.
 */
public final class TopicBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(TopicBootstrap.class);

    private TopicBootstrap() {
    }

    public static void ensureTopics(Properties clientProperties, TopicNames names, int partitions) {
        ensureTopics(clientProperties, names, partitions, Limits.defaults());
    }

    /**
     * As above; the inventory topic gets {@code max.message.bytes} = {@code --max-record-size}, the
     * collector's {@code max.request.size}, so the broker, the collector and the processor agree on
     * the largest record. The broker checks a batch as sent, compressed, so a compressible record
     * larger than the limit still passes it: the processor checks each record again.
     */
    public static void ensureTopics(Properties clientProperties, TopicNames names, int partitions, Limits limits) {
        int maxRecordBytes = limits.maxRecordBytes();
        Properties p = new Properties();
        for (String key : clientProperties.stringPropertyNames()) {
            if (AdminClientConfig.configNames().contains(key)) {
                p.put(key, clientProperties.getProperty(key));
            }
        }
        try (Admin admin = Admin.create(p)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            int count = partitions;
            if (existing.contains(names.inventory())) {
                TopicDescription d = admin.describeTopics(List.of(names.inventory())).allTopicNames()
                        .get(60, TimeUnit.SECONDS).get(names.inventory());
                count = d.partitions().size();
            }
            List<NewTopic> missing = new ArrayList<>();
            add(missing, existing, names.inventory(), count,
                    Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecordBytes)));
            add(missing, existing, names.coverage(), count,
                    Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            add(missing, existing, names.drift(), count, Map.of());
            add(missing, existing, names.findings(), count, Map.of());
            add(missing, existing, names.dlq(), count, Map.of());
            if (missing.isEmpty()) {
                warnIfDeadLettersDoNotFit(admin, names.dlq(), limits.dlqMaxPayload());
                return;
            }
            try {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topics: " + e.getCause().getMessage(), e.getCause());
                }
            }
            missing.forEach(t -> LOG.info("created topic {} ({} partitions)", t.name(), t.numPartitions()));
            warnIfDeadLettersDoNotFit(admin, names.dlq(), limits.dlqMaxPayload());
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out talking to Kafka to create topics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topics", e);
        }
    }

    /**
     * Under exactly-once a dead letter the broker refuses fails its transaction (the batch is then
     * processed again, after the stream thread is replaced, and the dead letter written smaller): say
     * so at start when the DLQ topic takes less than a bounded dead letter of --dlq-max-payload.
     */
    private static void warnIfDeadLettersDoNotFit(Admin admin, String dlq, int dlqMaxPayload) {
        try {
            org.apache.kafka.common.config.ConfigResource r = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, dlq);
            org.apache.kafka.clients.admin.ConfigEntry e = admin.describeConfigs(List.of(r)).all()
                    .get(60, TimeUnit.SECONDS).get(r).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            int needed = dlqMaxPayload + Limits.DLQ_MAX_HEADER_BYTES + Limits.MAX_KEY_BYTES + 4096;
            if (e != null && e.value() != null && Integer.parseInt(e.value()) < needed) {
                LOG.warn("topic {} takes records of at most {} bytes: a dead letter (up to --dlq-max-payload plus "
                        + "headers) may be refused; give it max.message.bytes of at least {}", dlq, e.value(), needed);
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("could not read the configuration of {}: {}", dlq, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void add(List<NewTopic> out, Set<String> existing, String name, int partitions,
            Map<String, String> config) {
        if (!existing.contains(name)) {
            out.add(new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(config));
        }
    }
}
