package io.fencewatch.processor;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.errors.TaskMigratedException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Verdict;
import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.Findings;
import io.fencewatch.rules.CoverageRecords;

/**
 * The heart of the topology: applies inventory events to the per-namespace facts, re-derives the
 * verdict, and emits the coverage record, drift and findings of every change. Also the epoch rules
 * (older epochs ignored, duplicates ignored, SYNC_END sweeps), wall-clock deadlines (grace end,
 * exemption expiry) and staleness. Unreadable or invalid records go to the dead-letter topic.
 */
final class CoverageProcessor implements Processor<byte[], byte[], Object, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(CoverageProcessor.class);
    private static final StringSerializer PREFIX = new StringSerializer();

    private final Topics topics;
    private final Rules rules;
    private final CoverageEvaluator evaluator;
    private final String productVersion;
    private final boolean keepHistory;

    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, NamespaceEntry> facts;
    private KeyValueStore<String, ClusterState> clusters;
    private KeyValueStore<String, NamespaceCoverage> coverage;
    private WindowStore<String, DriftEvent> history;

    /**
     * Decoded values of the two stores this processor alone writes, write-through, so a hot key is
     * not decoded on every event. Cleared in init: a revived task starts from its restored stores.
     */
    private final LruCache<String, NamespaceEntry> factsCache = new LruCache<>(CACHE_ENTRIES);
    private final LruCache<String, NamespaceCoverage> coverageCache = new LruCache<>(CACHE_ENTRIES);
    private static final int CACHE_ENTRIES = 10_000;

    /** Wall-clock deadlines per key; the queue may hold superseded entries, the map says which is current. */
    private final PriorityQueue<Deadline> deadlineQueue = new PriorityQueue<>();
    private final Map<String, Long> deadlines = new HashMap<>();

    private record Deadline(long at, String key) implements Comparable<Deadline> {
        @Override
        public int compareTo(Deadline o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : key.compareTo(o.key);
        }
    }

    CoverageProcessor(Topics topics, Rules rules, String productVersion, boolean keepHistory) {
        this.topics = topics;
        this.rules = rules;
        this.evaluator = new CoverageEvaluator(rules);
        this.productVersion = productVersion;
        this.keepHistory = keepHistory;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.facts = context.getStateStore(CoverageTopology.FACTS_STORE);
        this.clusters = context.getStateStore(CoverageTopology.CLUSTER_STORE);
        this.coverage = context.getStateStore(CoverageTopology.COVERAGE_STORE);
        this.history = keepHistory ? context.getStateStore(CoverageTopology.DRIFT_HISTORY_STORE) : null;
        factsCache.clear();
        coverageCache.clear();
        deadlines.clear();
        deadlineQueue.clear();
        long now = context.currentSystemTimeMs();
        // Deadlines live in memory: rebuild them from the restored facts.
        try (KeyValueIterator<String, NamespaceEntry> it = facts.all()) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceEntry> kv = it.next();
                if (kv.value.hasNamespace()) {
                    schedule(kv.key, evaluator.evaluate(kv.value.state(), now).nextDeadline());
                }
            }
        }
        context.schedule(rules.tickInterval(), PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String key;
        InventoryEvent event;
        try {
            key = decodeKey(record.key());
            if (record.value() == null) {
                throw new IllegalArgumentException("a tombstone is not an inventory event");
            }
            event = topics.inventory().valueSerde().deserializer().deserialize(topics.inventory().name(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, "deserialization", e);
            return;
        }
        try {
            validate(key, event);
            apply(key, new NamespaceEntry.Fact(event, record.value()));
        } catch (RuntimeException e) {
            if (isFatal(e)) {
                throw e;
            }
            deadLetter(record, "processing", e);
        }
    }

    private static String decodeKey(byte[] key) {
        if (key == null) {
            throw new IllegalArgumentException("record has no key");
        }
        return new String(key, StandardCharsets.UTF_8);
    }

    /** Checks what the schema cannot: the key, op and kind agree, and the facts an op needs are there. */
    static void validate(String key, InventoryEvent event) {
        Source source = event.getSource();
        String problem = Keys.clusterIdProblem(source.getCluster());
        if (problem != null) {
            throw new IllegalArgumentException("invalid source: " + problem);
        }
        String cluster = source.getCluster();
        if (!key.startsWith(cluster + Keys.SEPARATOR)) {
            throw new IllegalArgumentException("key is not of the event's cluster");
        }
        Op op = event.getOp();
        switch (op) {
            case SYNC_START, SYNC_END, HEARTBEAT -> {
                if (!Keys.isMarker(key)) {
                    throw new IllegalArgumentException(op + " must be keyed <cluster>/*");
                }
                return;
            }
            case SNAPSHOT, UPSERT, DELETE -> {
                // checked below
            }
            default -> throw new IllegalArgumentException("unsupported op " + op);
        }
        Kind kind = event.getKind();
        if (kind != Kind.NAMESPACE && kind != Kind.NETWORK_POLICY) {
            throw new IllegalArgumentException("unsupported kind " + kind + " for " + op);
        }
        if (event.getNamespace() == null || event.getName() == null) {
            throw new IllegalArgumentException(kind + " " + op + " without namespace or name");
        }
        if (!key.equals(Keys.of(cluster, event.getNamespace()))) {
            throw new IllegalArgumentException("key does not match <cluster>/<namespace> of the event");
        }
        if (kind == Kind.NAMESPACE && !event.getName().equals(event.getNamespace())) {
            throw new IllegalArgumentException("NAMESPACE event whose name is not its namespace");
        }
        if (op != Op.DELETE) {
            if (kind == Kind.NAMESPACE && event.getNamespaceFacts() == null) {
                throw new IllegalArgumentException("NAMESPACE " + op + " without namespaceFacts");
            }
            if (kind == Kind.NETWORK_POLICY && event.getPolicyFacts() == null) {
                throw new IllegalArgumentException("NETWORK_POLICY " + op + " without policyFacts");
            }
        }
    }

    private void apply(String key, NamespaceEntry.Fact fact) {
        InventoryEvent event = fact.event();
        long now = context.currentSystemTimeMs();
        Source source = event.getSource();
        String cluster = source.getCluster();
        ClusterState state = clusters.get(cluster);
        if (state != null && source.getEpoch() < state.epoch()) {
            LOG.debug("ignored event of old epoch {} < {}: {}", source.getEpoch(), state.epoch(), where(event));
            return;
        }
        if (state == null) {
            state = new ClusterState(source.getEpoch(), Long.MIN_VALUE, now, false);
        } else if (source.getEpoch() > state.epoch()) {
            state = state.withEpoch(source.getEpoch());
        }
        boolean wasStale = state.stale();
        boolean duplicate = source.getSequence() <= state.lastSequence();
        state = state.withLastSeen(now).withStale(false);
        if (!duplicate) {
            state = state.withSequence(source.getSequence());
        }
        clusters.put(cluster, state);
        EventRef cause = ref(event);
        if (wasStale) {
            LOG.info("cluster {} is speaking again: its data is current", cluster);
            recover(cluster, cause, now);
        }
        if (duplicate) {
            LOG.debug("ignored duplicate sequence {}: {}", source.getSequence(), where(event));
            return;
        }
        switch (event.getOp()) {
            case SYNC_END -> sweep(cluster, source.getEpoch(), cause, now);
            case SNAPSHOT, UPSERT, DELETE -> applyObject(key, fact, cause, now);
            default -> {
                // SYNC_START and HEARTBEAT: epoch and liveness only.
            }
        }
    }

    private void applyObject(String key, NamespaceEntry.Fact fact, EventRef cause, long now) {
        InventoryEvent event = fact.event();
        NamespaceEntry stored = getFacts(key);
        NamespaceEntry entry = stored == null ? NamespaceEntry.empty() : stored;
        boolean delete = event.getOp() == Op.DELETE;
        NamespaceEntry next;
        if (event.getKind() == Kind.NAMESPACE) {
            // Kubernetes deletes a namespace's policies with it: drop the whole entry.
            next = delete ? null : entry.withNamespace(fact, now);
        } else {
            next = delete ? entry.withoutPolicy(event.getName()) : entry.withPolicy(fact);
            if (next.isEmpty()) {
                next = null;
            }
        }
        if (stored == null && next == null) {
            return;
        }
        update(key, next, true, cause, DriftReasons.Trigger.EVENT, now, tokenOf(cause));
    }

    /** SYNC_END of {@code epoch}: every fact of this cluster from an older epoch is gone. */
    private void sweep(String cluster, long epoch, EventRef cause, long now) {
        List<KeyValue<String, NamespaceEntry>> changed = new ArrayList<>();
        try (KeyValueIterator<String, NamespaceEntry> it = facts.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceEntry> kv = it.next();
                NamespaceEntry swept = kv.value.sweptBefore(epoch);
                if (swept != kv.value) {
                    changed.add(KeyValue.pair(kv.key, swept));
                }
            }
        }
        if (!changed.isEmpty()) {
            LOG.info("SYNC_END of cluster {} epoch {}: {} namespaces had facts from older epochs", cluster, epoch,
                    changed.size());
        }
        for (KeyValue<String, NamespaceEntry> kv : changed) {
            update(kv.key, kv.value, true, cause, DriftReasons.Trigger.SWEEP, now, tokenOf(cause));
        }
    }

    private void recover(String cluster, EventRef cause, long now) {
        List<KeyValue<String, NamespaceEntry>> entries = new ArrayList<>();
        try (KeyValueIterator<String, NamespaceEntry> it = facts.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceEntry> kv = it.next();
                if (kv.value.hasNamespace()) {
                    entries.add(kv);
                }
            }
        }
        for (KeyValue<String, NamespaceEntry> kv : entries) {
            update(kv.key, kv.value, false, cause, DriftReasons.Trigger.RECOVERY, now, tokenOf(cause));
        }
    }

    /** Wall-clock punctuation: deadlines that passed, then clusters gone silent. */
    private void tick(long now) {
        while (!deadlineQueue.isEmpty() && deadlineQueue.peek().at() <= now) {
            Deadline d = deadlineQueue.poll();
            Long current = deadlines.get(d.key());
            if (current == null || current != d.at()) {
                continue;
            }
            deadlines.remove(d.key());
            ClusterState state = clusters.get(Keys.clusterOf(d.key()));
            if (state != null && state.stale()) {
                // A stale cluster keeps its last status; recovery re-evaluates every namespace.
                continue;
            }
            NamespaceEntry entry = getFacts(d.key());
            if (entry != null && entry.hasNamespace()) {
                update(d.key(), entry, false, null, DriftReasons.Trigger.TIME, now, "deadline|" + d.at());
            }
        }
        checkStaleness(now);
    }

    private void checkStaleness(long now) {
        long limit = rules.staleAfter().toMillis();
        List<KeyValue<String, ClusterState>> silent = new ArrayList<>();
        try (KeyValueIterator<String, ClusterState> it = clusters.all()) {
            while (it.hasNext()) {
                KeyValue<String, ClusterState> kv = it.next();
                if (!kv.value.stale() && now - kv.value.lastSeen() > limit) {
                    silent.add(kv);
                }
            }
        }
        for (KeyValue<String, ClusterState> kv : silent) {
            String cluster = kv.key;
            LOG.warn("cluster {} has been silent since {}: marking its namespaces stale", cluster,
                    Instant.ofEpochMilli(kv.value.lastSeen()));
            clusters.put(cluster, kv.value.withStale(true));
            List<KeyValue<String, NamespaceCoverage>> rows = new ArrayList<>();
            try (KeyValueIterator<String, NamespaceCoverage> it = coverage.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
                while (it.hasNext()) {
                    rows.add(it.next());
                }
            }
            for (KeyValue<String, NamespaceCoverage> row : rows) {
                if (row.value.getStale()) {
                    continue;
                }
                NamespaceCoverage stale = NamespaceCoverage.newBuilder(row.value).setStale(true)
                        .setUpdatedAt(Instant.ofEpochMilli(now)).build();
                write(row.key, row.value, stale, now);
                drift(row.key, row.value, stale, null, DriftReasons.Trigger.STALE, now,
                        "stale|" + kv.value.lastSeen());
            }
        }
    }

    /**
     * Stores the new facts of a namespace (if {@code factsChanged}), re-derives its coverage, and
     * emits the coverage record, drift and finding that follow.
     */
    private void update(String key, NamespaceEntry entry, boolean factsChanged, EventRef cause,
            DriftReasons.Trigger trigger, long now, String token) {
        NamespaceCoverage old = getCoverage(key);
        NamespaceCoverage next = null;
        long deadline = Verdict.NO_DEADLINE;
        if (entry != null && entry.hasNamespace()) {
            Verdict verdict = evaluator.evaluate(entry.state(), now);
            // Only events that changed the facts become the record's lastEvent (not a waking heartbeat).
            next = coverageOf(key, entry, verdict, old, factsChanged ? cause : null, now);
            deadline = verdict.nextDeadline();
        }
        if (factsChanged) {
            if (entry == null) {
                factsCache.remove(key);
                facts.delete(key);
            } else {
                factsCache.put(key, entry);
                facts.put(key, entry);
            }
        }
        schedule(key, deadline);
        if (trigger != DriftReasons.Trigger.EVENT && sameRecord(old, next)) {
            return;
        }
        write(key, old, next, now);
        drift(key, old, next, cause, trigger, now, token);
    }

    private void write(String key, NamespaceCoverage old, NamespaceCoverage next, long now) {
        if (next != null) {
            coverageCache.put(key, next);
            coverage.put(key, next);
            context.forward(new Record<>(key, next, now), CoverageTopology.COVERAGE_SINK);
        } else if (old != null) {
            coverageCache.remove(key);
            coverage.delete(key);
            context.forward(new Record<>(key, null, now), CoverageTopology.COVERAGE_SINK);
        }
    }

    private void drift(String key, NamespaceCoverage old, NamespaceCoverage next, EventRef cause,
            DriftReasons.Trigger trigger, long now, String token) {
        CoverageState before = stateOf(old);
        CoverageState after = stateOf(next);
        if (!DriftReasons.changed(before, after)) {
            return;
        }
        DriftReason reason = DriftReasons.of(before, after, trigger, next == null ? null : next.getReason());
        String cluster = Keys.clusterOf(key);
        String namespace = Keys.namespaceOf(key);
        String id = uuid(key + "|" + reason + "|" + (after == null ? "-" : after.getStatus()) + "|" + token);
        Instant detected = Instant.ofEpochMilli(now);
        DriftEvent drift = DriftEvent.newBuilder()
                .setId(id)
                .setCluster(cluster)
                .setNamespace(namespace)
                .setBefore(before)
                .setAfter(after)
                .setReason(reason)
                .setCause(cause)
                .setDetectedAt(detected)
                .setProfile(rules.profile().wireName())
                .build();
        context.forward(new Record<Object, Object>(key, drift, now,
                CloudEvents.headers(id, cluster, CloudEvents.DRIFT_TYPE, detected, namespace, "application/avro", null)),
                CoverageTopology.DRIFT_SINK);
        if (history != null) {
            history.put(key, drift, now);
        }
        LOG.debug("drift {}/{}: {} -> {} ({})", cluster, namespace, before == null ? "-" : before.getStatus(),
                after == null ? "-" : after.getStatus(), reason);

        boolean wasOpen = old != null && old.getStatus() == Status.NON_COMPLIANT;
        boolean isOpen = next != null && next.getStatus() == Status.NON_COMPLIANT;
        if (wasOpen != isOpen) {
            String findingId = uuid(id + "|finding");
            String json = Findings.toJson(drift, findingId, isOpen, next, productVersion);
            context.forward(new Record<Object, Object>(key, json, now,
                    CloudEvents.headers(findingId, cluster, CloudEvents.FINDING_TYPE, detected, namespace,
                            "application/json", CloudEvents.OCSF_SCHEMA)),
                    CoverageTopology.FINDINGS_SINK);
        }
    }

    private NamespaceEntry getFacts(String key) {
        NamespaceEntry e = factsCache.get(key);
        if (e == null) {
            e = facts.get(key);
            if (e != null) {
                factsCache.put(key, e);
            }
        }
        return e;
    }

    private NamespaceCoverage getCoverage(String key) {
        NamespaceCoverage c = coverageCache.get(key);
        if (c == null) {
            c = coverage.get(key);
            if (c != null) {
                coverageCache.put(key, c);
            }
        }
        return c;
    }

    @Override
    public void close() {
        factsCache.clear();
        coverageCache.clear();
    }

    private NamespaceCoverage coverageOf(String key, NamespaceEntry entry, Verdict verdict, NamespaceCoverage old,
            EventRef cause, long now) {
        InventoryEvent ns = entry.namespaceEvent();
        Instant since = old != null && old.getStatus() == verdict.status() ? old.getSince() : Instant.ofEpochMilli(now);
        EventRef last = cause != null ? cause : old == null ? null : old.getLastEvent();
        return CoverageRecords.of(Keys.clusterOf(key), Keys.namespaceOf(key), ns.getUid(), verdict,
                new ArrayList<>(entry.policies().keySet()), rules.profile(), ns.getNamespaceFacts().getCreatedAt(),
                since, Instant.ofEpochMilli(now), last);
    }

    private static boolean sameRecord(NamespaceCoverage a, NamespaceCoverage b) {
        if (a == null || b == null) {
            return a == b;
        }
        return NamespaceCoverage.newBuilder(b).setUpdatedAt(a.getUpdatedAt()).build().equals(a);
    }

    static CoverageState stateOf(NamespaceCoverage c) {
        if (c == null) {
            return null;
        }
        return new CoverageState(c.getStatus(), c.getIngress(), c.getEgress(), c.getIngressAllowsAll(),
                c.getEgressAllowsAll(), c.getStale(), c.getPolicies().size());
    }

    private void schedule(String key, long at) {
        if (at == Verdict.NO_DEADLINE) {
            deadlines.remove(key);
            return;
        }
        Long current = deadlines.put(key, at);
        if (current == null || current != at) {
            deadlineQueue.add(new Deadline(at, key));
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, String stage, RuntimeException error) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? "?" : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        String message = summary(error);
        LOG.warn("dead letter {}-{}@{} ({}): {}", topic, partition, offset, stage, message);
        Headers headers = new RecordHeaders();
        for (Header h : record.headers()) {
            headers.add(h);
        }
        putHeader(headers, DeadLetters.TOPIC, topic);
        putHeader(headers, DeadLetters.PARTITION, Integer.toString(partition));
        putHeader(headers, DeadLetters.OFFSET, Long.toString(offset));
        putHeader(headers, DeadLetters.STAGE, stage);
        putHeader(headers, DeadLetters.ERROR, message);
        putHeader(headers, DeadLetters.ERROR_CLASS, error.getClass().getName());
        putHeader(headers, DeadLetters.TIME, Instant.ofEpochMilli(context.currentSystemTimeMs()).toString());
        context.forward(new Record<Object, Object>(record.key(), record.value(), record.timestamp(), headers),
                CoverageTopology.DLQ_SINK);
    }

    private static void putHeader(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String summary(Throwable e) {
        String m = e.getMessage();
        String text = e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** Errors that mean the task or producer is no longer ours: never swallowed into the DLQ. */
    private static boolean isFatal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TaskMigratedException || t instanceof TaskCorruptedException
                    || t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
                    || t instanceof OutOfOrderSequenceException || t instanceof InterruptException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    static EventRef ref(InventoryEvent e) {
        Source s = e.getSource();
        return new EventRef(e.getKind(), e.getName(), e.getOp(), e.getResourceVersion(), s.getObservedAt(),
                s.getCollector(), s.getEpoch(), s.getSequence());
    }

    private static String tokenOf(EventRef cause) {
        return cause.getCollector() + "|" + cause.getEpoch() + "|" + cause.getSequence() + "|" + cause.getOp();
    }

    private static String where(InventoryEvent e) {
        return e.getSource().getCluster() + "/" + (e.getNamespace() == null ? "*" : e.getNamespace())
                + (e.getName() == null ? "" : "/" + e.getName())
                + (e.getResourceVersion() == null ? "" : "@" + e.getResourceVersion());
    }

    private static String uuid(String text) {
        return UUID.nameUUIDFromBytes(text.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
