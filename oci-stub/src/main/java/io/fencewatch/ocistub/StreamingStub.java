package io.fencewatch.ocistub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A strict local stand-in of the OCI Streaming API (version 20180418), written from Oracle's API
 * reference: GetStream, PutMessages, CreateCursor, CreateGroupCursor, GetMessages, ConsumerCommit and
 * ConsumerHeartbeat, on one HTTP server (real OCI serves GetStream on the admin endpoint and the rest
 * on the stream's messages endpoint). It is <b>not OCI</b>: it exists because no OCI is reachable from
 * the tests, and it is as strict as the reference where Fencewatch depends on it:
 *
 * <ul>
 *   <li>every request signed ({@link RequestSignatureVerifier}): unsigned, forged or stale-date requests
 *       get 401 NotAuthenticated;</li>
 *   <li>keys and values base64 in JSON; a value ≤ 1 MiB, a key ≤ 256 bytes, a PutMessages request ≤ 1 MiB
 *       counting keys and values: otherwise 400 for the whole request;</li>
 *   <li>a message's partition chosen from a hash of its key (not Kafka's murmur2), so one key keeps
 *       its order and different keys spread;</li>
 *   <li>per-entry results inside a 200: throttled entries carry error {@code "429"} and
 *       "... next request can be made in N ms", from a configurable byte rate or injected;</li>
 *   <li>cursors expire after five minutes (configurable); group cursors assign partitions among the
 *       live instances of a group, resume from the group's committed offsets, and an instance that
 *       neither reads nor heartbeats within its timeout loses its partitions;</li>
 *   <li>GetMessages returns at most {@code limit} (≤ 10,000) messages and about 1 MiB per call.</li>
 * </ul>
 *
 * Faults: {@link #faults()} (dropped connections, 5xx, HTTP 429, slow answers), {@link #throttleEntries},
 * {@link #failEntries}, {@link #holdPartition} (a partition that lags behind).
 */
public final class StreamingStub extends OciStubServer {
    public static final int MAX_MESSAGE_BYTES = 1024 * 1024;
    public static final int MAX_REQUEST_BYTES = 1024 * 1024;
    public static final int MAX_KEY_BYTES = 256;
    public static final int MAX_GET_LIMIT = 10_000;
    public static final int MAX_GET_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_CURSOR_TTL = Duration.ofMinutes(5);
    private static final String API = "/20180418";
    private static final DateTimeFormatter TS = DateTimeFormatter.ISO_INSTANT;

    /** One stored message. */
    public record StoredMessage(int partition, long offset, byte[] key, byte[] value, Instant timestamp) {
        public String keyString() {
            return key == null ? null : new String(key, StandardCharsets.UTF_8);
        }
    }

    private static final class StreamState {
        final String id;
        final String name;
        final List<List<StoredMessage>> partitions = new ArrayList<>();
        final Map<String, Group> groups = new HashMap<>();
        final Map<Integer, Integer> heldAt = new HashMap<>();
        long windowStartMillis;
        long windowBytes;

        StreamState(String id, String name, int partitions) {
            this.id = id;
            this.name = name;
            for (int i = 0; i < partitions; i++) {
                this.partitions.add(new ArrayList<>());
            }
        }
    }

    private static final class Group {
        final Map<Integer, Long> committed = new HashMap<>();
        final Map<Integer, Long> initial = new HashMap<>();
        final Map<String, Long> lastSeen = new HashMap<>();
        final Map<String, Integer> timeouts = new HashMap<>();
    }

    private record CursorState(String streamId, Integer partition, long offset, String group, String instance,
            Map<Integer, Long> positions, boolean commitOnGet, Instant issued) {
    }

    private final Map<String, StreamState> streams = new ConcurrentHashMap<>();
    private final Map<String, CursorState> cursors = new ConcurrentHashMap<>();
    private volatile Duration cursorTtl = DEFAULT_CURSOR_TTL;
    private volatile long bytesPerSecond = Long.MAX_VALUE;
    private volatile double throttleEntryFraction;
    private volatile double throttleRequestFraction;
    private volatile long throttleHintMillis = -1;
    private final Random random = new Random(14);
    private final AtomicInteger failEntries = new AtomicInteger();
    private final AtomicLong throttledEntries = new AtomicLong();
    private final AtomicLong putRequests = new AtomicLong();

    public StreamingStub(Clock clock) throws IOException {
        super(clock);
        route("GET", API + "/streams/([^/]+)", "GetStream", this::getStream);
        // The SDK signs PutMessages without the body headers (SigningStrategy.EXCLUDE_BODY), as OCI allows.
        routeExcludingBodyFromSignature("POST", API + "/streams/([^/]+)/messages", "PutMessages", this::putMessages);
        route("GET", API + "/streams/([^/]+)/messages", "GetMessages", this::getMessages);
        route("POST", API + "/streams/([^/]+)/cursors", "CreateCursor", this::createCursor);
        route("POST", API + "/streams/([^/]+)/groupCursors", "CreateGroupCursor", this::createGroupCursor);
        route("POST", API + "/streams/([^/]+)/commit", "ConsumerCommit", this::commit);
        route("POST", API + "/streams/([^/]+)/heartbeat", "ConsumerHeartbeat", this::heartbeat);
    }

    public static StreamingStub start(Clock clock) throws IOException {
        StreamingStub stub = new StreamingStub(clock);
        stub.start();
        return stub;
    }

    /** Creates a stream and returns its OCID. */
    public String createStream(String name, int partitions) {
        String id = "ocid1.stream.oc1.eu-frankfurt-1.standin" + UUID.randomUUID().toString().replace("-", "");
        streams.put(id, new StreamState(id, name, partitions));
        return id;
    }

    // ------------------------------------------------------------------ test controls and views

    public void cursorTtl(Duration ttl) {
        this.cursorTtl = ttl;
    }

    /** Entries beyond this many bytes per second (keys + values, per stream) come back throttled. */
    public void bytesPerSecond(long rate) {
        this.bytesPerSecond = rate;
    }

    /** Each entry of a PutMessages is throttled with this probability (seeded: runs repeat). */
    public void throttleEntries(double fraction) {
        this.throttleEntryFraction = fraction;
    }

    /**
     * This fraction of PutMessages requests runs out of budget part-way: from a random entry on, every
     * entry comes back throttled, as when the byte limit is exhausted within a request.
     */
    public void throttleRequests(double fraction) {
        this.throttleRequestFraction = fraction;
    }

    /** The "next request can be made in N ms" of injected throttling (default: the rest of the 1 s window). */
    public void throttleHint(Duration hint) {
        this.throttleHintMillis = hint.toMillis();
    }

    /** The next {@code n} entries fail with error "500" inside a 200 answer. */
    public void failEntries(int n) {
        failEntries.addAndGet(n);
    }

    /** GetMessages stops returning messages of {@code partition} appended from now on (a lagging partition). */
    public synchronized void holdPartition(String streamId, int partition) {
        StreamState s = stream(streamId);
        s.heldAt.put(partition, s.partitions.get(partition).size());
    }

    public synchronized void releasePartition(String streamId, int partition) {
        stream(streamId).heldAt.remove(partition);
    }

    public long throttledEntries() {
        return throttledEntries.get();
    }

    public long putRequests() {
        return putRequests.get();
    }

    /** Everything appended to a partition, in order. */
    public synchronized List<StoredMessage> messages(String streamId, int partition) {
        return List.copyOf(stream(streamId).partitions.get(partition));
    }

    /** Everything appended, all partitions. */
    public synchronized List<StoredMessage> allMessages(String streamId) {
        List<StoredMessage> all = new ArrayList<>();
        stream(streamId).partitions.forEach(all::addAll);
        return all;
    }

    /** The group's committed offset (next offset to read) of a partition, or null. */
    public synchronized Long committed(String streamId, String group, int partition) {
        Group g = stream(streamId).groups.get(group);
        return g == null ? null : g.committed.get(partition);
    }

    /** The partition a key goes to: a SHA-256 of the key bytes, unlike Kafka's murmur2. */
    public static int partitionOf(byte[] key, int partitions) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key);
            int v = ((h[0] & 0xff) << 24) | ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
            return Math.floorMod(v, partitions);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ operations

    private StreamState stream(String id) {
        StreamState s = streams.get(id);
        if (s == null) {
            throw OciError.notFound("stream " + id);
        }
        return s;
    }

    private Response getStream(Request r) {
        StreamState s = stream(r.pathParam(1));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", s.id);
        body.put("name", s.name);
        body.put("partitions", s.partitions.size());
        body.put("retentionInHours", 24);
        body.put("compartmentId", "ocid1.compartment.oc1..standin");
        body.put("streamPoolId", "ocid1.streampool.oc1.eu-frankfurt-1.standin");
        body.put("lifecycleState", "ACTIVE");
        body.put("timeCreated", TS.format(Instant.EPOCH.plusSeconds(1_700_000_000)));
        body.put("messagesEndpoint", endpoint());
        body.put("freeformTags", Map.of());
        body.put("definedTags", Map.of());
        return Response.ok(body);
    }

    private Response putMessages(Request r) throws IOException {
        putRequests.incrementAndGet();
        JsonNode root = parse(r.body());
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OciError.invalidParameter("messages must be a non-empty array");
        }
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        long total = 0;
        for (JsonNode m : messages) {
            byte[] key = m.hasNonNull("key") ? decode(m.get("key"), "key") : null;
            if (!m.hasNonNull("value")) {
                throw OciError.invalidParameter("each message needs a value");
            }
            byte[] value = decode(m.get("value"), "value");
            if (key != null && key.length > MAX_KEY_BYTES) {
                throw OciError.invalidParameter("a message key is " + key.length + " bytes; the limit is " + MAX_KEY_BYTES);
            }
            if (value.length > MAX_MESSAGE_BYTES) {
                throw OciError.limitExceeded("a message is " + value.length + " bytes; the limit is 1 MB");
            }
            total += value.length + (key == null ? 0 : key.length);
            keys.add(key);
            values.add(value);
        }
        if (total > MAX_REQUEST_BYTES) {
            throw OciError.limitExceeded("the request holds " + total + " bytes of keys and values; the limit is 1 MB");
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        int failures = 0;
        synchronized (this) {
            StreamState s = stream(r.pathParam(1));
            long nowMs = clock.millis();
            if (nowMs - s.windowStartMillis >= 1000) {
                s.windowStartMillis = nowMs;
                s.windowBytes = 0;
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            int exhaustedFrom = throttleRequestFraction > 0 && random.nextDouble() < throttleRequestFraction
                    ? random.nextInt(keys.size()) : Integer.MAX_VALUE;
            for (int i = 0; i < keys.size(); i++) {
                byte[] key = keys.get(i);
                byte[] value = values.get(i);
                long size = value.length + (key == null ? 0 : key.length);
                Map<String, Object> e = new LinkedHashMap<>();
                if (take(failEntries)) {
                    e.put("error", "500");
                    e.put("errorMessage", "Internal error while appending the message (injected by the stand-in)");
                    failures++;
                } else if (s.windowBytes + size > bytesPerSecond || i >= exhaustedFrom
                        || throttleEntryFraction > 0 && random.nextDouble() < throttleEntryFraction) {
                    boolean injected = s.windowBytes + size <= bytesPerSecond;
                    long waitMs = injected && throttleHintMillis >= 0 ? throttleHintMillis
                            : Math.max(1, 1000 - (nowMs - s.windowStartMillis));
                    e.put("error", "429");
                    e.put("errorMessage", "Request was throttled because bytes limit exhausted, next request can be made in "
                            + waitMs + " ms");
                    throttledEntries.incrementAndGet();
                    failures++;
                } else {
                    int p = key == null ? random.nextInt(s.partitions.size()) : partitionOf(key, s.partitions.size());
                    List<StoredMessage> part = s.partitions.get(p);
                    StoredMessage sm = new StoredMessage(p, part.size(), key, value, now);
                    part.add(sm);
                    s.windowBytes += size;
                    e.put("partition", Integer.toString(p));
                    e.put("offset", sm.offset());
                    e.put("timestamp", TS.format(now));
                }
                entries.add(e);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("failures", failures);
        body.put("entries", entries);
        return Response.ok(body);
    }

    private Response createCursor(Request r) throws IOException {
        JsonNode d = parse(r.body());
        StreamState s = stream(r.pathParam(1));
        String partitionText = text(d, "partition");
        int partition;
        try {
            partition = Integer.parseInt(partitionText);
        } catch (NumberFormatException e) {
            throw OciError.invalidParameter("partition must be a partition id");
        }
        if (partition < 0 || partition >= s.partitions.size()) {
            throw OciError.invalidParameter("partition " + partitionText + " does not exist");
        }
        String type = text(d, "type");
        long offset;
        synchronized (this) {
            int size = s.partitions.get(partition).size();
            offset = switch (type) {
                case "TRIM_HORIZON" -> 0;
                case "LATEST" -> size;
                case "AT_OFFSET" -> offsetOf(d);
                case "AFTER_OFFSET" -> offsetOf(d) + 1;
                case "AT_TIME" -> firstAtOrAfter(s.partitions.get(partition), instantOf(d));
                default -> throw OciError.invalidParameter("unknown cursor type " + type);
            };
        }
        return Response.ok(Map.of("value", newCursor(new CursorState(s.id, partition, offset, null, null, Map.of(), false,
                clock.instant()))));
    }

    private Response createGroupCursor(Request r) throws IOException {
        JsonNode d = parse(r.body());
        StreamState s = stream(r.pathParam(1));
        String groupName = text(d, "groupName");
        String type = text(d, "type");
        String instance = d.hasNonNull("instanceName") ? d.get("instanceName").asText() : "instance-" + UUID.randomUUID();
        int timeout = d.hasNonNull("timeoutInMs") ? d.get("timeoutInMs").asInt() : 30_000;
        boolean commitOnGet = !d.has("commitOnGet") || d.get("commitOnGet").asBoolean(true);
        synchronized (this) {
            Group g = s.groups.get(groupName);
            if (g == null) {
                g = new Group();
                for (int p = 0; p < s.partitions.size(); p++) {
                    List<StoredMessage> part = s.partitions.get(p);
                    long start = switch (type) {
                        case "TRIM_HORIZON" -> 0;
                        case "LATEST" -> part.size();
                        case "AT_TIME" -> firstAtOrAfter(part, instantOf(d));
                        default -> throw OciError.invalidParameter("unknown group cursor type " + type);
                    };
                    g.initial.put(p, start);
                }
                s.groups.put(groupName, g);
            }
            g.lastSeen.put(instance, clock.millis());
            g.timeouts.put(instance, timeout);
            return Response.ok(Map.of("value", newCursor(new CursorState(s.id, null, 0, groupName, instance,
                    positionsFor(s, g, instance, Map.of()), commitOnGet, clock.instant()))));
        }
    }

    private Response getMessages(Request r) {
        StreamState s = stream(r.pathParam(1));
        CursorState c = cursor(r.query().get("cursor"), s);
        int limit = MAX_GET_LIMIT;
        if (r.query().containsKey("limit")) {
            try {
                limit = Integer.parseInt(r.query().get("limit"));
            } catch (NumberFormatException e) {
                throw OciError.invalidParameter("limit must be a number");
            }
            if (limit < 1 || limit > MAX_GET_LIMIT) {
                throw OciError.invalidParameter("limit must be between 1 and " + MAX_GET_LIMIT);
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        CursorState next;
        synchronized (this) {
            long bytes = 0;
            if (c.group() == null) {
                long offset = c.offset();
                List<StoredMessage> part = s.partitions.get(c.partition());
                int visible = visible(s, c.partition());
                while (offset < visible && out.size() < limit && bytes < MAX_GET_BYTES) {
                    StoredMessage m = part.get((int) offset++);
                    bytes += size(m);
                    out.add(json(s, m));
                }
                next = new CursorState(s.id, c.partition(), offset, null, null, Map.of(), false, clock.instant());
            } else {
                Group g = s.groups.get(c.group());
                if (c.commitOnGet()) {
                    commitPositions(s, g, c);
                }
                g.lastSeen.put(c.instance(), clock.millis());
                Map<Integer, Long> positions = new TreeMap<>(positionsFor(s, g, c.instance(), c.positions()));
                boolean progress = true;
                // Round-robin over the assigned partitions, a few messages at a time, so none starves.
                while (progress && out.size() < limit && bytes < MAX_GET_BYTES) {
                    progress = false;
                    for (Map.Entry<Integer, Long> e : positions.entrySet()) {
                        int p = e.getKey();
                        List<StoredMessage> part = s.partitions.get(p);
                        int visible = visible(s, p);
                        for (int k = 0; k < 50 && e.getValue() < visible && out.size() < limit && bytes < MAX_GET_BYTES; k++) {
                            StoredMessage m = part.get((int) (long) e.getValue());
                            e.setValue(e.getValue() + 1);
                            bytes += size(m);
                            out.add(json(s, m));
                            progress = true;
                        }
                    }
                }
                next = new CursorState(s.id, null, 0, c.group(), c.instance(), Map.copyOf(positions), c.commitOnGet(),
                        clock.instant());
            }
        }
        return new Response(200, out, Map.of("opc-next-cursor", newCursor(next)));
    }

    private Response commit(Request r) {
        StreamState s = stream(r.pathParam(1));
        CursorState c = cursor(r.query().get("cursor"), s);
        if (c.group() == null) {
            throw OciError.invalidParameter("ConsumerCommit needs a group cursor");
        }
        synchronized (this) {
            Group g = s.groups.get(c.group());
            g.lastSeen.put(c.instance(), clock.millis());
            commitPositions(s, g, c);
            return Response.ok(Map.of("value", newCursor(new CursorState(s.id, null, 0, c.group(), c.instance(),
                    positionsFor(s, g, c.instance(), c.positions()), c.commitOnGet(), clock.instant()))));
        }
    }

    private Response heartbeat(Request r) {
        StreamState s = stream(r.pathParam(1));
        CursorState c = cursor(r.query().get("cursor"), s);
        if (c.group() == null) {
            throw OciError.invalidParameter("ConsumerHeartbeat needs a group cursor");
        }
        synchronized (this) {
            Group g = s.groups.get(c.group());
            g.lastSeen.put(c.instance(), clock.millis());
            return Response.ok(Map.of("value", newCursor(new CursorState(s.id, null, 0, c.group(), c.instance(),
                    positionsFor(s, g, c.instance(), c.positions()), c.commitOnGet(), clock.instant()))));
        }
    }

    // ------------------------------------------------------------------ helpers

    private void commitPositions(StreamState s, Group g, CursorState c) {
        Set<Integer> assigned = assigned(s, g, c.instance());
        c.positions().forEach((p, off) -> {
            if (assigned.contains(p)) {
                g.committed.put(p, off);
            }
        });
    }

    /** Partitions of the stream assigned to {@code instance}: round-robin over the live instances, by name. */
    private Set<Integer> assigned(StreamState s, Group g, String instance) {
        long now = clock.millis();
        TreeSet<String> live = new TreeSet<>();
        g.lastSeen.forEach((i, seen) -> {
            if (now - seen <= g.timeouts.getOrDefault(i, 30_000)) {
                live.add(i);
            }
        });
        live.add(instance);
        List<String> order = new ArrayList<>(live);
        Set<Integer> mine = new TreeSet<>();
        for (int p = 0; p < s.partitions.size(); p++) {
            if (order.get(p % order.size()).equals(instance)) {
                mine.add(p);
            }
        }
        return mine;
    }

    /** Read positions for the partitions assigned now: the cursor's, else the group's committed, else its start. */
    private Map<Integer, Long> positionsFor(StreamState s, Group g, String instance, Map<Integer, Long> fromCursor) {
        Map<Integer, Long> out = new TreeMap<>();
        for (int p : assigned(s, g, instance)) {
            Long pos = fromCursor.get(p);
            if (pos == null) {
                pos = g.committed.getOrDefault(p, g.initial.getOrDefault(p, 0L));
            }
            out.put(p, pos);
        }
        return out;
    }

    private int visible(StreamState s, int partition) {
        Integer held = s.heldAt.get(partition);
        int size = s.partitions.get(partition).size();
        return held == null ? size : Math.min(held, size);
    }

    private CursorState cursor(String token, StreamState s) {
        if (token == null || token.isEmpty()) {
            throw OciError.invalidParameter("cursor is required");
        }
        CursorState c = cursors.get(token);
        if (c == null || !c.streamId().equals(s.id)) {
            throw OciError.invalidParameter("The cursor is not valid for this stream");
        }
        if (Duration.between(c.issued(), clock.instant()).compareTo(cursorTtl) > 0) {
            cursors.remove(token);
            throw OciError.invalidParameter("The cursor has expired (cursors are valid for 5 minutes)");
        }
        return c;
    }

    private String newCursor(CursorState c) {
        String token = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));
        cursors.put(token, c);
        // Expired cursors would pile up in a long test: drop them now and then.
        if (cursors.size() > 100_000) {
            Instant limit = clock.instant().minus(cursorTtl);
            cursors.values().removeIf(x -> x.issued().isBefore(limit));
        }
        return token;
    }

    private static Map<String, Object> json(StreamState s, StoredMessage m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("stream", s.name);
        j.put("partition", Integer.toString(m.partition()));
        j.put("key", m.key() == null ? null : Base64.getEncoder().encodeToString(m.key()));
        j.put("value", Base64.getEncoder().encodeToString(m.value()));
        j.put("offset", m.offset());
        j.put("timestamp", TS.format(m.timestamp()));
        return j;
    }

    private static long size(StoredMessage m) {
        return m.value().length + (m.key() == null ? 0 : m.key().length);
    }

    private static long firstAtOrAfter(List<StoredMessage> part, Instant t) {
        for (StoredMessage m : part) {
            if (!m.timestamp().isBefore(t)) {
                return m.offset();
            }
        }
        return part.size();
    }

    private static long offsetOf(JsonNode d) {
        if (!d.hasNonNull("offset")) {
            throw OciError.invalidParameter("offset is required for this cursor type");
        }
        return d.get("offset").asLong();
    }

    private static Instant instantOf(JsonNode d) {
        try {
            return Instant.parse(text(d, "time"));
        } catch (java.time.format.DateTimeParseException e) {
            throw OciError.invalidParameter("time is not an RFC 3339 timestamp");
        }
    }

    private static String text(JsonNode d, String field) {
        JsonNode n = d.get(field);
        if (n == null || n.isNull() || n.asText().isEmpty()) {
            throw OciError.invalidParameter(field + " is required");
        }
        return n.asText();
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw OciError.invalidParameter("the body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw OciError.invalidParameter("the body is not JSON");
        }
    }

    private static byte[] decode(JsonNode n, String field) {
        try {
            return Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            throw OciError.invalidParameter("a message " + field + " is not base64");
        }
    }

    private static boolean take(AtomicInteger counter) {
        while (true) {
            int n = counter.get();
            if (n <= 0) {
                return false;
            }
            if (counter.compareAndSet(n, n - 1)) {
                return true;
            }
        }
    }
}
