package io.fencewatch.collector.publish.oci;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.oracle.bmc.model.BmcException;
import com.oracle.bmc.streaming.StreamClient;
import com.oracle.bmc.streaming.model.PutMessagesDetails;
import com.oracle.bmc.streaming.model.PutMessagesDetailsEntry;
import com.oracle.bmc.streaming.model.PutMessagesResult;
import com.oracle.bmc.streaming.model.PutMessagesResultEntry;
import com.oracle.bmc.streaming.requests.PutMessagesRequest;

import io.fencewatch.collector.publish.InventorySink;
import io.fencewatch.schema.inventory.InventoryEvent;

/**
 * Delivers the publisher's records to an OCI stream with PutMessages (the OCI Java SDK signs them).
 *
 * <p>OCI picks the partition from the key, so this sink reports a single logical partition: the
 * publisher then sends each marker once, keyed {@code <cluster>/*}, and the oci-bridge fans it out.
 * Records wait in a bounded buffer (bytes); when it is full, {@link #send} blocks up to
 * {@code maxBlock} and throws Kafka's {@link TimeoutException}, which the publisher answers by retrying
 * the same record (the backpressure of the Kafka path). One request is in flight at a time, holding
 * as many records as fit OCI's limits (1 MB per request counting keys and values).
 *
 * <p>A throttled or failed entry comes back inside a 200. It is retried, with backoff that honours
 * "next request can be made in N ms", together with every later entry of the same key in that request
 * (even those that were appended), so a key's last state in the stream is always its latest event:
 * the key's failed suffix is resent in order. A whole request that fails (429, 5xx, a dropped
 * connection) is resent after backoff. A record not delivered within {@code deliveryTimeout} fails
 * its callback, and the publisher opens a new epoch; a request OCI refuses as invalid (400) fails its
 * records at once. Callbacks run on the sender thread, in order per key.
 */
public final class OciStreamingSink implements InventorySink {
    private static final Logger LOG = LoggerFactory.getLogger(OciStreamingSink.class);
    /** OCI's limits: a message and a request of at most 1 MB (keys and values counted), keys of at most 256 bytes. */
    public static final int MAX_MESSAGE_BYTES = 1024 * 1024;
    public static final int MAX_REQUEST_BYTES = 1024 * 1024;
    public static final int MAX_KEY_BYTES = 256;
    private static final Pattern HINT = Pattern.compile("next request can be made in (\\d+) ms");
    private static final Duration BACKOFF_MIN = Duration.ofMillis(50);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(5);

    private static final class Pending {
        final ProducerRecord<String, InventoryEvent> record;
        final byte[] key;
        final byte[] value;
        final Callback callback;
        final CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        final long takenNanos = System.nanoTime();

        Pending(ProducerRecord<String, InventoryEvent> record, byte[] key, byte[] value, Callback callback) {
            this.record = record;
            this.key = key;
            this.value = value;
            this.callback = callback;
        }

        long size() {
            return key.length + value.length;
        }
    }

    private final StreamClient client;
    private final String streamId;
    private final String where;
    private final Serializer<InventoryEvent> serializer;
    private final long maxBufferedBytes;
    private final int maxRequestBytes;
    private final int maxRequestEntries;
    private final Duration maxBlock;
    private final Duration deliveryTimeout;
    private final Thread sender;

    private final Object lock = new Object();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private long bufferedBytes;
    private int inFlight;
    private volatile boolean closing;
    private volatile boolean stopped;

    private final LongAdder sent = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder requestFailures = new LongAdder();
    private final LongAdder requests = new LongAdder();

    /**
     * @param where a name for logs (the cluster id); never the stream's credentials
     */
    public OciStreamingSink(StreamClient client, String streamId, String where, Serializer<InventoryEvent> serializer,
            long maxBufferedBytes, int maxRequestBytes, int maxRequestEntries, Duration maxBlock, Duration deliveryTimeout) {
        this.client = Objects.requireNonNull(client);
        this.streamId = Objects.requireNonNull(streamId);
        this.where = Objects.requireNonNull(where);
        this.serializer = Objects.requireNonNull(serializer);
        this.maxBufferedBytes = maxBufferedBytes;
        this.maxRequestBytes = Math.min(maxRequestBytes, MAX_REQUEST_BYTES);
        this.maxRequestEntries = maxRequestEntries;
        this.maxBlock = maxBlock;
        this.deliveryTimeout = deliveryTimeout;
        this.sender = new Thread(this::run, "fencewatch-oci-sender-" + where);
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /** The defaults: 32 MiB buffered, full 1 MB requests of up to 1,000 entries, 10 s block, 5 min delivery. */
    public static OciStreamingSink withDefaults(StreamClient client, String streamId, String where,
            Serializer<InventoryEvent> serializer) {
        return new OciStreamingSink(client, streamId, where, serializer, 32L * 1024 * 1024, MAX_REQUEST_BYTES, 1000,
                Duration.ofSeconds(10), Duration.ofMinutes(5));
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        // OCI partitions by key: to the publisher the stream is one partition (markers go once).
        return List.of(new PartitionInfo(topic, 0, null, null, null));
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<String, InventoryEvent> record, Callback callback) {
        if (closing) {
            throw new KafkaException("OCI sink is closed");
        }
        byte[] key = record.key().getBytes(StandardCharsets.UTF_8);
        byte[] value = serializer.serialize(record.topic(), record.value());
        Pending p = new Pending(record, key, value, callback);
        if (key.length > MAX_KEY_BYTES || value.length > MAX_MESSAGE_BYTES || p.size() > maxRequestBytes) {
            RecordTooLargeException e = new RecordTooLargeException("key " + key.length + " bytes (limit " + MAX_KEY_BYTES
                    + "), value " + value.length + " bytes (limit " + MAX_MESSAGE_BYTES + ")");
            complete(p, null, e);
            return p.future;
        }
        long deadline = System.nanoTime() + maxBlock.toNanos();
        synchronized (lock) {
            while (bufferedBytes + p.size() > maxBufferedBytes && !queue.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("OCI sink buffer full (" + bufferedBytes + " bytes) for " + maxBlock.toMillis()
                            + " ms: OCI is not taking messages");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new org.apache.kafka.common.errors.InterruptException(e);
                }
            }
            queue.addLast(p);
            bufferedBytes += p.size();
            lock.notifyAll();
        }
        return p.future;
    }

    @Override
    public void flush() {
        synchronized (lock) {
            while ((!queue.isEmpty() || inFlight > 0) && !stopped) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new org.apache.kafka.common.errors.InterruptException(e);
                }
            }
        }
    }

    @Override
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        closing = true;
        synchronized (lock) {
            while ((!queue.isEmpty() || inFlight > 0) && System.nanoTime() < deadline && !stopped) {
                try {
                    lock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopped = true;
            lock.notifyAll();
        }
        sender.interrupt();
        try {
            sender.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> left;
        synchronized (lock) {
            left = new ArrayList<>(queue);
            queue.clear();
            bufferedBytes = 0;
        }
        for (Pending p : left) {
            complete(p, null, new KafkaException("OCI sink closed before the message was delivered"));
        }
        client.close();
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("oci_messages_sent_total", sent.sum());
        m.put("oci_bytes_sent_total", bytes.sum());
        m.put("oci_throttled_total", throttled.sum());
        m.put("oci_retried_total", retried.sum());
        m.put("oci_request_failures_total", requestFailures.sum());
        m.put("oci_requests_total", requests.sum());
        return m;
    }

    // ------------------------------------------------------------------ sender thread

    private void run() {
        Duration backoff = BACKOFF_MIN;
        long lastLog = 0;
        while (!stopped) {
            List<Pending> batch = nextBatch();
            if (batch.isEmpty()) {
                continue;
            }
            long waitMs = 0;
            try {
                PutMessagesResult result = put(batch);
                List<Pending> retry = new ArrayList<>();
                Set<String> failedKeys = new HashSet<>();
                List<PutMessagesResultEntry> entries = result.getEntries();
                String firstError = null;
                for (int i = 0; i < batch.size(); i++) {
                    Pending p = batch.get(i);
                    PutMessagesResultEntry e = i < entries.size() ? entries.get(i) : null;
                    String k = p.record.key();
                    boolean ok = e != null && e.getError() == null;
                    if (ok && !failedKeys.contains(k)) {
                        sent.increment();
                        bytes.add(p.size());
                        complete(p, new RecordMetadata(new TopicPartition(p.record.topic(), partition(e)), e.getOffset(),
                                0, e.getTimestamp() == null ? -1 : e.getTimestamp().getTime(), p.key.length, p.value.length),
                                null);
                        continue;
                    }
                    // This key failed here or earlier in the request: resend its suffix in order.
                    failedKeys.add(k);
                    retry.add(p);
                    retried.increment();
                    if (e != null && e.getError() != null) {
                        if ("429".equals(e.getError())) {
                            throttled.increment();
                        }
                        if (firstError == null) {
                            firstError = e.getError() + " " + e.getErrorMessage();
                        }
                        Matcher m = HINT.matcher(String.valueOf(e.getErrorMessage()));
                        if (m.find()) {
                            waitMs = Math.max(waitMs, Long.parseLong(m.group(1)));
                        }
                    }
                }
                if (retry.isEmpty()) {
                    backoff = BACKOFF_MIN;
                } else {
                    if (retry.size() < batch.size()) {
                        // Progress: wait only as long as OCI asks (or the shortest backoff), do not escalate.
                        backoff = BACKOFF_MIN;
                        waitMs = waitMs > 0 ? waitMs : BACKOFF_MIN.toMillis();
                    } else {
                        waitMs = Math.max(waitMs, backoff.toMillis());
                        backoff = next(backoff);
                    }
                    if (System.currentTimeMillis() - lastLog > 30_000) {
                        LOG.warn("{}: OCI stream {} refused {} of {} entries ({}); retrying them in {} ms", where, streamId,
                                retry.size(), batch.size(), firstError, waitMs);
                        lastLog = System.currentTimeMillis();
                    }
                }
                requeue(retry);
            } catch (BmcException e) {
                requestFailures.increment();
                if (e.getStatusCode() == 400) {
                    LOG.error("{}: OCI stream {} refused a request of {} messages as invalid ({} {}); failing them", where,
                            streamId, batch.size(), e.getServiceCode(), e.getStatusCode());
                    for (Pending p : batch) {
                        complete(p, null, new KafkaException("OCI refused the message: " + e.getServiceCode()));
                    }
                } else {
                    if (System.currentTimeMillis() - lastLog > 30_000) {
                        LOG.warn("{}: OCI stream {} not taking messages ({} {}); holding {} messages and retrying", where,
                                streamId, e.getStatusCode(), e.getServiceCode(), batch.size() + queued());
                        lastLog = System.currentTimeMillis();
                    }
                    retried.add(batch.size());
                    if (e.getStatusCode() == 429) {
                        throttled.add(batch.size());
                    }
                    requeue(batch);
                    waitMs = backoff.toMillis();
                    backoff = next(backoff);
                }
            } catch (RuntimeException e) {
                // A dropped connection, a timeout: nothing says whether OCI appended them; resend (duplicates are harmless).
                requestFailures.increment();
                if (System.currentTimeMillis() - lastLog > 30_000) {
                    LOG.warn("{}: PutMessages to OCI stream {} failed ({}); holding {} messages and retrying", where, streamId,
                            e.getClass().getSimpleName(), batch.size() + queued());
                    lastLog = System.currentTimeMillis();
                }
                retried.add(batch.size());
                requeue(batch);
                waitMs = backoff.toMillis();
                backoff = next(backoff);
            } finally {
                synchronized (lock) {
                    inFlight = 0;
                    lock.notifyAll();
                }
            }
            expireOld();
            if (waitMs > 0) {
                pause(waitMs);
            }
        }
    }

    private PutMessagesResult put(List<Pending> batch) {
        List<PutMessagesDetailsEntry> entries = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            entries.add(PutMessagesDetailsEntry.builder().key(p.key).value(p.value).build());
        }
        requests.increment();
        return client.putMessages(PutMessagesRequest.builder().streamId(streamId)
                .putMessagesDetails(PutMessagesDetails.builder().messages(entries).build()).build()).getPutMessagesResult();
    }

    /** Takes the next request's records in order, within OCI's limits; waits a little for the first. */
    private List<Pending> nextBatch() {
        List<Pending> batch = new ArrayList<>();
        synchronized (lock) {
            if (queue.isEmpty()) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                    return batch;
                }
            }
            long size = 0;
            while (!queue.isEmpty() && batch.size() < maxRequestEntries && size + queue.peekFirst().size() <= maxRequestBytes) {
                Pending p = queue.pollFirst();
                size += p.size();
                bufferedBytes -= p.size();
                batch.add(p);
            }
            inFlight = batch.size();
            lock.notifyAll();
        }
        return batch;
    }

    /** Puts records back at the front, in their order: they go before anything taken after them. */
    private void requeue(List<Pending> records) {
        synchronized (lock) {
            for (int i = records.size() - 1; i >= 0; i--) {
                queue.addFirst(records.get(i));
                bufferedBytes += records.get(i).size();
            }
            lock.notifyAll();
        }
    }

    private void expireOld() {
        List<Pending> expired = new ArrayList<>();
        synchronized (lock) {
            long limit = deliveryTimeout.toNanos();
            while (!queue.isEmpty() && System.nanoTime() - queue.peekFirst().takenNanos > limit) {
                Pending p = queue.pollFirst();
                bufferedBytes -= p.size();
                expired.add(p);
            }
            lock.notifyAll();
        }
        if (!expired.isEmpty()) {
            LOG.error("{}: {} messages not delivered to OCI stream {} within {} s; failing them", where, expired.size(),
                    streamId, deliveryTimeout.toSeconds());
        }
        for (Pending p : expired) {
            complete(p, null, new TimeoutException("not delivered to OCI within " + deliveryTimeout.toSeconds() + " s"));
        }
    }

    private int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    private void pause(long ms) {
        synchronized (lock) {
            long until = System.currentTimeMillis() + ms;
            while (!stopped && System.currentTimeMillis() < until) {
                try {
                    lock.wait(Math.max(1, until - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopped = true;
                }
            }
        }
    }

    private static Duration next(Duration d) {
        Duration n = d.multipliedBy(2);
        return n.compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : n;
    }

    private static int partition(PutMessagesResultEntry e) {
        try {
            return Integer.parseInt(e.getPartition());
        } catch (NumberFormatException | NullPointerException x) {
            return 0;
        }
    }

    private static void complete(Pending p, RecordMetadata md, Exception ex) {
        if (ex == null) {
            p.future.complete(md);
        } else {
            p.future.completeExceptionally(ex);
        }
        if (p.callback != null) {
            try {
                p.callback.onCompletion(md, ex);
            } catch (RuntimeException e) {
                LOG.warn("ack callback failed: {}", e.toString());
            }
        }
    }
}
