package io.fencewatch.query;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;

/**
 * Interactive queries over the processor's {@code KeyValueStore<String, NamespaceCoverage>},
 * across every instance of the application.
 *
 * <ul>
 *   <li>A point query goes to the key's active owner ({@link KafkaStreams#queryMetadataForKey}),
 *       over HTTP if it is another instance. If the owner cannot answer, a standby replica is read
 *       (stale stores enabled) and the answer says so ({@value #REPLICA_HEADER}: standby).</li>
 *   <li>A list or summary fans out to every instance that hosts the store, each scanning exactly
 *       the partitions the metadata gives it; the merge checks every partition was answered.</li>
 *   <li>Anything incomplete (not RUNNING, store migrating, metadata unavailable, peer down or
 *       itself unavailable) is an {@link Unavailable}: a 503, never a partial answer.</li>
 * </ul>
 */
public final class CoverageQueryService {
    private static final Logger LOG = LoggerFactory.getLogger(CoverageQueryService.class);

    /** Marks a request sent by another instance, so it is answered locally and never forwarded again. */
    public static final String FORWARDED_HEADER = "X-Fencewatch-Forwarded";
    /** Says which replica answered a point query: {@code active} or {@code standby} (possibly stale). */
    public static final String REPLICA_HEADER = "X-Fencewatch-Replica";
    /** Which instance answered. */
    public static final String SERVED_BY_HEADER = "X-Fencewatch-Served-By";
    static final String READ_STANDBY = "standby";

    static final String LOCAL_NAMESPACES = "/api/v1/internal/local/namespaces";
    static final String LOCAL_CLUSTERS = "/api/v1/internal/local/clusters";

    private static final Serializer<String> KEYS = Serdes.String().serializer();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Partition numbers at or above this are refused before the metadata is asked. */
    static final int MAX_PARTITIONS = 100_000;
    /** A key no namespace has ('*' is not a namespace character): readiness reads it in every local partition. */
    private static final String PROBE_KEY = "fencewatch.readiness" + Keys.SEPARATOR + Keys.MARKER_NAMESPACE + "probe";

    private final KafkaStreams streams;
    private final String storeName;
    private final String clusterStoreName;
    private final HostInfo self;
    private final HttpClient http;
    private final String scheme;
    private final Duration timeout;

    CoverageQueryService(KafkaStreams streams, String storeName, String clusterStoreName, HostInfo self, HttpClient http,
            boolean tls, Duration timeout) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.clusterStoreName = clusterStoreName;
        this.self = Objects.requireNonNull(self, "self");
        this.http = Objects.requireNonNull(http, "http");
        this.scheme = tls ? "https" : "http";
        this.timeout = timeout;
    }

    HostInfo self() {
        return self;
    }

    String storeName() {
        return storeName;
    }

    // ---------------------------------------------------------------- point query

    /**
     * One namespace. {@code forwardedRead} is null for a client's request, {@code "active"} or
     * {@code "standby"} for a request forwarded by a peer.
     */
    Reply namespace(String cluster, String namespace, String forwardedRead, String authorization) {
        String key = Keys.of(cluster, namespace);
        if (READ_STANDBY.equals(forwardedRead)) {
            return localPoint(key, standbyPartition(key), true);
        }
        requireRunning();
        KeyQueryMetadata md = metadata(key);
        if (md.activeHost().equals(self)) {
            return localPoint(key, md.partition(), false);
        }
        if (forwardedRead != null) {
            // A peer thought we own the key; metadata disagree, which only happens mid-rebalance.
            throw new Unavailable("key ownership is moving");
        }
        String path = "/api/v1/clusters/" + enc(cluster) + "/namespaces/" + enc(namespace);
        Reply fromActive = forward(md.activeHost(), path, "active", authorization);
        if (answered(fromActive, md.activeHost())) {
            return fromActive;
        }
        // The active owner cannot answer: a standby replica may (its data may lag).
        if (md.standbyHosts().contains(self)) {
            return localPoint(key, md.partition(), true);
        }
        for (HostInfo standby : md.standbyHosts()) {
            Reply r = forward(standby, path, READ_STANDBY, authorization);
            if (answered(r, standby)) {
                return r;
            }
        }
        throw new Unavailable("the owner of this namespace is not reachable");
    }

    /** A peer's answer is final when it found the key or knows it is absent; anything else means "try elsewhere". */
    private static boolean answered(Reply r, HostInfo peer) {
        if (r == null || r.status() == 503) {
            return false;
        }
        if (r.status() == 200 || r.status() == 404) {
            return true;
        }
        // 401 here means the instances do not share one token; the client's request was fine.
        LOG.warn("instance {}:{} answered a forwarded query with {}", peer.host(), peer.port(), r.status());
        return false;
    }

    private int standbyPartition(String key) {
        KeyQueryMetadata md = streams.queryMetadataForKey(storeName, key, KEYS);
        if (md == null || KeyQueryMetadata.NOT_AVAILABLE.equals(md)) {
            throw new Unavailable("query metadata not available");
        }
        return md.partition();
    }

    private Reply localPoint(String key, int partition, boolean stale) {
        NamespaceCoverage value;
        try {
            value = store(partition, stale).get(key);
        } catch (InvalidStateStoreException e) {
            throw new Unavailable("state store is not queryable here now");
        }
        Reply reply = value == null
                ? Reply.error(404, "namespace not found")
                : Reply.rawJson(200, JsonViews.coverageJson(value).getBytes(StandardCharsets.UTF_8));
        return reply.withHeader(REPLICA_HEADER, stale ? READ_STANDBY : "active")
                .withHeader(SERVED_BY_HEADER, self.host() + ":" + self.port());
    }

    private KeyQueryMetadata metadata(String key) {
        KeyQueryMetadata md;
        try {
            md = streams.queryMetadataForKey(storeName, key, KEYS);
        } catch (IllegalStateException e) {
            throw new Unavailable("query metadata not available");
        }
        if (md == null || KeyQueryMetadata.NOT_AVAILABLE.equals(md) || md.activeHost() == null) {
            throw new Unavailable("query metadata not available");
        }
        return md;
    }

    // ---------------------------------------------------------------- lists

    /**
     * Which namespaces a list keeps: {@code status} (FW-NP-001) and {@code workloadStatus} (FW-NP-003),
     * each null for any; a row whose pods are not known has no workloadStatus and never matches one.
     */
    record NamespaceFilter(Status status, Status workloadStatus) {
        static final NamespaceFilter ALL = new NamespaceFilter(null, null);

        boolean matches(NamespaceCoverage c) {
            return (status == null || c.getStatus() == status)
                    && (workloadStatus == null || c.getWorkloadStatus() == workloadStatus);
        }

        /** The parameters that ask a peer for the same filter ("" or "&status=..&workloadStatus=.."). */
        String query() {
            return (status == null ? "" : "&status=" + status.name())
                    + (workloadStatus == null ? "" : "&workloadStatus=" + workloadStatus.name());
        }
    }

    /** Every namespace of a cluster that the filter keeps, from every instance, sorted by name. */
    Reply namespaces(String cluster, NamespaceFilter filter, String authorization) {
        String query = "cluster=" + enc(cluster) + filter.query();
        List<NamespacesPart> parts = fanOut(LOCAL_NAMESPACES, query, authorization,
                partitions -> localNamespaces(cluster, filter, partitions), NamespacesPart::parse, NamespacesPart::partitions);
        // Merged as bytes: a list of 10,000 namespaces is megabytes, so no decoding and re-encoding.
        TreeMap<String, Slice> merged = new TreeMap<>();
        boolean known = false;
        for (NamespacesPart part : parts) {
            known |= part.known();
            for (Map.Entry<String, Slice> item : part.items()) {
                merged.put(item.getKey(), item.getValue());
            }
        }
        if (!known && merged.isEmpty()) {
            // Every partition answered and none has heard of it: a typo, not an empty cluster.
            throw new ApiHandler.NotFound("cluster not found");
        }
        int size = 2 + Math.max(0, merged.size() - 1);
        for (Slice s : merged.values()) {
            size += s.length();
        }
        byte[] out = new byte[size];
        int at = 0;
        out[at++] = '[';
        for (Slice s : merged.values()) {
            if (at > 1) {
                out[at++] = ',';
            }
            System.arraycopy(s.buffer(), s.offset(), out, at, s.length());
            at += s.length();
        }
        out[at] = ']';
        return Reply.rawJson(200, out);
    }

    /** Per-cluster counts, from every instance, sorted by cluster. */
    Reply clusters(String authorization) {
        List<JsonNode> parts = fanOut(LOCAL_CLUSTERS, "", authorization, this::localClusters,
                CoverageQueryService::readJson, CoverageQueryService::servedPartitions);
        TreeMap<String, ClusterSummary> merged = new TreeMap<>();
        for (JsonNode part : parts) {
            for (JsonNode c : part.path("items")) {
                merged.computeIfAbsent(c.path("cluster").asText(), ClusterSummary::new).merge(c);
            }
        }
        ArrayNode out = NODES.arrayNode();
        merged.values().forEach(s -> out.add(s.toJson(false)));
        return Reply.json(200, out);
    }

    /** A peer's share of a list: the namespaces of the given partitions held here as active. */
    Reply localNamespacesReply(String cluster, NamespaceFilter filter, Set<Integer> partitions) {
        requireRunning();
        requireExisting(partitions);
        return new Reply(200, NamespacesPart.CONTENT_TYPE, localNamespaces(cluster, filter, partitions).toBytes(), Map.of());
    }

    Reply localClustersReply(Set<Integer> partitions) {
        requireRunning();
        requireExisting(partitions);
        return Reply.json(200, localClusters(partitions));
    }

    /** A peer asked for partitions the application does not have: its request is wrong (400), not early. */
    private void requireExisting(Set<Integer> partitions) {
        int highest = -1;
        for (StreamsMetadata m : metadataForStore()) {
            for (TopicPartition tp : m.topicPartitions()) {
                highest = Math.max(highest, tp.partition());
            }
            for (TopicPartition tp : m.standbyTopicPartitions()) {
                highest = Math.max(highest, tp.partition());
            }
        }
        for (int p : partitions) {
            if (p > highest) {
                throw new ApiHandler.BadRequest("partitions: " + p + " is out of range (0 to " + highest + ")");
            }
        }
    }

    private NamespacesPart localNamespaces(String cluster, NamespaceFilter filter, Set<Integer> partitions) {
        requireRunning();
        List<Map.Entry<String, Slice>> items = new ArrayList<>();
        String prefix = cluster + Keys.SEPARATOR;
        boolean known = false;
        for (int p : partitions) {
            try (KeyValueIterator<String, NamespaceCoverage> it = store(p, false).prefixScan(prefix, KEYS)) {
                while (it.hasNext()) {
                    KeyValue<String, NamespaceCoverage> kv = it.next();
                    if (kv.value == null || Keys.isMarker(kv.key)) {
                        continue;
                    }
                    known = true;
                    if (filter.matches(kv.value)) {
                        items.add(Map.entry(kv.value.getNamespace(), Slice.of(JsonViews.coverageJson(kv.value))));
                    }
                }
            } catch (InvalidStateStoreException e) {
                throw new Unavailable("state store is not queryable here now");
            }
            if (!known && clusterStoreName != null) {
                known = lastSeenIn(p, cluster) != null;
            }
        }
        return new NamespacesPart(Set.copyOf(partitions), items, known);
    }

    /** The cluster-state store's lastSeen of {@code cluster} in partition {@code p}, or null. */
    private Instant lastSeenIn(int p, String cluster) {
        try {
            Object v = clusterStore(p).get(cluster);
            return v instanceof ClusterLiveness l && !l.removed() ? Instant.ofEpochMilli(l.lastSeen()) : null;
        } catch (InvalidStateStoreException e) {
            throw new Unavailable("state store is not queryable here now");
        }
    }

    private ReadOnlyKeyValueStore<String, Object> clusterStore(int partition) {
        return streams.store(StoreQueryParameters.fromNameAndType(clusterStoreName,
                QueryableStoreTypes.<String, Object>keyValueStore()).withPartition(partition));
    }

    /**
     * One instance's share of a namespace list, in a compact line format between instances (no
     * JSON parsing on the merging side): {@code partitions 0,2}, then one {@code <namespace> TAB
     * <coverage JSON>} per line. Namespace names hold no tab or newline (DNS labels), and JSON
     * text escapes both.
     */
    /** A run of bytes inside a larger buffer (one item of a peer's answer), or a whole array. */
    record Slice(byte[] buffer, int offset, int length) {
        static Slice of(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return new Slice(b, 0, b.length);
        }
    }

    record NamespacesPart(Set<Integer> partitions, List<Map.Entry<String, Slice>> items, boolean known) {
        static final String CONTENT_TYPE = "text/x-fencewatch-namespaces; charset=utf-8";

        NamespacesPart(Set<Integer> partitions, List<Map.Entry<String, Slice>> items) {
            this(partitions, items, !items.isEmpty());
        }

        byte[] toBytes() {
            int size = 64;
            for (Map.Entry<String, Slice> item : items) {
                size += item.getKey().length() * 3 + item.getValue().length() + 2;
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size);
            out.writeBytes(("partitions " + partitions.stream().map(String::valueOf).collect(Collectors.joining(","))
                    + (known ? " known" : "") + "\n").getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, Slice> item : items) {
                out.writeBytes(item.getKey().getBytes(StandardCharsets.UTF_8));
                out.write('\t');
                out.write(item.getValue().buffer(), item.getValue().offset(), item.getValue().length());
                out.write('\n');
            }
            return out.toByteArray();
        }

        /** Tab and newline bytes never occur inside a UTF-8 multi-byte sequence, so bytes are scanned directly. */
        static NamespacesPart parse(byte[] body) {
            int eol = indexOf(body, (byte) '\n', 0);
            String header = eol < 0 ? "" : new String(body, 0, eol, StandardCharsets.UTF_8);
            if (!header.startsWith("partitions ")) {
                throw new Unavailable("an instance sent an unreadable answer");
            }
            Set<Integer> partitions = new TreeSet<>();
            String list = header.substring("partitions ".length());
            boolean known = list.endsWith(" known");
            if (known) {
                list = list.substring(0, list.length() - " known".length());
            }
            try {
                for (String s : list.isEmpty() ? new String[0] : list.split(",")) {
                    partitions.add(Integer.parseInt(s));
                }
            } catch (NumberFormatException e) {
                throw new Unavailable("an instance sent an unreadable answer");
            }
            List<Map.Entry<String, Slice>> items = new ArrayList<>();
            int from = eol + 1;
            while (from < body.length) {
                int tab = indexOf(body, (byte) '\t', from);
                int end = tab < 0 ? -1 : indexOf(body, (byte) '\n', tab);
                if (tab < 0 || end < 0) {
                    throw new Unavailable("an instance sent an unreadable answer");
                }
                items.add(Map.entry(new String(body, from, tab - from, StandardCharsets.UTF_8),
                        new Slice(body, tab + 1, end - tab - 1)));
                from = end + 1;
            }
            return new NamespacesPart(partitions, items, known || !items.isEmpty());
        }

        private static int indexOf(byte[] b, byte value, int from) {
            for (int i = from; i < b.length; i++) {
                if (b[i] == value) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static JsonNode readJson(byte[] body) {
        try {
            return JsonViews.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new Unavailable("an instance sent an unreadable answer");
        }
    }

    private static Set<Integer> servedPartitions(JsonNode part) {
        Set<Integer> out = new TreeSet<>();
        part.path("partitions").forEach(p -> out.add(p.asInt()));
        return out;
    }

    private ObjectNode localClusters(Set<Integer> partitions) {
        requireRunning();
        ObjectNode out = NODES.objectNode();
        ArrayNode served = out.putArray("partitions");
        Map<String, ClusterSummary> byCluster = new HashMap<>();
        for (int p : partitions) {
            try {
                summarize(p, byCluster);
            } catch (InvalidStateStoreException e) {
                throw new Unavailable("state store is not queryable here now");
            }
            served.add(p);
        }
        ArrayNode items = out.putArray("items");
        // Between instances the summary carries when its facts and error were heard, so the merge picks the latest.
        byCluster.values().forEach(s -> items.add(s.toJson(true)));
        return out;
    }

    /** Adds partition {@code p}'s namespaces and cluster states to {@code byCluster}. */
    private void summarize(int p, Map<String, ClusterSummary> byCluster) {
        try (KeyValueIterator<String, NamespaceCoverage> it = store(p, false).all()) {
            while (it.hasNext()) {
                KeyValue<String, NamespaceCoverage> kv = it.next();
                if (kv.value == null || Keys.isMarker(kv.key)) {
                    continue;
                }
                byCluster.computeIfAbsent(kv.value.getCluster(), ClusterSummary::new).add(kv.value);
            }
        }
        if (clusterStoreName != null) {
            try (KeyValueIterator<String, Object> it = clusterStore(p).all()) {
                while (it.hasNext()) {
                    KeyValue<String, Object> kv = it.next();
                    if (kv.value instanceof ClusterLiveness l && !l.removed()) {
                        byCluster.computeIfAbsent(kv.key, ClusterSummary::new).heard(l);
                    }
                }
            }
        }
    }

    /**
     * Each cluster's state, FW-NP-002 verdict (null: unknown) and fenced namespaces as the
     * partitions active here see them, for /metrics; a partition not queryable now is left out.
     */
    Map<String, QueryMetrics.ClusterGauges> localClustersForMetrics() {
        Map<String, QueryMetrics.ClusterGauges> gauges = new TreeMap<>();
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return gauges;
        }
        Map<String, ClusterSummary> byCluster = new HashMap<>();
        for (int p : partitionsOf(self, metadataForStore())) {
            try {
                summarize(p, byCluster);
            } catch (InvalidStateStoreException e) {
                LOG.debug("partition {} not queryable for metrics: {}", p, e.getClass().getSimpleName());
            }
        }
        byCluster.forEach((cluster, summary) -> gauges.put(cluster, new QueryMetrics.ClusterGauges(summary.state.name(),
                summary.enforcement().enforced(), summary.fenced)));
        return gauges;
    }

    /** Counts of the namespaces held here as active, by cluster and status, and by FW-NP-003 status (for /metrics). */
    QueryMetrics.NamespaceCounts localCountsForMetrics() {
        Map<String, Map<Status, Long>> counts = new TreeMap<>();
        Map<String, Map<Status, Long>> workloads = new TreeMap<>();
        QueryMetrics.NamespaceCounts out = new QueryMetrics.NamespaceCounts(counts, workloads);
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return out;
        }
        for (int p : partitionsOf(self, metadataForStore())) {
            try (KeyValueIterator<String, NamespaceCoverage> it = store(p, false).all()) {
                while (it.hasNext()) {
                    KeyValue<String, NamespaceCoverage> kv = it.next();
                    if (kv.value != null && !Keys.isMarker(kv.key)) {
                        counts.computeIfAbsent(kv.value.getCluster(), c -> new java.util.EnumMap<>(Status.class))
                                .merge(kv.value.getStatus(), 1L, Long::sum);
                        if (kv.value.getWorkloadStatus() != null) {
                            workloads.computeIfAbsent(kv.value.getCluster(), c -> new java.util.EnumMap<>(Status.class))
                                    .merge(kv.value.getWorkloadStatus(), 1L, Long::sum);
                        }
                    }
                }
            } catch (InvalidStateStoreException e) {
                LOG.debug("store {} partition {} not queryable for metrics: {}", storeName, p, e.getClass().getSimpleName());
            }
        }
        return out;
    }

    /** True when point and list queries answer here now: see {@link #notReady()}. */
    boolean ready() {
        return notReady() == null;
    }

    /**
     * Why a query could not be answered here now, or null when it can: Streams is RUNNING, every
     * partition has an owner (a list can be complete), a key's owner can be found (a point query
     * can be routed), and every partition active here answers a read (not just "is assigned":
     * a store that is still restoring throws on the read).
     */
    String notReady() {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            return "the processor is " + state.name().toLowerCase(java.util.Locale.ROOT);
        }
        try {
            Collection<StreamsMetadata> all = streams.streamsMetadataForStore(storeName);
            if (all == null || all.isEmpty()) {
                return "no instance hosts the store yet";
            }
            Set<Integer> owned = new TreeSet<>();
            for (StreamsMetadata m : all) {
                owned.addAll(partitionsOf(m.hostInfo(), List.of(m)));
            }
            checkContiguous(owned);
            KeyQueryMetadata md = streams.queryMetadataForKey(storeName, PROBE_KEY, KEYS);
            if (md == null || KeyQueryMetadata.NOT_AVAILABLE.equals(md) || md.activeHost() == null) {
                return "query metadata not available";
            }
            for (int p : partitionsOf(self, all)) {
                store(p, false).get(PROBE_KEY);
                if (clusterStoreName != null) {
                    clusterStore(p).get(PROBE_KEY);
                }
            }
            return null;
        } catch (Unavailable e) {
            return e.getMessage();
        } catch (InvalidStateStoreException e) {
            return "state store is not queryable here now";
        } catch (IllegalStateException e) {
            return "query metadata not available";
        }
    }

    KafkaStreams.State streamsState() {
        return streams.state();
    }

    /**
     * Asks every instance hosting the store for its partitions (this one directly, others over
     * HTTP, in parallel) and checks that together they answered every partition.
     */
    private <T> List<T> fanOut(String path, String query, String authorization, Function<Set<Integer>, T> local,
            Function<byte[], T> parse, Function<T, Set<Integer>> served) {
        requireRunning();
        Collection<StreamsMetadata> all = metadataForStore();
        Set<Integer> expected = new TreeSet<>();
        List<CompletableFuture<T>> calls = new ArrayList<>();
        Set<Integer> mine = null;
        for (StreamsMetadata m : all) {
            Set<Integer> partitions = partitionsOf(m.hostInfo(), List.of(m));
            expected.addAll(partitions);
            if (partitions.isEmpty()) {
                continue;
            }
            if (m.hostInfo().equals(self)) {
                mine = partitions;
            } else {
                String q = (query.isEmpty() ? "" : query + "&") + "partitions="
                        + partitions.stream().map(String::valueOf).collect(Collectors.joining(","));
                calls.add(fetch(m.hostInfo(), path + "?" + q, authorization).thenApply(parse));
            }
        }
        checkContiguous(expected);
        List<T> parts = new ArrayList<>();
        Set<Integer> answered = new TreeSet<>();
        if (mine != null) {
            // Our share while the peers work on theirs.
            T part = local.apply(mine);
            answered.addAll(served.apply(part));
            parts.add(part);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (CompletableFuture<T> call : calls) {
            T part;
            try {
                part = call.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Unavailable u) {
                    throw u;
                }
                throw new Unavailable("an instance did not answer");
            } catch (TimeoutException e) {
                throw new Unavailable("an instance did not answer in time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted");
            }
            answered.addAll(served.apply(part));
            parts.add(part);
        }
        if (!answered.containsAll(expected)) {
            throw new Unavailable("not every partition answered");
        }
        return parts;
    }

    private Collection<StreamsMetadata> metadataForStore() {
        Collection<StreamsMetadata> all;
        try {
            all = streams.streamsMetadataForStore(storeName);
        } catch (IllegalStateException e) {
            throw new Unavailable("query metadata not available");
        }
        if (all == null || all.isEmpty()) {
            throw new Unavailable("no instance hosts the store yet");
        }
        return all;
    }

    private static void checkContiguous(Set<Integer> partitions) {
        int expected = 0;
        for (int p : partitions) {
            if (p != expected++) {
                throw new Unavailable("some partitions have no owner");
            }
        }
        if (partitions.isEmpty()) {
            throw new Unavailable("no partition has an owner");
        }
    }

    private static Set<Integer> partitionsOf(HostInfo host, Collection<StreamsMetadata> all) {
        Set<Integer> out = new TreeSet<>();
        for (StreamsMetadata m : all) {
            if (m.hostInfo().equals(host)) {
                for (TopicPartition tp : m.topicPartitions()) {
                    out.add(tp.partition());
                }
            }
        }
        return out;
    }

    private ReadOnlyKeyValueStore<String, NamespaceCoverage> store(int partition, boolean stale) {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, NamespaceCoverage>> params =
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, NamespaceCoverage>keyValueStore())
                        .withPartition(partition);
        if (stale) {
            params = params.enableStaleStores();
        }
        return streams.store(params);
    }

    private void requireRunning() {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            throw new Unavailable("the processor is " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    // ---------------------------------------------------------------- forwarding

    private HttpRequest.Builder request(HostInfo host, String pathAndQuery, String read, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(scheme + "://" + host.host() + ":" + host.port() + pathAndQuery))
                .timeout(timeout)
                .header(FORWARDED_HEADER, read)
                .header("Accept", "application/json")
                .GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    /** Forwards a point query; null if the peer could not be reached. */
    private Reply forward(HostInfo host, String path, String read, String authorization) {
        try {
            HttpResponse<byte[]> r = http.send(request(host, path, read, authorization).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Reply reply = Reply.rawJson(r.statusCode(), r.body());
            for (String h : List.of(REPLICA_HEADER, SERVED_BY_HEADER)) {
                String v = r.headers().firstValue(h).orElse(null);
                if (v != null) {
                    reply = reply.withHeader(h, v);
                }
            }
            return reply;
        } catch (IOException e) {
            LOG.debug("peer {}:{} unreachable: {}", host.host(), host.port(), e.getClass().getSimpleName());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
    }

    private CompletableFuture<byte[]> fetch(HostInfo host, String pathAndQuery, String authorization) {
        return http.sendAsync(request(host, pathAndQuery, "active", authorization).build(),
                        HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> {
                    if (r.statusCode() != 200) {
                        throw new Unavailable("an instance answered " + r.statusCode());
                    }
                    return r.body();
                });
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * A cluster's state in {@code /api/v1/clusters}, worst first when partitions disagree:
     * UNREACHABLE (its collector cannot reach the API server) over STALE (the collector is silent)
     * over SYNCING (an epoch is open, its SYNC_END not yet applied) over WATCHING.
     */
    enum ClusterPhase {
        WATCHING, SYNCING, STALE, UNREACHABLE;

        static ClusterPhase of(ClusterLiveness l) {
            if (l.unreachable() != null) {
                return UNREACHABLE;
            }
            if (l.stale()) {
                return STALE;
            }
            return l.synced() ? WATCHING : SYNCING;
        }

        static ClusterPhase parse(String s) {
            for (ClusterPhase p : values()) {
                if (p.name().equals(s)) {
                    return p;
                }
            }
            return WATCHING;
        }

        ClusterPhase worst(ClusterPhase other) {
            return other.ordinal() > ordinal() ? other : this;
        }
    }

    /**
     * Counts, state, facts and NetworkPolicy enforcement of one cluster, mergeable across partitions
     * and instances.
     */
    static final class ClusterSummary {
        private static final String[] FACT_FIELDS = {"provider", "region", "compartment", "compartmentId", "ocid",
                "kubernetesVersion", "endpointType"};

        final String cluster;
        long namespaces;
        long compliant;
        long nonCompliant;
        long pending;
        long exempt;
        long terminating;
        long stale;
        /** COMPLIANT namespaces of a cluster that enforces NetworkPolicy (FW-NP-002): the rows' own {@code enforced}. */
        long fenced;
        /** FW-NP-003: namespaces whose pods are known, those of them NON_COMPLIANT, and their unisolated workloads. */
        long workloadNamespaces;
        long workloadNonCompliant;
        long unisolatedWorkloads;
        /** Latest record of any kind (heartbeats included), processor clock; from the cluster-state store. */
        Instant heard;
        /** Latest change of a namespace: its last event's observedAt (collector clock), else updatedAt. */
        Instant lastChange;
        ClusterPhase state = ClusterPhase.WATCHING;
        /** The facts of the partition heard from most recently among those that know any (null: none do). */
        final String[] facts = new String[FACT_FIELDS.length];
        Instant factsAt;
        /** The error and outage start of the unreachable partition heard from most recently. */
        String error;
        Instant unreachableSince;
        Instant errorAt;
        /** FW-NP-002's verdict of the partition heard from most recently among those that know it (null: none does). */
        ClusterLiveness.PolicyEnforcement enforcement;
        Instant enforcementAt;

        ClusterSummary(String cluster) {
            this.cluster = cluster;
        }

        void add(NamespaceCoverage c) {
            namespaces++;
            switch (c.getStatus()) {
                case COMPLIANT -> compliant++;
                case NON_COMPLIANT -> nonCompliant++;
                case PENDING -> pending++;
                case EXEMPT -> exempt++;
                case TERMINATING -> terminating++;
                default -> { }
            }
            if (JsonViews.fenced(c)) {
                fenced++;
            }
            if (c.getWorkloadStatus() != null) {
                workloadNamespaces++;
                if (c.getWorkloadStatus() == io.fencewatch.schema.common.Status.NON_COMPLIANT) {
                    workloadNonCompliant++;
                }
                unisolatedWorkloads += c.getUnisolatedWorkloadCount();
            }
            if (c.getStale()) {
                stale++;
                // A stale row is never current, whatever a partition's cluster state says.
                state = state.worst(ClusterPhase.STALE);
            }
            lastChange = latest(lastChange, c.getLastEvent() != null ? c.getLastEvent().getObservedAt() : c.getUpdatedAt());
        }

        void heard(ClusterLiveness l) {
            Instant at = Instant.ofEpochMilli(l.lastSeen());
            heard = latest(heard, at);
            state = state.worst(ClusterPhase.of(l));
            if (l.provider() != null) {
                facts(new String[] {l.provider(), l.region(), l.compartment(), l.compartmentId(), l.ocid(),
                        l.kubernetesVersion(), l.endpointType()}, at);
            }
            if (l.unreachable() != null) {
                error(l.unreachable(), Instant.ofEpochMilli(l.unreachableSince()), at);
            }
            ClusterLiveness.PolicyEnforcement e = l.enforcement();
            if (e != null) {
                enforcement(e, at);
            }
        }

        private void enforcement(ClusterLiveness.PolicyEnforcement e, Instant at) {
            if (enforcementAt == null || at.isAfter(enforcementAt)) {
                enforcement = e;
                enforcementAt = at;
            }
        }

        /** The verdict shown: {@link ClusterLiveness.PolicyEnforcement#NOT_REPORTED} when no partition knows it. */
        ClusterLiveness.PolicyEnforcement enforcement() {
            return enforcement == null ? ClusterLiveness.PolicyEnforcement.NOT_REPORTED : enforcement;
        }

        /** Namespaces FW-NP-001 judges (compliant, non-compliant, pending): neither exempt nor terminating. */
        long userNamespaces() {
            return compliant + nonCompliant + pending;
        }

        private void facts(String[] values, Instant at) {
            if (factsAt == null || at.isAfter(factsAt)) {
                System.arraycopy(values, 0, facts, 0, facts.length);
                factsAt = at;
            }
        }

        private void error(String text, Instant since, Instant at) {
            if (errorAt == null || at.isAfter(errorAt)) {
                error = text;
                unreachableSince = since;
                errorAt = at;
            }
        }

        /** Any record counts: a heartbeat, or a change. */
        Instant lastSeen() {
            return latest(heard, lastChange);
        }

        private static Instant latest(Instant a, Instant b) {
            if (a == null) {
                return b;
            }
            return b == null || a.isAfter(b) ? a : b;
        }

        /** Adds a peer's summary (written with {@code toJson(true)}). */
        void merge(JsonNode j) {
            namespaces += j.path("namespaces").asLong();
            compliant += j.path("compliant").asLong();
            nonCompliant += j.path("nonCompliant").asLong();
            pending += j.path("pending").asLong();
            exempt += j.path("exempt").asLong();
            terminating += j.path("terminating").asLong();
            stale += j.path("stale").asLong();
            fenced += j.path("fenced").asLong();
            JsonNode w = j.path("workloads");
            if (w.isObject()) {
                workloadNamespaces += w.path("namespaces").asLong();
                workloadNonCompliant += w.path("nonCompliant").asLong();
                unisolatedWorkloads += w.path("unisolatedWorkloads").asLong();
            }
            if (j.hasNonNull("lastSeen")) {
                heard = latest(heard, Instant.parse(j.get("lastSeen").asText()));
            }
            if (j.hasNonNull("lastChange")) {
                lastChange = latest(lastChange, Instant.parse(j.get("lastChange").asText()));
            }
            state = state.worst(ClusterPhase.parse(j.path("state").asText()));
            if (j.hasNonNull("factsAt")) {
                String[] values = new String[FACT_FIELDS.length];
                for (int i = 0; i < values.length; i++) {
                    values[i] = j.hasNonNull(FACT_FIELDS[i]) ? j.get(FACT_FIELDS[i]).asText() : null;
                }
                facts(values, Instant.parse(j.get("factsAt").asText()));
            }
            if (j.hasNonNull("errorAt") && j.hasNonNull("error")) {
                error(j.get("error").asText(), j.hasNonNull("unreachableSince")
                        ? Instant.parse(j.get("unreachableSince").asText()) : null, Instant.parse(j.get("errorAt").asText()));
            }
            if (j.hasNonNull("enforcementAt") && j.path("enforcement").isObject()) {
                enforcement(parseEnforcement(j.get("enforcement")), Instant.parse(j.get("enforcementAt").asText()));
            }
        }

        private static ClusterLiveness.PolicyEnforcement parseEnforcement(JsonNode e) {
            List<ClusterLiveness.PolicyEngine> engines = new ArrayList<>();
            for (JsonNode x : e.path("engines")) {
                engines.add(new ClusterLiveness.PolicyEngine(text(x, "name"), text(x, "version"), text(x, "namespace"),
                        text(x, "workload"), x.hasNonNull("desired") ? x.get("desired").asInt() : null,
                        x.hasNonNull("ready") ? x.get("ready").asInt() : null));
            }
            return new ClusterLiveness.PolicyEnforcement(text(e, "state"), engines, text(e, "reason"));
        }

        private static String text(JsonNode j, String field) {
            return j.hasNonNull(field) ? j.get(field).asText() : null;
        }

        private static ObjectNode enforcementJson(ClusterLiveness.PolicyEnforcement e) {
            ObjectNode o = NODES.objectNode();
            o.put("state", e.state());
            ArrayNode engines = o.putArray("engines");
            for (ClusterLiveness.PolicyEngine x : e.engines()) {
                ObjectNode n = engines.addObject();
                n.put("name", x.name());
                n.put("version", x.version());
                n.put("namespace", x.namespace());
                n.put("workload", x.workload());
                n.put("desired", x.desired());
                n.put("ready", x.ready());
            }
            o.put("reason", e.reason());
            return o;
        }

        /** The public object; {@code internal} adds when the facts and the error were heard, for a peer's merge. */
        ObjectNode toJson(boolean internal) {
            ObjectNode o = NODES.objectNode();
            o.put("cluster", cluster);
            o.put("namespaces", namespaces);
            o.put("compliant", compliant);
            o.put("nonCompliant", nonCompliant);
            o.put("pending", pending);
            o.put("exempt", exempt);
            o.put("terminating", terminating);
            o.put("stale", stale);
            o.put("lastSeen", JsonViews.time(lastSeen()));
            o.put("lastChange", JsonViews.time(lastChange));
            for (int i = 0; i < FACT_FIELDS.length; i++) {
                o.put(FACT_FIELDS[i], facts[i]);
            }
            if (factsAt == null || facts[0] == null) {
                o.put("provider", "kubernetes");
            }
            o.put("state", state.name());
            boolean unreachable = state == ClusterPhase.UNREACHABLE && error != null;
            o.put("error", unreachable ? error : null);
            o.put("unreachableSince", unreachable ? JsonViews.time(unreachableSince) : null);
            o.set("enforcement", enforcementJson(enforcement()));
            o.put("fenced", fenced);
            long users = userNamespaces();
            if (users == 0) {
                o.putNull("fencedShare");
            } else {
                o.put("fencedShare", (double) fenced / users);
            }
            if (workloadNamespaces == 0) {
                o.putNull("workloads"); // pods not watched in this cluster (FW-NP-003 unknown)
            } else {
                ObjectNode w = o.putObject("workloads");
                w.put("namespaces", workloadNamespaces);
                w.put("nonCompliant", workloadNonCompliant);
                w.put("unisolatedWorkloads", unisolatedWorkloads);
            }
            if (internal) {
                o.put("factsAt", JsonViews.time(factsAt));
                o.put("errorAt", JsonViews.time(errorAt));
                o.put("enforcementAt", JsonViews.time(enforcementAt));
            }
            return o;
        }
    }
}
