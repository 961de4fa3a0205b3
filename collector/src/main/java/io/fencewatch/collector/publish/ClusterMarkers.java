package io.fencewatch.collector.publish;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;

/**
 * Epoch-neutral markers (UNREACHABLE, CLUSTER_REMOVED) for a cluster that has no agent here: one
 * found DELETED by discovery after its collector was down, or one whose kubeconfig cannot be had.
 * Each goes to every partition of the inventory topic and is waited for; the epoch is the clock's,
 * the sequence 0 (such markers take none). Thread-safe.
 */
public final class ClusterMarkers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMarkers.class);

    private final InventorySink sink;
    private final String topic;
    private final String collectorId;
    private final Clock clock;

    public ClusterMarkers(InventorySink sink, String topic, String collectorId, Clock clock) {
        this.sink = Objects.requireNonNull(sink);
        this.topic = Objects.requireNonNull(topic);
        this.collectorId = Objects.requireNonNull(collectorId);
        this.clock = Objects.requireNonNull(clock);
    }

    /** An epoch-neutral marker: sequence 0 (it takes none), the given epoch, facts as given. */
    static InventoryEvent marker(String cluster, String collectorId, Op op, long epoch, java.time.Instant at,
            ClusterFacts facts) {
        if (op != Op.UNREACHABLE && op != Op.CLUSTER_REMOVED) {
            throw new IllegalArgumentException("not an epoch-neutral marker: " + op);
        }
        return new InventoryEvent(new Source(cluster, collectorId, epoch, 0L, at), op, null, null, null, null, null, null,
                null, null, false, facts, null, null);
    }

    /** Sends {@code op} for {@code cluster} at the clock's epoch; see {@link #send(String, Op, ClusterFacts, long, Duration)}. */
    public boolean send(String cluster, Op op, ClusterFacts facts, Duration timeout) {
        return send(cluster, op, facts, clock.millis(), timeout);
    }

    /** Sends {@code op} for {@code cluster} to every partition; true once all are acked within {@code timeout}. */
    public synchronized boolean send(String cluster, Op op, ClusterFacts facts, long epoch, Duration timeout) {
        Keys.requireClusterId(cluster);
        long deadline = System.nanoTime() + timeout.toNanos();
        InventoryEvent marker = marker(cluster, collectorId, op, epoch, clock.instant(), facts);
        try {
            int partitions = sink.partitionsFor(topic).size();
            List<Future<RecordMetadata>> sent = new ArrayList<>(partitions);
            for (int p = 0; p < partitions; p++) {
                sent.add(sink.send(new ProducerRecord<>(topic, p, Keys.marker(cluster), marker), (md, ex) -> { }));
            }
            sink.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            LOG.error("cluster {}: {} not delivered to {}: {}", cluster, op, topic, e.toString());
            return false;
        }
    }

    @Override
    public void close() {
        sink.close(Duration.ofSeconds(5));
    }
}
