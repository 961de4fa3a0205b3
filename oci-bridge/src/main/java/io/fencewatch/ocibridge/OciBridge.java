package io.fencewatch.ocibridge;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.oracle.bmc.model.BmcException;
import com.oracle.bmc.streaming.StreamClient;
import com.oracle.bmc.streaming.model.CreateGroupCursorDetails;
import com.oracle.bmc.streaming.model.Message;
import com.oracle.bmc.streaming.requests.ConsumerCommitRequest;
import com.oracle.bmc.streaming.requests.CreateGroupCursorRequest;
import com.oracle.bmc.streaming.requests.GetMessagesRequest;
import com.oracle.bmc.streaming.responses.GetMessagesResponse;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Forwards an OCI stream into {@code <prefix>.inventory}. One reader thread: a group cursor
 * ({@code --oci-group}, this instance's name), GetMessages, each event through the
 * {@link SequenceGate} (so each cluster's events reach Kafka in the collector's order, and a
 * {@code SYNC_END} never overtakes a snapshot still unread on another partition), then produced with
 * its key: objects to {@code murmur2(key) % partitions} like the Kafka-path collector, markers
 * and cluster-scoped policies (both keyed {@code <cluster>/*}) to every partition, a {@code SYNC_END}'s {@link SyncInfo} rewritten per Kafka
 * partition. The group's offsets are committed only when nothing is held and the producer has
 * flushed, so everything before the commit point is in Kafka (at-least-once; the processor drops
 * duplicates by sequence). A message that cannot be read goes to {@code <prefix>.dlq}.
 */
public final class OciBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OciBridge.class);
    private static final int GET_LIMIT = 10_000;
    private static final Duration IDLE_POLL = Duration.ofMillis(100);

    /** Settings of one bridge (from {@link BridgeConfig}, or built directly by tests). */
    public record Settings(String streamId, String group, String instance, TopicNames topics, Duration gapTimeout,
            int maxHeld, Duration commitInterval, boolean ordered) {
        public static Settings from(BridgeConfig c) {
            return new Settings(c.get(BridgeConfig.OCI_STREAM_OCID), c.get(BridgeConfig.OCI_GROUP), c.instance(),
                    c.topics(), c.get(BridgeConfig.GAP_TIMEOUT), c.get(BridgeConfig.MAX_HELD),
                    c.get(BridgeConfig.COMMIT_INTERVAL), true);
        }

        /**
         * The same without ordering: every event forwarded as read. Only for the test that shows what
         * the gate prevents (a sweep before the snapshots on other partitions).
         */
        public Settings unordered() {
            return new Settings(streamId, group, instance, topics, gapTimeout, maxHeld, commitInterval, false);
        }
    }

    private record Read(Message message, InventoryEvent event) {
    }

    private final Settings settings;
    private final StreamClient client;
    private final Producer<String, byte[]> producer;
    private final AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
    private final SequenceGate gate;
    private final Thread thread;
    private volatile boolean running = true;
    private final AtomicReference<String> failure = new AtomicReference<>();

    // Reader-thread state.
    private String cursor;
    private String committedCursor;
    private long lastCommitNanos;
    private int partitions;
    private long lastPartitionCheckNanos;
    /** Per cluster and epoch, snapshot counts per Kafka partition: [p][0] namespaces, [p][1] policies. */
    private final Map<String, long[][]> snapshotCounts = new HashMap<>();

    // Visible to health and metrics.
    private volatile boolean caughtUp;
    private volatile long lastOciSuccessMillis;
    private volatile int heldEvents;
    private volatile int heldMarkers;
    private final LongAdder read = new LongAdder();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder produced = new LongAdder();
    private final LongAdder fannedOut = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private final LongAdder ociErrors = new LongAdder();
    private final AtomicLong acked = new AtomicLong();
    private final Map<Integer, Long> partitionOffset = new ConcurrentHashMap<>();
    private final Map<Integer, Long> partitionLagMillis = new ConcurrentHashMap<>();

    public OciBridge(Settings settings, StreamClient client, Producer<String, byte[]> producer) {
        this.settings = Objects.requireNonNull(settings);
        this.client = Objects.requireNonNull(client);
        this.producer = Objects.requireNonNull(producer);
        this.gate = new SequenceGate(settings.gapTimeout().toNanos(), settings.maxHeld(), i -> forward((Read) i.payload()),
                i -> { });
        this.thread = new Thread(this::run, "fencewatch-oci-bridge");
    }

    public OciBridge start() {
        thread.start();
        return this;
    }

    // ------------------------------------------------------------------ reader thread

    private void run() {
        Duration backoff = Duration.ofMillis(200);
        try {
            while (running) {
                try {
                    if (cursor == null) {
                        cursor = createGroupCursor();
                        LOG.info("reading OCI stream {} as {}/{} into {}", settings.streamId(), settings.group(),
                                settings.instance(), settings.topics().inventory());
                    }
                    refreshPartitions();
                    maybeCommit(false);
                    GetMessagesResponse r = client.getMessages(GetMessagesRequest.builder().streamId(settings.streamId())
                            .cursor(cursor).limit(GET_LIMIT).build());
                    lastOciSuccessMillis = System.currentTimeMillis();
                    cursor = r.getOpcNextCursor();
                    List<Message> items = r.getItems();
                    long now = System.nanoTime();
                    for (Message m : items) {
                        handle(m, now);
                    }
                    if (items.isEmpty()) {
                        gate.caughtUp(now);
                        caughtUp = true;
                        partitionLagMillis.replaceAll((p, lag) -> 0L);
                    }
                    gate.tick(System.nanoTime());
                    updateGauges();
                    backoff = Duration.ofMillis(200);
                    if (items.isEmpty()) {
                        pause(IDLE_POLL);
                    }
                } catch (BmcException e) {
                    ociErrors.increment();
                    if (e.getStatusCode() == 400 || e.getStatusCode() == 404) {
                        // An expired or unknown cursor: start again from the group's committed offsets.
                        LOG.warn("OCI stream {}: {} {} ({}); creating a new group cursor", settings.streamId(),
                                e.getStatusCode(), e.getServiceCode(), shorten(e.getMessage()));
                        cursor = null;
                    } else {
                        LOG.warn("OCI stream {}: {} {}; retrying in {} ms", settings.streamId(), e.getStatusCode(),
                                e.getServiceCode(), backoff.toMillis());
                    }
                    pause(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                            : backoff.multipliedBy(2);
                } catch (KafkaException e) {
                    LOG.warn("Kafka: {}; retrying", e.toString());
                    pause(backoff);
                } catch (RuntimeException e) {
                    if (!running) {
                        break;
                    }
                    ociErrors.increment();
                    LOG.warn("OCI stream {}: {}; retrying in {} ms", settings.streamId(), e.getClass().getSimpleName(),
                            backoff.toMillis());
                    pause(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                            : backoff.multipliedBy(2);
                }
                if (failure.get() != null) {
                    LOG.error("stopping: {}", failure.get());
                    return;
                }
            }
            // Graceful stop: commit what Kafka has, if nothing is held.
            maybeCommit(true);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, "reader failed: " + e);
            LOG.error("bridge reader failed", e);
        }
    }

    private String createGroupCursor() {
        return client.createGroupCursor(CreateGroupCursorRequest.builder().streamId(settings.streamId())
                .createGroupCursorDetails(CreateGroupCursorDetails.builder().groupName(settings.group())
                        .instanceName(settings.instance()).type(CreateGroupCursorDetails.Type.TrimHorizon)
                        .commitOnGet(false).timeoutInMs(30_000).build())
                .build()).getCursor().getValue();
    }

    private void refreshPartitions() {
        if (partitions > 0 && System.nanoTime() - lastPartitionCheckNanos < TimeUnit.SECONDS.toNanos(30)) {
            return;
        }
        int n = producer.partitionsFor(settings.topics().inventory()).size();
        if (partitions > 0 && n != partitions) {
            LOG.warn("topic {} now has {} partitions (was {}); markers fan out to all of them", settings.topics().inventory(),
                    n, partitions);
        }
        partitions = n;
        lastPartitionCheckNanos = System.nanoTime();
    }

    private void handle(Message m, long now) {
        read.increment();
        int partition = parsePartition(m.getPartition());
        partitionOffset.put(partition, m.getOffset());
        if (m.getTimestamp() != null) {
            partitionLagMillis.put(partition, Math.max(0, System.currentTimeMillis() - m.getTimestamp().getTime()));
        }
        String key = m.getKey() == null ? null : new String(m.getKey(), StandardCharsets.UTF_8);
        InventoryEvent event;
        try {
            if (key == null) {
                throw new IllegalArgumentException("message has no key");
            }
            event = serde.deserialize(settings.topics().inventory(), m.getValue());
            if (event == null || event.getSource() == null) {
                throw new IllegalArgumentException("message has no value");
            }
            if (!Keys.clusterOf(key).equals(event.getSource().getCluster())) {
                throw new IllegalArgumentException("key is not of the event's cluster");
            }
        } catch (RuntimeException e) {
            deadLetter(m, key, e);
            return;
        }
        Read r = new Read(m, event);
        if (!settings.ordered() || epochNeutral(event.getOp())) {
            // UNREACHABLE and CLUSTER_REMOVED take no sequence number: nothing orders them in an epoch.
            forward(r);
            return;
        }
        gate.offer(new SequenceGate.Item(event.getSource().getCluster(), event.getSource().getEpoch(),
                event.getSource().getSequence(), r), now);
    }

    private void forward(Read r) {
        InventoryEvent e = r.event();
        String key = new String(r.message().getKey(), StandardCharsets.UTF_8);
        String topic = settings.topics().inventory();
        forwarded.increment();
        // Markers and cluster-scoped policies (GlobalNetworkPolicy, ...) are keyed <cluster>/*: every
        // partition gets them, as the collector's Kafka path sends them.
        if (Keys.isMarker(key)) {
            String countsKey = e.getSource().getCluster() + "@" + e.getSource().getEpoch();
            long[][] counts = e.getOp() == Op.SYNC_END ? snapshotCounts.remove(countsKey) : null;
            if (e.getOp() == Op.SYNC_START) {
                snapshotCounts.put(countsKey, new long[partitions][2]);
            }
            for (int p = 0; p < partitions; p++) {
                byte[] value = r.message().getValue();
                if (e.getOp() == Op.SYNC_END && e.getSync() != null) {
                    SyncInfo in = e.getSync();
                    long ns = counts != null && p < counts.length ? counts[p][0] : 0;
                    long np = counts != null && p < counts.length ? counts[p][1] : 0;
                    InventoryEvent copy = InventoryEvent.newBuilder(e)
                            .setSync(new SyncInfo(partitions, p, in.getNamespaces(), in.getPolicies(), ns, np)).build();
                    value = serde.serialize(topic, copy);
                }
                send(new ProducerRecord<>(topic, p, key, value));
            }
            fannedOut.increment();
            return;
        }
        int p = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
        if (e.getOp() == Op.SNAPSHOT) {
            long[][] counts = snapshotCounts.get(e.getSource().getCluster() + "@" + e.getSource().getEpoch());
            if (counts != null && p < counts.length) {
                if (e.getKind() == Kind.NAMESPACE || e.getKind() == Kind.NETWORK_POLICY) {
                    counts[p][e.getKind() == Kind.NAMESPACE ? 0 : 1]++; // SyncInfo counts these two kinds only
                }
            }
        }
        send(new ProducerRecord<>(topic, p, key, r.message().getValue()));
    }

    /** Markers outside any epoch's sequence (the collector sends them once; they go to every partition). */
    static boolean epochNeutral(Op op) {
        return op == Op.UNREACHABLE || op == Op.CLUSTER_REMOVED;
    }

    private void send(ProducerRecord<String, byte[]> rec) {
        produced.increment();
        producer.send(rec, (md, ex) -> {
            if (ex != null) {
                // The producer retries until delivery.timeout.ms: a failure here is real. Stop, so that a restart
                // re-reads from the last commit (which never passed this record).
                failure.compareAndSet(null, "Kafka refused a record for " + rec.topic() + "-" + rec.partition() + ": " + ex);
            } else {
                acked.incrementAndGet();
            }
        });
    }

    private void deadLetter(Message m, String key, RuntimeException error) {
        deadLettered.increment();
        LOG.warn("OCI stream {} partition {} offset {}: unreadable ({}); sent to {}", settings.streamId(), m.getPartition(),
                m.getOffset(), error.getMessage(), settings.topics().dlq());
        RecordHeaders h = new RecordHeaders();
        h.add("fencewatch.dlq.topic", ("oci:" + settings.streamId()).getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.partition", String.valueOf(m.getPartition()).getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.offset", String.valueOf(m.getOffset()).getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.stage", "oci-bridge".getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.error", String.valueOf(error.getMessage()).getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.error.class", error.getClass().getName().getBytes(StandardCharsets.UTF_8));
        h.add("fencewatch.dlq.time", java.time.Instant.now().toString().getBytes(StandardCharsets.UTF_8));
        send(new ProducerRecord<>(settings.topics().dlq(), null, key, m.getValue(), h));
    }

    /**
     * Commits the group's offsets up to the last read, when nothing read is held and Kafka acked all
     * of it. Then every event before the commit point is in Kafka, and the first one after it is the
     * lowest not forwarded: where a restarted bridge's gate starts.
     */
    private void maybeCommit(boolean force) {
        if (cursor == null || cursor.equals(committedCursor) || gate.held() > 0 || failure.get() != null) {
            return;
        }
        if (!force && System.nanoTime() - lastCommitNanos < settings.commitInterval().toNanos()) {
            return;
        }
        producer.flush();
        if (failure.get() != null) {
            return;
        }
        try {
            String c = client.consumerCommit(ConsumerCommitRequest.builder().streamId(settings.streamId()).cursor(cursor)
                    .build()).getCursor().getValue();
            cursor = c;
            committedCursor = c;
            commits.increment();
            lastCommitNanos = System.nanoTime();
        } catch (BmcException e) {
            ociErrors.increment();
            LOG.warn("OCI stream {}: commit failed ({} {}); will retry", settings.streamId(), e.getStatusCode(),
                    e.getServiceCode());
            if (e.getStatusCode() == 400) {
                cursor = null;
            }
        }
    }

    private void updateGauges() {
        heldEvents = gate.held();
        int markers = 0;
        if (heldEvents > 0) {
            for (SequenceGate.Item i : gate.heldItems()) {
                Op op = ((Read) i.payload()).event().getOp();
                if (op == Op.SYNC_START || op == Op.SYNC_END || op == Op.HEARTBEAT) {
                    markers++;
                }
            }
        }
        heldMarkers = markers;
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // the reader's poll interval, not a test wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static int parsePartition(String p) {
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException | NullPointerException e) {
            return -1;
        }
    }

    private static String shorten(String s) {
        if (s == null) {
            return "";
        }
        String one = s.replaceAll("[\\r\\n\\t]", " ");
        return one.length() <= 120 ? one : one.substring(0, 117) + "...";
    }

    // ------------------------------------------------------------------ health, metrics, lifecycle

    /** Null when healthy, else why not. */
    public String healthProblem() {
        if (failure.get() != null) {
            return failure.get();
        }
        return thread.isAlive() ? null : "reader thread not running";
    }

    /** Null when ready: read the stream up to its end once, and OCI answered within the last minute. */
    public String readinessProblem() {
        String h = healthProblem();
        if (h != null) {
            return h;
        }
        if (!caughtUp) {
            return "catching up with the OCI stream";
        }
        if (System.currentTimeMillis() - lastOciSuccessMillis > 60_000) {
            return "OCI has not answered for a minute";
        }
        return null;
    }

    public boolean caughtUp() {
        return caughtUp;
    }

    /** Counters and gauges for /metrics, by name (without the {@code fencewatch_bridge_} prefix). */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new TreeMap<>();
        m.put("messages_read_total", read.sum());
        m.put("events_forwarded_total", forwarded.sum());
        m.put("records_produced_total", produced.sum());
        m.put("records_acked_total", acked.get());
        m.put("markers_fanned_out_total", fannedOut.sum());
        m.put("held_events", (long) heldEvents);
        m.put("held_markers", (long) heldMarkers);
        m.put("duplicates_dropped_total", gate.duplicates());
        m.put("stale_epoch_dropped_total", gate.staleEpoch());
        m.put("gaps_skipped_total", gate.gapsSkipped());
        m.put("dlq_total", deadLettered.sum());
        m.put("commits_total", commits.sum());
        m.put("oci_errors_total", ociErrors.sum());
        return m;
    }

    /** Per OCI partition: the last offset read. */
    public Map<Integer, Long> partitionOffsets() {
        return new TreeMap<>(partitionOffset);
    }

    /** Per OCI partition: how old the last message read was when read (0 once caught up). */
    public Map<Integer, Long> partitionLagMillis() {
        return new TreeMap<>(partitionLagMillis);
    }

    /** Stops reading, flushes Kafka and commits (if nothing is held), within {@code timeout}. Safe twice. */
    public void close(Duration timeout) {
        running = false;
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        try {
            producer.close(timeout);
        } catch (KafkaException e) {
            LOG.warn("producer close: {}", e.toString());
        }
        client.close();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /**
     * Stops at once, as a SIGKILL would: no flush, no commit. For tests of a restart mid-stream; the
     * producer is closed without waiting, so records not yet acked may be lost (as in a crash).
     */
    public void kill() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ZERO);
        client.close();
    }
}
