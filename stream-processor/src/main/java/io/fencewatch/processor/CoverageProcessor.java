package io.fencewatch.processor;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;

import org.apache.kafka.common.KafkaException;
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
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.WorkloadFacts;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Verdict;
import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.Findings;
import io.fencewatch.rules.CoverageRecords;
import io.fencewatch.rules.Enforcement;
import io.fencewatch.rules.Fence;

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
    private final Limits limits;
    private final DeadLetterFailures dlqFailures;

    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, NamespaceEntry> facts;
    private KeyValueStore<String, ClusterState> clusters;
    private KeyValueStore<String, NamespaceCoverage> coverage;
    private WindowStore<String, DriftEvent> history;
    /**
     * This task writes the cluster-level findings (FW-CL-001, FW-NP-002): the task of inventory
     * partition 0, which, as every partition, gets every cluster's markers. One writer, so one
     * finding per change.
     */
    private boolean clusterFindings;

    /**
     * Decoded values of the two stores this processor alone writes, write-through, so a hot key is
     * not decoded on every event. Cleared in init: a revived task starts from its restored stores.
     */
    private final LruCache<String, NamespaceEntry> factsCache = new LruCache<>(CACHE_ENTRIES);
    private final LruCache<String, NamespaceCoverage> coverageCache = new LruCache<>(CACHE_ENTRIES);
    private final LruCache<String, ClusterState> clusterCache = new LruCache<>(CACHE_ENTRIES);
    private static final int CACHE_ENTRIES = 10_000;

    /** Forwards the coverage store's flushed records to the coverage topic; null without a store cache. */
    private CoverageFold coverageFold;

    /** Per cluster: its cluster-scoped policies as fences, for the entry they were read from. */
    private final Map<String, FenceMemo> fenceMemo = new HashMap<>();

    private record FenceMemo(NamespaceEntry entry, List<Fence> fences) {
    }

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

    CoverageProcessor(Topics topics, Rules rules, String productVersion, boolean keepHistory, Limits limits,
            DeadLetterFailures dlqFailures) {
        this.limits = limits;
        this.dlqFailures = dlqFailures;
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
        this.clusterFindings = context.taskId().partition() == 0;
        this.coverageFold = CoverageFold.attach(context, coverage);
        factsCache.clear();
        coverageCache.clear();
        clusterCache.clear();
        fenceMemo.clear();
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

    /**
     * One inventory record: bounded and decoded (else a dead letter of stage {@code deserialization}),
     * checked (else a dead letter of stage {@code processing}), then applied. Errors of Kafka Streams
     * itself (a send that failed, a fenced producer, a migrated task) are never dead letters: they
     * fail the task, and the transaction's batch is processed again.
     */
    @Override
    public void process(Record<byte[], byte[]> record) {
        String key;
        InventoryEvent event;
        try {
            checkShape(record);
            key = decodeKey(record.key());
            if (record.value() == null) {
                throw new IllegalArgumentException("a tombstone is not an inventory event");
            }
            event = topics.inventory().valueSerde().deserializer().deserialize(topics.inventory().name(), record.value());
        } catch (Rejection e) {
            deadLetter(record, "deserialization", e.reason(), e);
            return;
        } catch (RuntimeException e) {
            deadLetter(record, "deserialization", "unreadable", e);
            return;
        }
        try {
            validate(key, event);
            checkBounds(event);
            admit(event, context.currentSystemTimeMs());
        } catch (Rejection e) {
            deadLetter(record, "processing", e.reason(), e);
            return;
        } catch (RuntimeException e) {
            deadLetter(record, "processing", "invalid", e);
            return;
        }
        try {
            apply(key, new NamespaceEntry.Fact(event, record.value()));
        } catch (Rejection e) {
            deadLetter(record, "processing", e.reason(), e);
        } catch (RuntimeException e) {
            // An error of Kafka Streams or its producer (a KafkaException: a failed send, a store
            // flush, a fenced producer) is thrown on: the transaction fails and the batch is retried.
            // Dead-lettering it would put the next good record in the DLQ in place of the bad one.
            if (isFatal(e) || e instanceof KafkaException) {
                throw e;
            }
            deadLetter(record, "processing", "invalid", e);
        }
    }

    /** Bounds checked on the raw record, before anything is decoded. */
    private void checkShape(Record<byte[], byte[]> record) {
        long size = 0;
        int headers = 0;
        long headerBytes = 0;
        for (Header h : record.headers()) {
            headers++;
            long n = (h.key() == null ? 0 : h.key().length() * 3L) + (h.value() == null ? 0 : h.value().length);
            headerBytes += n;
        }
        if (record.key() != null) {
            size += record.key().length;
        }
        if (record.value() != null) {
            size += record.value().length;
        }
        size += headerBytes;
        if (size > limits.maxRecordBytes()) {
            throw new Rejection("too-large", "record of " + size + " bytes is larger than the inventory limit of "
                    + limits.maxRecordBytes() + " bytes (--max-record-size, the collector's max.request.size)");
        }
        if (record.key() != null && record.key().length > Limits.MAX_KEY_BYTES) {
            throw new Rejection("key-too-long", "key of " + record.key().length + " bytes is longer than "
                    + Limits.MAX_KEY_BYTES + " bytes");
        }
        if (headers > Limits.MAX_HEADERS || headerBytes > Limits.MAX_HEADER_BYTES) {
            throw new Rejection("header-flood", headers + " headers of " + headerBytes + " bytes (at most "
                    + Limits.MAX_HEADERS + " headers, " + Limits.MAX_HEADER_BYTES + " bytes)");
        }
    }

    /** Bounds of the facts an event carries: map sizes, rule counts. */
    static void checkBounds(InventoryEvent event) {
        if (event.getNamespaceFacts() != null) {
            mapBound("labels", event.getNamespaceFacts().getLabels());
            mapBound("annotations", event.getNamespaceFacts().getAnnotations());
        }
        if (event.getFenceFacts() != null) {
            checkFenceBounds(event.getFenceFacts());
        }
        WorkloadFacts w = event.getWorkloadFacts();
        if (w != null) {
            mapBound("workload labels", w.getLabels());
            if (size(w.getUnknownLabels()) > Limits.MAX_MAP_ENTRIES) {
                throw new Rejection("facts-too-large", "workload unknownLabels with " + w.getUnknownLabels().size()
                        + " keys (at most " + Limits.MAX_MAP_ENTRIES + ")");
            }
            if (w.getPods() < 0 || w.getPods() > Limits.MAX_WORKLOAD_PODS) {
                throw new IllegalArgumentException("workload of " + w.getPods() + " pods (0 to "
                        + Limits.MAX_WORKLOAD_PODS + ")");
            }
        }
        PolicyFacts p = event.getPolicyFacts();
        if (p == null) {
            return;
        }
        int rules = size(p.getIngress()) + size(p.getEgress());
        if (rules > Limits.MAX_RULES) {
            throw new Rejection("facts-too-large", "NetworkPolicy with " + rules + " rules (at most "
                    + Limits.MAX_RULES + ")");
        }
        long elements = selectorElements(p.getPodSelector()) + size(p.getPolicyTypes());
        for (List<PolicyRule> direction : Arrays.asList(p.getIngress(), p.getEgress())) {
            if (direction == null) {
                continue;
            }
            for (PolicyRule r : direction) {
                elements += size(r.getPorts());
                if (r.getPeers() != null) {
                    for (PolicyPeer peer : r.getPeers()) {
                        elements += 1 + selectorElements(peer.getPodSelector()) + selectorElements(peer.getNamespaceSelector())
                                + (peer.getIpBlock() == null ? 0 : size(peer.getIpBlock().getExcept()));
                    }
                }
            }
        }
        if (elements > Limits.MAX_POLICY_ELEMENTS) {
            throw new Rejection("facts-too-large", "NetworkPolicy with " + elements + " peers, ports and selector "
                    + "terms (at most " + Limits.MAX_POLICY_ELEMENTS + ")");
        }
    }

    /** Bounds of a policy of the other kinds: rules, selector terms and the length of Calico's expressions. */
    private static void checkFenceBounds(FenceFacts f) {
        int rules = size(f.getIngress()) + size(f.getEgress());
        if (rules > Limits.MAX_RULES) {
            throw new Rejection("facts-too-large", "policy with " + rules + " rules (at most " + Limits.MAX_RULES + ")");
        }
        long elements = rules + selectorElements(f.getPodSelector()) + selectorElements(f.getNamespaceSelector())
                + size(f.getTypes());
        if (elements > Limits.MAX_POLICY_ELEMENTS) {
            throw new Rejection("facts-too-large", "policy with " + elements + " rules and selector terms (at most "
                    + Limits.MAX_POLICY_ELEMENTS + ")");
        }
        for (String expression : Arrays.asList(f.getPodExpression(), f.getNamespaceExpression())) {
            if (expression != null && expression.length() > Limits.MAX_EXPRESSION_CHARS) {
                throw new Rejection("facts-too-large", "selector expression of " + expression.length()
                        + " characters (at most " + Limits.MAX_EXPRESSION_CHARS + ")");
            }
        }
    }

    private static long selectorElements(LabelSelector s) {
        if (s == null) {
            return 0;
        }
        mapBound("matchLabels", s.getMatchLabels());
        long n = s.getMatchLabels().size();
        for (LabelSelectorRequirement r : s.getMatchExpressions()) {
            n += 1 + size(r.getValues());
        }
        return n;
    }

    private static void mapBound(String what, Map<String, String> map) {
        if (map != null && map.size() > Limits.MAX_MAP_ENTRIES) {
            throw new Rejection("facts-too-large", what + " with " + map.size() + " entries (at most "
                    + Limits.MAX_MAP_ENTRIES + ")");
        }
    }

    private static int size(List<?> list) {
        return list == null ? 0 : list.size();
    }

    /** Which clusters and epochs may enter at all: {@code --clusters} and {@code --max-epoch-skew}. */
    private void admit(InventoryEvent event, long now) {
        Source source = event.getSource();
        if (!limits.acceptsCluster(source.getCluster())) {
            throw new Rejection("unlisted-cluster", "cluster " + Names.quoted(source.getCluster())
                    + " is not accepted by --clusters");
        }
        long skew = limits.maxEpochSkew().toMillis();
        if (source.getEpoch() > now + skew) {
            throw new Rejection("epoch-skew", "epoch " + source.getEpoch() + " lies "
                    + java.time.Duration.ofMillis(source.getEpoch() - now) + " beyond the processor's clock (at most "
                    + limits.maxEpochSkew() + ", --max-epoch-skew)");
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
        String cluster = source.getCluster();
        String problem = Names.labelProblem("cluster id", cluster);
        if (problem != null) {
            throw new Rejection("invalid-name", problem);
        }
        if (source.getCollector() == null || source.getCollector().length() > Names.SUBDOMAIN_MAX) {
            throw new Rejection("invalid-name", "collector instance id is missing or longer than "
                    + Names.SUBDOMAIN_MAX + " characters");
        }
        if (!key.startsWith(cluster + Keys.SEPARATOR)) {
            throw new IllegalArgumentException("key is not of the event's cluster");
        }
        Op op = event.getOp();
        switch (op) {
            case SYNC_START, SYNC_END, HEARTBEAT, UNREACHABLE, CLUSTER_REMOVED -> {
                if (!key.equals(Keys.marker(cluster))) {
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
        if (kind == null || (kind != Kind.NAMESPACE && kind != Kind.NETWORK_POLICY && kind != Kind.WORKLOAD
                && !Fence.isFenceKind(kind))) {
            throw new IllegalArgumentException("unsupported kind " + kind + " for " + op);
        }
        if (Fence.isClusterScoped(kind)) {
            // Cluster-scoped policies concern every namespace: sent to every partition, as markers are.
            if (event.getNamespace() != null || event.getName() == null) {
                throw new IllegalArgumentException(kind + " " + op + " is cluster-scoped: a name and no namespace");
            }
            problem = Names.subdomainProblem("policy name", event.getName());
            if (problem != null) {
                throw new Rejection("invalid-name", problem);
            }
            if (!key.equals(Keys.marker(cluster))) {
                throw new IllegalArgumentException(kind + " must be keyed <cluster>/*");
            }
            if (op != Op.DELETE && event.getFenceFacts() == null) {
                throw new IllegalArgumentException(kind + " " + op + " without fenceFacts");
            }
            return;
        }
        if (event.getNamespace() == null || event.getName() == null) {
            throw new IllegalArgumentException(kind + " " + op + " without namespace or name");
        }
        problem = Names.labelProblem("namespace", event.getNamespace());
        if (problem == null && kind == Kind.WORKLOAD) {
            problem = workloadProblem(event);
        } else if (problem == null && kind != Kind.NAMESPACE) {
            problem = Names.subdomainProblem("policy name", event.getName());
        }
        if (problem != null) {
            throw new Rejection("invalid-name", problem);
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
            if (Fence.isFenceKind(kind) && event.getFenceFacts() == null) {
                throw new IllegalArgumentException(kind + " " + op + " without fenceFacts");
            }
            if (kind == Kind.WORKLOAD && event.getWorkloadFacts() == null) {
                throw new IllegalArgumentException("WORKLOAD " + op + " without workloadFacts");
            }
        }
    }

    /**
     * Why a WORKLOAD event's names are not what reaches rows and findings, or null: its id is
     * {@code <ownerKind>/<ownerName>/<hex hash>} (at most {@link Limits#MAX_WORKLOAD_NAME}), the kind
     * alphanumeric (at most 63), the owner's name a DNS-1123 subdomain; facts, when given, of that owner.
     */
    static String workloadProblem(InventoryEvent event) {
        String name = event.getName();
        if (name.length() > Limits.MAX_WORKLOAD_NAME) {
            return "workload name is longer than " + Limits.MAX_WORKLOAD_NAME + " characters";
        }
        String[] parts = name.split("/", -1);
        String shape = "workload name " + Names.quoted(name) + " is not <ownerKind>/<ownerName>/<hash>";
        if (parts.length != 3 || parts[2].isEmpty() || parts[2].length() > 16 || !only(parts[2], "0123456789abcdef")) {
            return shape;
        }
        String problem = ownerKindProblem(parts[0]);
        if (problem == null) {
            problem = Names.subdomainProblem("workload owner name", parts[1]);
        }
        if (problem != null) {
            return problem;
        }
        var f = event.getWorkloadFacts();
        if (f != null && (!parts[0].equals(f.getOwnerKind()) || !parts[1].equals(f.getOwnerName()))) {
            return shape + " of its facts' owner " + Names.quoted(f.getOwnerKind() + "/" + f.getOwnerName());
        }
        return null;
    }

    private static final String KIND_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private static boolean only(String s, String allowed) {
        for (int i = 0; i < s.length(); i++) {
            if (allowed.indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static String ownerKindProblem(String kind) {
        if (kind.isEmpty()) {
            return "workload owner kind is empty";
        }
        if (kind.length() > Names.LABEL_MAX || !Character.isLetter(kind.charAt(0)) || !only(kind, KIND_CHARS)) {
            return "workload owner kind " + Names.quoted(kind) + " is not a Kubernetes kind (letters and digits, at most "
                    + Names.LABEL_MAX + ")";
        }
        return null;
    }

    private void apply(String key, NamespaceEntry.Fact fact) {
        InventoryEvent event = fact.event();
        long now = context.currentSystemTimeMs();
        if (event.getOp() == Op.UNREACHABLE || event.getOp() == Op.CLUSTER_REMOVED) {
            applyClusterMarker(event, now);
            return;
        }
        Source source = event.getSource();
        String cluster = source.getCluster();
        ClusterState state = getCluster(cluster);
        long epoch = source.getEpoch();
        boolean rewound = false;
        boolean opened = false;
        if (state != null && state.removed()) {
            if (event.getOp() != Op.SYNC_START || epoch <= state.epoch()) {
                // A late event of the retired cluster (or a forged one): its rows stay gone.
                LOG.debug("ignored {} of removed cluster {} (epoch {} <= {} or not a SYNC_START)", event.getOp(), cluster,
                        epoch, state.epoch());
                return;
            }
            state = null; // a new cluster of the same name
        }
        if (state == null) {
            state = new ClusterState(epoch, Long.MIN_VALUE, now, false, source.getCollector(), 0L, false, false, null,
                    null, 0L, false);
            opened = event.getOp() == Op.SYNC_START;
        } else if (state.epoch() == ClusterState.NO_EPOCH) {
            // Heard of only through UNREACHABLE so far: the first epoch is taken as a new cluster's is.
            state = state.withEpoch(epoch, source.getCollector());
            opened = event.getOp() == Op.SYNC_START;
        } else if (epoch > state.epoch()) {
            // A new epoch begins with its SYNC_START, sent to every partition before anything else
            // of that epoch: a newer epoch without one (a forged heartbeat) may not take the cluster.
            if (event.getOp() != Op.SYNC_START) {
                throw new Rejection("epoch-not-opened", "epoch " + epoch + " of cluster " + Names.quoted(cluster)
                        + " was not opened by a SYNC_START in this partition (current epoch " + state.epoch() + ")");
            }
            state = state.withEpoch(epoch, source.getCollector());
            opened = true;
        } else if (epoch < state.epoch()) {
            if (!mayRewind(state, event, now)) {
                LOG.debug("ignored event of old epoch {} < {}: {}", epoch, state.epoch(), where(event));
                return;
            }
            LOG.warn("cluster {}: collector {} continues at epoch {}, older than the stored epoch {} of {}: accepted",
                    cluster, Names.quoted(source.getCollector()), epoch, state.epoch(), Names.quoted(state.collector()));
            state = state.withEpoch(epoch, source.getCollector());
            rewound = true;
            opened = event.getOp() == Op.SYNC_START;
        }
        boolean wasHeld = state.held();
        boolean wasUnreachable = state.unreachable() != null;
        boolean duplicate = source.getSequence() <= state.lastSequence();
        ClusterFacts factsBefore = state.facts();
        state = state.withLastSeen(now).withStale(false);
        if (!duplicate) {
            state = state.withSequence(source.getSequence());
            switch (event.getOp()) {
                // An opened epoch has its snapshot ahead; a collector that lists or heartbeats reaches its API server.
                case SYNC_START -> state = (opened ? state.withSynced(false).withUnreachable(null, 0L) : state)
                        .withFacts(event.getCluster());
                case HEARTBEAT -> state = state.withUnreachable(null, 0L).withFacts(event.getCluster());
                case SYNC_END -> state = state.withSynced(true);
                default -> {
                    // Object events: facts only.
                }
            }
        }
        EventRef cause = ref(event);
        if (wasUnreachable && state.unreachable() == null) {
            LOG.info("cluster {} is reachable by its collector again: its data is current", cluster);
            if (state.findingOpen()) {
                state = state.withFindingOpen(false);
                clusterFinding(cluster, state, false, "reachable again", "reachable|" + tokenOf(cause), now);
            }
        }
        // FW-NP-002: only a marker that carries facts can change the verdict.
        boolean factsMarker = !duplicate && (event.getOp() == Op.SYNC_START || event.getOp() == Op.HEARTBEAT)
                && event.getCluster() != null;
        Enforcement verdict = factsMarker ? state.verdict() : null;
        boolean enforcementChanged = factsMarker && !sameVerdict(Enforcement.of(factsBefore), verdict);
        // FW-NP-003: whether the cluster's pods are known, from the same markers.
        boolean podsChanged = factsMarker && (factsBefore != null && factsBefore.getWatchesPods()) != state.watchesPods();
        if (factsMarker) {
            state = enforcementFinding(cluster, state, verdict, cause, now);
        }
        putCluster(cluster, state);
        Boolean enforced = verdict != null ? verdict.enforced() : enforcedOf(state);
        if (wasHeld && !state.held()) {
            if (!wasUnreachable) {
                LOG.info("cluster {} is speaking again: its data is current", cluster);
            }
            recover(cluster, cause, now, enforced);
        }
        if (duplicate) {
            LOG.debug("ignored duplicate sequence {}: {}", source.getSequence(), where(event));
            return;
        }
        if (rewound) {
            LOG.info("cluster {}: epoch rewound to {}; facts of other epochs go at its SYNC_END", cluster, epoch);
        }
        switch (event.getOp()) {
            case SYNC_END -> sweep(cluster, source.getEpoch(), cause, now, state.held(), enforced);
            case SNAPSHOT, UPSERT, DELETE -> applyObject(key, fact, cause, now, state.held(), enforced);
            default -> {
                // SYNC_START and HEARTBEAT: epoch, liveness and the cluster's facts.
                if (podsChanged) {
                    // Every namespace is judged again, with its workload shapes or without (and the new enforced).
                    LOG.info("cluster {}: its collector {} pods: FW-NP-003 is {}", cluster,
                            state.watchesPods() ? "now watches" : "no longer watches",
                            state.watchesPods() ? "known" : "unknown");
                    reevaluateCluster(cluster, DriftReasons.Trigger.PODS_WATCHED, cause, now, state.held(), enforced);
                } else if (enforcementChanged) {
                    rewriteEnforcement(cluster, verdict, cause, now);
                }
            }
        }
    }

    /** Whether the cluster enforces NetworkPolicy (FW-NP-002), as its rows carry it: null when unknown. */
    private static Boolean enforcedOf(ClusterState state) {
        return state == null ? null : Enforcement.enforced(state.facts());
    }

    /** Same state and the same engines (by id, workload and version; readiness counts do not matter). */
    static boolean sameVerdict(Enforcement a, Enforcement b) {
        return a.state() == b.state() && engineSet(a).equals(engineSet(b));
    }

    private static java.util.Set<String> engineSet(Enforcement e) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Enforcement.Engine x : e.engines()) {
            out.add(x.id() + "|" + x.namespace() + "|" + x.workload() + "|" + x.version());
        }
        return out;
    }

    /**
     * A marker changed the cluster's FW-NP-002 verdict: every coverage row of the cluster in this
     * task takes the new {@code enforced} (status, grades and staleness as they are), each one whose
     * state changes with a drift POLICY_ENGINE_ADDED, POLICY_ENGINE_REMOVED or ENFORCEMENT_UNKNOWN.
     * Ids derive from the marker, so a redelivery gives the same ones.
     */
    private void rewriteEnforcement(String cluster, Enforcement verdict, EventRef cause, long now) {
        Boolean enforced = verdict.enforced();
        List<KeyValue<String, NamespaceCoverage>> rows = new ArrayList<>();
        try (KeyValueIterator<String, NamespaceCoverage> it = coverage.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                rows.add(it.next());
            }
        }
        LOG.info("cluster {}: NetworkPolicy enforcement is now {} ({}): {} namespaces in this task", cluster,
                verdict.state(), verdict.reason(), rows.size());
        String token = "enforcement|" + tokenOf(cause);
        for (KeyValue<String, NamespaceCoverage> row : rows) {
            if (java.util.Objects.equals(row.value.getEnforced(), enforced)) {
                continue;
            }
            NamespaceCoverage next = NamespaceCoverage.newBuilder(row.value).setEnforced(enforced)
                    .setUpdatedAt(Instant.ofEpochMilli(now)).build();
            write(row.key, row.value, next, now);
            drift(row.key, row.value, next, cause, DriftReasons.Trigger.ENFORCEMENT, now, token);
        }
    }

    /**
     * The FW-NP-002 finding of {@code cluster}, written by the task of partition 0 only: opened when
     * the verdict is NOT_ENFORCED, closed when ENFORCED; UNKNOWN leaves it as it is. Returns the
     * state with the finding flag as it now is.
     */
    private ClusterState enforcementFinding(String cluster, ClusterState state, Enforcement verdict, EventRef cause,
            long now) {
        if (!clusterFindings) {
            return state;
        }
        if (!state.enforcementFindingOpen() && verdict.state() == Enforcement.State.NOT_ENFORCED) {
            LOG.warn("cluster {}: NetworkPolicies are not enforced ({}): finding {} opened", cluster, verdict.reason(),
                    Enforcement.RULE_ID);
            writeEnforcementFinding(cluster, state, verdict, true, null, "open|" + tokenOf(cause), now);
            return state.withEnforcementFindingOpen(true);
        }
        if (state.enforcementFindingOpen() && verdict.state() == Enforcement.State.ENFORCED) {
            writeEnforcementFinding(cluster, state, verdict, false, null, "close|" + tokenOf(cause), now);
            return state.withEnforcementFindingOpen(false);
        }
        return state;
    }

    private void writeEnforcementFinding(String cluster, ClusterState state, Enforcement verdict, boolean open,
            String closeWhy, String token, long now) {
        String findingId = uuid(Findings.enforcementFindingUid(cluster) + "|" + token);
        Instant detected = Instant.ofEpochMilli(now);
        String json = Findings.enforcementJson(cluster, findingId, open, verdict, now, closeWhy, state.provider(),
                state.ocid(), state.region(), state.compartment(), productVersion);
        context.forward(new Record<Object, Object>(Keys.marker(cluster), json, now,
                CloudEvents.headers(findingId, cluster, CloudEvents.FINDING_TYPE, detected, Keys.MARKER_NAMESPACE,
                        "application/json", CloudEvents.OCSF_SCHEMA)),
                CoverageTopology.FINDINGS_SINK);
    }

    /**
     * The recovery of a collector whose epoch is older than the stored one (a clock set back, or a
     * forged epoch inside the allowed skew): while the stored epoch lies ahead of the processor's
     * clock, a SYNC_START of another collector instance whose epoch is near the clock opens its
     * epoch at once; a HEARTBEAT of another instance, live (observed within --stale-after of the
     * clock) while the cluster is stale, does too. So no single
     * record can lock a cluster out: at worst it is stale until its collector's next heartbeat.
     */
    private boolean mayRewind(ClusterState state, InventoryEvent event, long now) {
        Source source = event.getSource();
        long skew = limits.maxEpochSkew().toMillis();
        boolean other = !source.getCollector().equals(state.collector());
        if (!other) {
            return false;
        }
        if (event.getOp() == Op.SYNC_START) {
            // Only a stored epoch ahead of the clock (forged, or a clock that was ahead) gives way:
            // a late SYNC_START of a previous leader never displaces the current, earlier-or-now epoch.
            return state.epoch() > now && Math.abs(source.getEpoch() - now) <= skew;
        }
        return event.getOp() == Op.HEARTBEAT && state.stale()
                && Math.abs(source.getObservedAt().toEpochMilli() - now) <= Math.min(skew, rules.staleAfter().toMillis());
    }

    /**
     * UNREACHABLE and CLUSTER_REMOVED: epoch-neutral. They open no epoch and need none, change
     * neither the stored epoch nor the sequence, and are ignored when older than the stored epoch
     * (a late marker of an earlier run).
     */
    private void applyClusterMarker(InventoryEvent event, long now) {
        Source source = event.getSource();
        String cluster = source.getCluster();
        ClusterState state = getCluster(cluster);
        if (state != null && state.removed()) {
            if (source.getEpoch() <= state.epoch()) {
                LOG.debug("ignored {} of removed cluster {}: {}", event.getOp(), cluster, where(event));
                return;
            }
            state = null; // a new cluster of the same name, first heard of through this marker
        }
        if (state != null && state.epoch() != ClusterState.NO_EPOCH && source.getEpoch() < state.epoch()) {
            LOG.debug("ignored {} of old epoch {} < {}: {}", event.getOp(), source.getEpoch(), state.epoch(), where(event));
            return;
        }
        EventRef cause = ref(event);
        if (event.getOp() == Op.CLUSTER_REMOVED) {
            removeCluster(cluster, state, cause, now);
            return;
        }
        ClusterFacts f = event.getCluster();
        String error = f == null || f.getError() == null || f.getError().isBlank()
                ? "unreachable (the collector gave no reason)" : f.getError();
        long since = f != null && f.getUnreachableSince() != null ? f.getUnreachableSince().toEpochMilli()
                : state != null && state.unreachable() != null ? state.unreachableSince()
                : source.getObservedAt().toEpochMilli();
        if (state == null) {
            state = new ClusterState(ClusterState.NO_EPOCH, Long.MIN_VALUE, now, false, source.getCollector(), 0L, false,
                    false, null, null, 0L, false);
        }
        boolean was = state.unreachable() != null;
        ClusterFacts factsBefore = state.facts();
        state = state.withLastSeen(now).withStale(false).withOutageFacts(f).withUnreachable(error, since);
        Enforcement verdict = state.verdict();
        boolean enforcementChanged = !sameVerdict(Enforcement.of(factsBefore), verdict);
        if (f != null) {
            state = enforcementFinding(cluster, state, verdict, cause, now);
        }
        putCluster(cluster, state);
        if (!was) {
            LOG.warn("cluster {}: its collector {} cannot reach the API server since {}: marking its namespaces stale",
                    cluster, Names.quoted(source.getCollector()), Instant.ofEpochMilli(since));
            markStale(cluster, DriftReasons.Trigger.UNREACHABLE, cause, now, tokenOf(cause));
        }
        if (enforcementChanged) {
            rewriteEnforcement(cluster, verdict, cause, now);
        }
    }

    /**
     * CLUSTER_REMOVED: every fact and coverage row of the cluster in this task goes (tombstones,
     * drift CLUSTER_REMOVED, findings closed), with their deadlines, and so does its state: a later
     * SYNC_START of the same name starts afresh.
     */
    private void removeCluster(String cluster, ClusterState state, EventRef cause, long now) {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        try (KeyValueIterator<String, NamespaceEntry> it = facts.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        try (KeyValueIterator<String, NamespaceCoverage> it = coverage.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        LOG.info("cluster {} was removed from its provider: dropping its {} namespaces in this task", cluster, keys.size());
        for (String key : keys) {
            update(key, null, true, cause, DriftReasons.Trigger.REMOVED, now, tokenOf(cause), false, null);
        }
        if (state != null && state.findingOpen()) {
            clusterFinding(cluster, state, false, "cluster removed", "removed|" + tokenOf(cause), now);
        }
        if (state != null && state.enforcementFindingOpen()) {
            writeEnforcementFinding(cluster, state, state.verdict(), false, "cluster removed",
                    "removed|" + tokenOf(cause), now);
        }
        long epoch = Math.max(cause.getEpoch(), state == null ? Long.MIN_VALUE : state.epoch());
        putCluster(cluster, ClusterState.removedAt(epoch, now, state == null ? "" : state.collector()));
    }

    private void applyObject(String key, NamespaceEntry.Fact fact, EventRef cause, long now, boolean held,
            Boolean enforced) {
        InventoryEvent event = fact.event();
        if (Fence.isClusterScoped(event.getKind())) {
            applyClusterFence(key, fact, cause, now, held, enforced);
            return;
        }
        NamespaceEntry stored = getFacts(key);
        NamespaceEntry entry = stored == null ? NamespaceEntry.empty() : stored;
        boolean delete = event.getOp() == Op.DELETE;
        NamespaceEntry next;
        DriftReasons.Trigger trigger = DriftReasons.Trigger.EVENT;
        if (event.getKind() == Kind.NAMESPACE) {
            // Kubernetes deletes a namespace's policies with it: drop the whole entry.
            next = delete ? null : entry.withNamespace(fact, now);
            InventoryEvent was = entry.namespaceEvent();
            if (!delete && was != null && !java.util.Objects.equals(was.getNamespaceFacts().getLabels(),
                    event.getNamespaceFacts().getLabels())) {
                trigger = DriftReasons.Trigger.RELABEL;
            }
        } else {
            next = delete ? entry.withoutPolicy(NamespaceEntry.policyKey(event)) : entry.withPolicy(fact);
            if (next.isEmpty()) {
                next = null;
            }
        }
        if (stored == null && next == null) {
            return;
        }
        if (next != null && factBytes(next) > limits.maxRecordBytes()) {
            throw new Rejection("facts-too-large", "the facts of namespace " + Names.quoted(event.getNamespace())
                    + " would exceed " + limits.maxRecordBytes() + " bytes with this " + event.getKind());
        }
        if (stored == null && next != null) {
            String cluster = event.getSource().getCluster();
            ClusterState state = getCluster(cluster);
            if (state != null && state.namespaces() >= limits.namespacesPerTask()) {
                if (!state.capped()) {
                    LOG.warn("cluster {} reached {} namespaces in this task (--max-namespaces-per-cluster {}): "
                            + "new namespaces go to the DLQ", cluster, state.namespaces(),
                            limits.maxNamespacesPerCluster());
                    putCluster(cluster, state.withCapped(true));
                }
                throw new Rejection("namespace-cap", "cluster " + Names.quoted(cluster) + " holds "
                        + state.namespaces() + " namespaces in this partition, its share of "
                        + "--max-namespaces-per-cluster " + limits.maxNamespacesPerCluster());
            }
        }
        update(key, next, true, cause, trigger, now, tokenOf(cause), held, enforced);
    }

    /**
     * A cluster-scoped policy: kept in this task's entry {@code <cluster>/*} (every task gets it),
     * then every namespace of the cluster in this task is evaluated again. A change that leaves
     * the policy's facts as they were (a relist, a status write) re-evaluates nothing.
     */
    private void applyClusterFence(String key, NamespaceEntry.Fact fact, EventRef cause, long now, boolean held,
            Boolean enforced) {
        InventoryEvent event = fact.event();
        NamespaceEntry stored = getFacts(key);
        NamespaceEntry entry = stored == null ? NamespaceEntry.empty() : stored;
        String policyKey = NamespaceEntry.policyKey(event);
        NamespaceEntry.Fact was = entry.policies().get(policyKey);
        boolean delete = event.getOp() == Op.DELETE;
        NamespaceEntry next = delete ? entry.withoutPolicy(policyKey) : entry.withPolicy(fact);
        if (next.isEmpty()) {
            next = null;
        }
        if (next != null && factBytes(next) > limits.maxRecordBytes()) {
            throw new Rejection("facts-too-large", "the cluster-scoped policies of cluster "
                    + Names.quoted(event.getSource().getCluster()) + " would exceed " + limits.maxRecordBytes()
                    + " bytes with this " + event.getKind());
        }
        if (stored == null && next == null) {
            return;
        }
        storeFacts(key, next);
        DriftReasons.Trigger trigger;
        if (delete) {
            if (was == null) {
                return;
            }
            trigger = DriftReasons.Trigger.CLUSTER_POLICY_REMOVED;
        } else if (was == null) {
            trigger = DriftReasons.Trigger.CLUSTER_POLICY_ADDED;
        } else if (java.util.Objects.equals(was.event().getFenceFacts(), event.getFenceFacts())) {
            return; // same facts, newer epoch or version: nothing to re-evaluate
        } else {
            trigger = DriftReasons.Trigger.CLUSTER_POLICY_CHANGED;
        }
        reevaluateCluster(event.getSource().getCluster(), trigger, cause, now, held, enforced);
    }

    /**
     * Every namespace of {@code cluster} in this task, evaluated again after its cluster-scoped
     * policies changed, or whether its pods are known ({@link DriftReasons.Trigger#PODS_WATCHED}).
     */
    private void reevaluateCluster(String cluster, DriftReasons.Trigger trigger, EventRef cause, long now, boolean held,
            Boolean enforced) {
        List<KeyValue<String, NamespaceEntry>> entries = new ArrayList<>();
        try (KeyValueIterator<String, NamespaceEntry> it = facts.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceEntry> kv = it.next();
                if (kv.value.hasNamespace()) {
                    entries.add(kv);
                }
            }
        }
        String token = (trigger == DriftReasons.Trigger.PODS_WATCHED ? "pods|" : "cluster-policy|") + tokenOf(cause);
        for (KeyValue<String, NamespaceEntry> kv : entries) {
            update(kv.key, kv.value, false, cause, trigger, now, token, held, enforced);
        }
    }

    /** Whether the pods of {@code cluster}'s namespaces are known: its latest marker's {@code watchesPods}. */
    private boolean podsKnown(String cluster) {
        ClusterState state = getCluster(cluster);
        return state != null && state.watchesPods();
    }

    /** The cluster-scoped policies of {@code cluster} known to this task, as the rule takes them. */
    private List<Fence> clusterFences(String cluster) {
        NamespaceEntry entry = getFacts(Keys.marker(cluster));
        if (entry == null) {
            return List.of();
        }
        FenceMemo memo = fenceMemo.get(cluster);
        if (memo == null || memo.entry() != entry) {
            memo = new FenceMemo(entry, entry.fences());
            fenceMemo.put(cluster, memo);
        }
        return memo.fences();
    }

    /** SYNC_END of {@code epoch}: every fact of this cluster from an older epoch is gone. */
    private void sweep(String cluster, long epoch, EventRef cause, long now, boolean held, Boolean enforced) {
        List<KeyValue<String, NamespaceEntry>> changed = new ArrayList<>();
        try (KeyValueIterator<String, NamespaceEntry> it = facts.prefixScan(cluster + Keys.SEPARATOR, PREFIX)) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceEntry> kv = it.next();
                NamespaceEntry swept = sweptExcept(kv.value, epoch);
                if (swept != kv.value) {
                    changed.add(KeyValue.pair(kv.key, swept));
                }
            }
        }
        if (!changed.isEmpty()) {
            LOG.info("SYNC_END of cluster {} epoch {}: {} namespaces had facts from older epochs", cluster, epoch,
                    changed.size());
        }
        String marker = Keys.marker(cluster);
        boolean fencesSwept = false;
        for (KeyValue<String, NamespaceEntry> kv : changed) {
            if (kv.key.equals(marker)) {
                // Cluster-scoped policies that vanished while the collector was away: stored first,
                // so every namespace below is judged without them.
                storeFacts(marker, kv.value);
                fencesSwept = true;
            }
        }
        for (KeyValue<String, NamespaceEntry> kv : changed) {
            if (!kv.key.equals(marker)) {
                update(kv.key, kv.value, true, cause, DriftReasons.Trigger.SWEEP, now, tokenOf(cause), held, enforced);
            }
        }
        if (fencesSwept) {
            reevaluateCluster(cluster, DriftReasons.Trigger.CLUSTER_POLICY_REMOVED, cause, now, held, enforced);
        }
    }

    /** The entry without facts of any epoch but {@code epoch} (older ones, and newer ones after a rewind). */
    private static NamespaceEntry sweptExcept(NamespaceEntry entry, long epoch) {
        NamespaceEntry swept = entry.sweptBefore(epoch);
        if (swept == null) {
            return null;
        }
        NamespaceEntry.Fact ns = swept.namespace();
        if (ns != null && ns.event().getSource().getEpoch() > epoch) {
            ns = null;
        }
        java.util.TreeMap<String, NamespaceEntry.Fact> policies = new java.util.TreeMap<>();
        swept.policies().forEach((name, f) -> {
            if (f.event().getSource().getEpoch() <= epoch) {
                policies.put(name, f);
            }
        });
        if (ns == swept.namespace() && policies.size() == swept.policies().size()) {
            return swept;
        }
        NamespaceEntry next = new NamespaceEntry(ns, swept.firstSeen(), policies);
        return next.isEmpty() ? null : next;
    }

    private static long factBytes(NamespaceEntry entry) {
        long n = entry.namespace() == null ? 0 : entry.namespace().bytes().length;
        for (NamespaceEntry.Fact f : entry.policies().values()) {
            n += f.bytes().length;
        }
        return n;
    }

    private void recover(String cluster, EventRef cause, long now, Boolean enforced) {
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
            update(kv.key, kv.value, false, cause, DriftReasons.Trigger.RECOVERY, now, tokenOf(cause), false,
                    enforced);
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
            ClusterState state = getCluster(Keys.clusterOf(d.key()));
            if (state != null && state.held()) {
                // A stale or unreachable cluster keeps its last status; recovery re-evaluates every namespace.
                continue;
            }
            NamespaceEntry entry = getFacts(d.key());
            if (entry != null && entry.hasNamespace()) {
                update(d.key(), entry, false, null, DriftReasons.Trigger.TIME, now, "deadline|" + d.at(), false,
                        enforcedOf(state));
            }
        }
        checkStaleness(now);
    }

    private void checkStaleness(long now) {
        long limit = rules.staleAfter().toMillis();
        List<KeyValue<String, ClusterState>> silent = new ArrayList<>();
        List<KeyValue<String, ClusterState>> unreachable = new ArrayList<>();
        try (KeyValueIterator<String, ClusterState> it = clusters.all()) {
            while (it.hasNext()) {
                KeyValue<String, ClusterState> kv = it.next();
                if (kv.value.removed()) {
                    continue;
                }
                if (!kv.value.stale() && now - kv.value.lastSeen() > limit) {
                    silent.add(kv);
                }
                if (clusterFindings && kv.value.unreachable() != null && !kv.value.findingOpen()
                        && now - kv.value.unreachableSince() > limit) {
                    unreachable.add(kv);
                }
            }
        }
        for (KeyValue<String, ClusterState> kv : silent) {
            String cluster = kv.key;
            LOG.warn("cluster {} has been silent since {}: marking its namespaces stale", cluster,
                    Instant.ofEpochMilli(kv.value.lastSeen()));
            putCluster(cluster, kv.value.withStale(true));
            markStale(cluster, DriftReasons.Trigger.STALE, null, now, "stale|" + kv.value.lastSeen());
        }
        for (KeyValue<String, ClusterState> kv : unreachable) {
            // Re-read: the loop above may have marked it stale.
            ClusterState state = getCluster(kv.key).withFindingOpen(true);
            putCluster(kv.key, state);
            LOG.warn("cluster {} has been unreachable by its collector since {}: finding {} opened", kv.key,
                    Instant.ofEpochMilli(state.unreachableSince()), Findings.CLUSTER_RULE_ID);
            clusterFinding(kv.key, state, true, null, "unreachable|" + state.unreachableSince(), now);
        }
    }

    /** Every row of {@code cluster} in this task not yet stale becomes stale, keeping its status. */
    private void markStale(String cluster, DriftReasons.Trigger trigger, EventRef cause, long now, String token) {
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
            drift(row.key, row.value, stale, cause, trigger, now, token);
        }
    }

    /**
     * The FW-CL-001 finding of {@code cluster}, keyed {@code <cluster>/*}: opened when it has been
     * unreachable longer than --stale-after, closed when it is reachable again or removed. Its ids
     * are derived from the outage and its end, so the same input gives the same finding.
     */
    private void clusterFinding(String cluster, ClusterState state, boolean open, String closeWhy, String token,
            long now) {
        String findingId = uuid(Findings.clusterFindingUid(cluster) + "|" + (open ? "open" : "close") + "|"
                + state.unreachableSince() + "|" + token);
        Instant detected = Instant.ofEpochMilli(now);
        String json = Findings.clusterReachabilityJson(cluster, findingId, open, state.unreachable(),
                state.unreachable() == null ? null : Instant.ofEpochMilli(state.unreachableSince()), now, closeWhy,
                state.provider(), state.ocid(), state.region(), state.compartment(), productVersion);
        context.forward(new Record<Object, Object>(Keys.marker(cluster), json, now,
                CloudEvents.headers(findingId, cluster, CloudEvents.FINDING_TYPE, detected, Keys.MARKER_NAMESPACE,
                        "application/json", CloudEvents.OCSF_SCHEMA)),
                CoverageTopology.FINDINGS_SINK);
    }

    /**
     * Stores the new facts of a namespace (if {@code factsChanged}), re-derives its coverage, and
     * emits the coverage record, drift and finding that follow. {@code enforced}: the cluster's
     * FW-NP-002 verdict the record carries (null: unknown).
     */
    private void update(String key, NamespaceEntry entry, boolean factsChanged, EventRef cause,
            DriftReasons.Trigger trigger, long now, String token, boolean held, Boolean enforced) {
        NamespaceCoverage old = getCoverage(key);
        NamespaceCoverage next = null;
        long deadline = Verdict.NO_DEADLINE;
        if (entry != null && entry.hasNamespace()) {
            String cluster = Keys.clusterOf(key);
            Verdict verdict = evaluator.evaluate(entry.state(clusterFences(cluster), podsKnown(cluster)), now);
            // Only events that changed the facts become the record's lastEvent (not a waking heartbeat).
            next = coverageOf(key, entry, verdict, old, factsChanged ? cause : null, now, enforced);
            if (held) {
                // The cluster's data is not current (silent or unreachable): never shown as such.
                next.setStale(true);
            }
            deadline = verdict.nextDeadline();
        }
        if (factsChanged) {
            storeFacts(key, entry);
        }
        schedule(key, deadline);
        if (trigger != DriftReasons.Trigger.EVENT && sameRecord(old, next)) {
            return;
        }
        write(key, old, next, now);
        drift(key, old, next, cause, trigger, now, token);
    }

    /** Stores (or, for null, deletes) the facts of a key, counting namespaces (the marker key's entry is not one). */
    private void storeFacts(String key, NamespaceEntry entry) {
        boolean existed = getFacts(key) != null;
        if (entry == null) {
            factsCache.put(key, NO_FACTS);
            facts.delete(key);
        } else {
            factsCache.put(key, entry);
            facts.put(key, entry);
        }
        if (existed != (entry != null) && !Keys.isMarker(key)) {
            countNamespace(Keys.clusterOf(key), entry != null ? 1 : -1);
        }
    }

    private void countNamespace(String cluster, int delta) {
        ClusterState state = getCluster(cluster);
        if (state == null) {
            return;
        }
        ClusterState next = state.withNamespaces(state.namespaces() + delta);
        if (next.capped() && next.namespaces() < limits.namespacesPerTask()) {
            next = next.withCapped(false);
        }
        putCluster(cluster, next);
    }

    /**
     * The new coverage record of {@code key} (null: its tombstone), into the store and to the
     * coverage topic. With the store's cache (the usual case) the topic gets it from the cache's
     * flush, at commit or eviction: repeated writes of a key in one commit interval fold into one
     * record, its latest, as the DSL's cached KTables do (the topic is compacted; the table it
     * describes is the same). Without a cache every write is forwarded at once.
     */
    private void write(String key, NamespaceCoverage old, NamespaceCoverage next, long now) {
        if (next != null) {
            coverageCache.put(key, next);
            coverage.put(key, next);
        } else if (old != null) {
            coverageCache.remove(key);
            coverage.delete(key);
        } else {
            return;
        }
        if (coverageFold != null) {
            coverageFold.written(key, now);
        } else {
            context.forward(new Record<>(key, next, now), CoverageTopology.COVERAGE_SINK);
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
            forwardFinding(key, findingId, Findings.toJson(drift, findingId, isOpen, next, productVersion), now, detected);
        }
        // FW-NP-003, independent of FW-NP-001: open while workloadStatus is NON_COMPLIANT.
        boolean workloadWasOpen = old != null && old.getWorkloadStatus() == Status.NON_COMPLIANT;
        boolean workloadIsOpen = next != null && next.getWorkloadStatus() == Status.NON_COMPLIANT;
        if (workloadWasOpen != workloadIsOpen) {
            String findingId = uuid(id + "|workload-finding");
            forwardFinding(key, findingId, Findings.workloadJson(drift, findingId, workloadIsOpen, next, productVersion), now,
                    detected);
        }
    }

    /**
     * The state of {@code cluster} in this task, decoded once: every event reads it (epoch,
     * sequence, whether pods are known) and writes it; the store behind stays the record.
     */
    private ClusterState getCluster(String cluster) {
        return readThrough(clusterCache, clusters, cluster);
    }

    /** {@code key}'s value from {@code cache}, else from {@code store} (then cached); null when neither holds it. */
    private static <V> V readThrough(LruCache<String, V> cache, KeyValueStore<String, V> store, String key) {
        V value = cache.get(key);
        if (value == null) {
            value = store.get(key);
            if (value != null) {
                cache.put(key, value);
            }
        }
        return value;
    }

    private void putCluster(String cluster, ClusterState state) {
        clusterCache.put(cluster, state);
        clusters.put(cluster, state);
    }

    /** A namespace's finding to the findings topic, with its CloudEvents headers. */
    private void forwardFinding(String key, String findingId, String json, long now, Instant detected) {
        context.forward(new Record<Object, Object>(key, json, now,
                CloudEvents.headers(findingId, Keys.clusterOf(key), CloudEvents.FINDING_TYPE, detected,
                        Keys.namespaceOf(key), "application/json", CloudEvents.OCSF_SCHEMA)),
                CoverageTopology.FINDINGS_SINK);
    }

    /**
     * The facts of {@code key}, or null. An absent key is remembered too ({@link #NO_FACTS}): every
     * event of a cluster without cluster-scoped policies asks for {@code <cluster>/*}, and each ask
     * was a miss through the store cache down to RocksDB.
     */
    private NamespaceEntry getFacts(String key) {
        NamespaceEntry e = factsCache.get(key);
        if (e == null) {
            e = facts.get(key);
            factsCache.put(key, e == null ? NO_FACTS : e);
        }
        return e == NO_FACTS ? null : e;
    }

    /** In {@link #factsCache}: the store holds nothing for the key. Never stored or returned. */
    private static final NamespaceEntry NO_FACTS = NamespaceEntry.empty();

    private NamespaceCoverage getCoverage(String key) {
        return readThrough(coverageCache, coverage, key);
    }

    @Override
    public void close() {
        if (coverageFold != null) {
            coverageFold.clear();
        }
        factsCache.clear();
        coverageCache.clear();
        clusterCache.clear();
    }

    private NamespaceCoverage coverageOf(String key, NamespaceEntry entry, Verdict verdict, NamespaceCoverage old,
            EventRef cause, long now, Boolean enforced) {
        InventoryEvent ns = entry.namespaceEvent();
        Instant since = old != null && old.getStatus() == verdict.status() ? old.getSince() : Instant.ofEpochMilli(now);
        EventRef last = cause != null ? cause : old == null ? null : old.getLastEvent();
        return CoverageRecords.of(Keys.clusterOf(key), Keys.namespaceOf(key), ns.getUid(), verdict,
                entry.networkPolicyNames(), rules.profile(), ns.getNamespaceFacts().getCreatedAt(),
                since, Instant.ofEpochMilli(now), last, enforced);
    }

    private static boolean sameRecord(NamespaceCoverage a, NamespaceCoverage b) {
        if (a == null || b == null) {
            return a == b;
        }
        return NamespaceCoverage.newBuilder(b).setUpdatedAt(a.getUpdatedAt()).build().equals(a);
    }

    static CoverageState stateOf(NamespaceCoverage c) {
        return CoverageRecords.stateOf(c);
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

    /**
     * Writes the dead letter of {@code record}: bounded so the producer can always take it (see
     * {@link DeadLetters}); after a failed write of the same source record a smaller one, after two
     * none at all (logged and counted), so a dead letter can never stop the task.
     */
    private void deadLetter(Record<byte[], byte[]> record, String stage, String reason, RuntimeException error) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? "?" : meta.topic();
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        String message = summary(error);
        int failedBefore = dlqFailures.failedBefore(topic, partition, offset);
        if (failedBefore >= 2) {
            dlqFailures.skipped();
            LOG.error("dead letter {}-{}@{} ({}, {}) not written: two writes failed before", topic, partition, offset,
                    stage, reason);
            return;
        }
        LOG.warn("dead letter {}-{}@{} ({}, {}): {}", topic, partition, offset, stage, reason, message);
        boolean minimal = failedBefore == 1;
        Headers headers = new RecordHeaders();
        int dropped = 0;
        int budget = Limits.DLQ_MAX_HEADER_BYTES;
        for (Header h : record.headers()) {
            int n = (h.key() == null ? 0 : h.key().length() * 3) + (h.value() == null ? 0 : h.value().length);
            if (minimal || headers.toArray().length >= Limits.DLQ_MAX_HEADERS || n > budget
                    || (h.key() != null && h.key().startsWith("fencewatch.dlq."))) {
                dropped++;
                continue;
            }
            budget -= n;
            headers.add(h);
        }
        byte[] key = record.key();
        if (key != null && key.length > Limits.MAX_KEY_BYTES) {
            putHeader(headers, DeadLetters.ORIGINAL_KEY_SIZE, Integer.toString(key.length));
            key = Arrays.copyOf(key, Limits.MAX_KEY_BYTES);
        }
        byte[] value = record.value();
        if (value != null) {
            int keep = minimal ? 0 : Math.min(value.length, limits.dlqMaxPayload());
            putHeader(headers, DeadLetters.ORIGINAL_SIZE, Integer.toString(value.length));
            putHeader(headers, DeadLetters.ORIGINAL_SHA256, sha256(value));
            putHeader(headers, DeadLetters.TRUNCATED, Boolean.toString(keep < value.length));
            value = keep == value.length ? value : Arrays.copyOf(value, keep);
        }
        if (dropped > 0) {
            putHeader(headers, DeadLetters.HEADERS_DROPPED, Integer.toString(dropped));
        }
        putHeader(headers, DeadLetters.TOPIC, topic);
        putHeader(headers, DeadLetters.PARTITION, Integer.toString(partition));
        putHeader(headers, DeadLetters.OFFSET, Long.toString(offset));
        putHeader(headers, DeadLetters.STAGE, stage);
        putHeader(headers, DeadLetters.REASON, reason);
        putHeader(headers, DeadLetters.ERROR, message);
        putHeader(headers, DeadLetters.ERROR_CLASS, error.getClass().getName());
        putHeader(headers, DeadLetters.TIME, Instant.ofEpochMilli(context.currentSystemTimeMs()).toString());
        context.forward(new Record<Object, Object>(key, value, record.timestamp(), headers), CoverageTopology.DLQ_SINK);
    }

    private static String sha256(byte[] value) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(value));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void putHeader(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String summary(Throwable e) {
        String m = e.getMessage();
        String text = e instanceof Rejection ? m : e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
        text = text.length() > 300 ? text.substring(0, 300) + "..." : text;
        // One line: a message that quotes input can hold no line break or control character.
        return text.replaceAll("[\\p{Cntrl}]", "?");
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
