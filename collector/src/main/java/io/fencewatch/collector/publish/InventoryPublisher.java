package io.fencewatch.collector.publish;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fencewatch.collector.kube.AgentEvent;
import io.fencewatch.collector.kube.ChangeType;
import io.fencewatch.collector.kube.EventTranslator;
import io.fencewatch.collector.kube.ObjectRefs;
import io.fencewatch.collector.kube.PolicyKind;
import io.fencewatch.collector.kube.WorkloadShapes;
import io.fencewatch.schema.FactLimits;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.collector.kube.PolicyEngineWatch;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * The one thread that publishes a cluster's facts. It takes events from the bounded queue the
 * informer handlers fill and sends them keyed {@code <cluster>/<namespace>} to an explicit
 * partition (Kafka's default murmur2 of the key), so that it can count what each partition got.
 *
 * <p>Epochs: while publishing is wanted (always, or while leader), an epoch is open. Opening one
 * sends {@code SYNC_START} to every partition and waits for its acks (a probe that Kafka takes
 * writes), drops the events queued so far (the informers' caches already hold their effect), sends
 * the cached objects as {@code SNAPSHOT}, then {@code SYNC_END} with counts to every partition.
 * Later events are {@code UPSERT}/{@code DELETE}. A failed send, a change of the partition count or
 * a restarted informer opens a new epoch, so the table is made whole again. Events seen while no
 * epoch is open are dropped: the next epoch's snapshot holds them.
 *
 * <p>Sequence numbers count logical events in an epoch from 0 ({@code SYNC_START}); the copies of
 * a marker sent to each partition share one number, so every partition sees them increase.
 */
public final class InventoryPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InventoryPublisher.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    private static final Duration RETRY_MIN = Duration.ofMillis(500);
    private static final Duration RETRY_MAX = Duration.ofSeconds(15);

    /** What the informers hold now; read by the publisher thread when it takes a snapshot. */
    public interface SnapshotSource {
        boolean synced();

        List<Namespace> namespaces();

        List<NetworkPolicy> policies();

        /**
         * The objects of the policy kinds beyond NetworkPolicy whose informers take part in the
         * snapshot (synced), by kind; read once {@link #synced()} holds.
         */
        default Map<PolicyKind, List<GenericKubernetesResource>> fences() {
            return Map.of();
        }

        /**
         * True when pods are watched and their workload shapes known (--watch-pods, the first list handed
         * over): the epoch's snapshot then holds every shape and its markers say {@code watchesPods}.
         */
        default boolean watchesPods() {
            return false;
        }

        /** Every workload shape, for the snapshot; later {@link #workloadChanges} count from it. */
        default List<WorkloadShapes.Change> workloads() {
            return List.of();
        }

        /** What changed in a namespace's workload shapes since they were last published. */
        default List<WorkloadShapes.Change> workloadChanges(String namespace) {
            return List.of();
        }

        /** Why the API server cannot be reached now, or null while it can (asked at the heartbeat interval). */
        default Outage outage() {
            return null;
        }
    }

    /** The cluster cannot be reached or refuses the collector: why (no credentials in it), and since when. */
    public record Outage(String error, Instant since) {
        public Outage {
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(since, "since");
        }
    }

    private final String cluster;
    private final String collectorId;
    private final String topic;
    /** Measures an event that may exceed the limits, as the producer will encode it (one serde, not one per event). */
    private final AvroSerde<InventoryEvent> sizer = FencewatchSerdes.inventoryEvent();
    private final InventorySink producer;
    private final BlockingQueue<AgentEvent> queue;
    private final SnapshotSource source;
    private final EventTranslator translator;
    private final Duration heartbeatInterval;
    private final Clock clock;
    private final PublisherMetrics metrics = new PublisherMetrics();
    private final Thread thread;

    // Control, written by other threads.
    private final AtomicBoolean wanted = new AtomicBoolean();
    private final AtomicLong epochRequests = new AtomicLong();
    private final AtomicBoolean resyncNeeded = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean closed;
    private volatile String stopReason;

    // State visible to health checks and metrics.
    private volatile long openEpoch = -1;
    private volatile long syncedEpoch = -1;
    private volatile boolean kafkaReachable;
    private volatile int partitionCount;

    // Publisher-thread state.
    private volatile long lastEpoch;
    private long lastProbeNanos;
    private long seenEpochRequests;
    private long sequence;
    private long nextHeartbeatNanos;
    private final AtomicLong failedEpochLogged = new AtomicLong(-1);
    /** Per object ("N/name", "P/ns/name"), the resourceVersion this epoch's snapshot sent; see publish(). */
    private final Map<String, String> snapshotVersions = new HashMap<>();
    private boolean sendingOnThisThread;
    private Exception syncFailure;
    private volatile long closeDeadlineNanos;
    private volatile int maxRecordBytes = FactLimits.DEFAULT_MAX_RECORD_BYTES;
    /** Facts about the cluster sent on its markers; null: none known. */
    private volatile ClusterFacts clusterFacts;
    /** The NetworkPolicy engines found (FW-NP-002), merged into the facts of every marker; null: not looking. */
    private volatile PolicyEngineWatch.Facts engineFacts;
    /** The engine facts the last marker carried (publisher thread): when they differ, a HEARTBEAT goes at once. */
    private PolicyEngineWatch.Facts sentEngineFacts;
    /** Whether the open epoch's snapshot held the workload shapes: its markers say {@code watchesPods}. */
    private volatile boolean epochWatchesPods;
    /** The outage last reported (UNREACHABLE), or null. */
    private volatile Outage reportedOutage;
    private long nextOutageReportNanos;
    private volatile boolean retiring;

    public InventoryPublisher(String cluster, String collectorId, String topic, Producer<String, InventoryEvent> producer,
            BlockingQueue<AgentEvent> queue, SnapshotSource source, EventTranslator translator,
            Duration heartbeatInterval, Clock clock) {
        this(cluster, collectorId, topic, InventorySink.kafka(producer), queue, source, translator, heartbeatInterval,
                clock);
    }

    /** With any sink: Kafka, or OCI Streaming (which reports one partition, so markers go once). */
    public InventoryPublisher(String cluster, String collectorId, String topic, InventorySink producer,
            BlockingQueue<AgentEvent> queue, SnapshotSource source, EventTranslator translator,
            Duration heartbeatInterval, Clock clock) {
        this.cluster = Keys.requireClusterId(cluster);
        this.collectorId = Objects.requireNonNull(collectorId);
        this.topic = Objects.requireNonNull(topic);
        this.producer = Objects.requireNonNull(producer);
        this.queue = Objects.requireNonNull(queue);
        this.source = Objects.requireNonNull(source);
        this.translator = Objects.requireNonNull(translator);
        this.heartbeatInterval = Objects.requireNonNull(heartbeatInterval);
        this.clock = Objects.requireNonNull(clock);
        this.thread = new Thread(this::run, "fencewatch-publisher-" + cluster);
        this.thread.setDaemon(false);
    }

    public void start() {
        thread.start();
    }

    /** Publishing wanted (no leader election, or this replica leads) or not (standby, lost the lease). */
    public synchronized void setPublishing(boolean on, String reason) {
        if (wanted.get() == on) {
            return;
        }
        LOG.info("cluster {}: publishing {} ({})", cluster, on ? "on" : "off", reason);
        if (on) {
            // Request first, then switch on: the thread must not open an epoch that misses this request.
            epochRequests.incrementAndGet();
        }
        wanted.set(on);
        wake();
    }

    /** Opens a new epoch as soon as possible (e.g. after an informer restart missed events). */
    public void requestEpoch(String reason) {
        LOG.info("cluster {}: new epoch requested ({})", cluster, reason);
        epochRequests.incrementAndGet();
        wake();
    }

    private void wake() {
        // A full queue wakes the thread anyway; losing this offer then loses nothing.
        queue.offer(WAKEUP);
    }

    public PublisherMetrics metrics() {
        return metrics;
    }

    /** The sink's own counters (OCI Streaming: sent, bytes, throttled, retried); empty for Kafka. */
    public java.util.Map<String, Long> sinkCounters() {
        return producer.counters();
    }

    /** The open epoch, or -1. */
    public long openEpoch() {
        return openEpoch;
    }

    /** The last epoch whose SYNC_END every partition acked, or -1. */
    public long syncedEpoch() {
        return syncedEpoch;
    }

    public boolean publishing() {
        return wanted.get();
    }

    public boolean kafkaReachable() {
        return kafkaReachable;
    }

    public int partitionCount() {
        return partitionCount;
    }

    public int queueDepth() {
        return queue.size();
    }

    /** True while the publisher thread runs (it stops only on close). */
    public boolean running() {
        return thread.isAlive();
    }

    /**
     * Stops taking new epochs, publishes what is queued (if an epoch is open), waits for the
     * broker's acks, all within {@code timeout}; then closes the producer. Safe to call twice.
     */
    public synchronized void close(Duration timeout) {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        closeDeadlineNanos = deadline == 0 ? 1 : deadline;
        stopping = true;
        wake();
        try {
            if (thread.isAlive()) {
                thread.join(Math.max(1, timeout.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
            LOG.warn("cluster {}: shutdown timeout reached with {} events still queued; the next epoch will resync them",
                    cluster, queue.size());
        }
        long remaining = Math.max(0, deadline - System.nanoTime());
        try {
            producer.close(Duration.ofNanos(remaining));
        } catch (KafkaException e) {
            LOG.warn("cluster {}: producer close: {}", cluster, e.toString());
        }
        LOG.info("cluster {}: publisher closed (epoch {}, {} records acked, {} publish errors)", cluster, openEpoch,
                metrics.publishedByKindAndOp().values().stream().mapToLong(Long::longValue).sum(), metrics.publishErrors());
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    // ------------------------------------------------------------------ publisher thread

    private void run() {
        try {
            loop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            stopReason = e.toString();
            LOG.error("cluster {}: publisher thread failed", cluster, e);
            java.util.function.Consumer<String> listener = failureListener;
            if (listener != null && !stopping) {
                listener.accept("publisher thread failed: " + e);
            }
        }
    }

    private volatile java.util.function.Consumer<String> failureListener;

    /** Called if the publisher thread dies of an unexpected error (never while closing). */
    public void onFailure(java.util.function.Consumer<String> listener) {
        this.failureListener = listener;
    }

    /** Why the thread ended abnormally, or null. */
    public String failure() {
        return stopReason;
    }

    private void loop() throws InterruptedException {
        Duration retry = RETRY_MIN;
        while (true) {
            if (stopping) {
                drainOnShutdown();
                return;
            }
            if (!wanted.get()) {
                if (openEpoch >= 0) {
                    LOG.info("cluster {}: epoch {} closed: publishing is off", cluster, openEpoch);
                    openEpoch = -1;
                }
                probeKafka();
            } else if (openEpoch < 0 || resyncNeeded.get() || seenEpochRequests != epochRequests.get()) {
                if (beginEpoch()) {
                    retry = RETRY_MIN;
                } else if (!stopping) {
                    // Kafka refused the epoch; wait (events keep queuing) and try again.
                    sleepInterruptibly(retry);
                    retry = retry.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : retry.multipliedBy(2);
                }
                continue;
            }
            if (engineFacts != sentEngineFacts) {
                nextHeartbeatNanos = System.nanoTime();
            }
            long waitNanos = openEpoch >= 0 ? Math.max(0, nextHeartbeatNanos - System.nanoTime()) : IDLE_POLL.toNanos();
            AgentEvent event = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
            if (event != null && !isWakeup(event) && openEpoch >= 0 && !resyncNeeded.get()) {
                publish(event);
            }
            if (openEpoch >= 0 && System.nanoTime() >= nextHeartbeatNanos && !resyncNeeded.get()) {
                nextOutageReportNanos = System.nanoTime();
                if (reportOutage(partitionCount)) {
                    nextHeartbeatNanos = System.nanoTime() + heartbeatInterval.toNanos();
                } else {
                    heartbeat();
                }
            }
        }
    }

    private void drainOnShutdown() {
        if (retiring) {
            LOG.info("cluster {}: retiring; {} queued events dropped", cluster, queue.size());
            queue.clear();
            sendRetirement();
            return;
        }
        if (openEpoch < 0 || resyncNeeded.get()) {
            LOG.info("cluster {}: shutting down with no open epoch; {} queued events left to the next epoch", cluster,
                    queue.size());
            return;
        }
        int n = 0;
        AgentEvent event;
        while ((event = queue.poll()) != null && !Thread.currentThread().isInterrupted()) {
            if (!isWakeup(event)) {
                publish(event);
                n++;
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            LOG.warn("cluster {}: shutdown timeout reached while flushing; {} events left to the next epoch", cluster,
                    queue.size());
            return;
        }
        producer.flush();
        LOG.info("cluster {}: flushed {} queued events of epoch {} on shutdown", cluster, n, openEpoch);
    }

    /** Opens a new epoch; false if Kafka did not take it (retry later). */
    private boolean beginEpoch() throws InterruptedException {
        openEpoch = -1;
        seenEpochRequests = epochRequests.get();
        resyncNeeded.set(false);
        int partitions = partitions();
        if (partitions <= 0) {
            return false;
        }
        while (!source.synced()) {
            if (stopping || !wanted.get()) {
                return true;
            }
            reportOutage(partitions);
            sleepInterruptibly(Duration.ofMillis(5));
        }
        reportedOutage = null;
        source.outage(); // synced: an outage measured from now on starts now, not at an earlier trouble
        long begin = System.nanoTime();
        long epoch = Math.max(clock.millis(), lastEpoch + 1);
        lastEpoch = epoch;
        openEpoch = -1;
        sequence = 0;
        metrics.epochOpened();
        boolean pods = source.watchesPods();
        epochWatchesPods = pods; // SYNC_START says so, and the snapshot below holds the shapes

        // 1. SYNC_START everywhere, and wait for the acks: no snapshot goes into a dead broker's buffer.
        Instant now = clock.instant();
        List<Future<RecordMetadata>> starts = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            InventoryEvent start = marker(Op.SYNC_START, epoch, now, null);
            Future<RecordMetadata> f = sendMarker(p, start, epoch);
            if (f == null) {
                return false;
            }
            starts.add(f);
        }
        sequence++;
        if (!awaitAll(starts, epoch)) {
            return false;
        }
        if (!wanted.get()) {
            return true; // leadership lost meanwhile: no snapshot from a replica that is not the leader
        }

        // 2. The snapshot. Queued events are already reflected in the caches: drop them first.
        List<AgentEvent> stale = new ArrayList<>();
        queue.drainTo(stale);
        List<Namespace> namespaces = source.namespaces();
        List<NetworkPolicy> policies = source.policies();
        snapshotVersions.clear();
        long[] nsPerPartition = new long[partitions];
        long[] npPerPartition = new long[partitions];
        long nsTotal = 0;
        long npTotal = 0;
        for (Namespace ns : namespaces) {
            AgentEvent.NamespaceChanged e = new AgentEvent.NamespaceChanged(ChangeType.UPSERT, ns, now);
            int p = sendObject(e, Op.SNAPSHOT, epoch, partitions);
            if (p >= 0) {
                nsPerPartition[p]++;
                nsTotal++;
                rememberSnapshotVersion(e);
            }
        }
        for (NetworkPolicy np : policies) {
            AgentEvent.PolicyChanged e = new AgentEvent.PolicyChanged(ChangeType.UPSERT, np, now);
            int p = sendObject(e, Op.SNAPSHOT, epoch, partitions);
            if (p >= 0) {
                npPerPartition[p]++;
                npTotal++;
                rememberSnapshotVersion(e);
            }
        }
        long fenceTotal = 0;
        for (Map.Entry<PolicyKind, List<GenericKubernetesResource>> kind : source.fences().entrySet()) {
            for (GenericKubernetesResource o : kind.getValue()) {
                AgentEvent.FenceChanged e = new AgentEvent.FenceChanged(ChangeType.UPSERT, kind.getKey(), o, now);
                if (sendObject(e, Op.SNAPSHOT, epoch, partitions) >= 0) {
                    fenceTotal++;
                    rememberSnapshotVersion(e);
                }
            }
        }
        long shapeTotal = 0;
        for (WorkloadShapes.Change shape : pods ? source.workloads() : List.<WorkloadShapes.Change>of()) {
            if (sendShape(shape, Op.SNAPSHOT, epoch, partitions, now) >= 0) {
                shapeTotal++;
            }
        }
        if (resyncNeeded.get()) {
            return false;
        }
        if (!wanted.get()) {
            return true;
        }

        // 3. SYNC_END everywhere, with counts (namespaces and NetworkPolicies: shapes are not counted); readiness
        // follows its acks.
        AtomicInteger pendingEnds = new AtomicInteger(partitions);
        Instant endAt = clock.instant();
        final long namespacesTotal = nsTotal;
        final long policiesTotal = npTotal;
        final long fencesTotal = fenceTotal;
        final long shapesTotal = shapeTotal;
        for (int p = 0; p < partitions; p++) {
            SyncInfo info = new SyncInfo(partitions, p, nsTotal, npTotal, nsPerPartition[p], npPerPartition[p]);
            InventoryEvent end = marker(Op.SYNC_END, epoch, endAt, info);
            ProducerRecord<String, InventoryEvent> rec = new ProducerRecord<>(topic, p, Keys.marker(cluster), end);
            int partition = p;
            if (!trySend(rec, epoch, "SYNC_END", (md, ex) -> {
                if (ex == null && pendingEnds.decrementAndGet() == 0 && lastEpoch == epoch) {
                    syncedEpoch = epoch;
                    LOG.info("cluster {}: epoch {} synced: {} namespaces, {} policies, {} policies of other kinds, {}"
                            + " workload shapes on {} partitions of {} in {} ms", cluster, epoch, namespacesTotal,
                            policiesTotal, fencesTotal, pods ? shapesTotal : "no", partitions, topic,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
                } else if (ex != null) {
                    LOG.debug("cluster {}: SYNC_END to {}-{} failed", cluster, topic, partition);
                }
            })) {
                return false;
            }
        }
        sequence++;
        openEpoch = epoch;
        nextHeartbeatNanos = System.nanoTime() + heartbeatInterval.toNanos();
        LOG.info("cluster {}: epoch {} opened by {} ({} stale queued events dropped; the snapshot holds them)", cluster,
                epoch, collectorId, stale.size());
        return true;
    }

    /**
     * Publishes a live event. fabric8 marks an informer synced before it has handed every listed
     * object to the handlers, so right after a snapshot the queue still receives notifications of
     * states the snapshot already sent: an UPSERT at the resourceVersion the snapshot had is
     * skipped (it would say nothing new). The first event of each object ends the check for it.
     */
    private void publish(AgentEvent event) {
        if (event instanceof AgentEvent.WorkloadsChanged changed) {
            for (WorkloadShapes.Change c : source.workloadChanges(changed.namespace())) {
                sendShape(c, c.change() == ChangeType.DELETE ? Op.DELETE : Op.UPSERT, openEpoch, partitionCount,
                        changed.observedAt());
            }
            return;
        }
        Op op = event.change() == ChangeType.DELETE ? Op.DELETE : Op.UPSERT;
        if (!snapshotVersions.isEmpty()) {
            String rv = snapshotVersions.remove(objectKey(event));
            if (op == Op.UPSERT && rv != null && rv.equals(ObjectRefs.resourceVersion(object(event)))) {
                metrics.skippedDuplicate();
                return;
            }
        }
        sendObject(event, op, openEpoch, partitionCount);
    }

    private void rememberSnapshotVersion(AgentEvent event) {
        String rv = ObjectRefs.resourceVersion(object(event));
        if (rv != null) {
            snapshotVersions.put(objectKey(event), rv);
        }
    }

    private static HasMetadata object(AgentEvent event) {
        if (event instanceof AgentEvent.FenceChanged fc) {
            return fc.policy();
        }
        return event instanceof AgentEvent.NamespaceChanged nc ? nc.namespace() : ((AgentEvent.PolicyChanged) event).policy();
    }

    private static String objectKey(AgentEvent event) {
        HasMetadata o = object(event);
        if (event instanceof AgentEvent.FenceChanged fc) {
            return "F/" + fc.kind().name() + "/" + ObjectRefs.namespace(o) + "/" + ObjectRefs.name(o);
        }
        return event instanceof AgentEvent.NamespaceChanged ? "N/" + ObjectRefs.name(o)
                : "P/" + ObjectRefs.namespace(o) + "/" + ObjectRefs.name(o);
    }

    /** Sends one object event; returns its partition, or -1 if it was skipped or failed. */
    private int sendObject(AgentEvent event, Op op, long epoch, int partitions) {
        HasMetadata obj = object(event);
        String ns = EventTranslator.keyNamespace(event);
        InventoryEvent record;
        try {
            record = ns == null ? null
                    : translator.translate(event, op, new Source(cluster, collectorId, epoch, sequence, event.observedAt()));
        } catch (RuntimeException e) {
            LOG.error("cluster {}: cannot translate {}: {}", cluster, ObjectRefs.where(cluster, obj), e.toString());
            record = null;
        }
        if (record == null) {
            metrics.skippedObject();
            LOG.warn("cluster {}: skipped {} ({}): it has no name or namespace to key it by", cluster,
                    ObjectRefs.where(cluster, obj), op);
            return -1;
        }
        return sendRecord(record, ns, ObjectRefs.where(cluster, obj), epoch, partitions);
    }

    /** Sends one workload shape (kind WORKLOAD, keyed by its namespace); its partition, or -1. */
    private int sendShape(WorkloadShapes.Change shape, Op op, long epoch, int partitions, Instant observedAt) {
        InventoryEvent record = EventTranslator.workloadEvent(shape, op,
                new Source(cluster, collectorId, epoch, sequence, observedAt));
        return sendRecord(record, shape.shape().namespace(),
                cluster + "/" + shape.shape().namespace() + "/" + shape.shape().id(), epoch, partitions);
    }

    /** Sends one object's record under {@code <cluster>/<ns>}; {@code where} names it in logs. */
    private int sendRecord(InventoryEvent record, String ns, String where, long epoch, int partitions) {
        String key = Keys.of(cluster, ns);
        record = withinLimits(record, key, where);
        if (record == null) {
            metrics.skippedObject();
            return -1;
        }
        if (Keys.isMarker(key)) {
            // A cluster-scoped kind concerns every namespace: like a marker, one copy to every partition, all
            // with one sequence number (the OCI sink reports one partition: the bridge fans it out by its key).
            sequence++;
            for (int p = 0; p < partitions; p++) {
                if (!trySend(new ProducerRecord<>(topic, p, key, record), epoch, where, null)) {
                    return -1;
                }
            }
            return 0;
        }
        int partition = partitionOf(key, partitions);
        sequence++;
        boolean sent = trySend(new ProducerRecord<>(topic, partition, key, record), epoch, where, null);
        return sent ? partition : -1;
    }

    /**
     * The event as it may be sent: itself when it fits the inventory's limits, else a truncated fact
     * (flagged, never over-stating isolation: see {@link EventTranslator#truncated}) so the object
     * still counts; null when even that does not fit. Says which object, never its content.
     */
    private InventoryEvent withinLimits(InventoryEvent record, String key, String where) {
        // Room for the key, the record's framing in its batch and the single-object header.
        int budget = maxRecordBytes - key.length() * 3 - 1024;
        if (!EventTranslator.exceedsBounds(record)) {
            // The estimate is an upper bound (3 bytes per character): measure before cutting.
            if (EventTranslator.estimatedBytes(record) <= budget
                    || sizer.serialize(topic, record).length <= budget) {
                return record;
            }
        }
        InventoryEvent cut = EventTranslator.truncated(record, budget);
        int size = sizer.serialize(topic, cut).length;
        if (size > budget) {
            LOG.error("cluster {}: {} does not fit the inventory limit of {} bytes even truncated ({} bytes): not sent",
                    cluster, where, maxRecordBytes, size);
            return null;
        }
        metrics.truncatedObject();
        LOG.warn("cluster {}: {} exceeds the inventory limits (max.request.size {} bytes, or the bounds on labels and"
                + " rules): published as a truncated fact ({} bytes)", cluster, where, maxRecordBytes, size);
        return cut;
    }

    /**
     * The largest record the producer sends: its {@code max.request.size} (the inventory topic's
     * {@code max.message.bytes}). Set before {@link #start()}.
     */
    public void maxRecordBytes(int bytes) {
        if (bytes <= 2048) {
            throw new IllegalArgumentException("max record size must be more than 2048 bytes");
        }
        this.maxRecordBytes = bytes;
    }

    private void heartbeat() {
        int partitions = partitionCount;
        try {
            int now = producer.partitionsFor(topic).size();
            if (now != partitions) {
                LOG.warn("cluster {}: topic {} now has {} partitions (was {}): opening a new epoch", cluster, topic, now,
                        partitions);
                partitionCount = now;
                resyncNeeded.set(true);
                return;
            }
        } catch (KafkaException e) {
            // Metadata is cached; a failure here says the broker is unreachable. Heartbeats wait in the buffer.
            LOG.debug("cluster {}: partition check failed: {}", cluster, e.toString());
        }
        Instant now = clock.instant();
        for (int p = 0; p < partitions; p++) {
            ProducerRecord<String, InventoryEvent> rec = new ProducerRecord<>(topic, p, Keys.marker(cluster),
                    marker(Op.HEARTBEAT, openEpoch, now, null));
            if (!trySend(rec, openEpoch, "HEARTBEAT", null)) {
                return;
            }
        }
        sequence++;
        nextHeartbeatNanos = System.nanoTime() + heartbeatInterval.toNanos();
    }

    private InventoryEvent marker(Op op, long epoch, Instant at, SyncInfo info) {
        ClusterFacts facts = null;
        if (op != Op.SYNC_END) {
            PolicyEngineWatch.Facts engines = engineFacts;
            sentEngineFacts = engines;
            facts = facts(engines);
        }
        return new InventoryEvent(new Source(cluster, collectorId, epoch, sequence, at), op, null, null, null, null, null,
                null, null, info, false, facts, null, null);
    }

    /**
     * UNREACHABLE and CLUSTER_REMOVED take no sequence number (the bridge forwards them outside the
     * epoch's order): they carry the open epoch, else one above every epoch this publisher opened, and
     * the processor never opens an epoch for them.
     */
    private long neutralEpoch() {
        return openEpoch >= 0 ? openEpoch : Math.max(clock.millis(), lastEpoch + 1);
    }

    /**
     * While the cluster cannot be reached: an UNREACHABLE marker to every partition at the heartbeat
     * interval (in place of the heartbeat when an epoch is open). True if the cluster is in an outage.
     */
    private boolean reportOutage(int partitions) {
        if (System.nanoTime() - nextOutageReportNanos < 0) {
            return reportedOutage != null;
        }
        Outage outage = source.outage();
        if (outage == null) {
            if (reportedOutage != null) {
                LOG.info("cluster {}: the API server answers again", cluster);
            }
            reportedOutage = null;
            return false;
        }
        nextOutageReportNanos = System.nanoTime() + heartbeatInterval.toNanos();
        if (reportedOutage == null || !reportedOutage.error().equals(outage.error())) {
            LOG.warn("cluster {}: unreachable since {}: {}; reporting UNREACHABLE every {} and retrying", cluster,
                    outage.since(), outage.error(), heartbeatInterval);
        }
        reportedOutage = outage;
        ClusterFacts known = facts();
        ClusterFacts facts = (known != null ? ClusterFacts.newBuilder(known) : ClusterFacts.newBuilder())
                .setError(outage.error()).setUnreachableSince(outage.since()).build();
        InventoryEvent marker = ClusterMarkers.marker(cluster, collectorId, Op.UNREACHABLE, neutralEpoch(), clock.instant(),
                facts);
        for (int p = 0; p < partitions; p++) {
            if (!trySend(new ProducerRecord<>(topic, p, Keys.marker(cluster), marker), marker.getSource().getEpoch(),
                    "UNREACHABLE", null)) {
                break;
            }
        }
        return true;
    }

    /** The cluster is gone: CLUSTER_REMOVED to every partition, acked within the close deadline. */
    private void sendRetirement() {
        Duration left = Duration.ofNanos(Math.max(1, closeDeadlineNanos - System.nanoTime()));
        if (new ClusterMarkers(producer, topic, collectorId, clock).send(cluster, Op.CLUSTER_REMOVED, facts(),
                neutralEpoch(), left)) {
            LOG.info("cluster {}: retired: CLUSTER_REMOVED sent to every partition of {}", cluster, topic);
        } else {
            LOG.error("cluster {}: retired, but CLUSTER_REMOVED was not delivered: its rows stay until they go stale",
                    cluster);
        }
    }

    /** Facts about the cluster for its markers from now on (OKE: OCID, region, compartment, version). */
    public void clusterFacts(ClusterFacts facts) {
        this.clusterFacts = facts;
    }

    /**
     * The NetworkPolicy engines found in the cluster from now on; when they differ from the last ones
     * a HEARTBEAT carries them to every partition at once (the open epoch's order is kept: it follows
     * what is already queued ahead of it only by the publisher's loop turn). One caller at a time
     * (the watch reports under its lock); it never blocks.
     */
    public void policyEngines(PolicyEngineWatch.Facts facts) {
        if (!java.util.Objects.equals(engineFacts, facts)) {
            engineFacts = facts; // the same facts again keep the old object: no heartbeat for them
            wake();
        }
    }

    /** The engine facts handed over last; null: none yet (or not looking). */
    public PolicyEngineWatch.Facts policyEngines() {
        return engineFacts;
    }

    /** The facts markers carry: the provider's (OKE) and the engines found; null when neither is known. */
    ClusterFacts facts() {
        return facts(engineFacts);
    }

    private ClusterFacts facts(PolicyEngineWatch.Facts engines) {
        ClusterFacts provider = clusterFacts;
        boolean pods = epochWatchesPods;
        if (engines == null && (provider == null ? !pods : provider.getWatchesPods() == pods)) {
            return provider;
        }
        ClusterFacts.Builder b = (provider != null ? ClusterFacts.newBuilder(provider) : ClusterFacts.newBuilder())
                .setWatchesPods(pods); // this agent's own knowledge wins over the fleet's configured value
        if (engines != null) {
            b.setPolicyEngines(engines.engines()).setPolicyEngineNamespaces(engines.namespaces())
                    .setPolicyEnginesError(engines.error());
        }
        return b.build();
    }

    /** Whether the open (or last) epoch's snapshot held the workload shapes. */
    public boolean epochWatchesPods() {
        return epochWatchesPods;
    }

    /**
     * Retires the cluster (deleted from its provider): what is queued is dropped, CLUSTER_REMOVED goes to
     * every partition, then the publisher closes as {@link #close(Duration)} does.
     */
    public void retire(Duration timeout) {
        retiring = true;
        close(timeout);
    }

    private Future<RecordMetadata> sendMarker(int partition, InventoryEvent marker, long epoch) {
        ProducerRecord<String, InventoryEvent> rec = new ProducerRecord<>(topic, partition, Keys.marker(cluster), marker);
        return send(rec, epoch, marker.getOp().name(), null);
    }

    private interface AckListener {
        void onAck(RecordMetadata md, Exception ex);
    }

    private boolean trySend(ProducerRecord<String, InventoryEvent> rec, long epoch, String where, AckListener then) {
        return send(rec, epoch, where, then) != null;
    }

    /**
     * Hands a record to the producer. While Kafka is away, {@code send} blocks up to max.block.ms
     * (no metadata after a rebootstrap, or a full buffer) and throws a TimeoutException: then we keep
     * trying the same record, so nothing is lost and the bounded queue absorbs the backlog.
     * Returns null if the record was not taken.
     */
    private Future<RecordMetadata> send(ProducerRecord<String, InventoryEvent> rec, long epoch, String where,
            AckListener then) {
        long lastLog = 0;
        while (true) {
            try {
                // KafkaProducer reports a failure to get metadata or buffer space through the callback,
                // on this thread, before send returns: catch that case and retry instead of failing.
                sendingOnThisThread = true;
                syncFailure = null;
                Future<RecordMetadata> f = producer.send(rec, (md, ex) -> {
                    if (ex != null && sendingOnThisThread && Thread.currentThread() == thread) {
                        syncFailure = ex;
                        return;
                    }
                    onAck(rec, md, ex, epoch, where);
                    if (then != null) {
                        then.onAck(md, ex);
                    }
                });
                sendingOnThisThread = false;
                Exception failed = syncFailure;
                if (failed == null) {
                    return f;
                }
                if (!(failed instanceof org.apache.kafka.common.errors.TimeoutException)) {
                    onSendFailure(rec, failed, epoch, where);
                    if (then != null) {
                        then.onAck(null, failed);
                    }
                    return null;
                }
                throw (org.apache.kafka.common.errors.TimeoutException) failed;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                sendingOnThisThread = false;
                kafkaReachable = false;
                if (stopping && (Thread.currentThread().isInterrupted() || closeDeadlinePassed())) {
                    return null;
                }
                long now = System.currentTimeMillis();
                if (now - lastLog > 30_000) {
                    LOG.warn("cluster {}: Kafka not taking records for {}-{} ({}); holding {} and {} queued events until it does",
                            cluster, rec.topic(), rec.partition(), e.getMessage(), where, queue.size());
                    lastLog = now;
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                sendingOnThisThread = false;
                Thread.currentThread().interrupt();
                return null;
            } catch (SerializationException e) {
                sendingOnThisThread = false;
                metrics.publishError();
                LOG.error("cluster {}: cannot serialize {} for {}-{}: {}", cluster, where, rec.topic(), rec.partition(),
                        e.toString());
                return null;
            } catch (KafkaException e) {
                sendingOnThisThread = false;
                onSendFailure(rec, e, epoch, where);
                return null;
            }
        }
    }

    private boolean closeDeadlinePassed() {
        return closeDeadlineNanos != 0 && System.nanoTime() - closeDeadlineNanos > 0;
    }

    private void onAck(ProducerRecord<String, InventoryEvent> rec, RecordMetadata md, Exception ex, long epoch, String where) {
        if (ex == null) {
            kafkaReachable = true;
            metrics.acked(rec.value().getKind(), rec.value().getOp(), clock.millis());
            if (LOG.isTraceEnabled()) {
                LOG.trace("cluster {}: {} {} acked at {}-{}@{}", cluster, rec.value().getOp(), where, md.topic(),
                        md.partition(), md.offset());
            }
            return;
        }
        onSendFailure(rec, ex, epoch, where);
    }

    private void onSendFailure(ProducerRecord<String, InventoryEvent> rec, Exception ex, long epoch, String where) {
        metrics.publishError();
        if (ex instanceof RecordTooLargeException) {
            // Resending cannot help; say which object so an operator can look at it.
            LOG.error("cluster {}: {} is too large for {}-{} (raise max.request.size / the topic's max.message.bytes)",
                    cluster, where, rec.topic(), rec.partition());
            return;
        }
        if (epoch == lastEpoch && resyncNeeded.compareAndSet(false, true)) {
            kafkaReachable = false;
            if (failedEpochLogged.getAndSet(epoch) != epoch) {
                LOG.error("cluster {}: publishing {} to {}-{} in epoch {} failed ({}); a new epoch will resync the cluster",
                        cluster, where, rec.topic(), rec.partition(), epoch, ex.toString());
            }
        }
    }

    private boolean awaitAll(List<Future<RecordMetadata>> futures, long epoch) throws InterruptedException {
        for (Future<RecordMetadata> f : futures) {
            while (true) {
                if (stopping) {
                    return false;
                }
                try {
                    f.get(500, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (resyncNeeded.get()) {
                        return false;
                    }
                } catch (ExecutionException e) {
                    return false; // onAck logged it and asked for a resync
                }
            }
        }
        kafkaReachable = true;
        return !resyncNeeded.get() && lastEpoch == epoch;
    }

    /** On standby, checks now and then that Kafka answers, for readiness. */
    private void probeKafka() {
        if (kafkaReachable || System.nanoTime() - lastProbeNanos < TimeUnit.SECONDS.toNanos(5)) {
            return;
        }
        lastProbeNanos = System.nanoTime();
        try {
            partitionCount = producer.partitionsFor(topic).size();
            kafkaReachable = true;
        } catch (KafkaException e) {
            LOG.warn("cluster {}: Kafka not reachable for topic {} ({}); not ready", cluster, topic,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The partition count of the topic, waiting (with a clear log line) until Kafka answers; -1 if stopping. */
    private int partitions() throws InterruptedException {
        Duration retry = RETRY_MIN;
        long lastLog = 0;
        while (!stopping && wanted.get()) {
            try {
                List<PartitionInfo> infos = producer.partitionsFor(topic);
                if (infos != null && !infos.isEmpty()) {
                    partitionCount = infos.size();
                    return infos.size();
                }
                LOG.warn("cluster {}: topic {} has no partitions yet; retrying", cluster, topic);
            } catch (KafkaException e) {
                kafkaReachable = false;
                long nowMs = System.currentTimeMillis();
                if (nowMs - lastLog > 30_000) {
                    LOG.warn("cluster {}: Kafka not reachable for topic {} ({}); not ready, retrying", cluster, topic,
                            e.getClass().getSimpleName() + ": " + e.getMessage());
                    lastLog = nowMs;
                }
            }
            sleepInterruptibly(retry);
            retry = retry.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : retry.multipliedBy(2);
        }
        return -1;
    }

    private void sleepInterruptibly(Duration d) throws InterruptedException {
        // Wake early on control changes: they arrive as a Wakeup in the queue, which we put back.
        AgentEvent e = queue.poll(d.toNanos(), TimeUnit.NANOSECONDS);
        if (e != null && !isWakeup(e)) {
            // Not an epoch yet: a real event seen now is covered by the coming snapshot.
            return;
        }
    }

    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Control signal that wakes the publisher thread; not an object event (compared by identity). */
    private static final AgentEvent WAKEUP = new AgentEvent.NamespaceChanged(ChangeType.UPSERT, null, Instant.EPOCH);

    private static boolean isWakeup(AgentEvent e) {
        return e == WAKEUP;
    }
}
