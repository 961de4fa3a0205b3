package io.fencewatch.collector.publish.oci;

import io.fencewatch.oci.OciClients;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.oracle.bmc.streaming.StreamClient;

import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;

/** The oci-streaming sink against the Streaming stand-in, through the real SDK. */
class OciStreamingSinkTest {
    @TempDir
    Path dir;
    private StreamingStub stub;
    private String stream;
    private StreamClient client;
    private OciStreamingSink sink;

    @BeforeEach
    void setUp() throws Exception {
        stub = StreamingStub.start(Clock.systemUTC());
        OciTestCredentials creds = OciTestCredentials.create(dir, "DEFAULT");
        stub.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        stream = stub.createStream("inventory", 4);
        client = OciClients.streamClient(OciClients.auth(OciClients.API_KEY, creds.configFile(), "DEFAULT"), stub.endpoint());
    }

    @AfterEach
    void tearDown() {
        if (sink != null) {
            sink.close(Duration.ofSeconds(5));
        }
        stub.close();
    }

    private OciStreamingSink sink(long bufferBytes, Duration maxBlock) {
        sink = new OciStreamingSink(client, stream, "test", FencewatchSerdes.inventoryEvent(), bufferBytes,
                OciStreamingSink.MAX_REQUEST_BYTES, 200, maxBlock, Duration.ofMinutes(5));
        return sink;
    }

    private static InventoryEvent event(long seq, String pad) {
        return new InventoryEvent(new Source("c1", "test", 1L, seq, Instant.ofEpochMilli(1)), Op.HEARTBEAT, null,
                pad, null, null, null, null, null, null, false, null, null, null);
    }

    /**
     * Per key, the sequence numbers in the order of their <em>last</em> appearance in the stream. A
     * failed entry is resent with the rest of its key's suffix, so even if a later event of the key got
     * in before, its last copy follows: this list must equal what was sent (nothing lost, last copies
     * in order), which is what a reader that orders by sequence or applies the latest state needs.
     */
    private Map<String, List<Long>> lastAppearanceOrderPerKey() {
        Map<String, java.util.LinkedHashMap<Long, Integer>> last = new HashMap<>();
        var serde = FencewatchSerdes.inventoryEvent();
        for (int p = 0; p < 4; p++) {
            int pos = 0;
            for (StreamingStub.StoredMessage m : stub.messages(stream, p)) {
                long seq = serde.deserialize("x", m.value()).getSource().getSequence();
                last.computeIfAbsent(m.keyString(), k -> new java.util.LinkedHashMap<>()).put(seq, pos++);
            }
        }
        Map<String, List<Long>> out = new HashMap<>();
        last.forEach((key, positions) -> out.put(key, positions.entrySet().stream()
                .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList()));
        return out;
    }

    @Test
    void shouldDeliverEveryEventInKeyOrderWhenHalfTheEntriesAreThrottled() {
        stub.throttleEntries(0.5);
        stub.throttleHint(Duration.ofMillis(5));
        OciStreamingSink s = sink(32L * 1024 * 1024, Duration.ofSeconds(10));
        Map<String, List<Long>> sent = new HashMap<>();
        Map<String, List<Long>> acked = new ConcurrentHashMap<>();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        for (long seq = 0; seq < 2000; seq++) {
            String key = "c1/ns-" + (seq % 37);
            sent.computeIfAbsent(key, k -> new ArrayList<>()).add(seq);
            long q = seq;
            s.send(new ProducerRecord<>("inv", 0, key, event(seq, "")), (md, ex) -> {
                if (ex != null) {
                    errors.add(ex);
                } else {
                    acked.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(q);
                }
            });
        }
        s.flush();
        assertThat(errors).isEmpty();
        assertThat(acked).isEqualTo(sent);
        assertThat(lastAppearanceOrderPerKey()).isEqualTo(sent);
        assertThat(stub.throttledEntries()).isPositive();
        assertThat(s.counters().get("oci_throttled_total")).isEqualTo(stub.throttledEntries());
        assertThat(s.counters().get("oci_retried_total")).isGreaterThanOrEqualTo(stub.throttledEntries());
        assertThat(s.counters().get("oci_messages_sent_total")).isEqualTo(2000);
    }

    @Test
    void shouldSplitRequestsWithinOneMegabyteWhenManyLargeRecordsQueue() {
        OciStreamingSink s = sink(64L * 1024 * 1024, Duration.ofSeconds(10));
        AtomicInteger ok = new AtomicInteger();
        String pad = "p".repeat(100 * 1024);
        for (long seq = 0; seq < 40; seq++) {
            s.send(new ProducerRecord<>("inv", 0, "c1/big-" + seq, event(seq, pad)), (md, ex) -> {
                if (ex == null) {
                    ok.incrementAndGet();
                }
            });
        }
        s.flush();
        assertThat(ok).hasValue(40);
        assertThat(stub.putRequests()).isGreaterThanOrEqualTo(4); // 40 × 100 KiB cannot go in fewer 1 MB requests
        assertThat(s.counters().get("oci_request_failures_total")).isZero();
    }

    @Test
    void shouldFailTheRecordAsTooLargeWhenItsValueExceedsOneMegabyte() {
        OciStreamingSink s = sink(32L * 1024 * 1024, Duration.ofSeconds(10));
        List<Exception> errors = new CopyOnWriteArrayList<>();
        s.send(new ProducerRecord<>("inv", 0, "c1/huge", event(0, "h".repeat(1024 * 1024 + 1))), (md, ex) -> errors.add(ex));
        assertThat(errors).singleElement().isInstanceOf(RecordTooLargeException.class);
        assertThat(stub.putRequests()).isZero();
    }

    @Test
    void shouldBlockThenThrowTimeoutWhenOciIsDownAndTheBufferIsFull() {
        stub.faults().on("PutMessages").serverErrors(1_000_000);
        OciStreamingSink s = sink(64 * 1024, Duration.ofMillis(300));
        String pad = "x".repeat(10 * 1024);
        assertThatThrownBy(() -> {
            for (long seq = 0; seq < 100; seq++) {
                s.send(new ProducerRecord<>("inv", 0, "c1/a", event(seq, pad)), null);
            }
        }).isInstanceOf(TimeoutException.class);
        assertThat(stub.allMessages(stream)).isEmpty();

        stub.faults().clear();
        await().atMost(Duration.ofSeconds(20)).until(() -> !stub.allMessages(stream).isEmpty()
                && s.counters().get("oci_messages_sent_total") == stub.allMessages(stream).size());
        s.flush();
        assertThat(s.counters().get("oci_request_failures_total")).isPositive();
    }

    @Test
    void shouldResendWholeRequestsWhenConnectionsDropAndThrottlingAnswers429() {
        stub.faults().on("PutMessages").dropConnections(2).throttle(2, 1);
        OciStreamingSink s = sink(32L * 1024 * 1024, Duration.ofSeconds(10));
        Map<String, List<Long>> sent = new HashMap<>();
        for (long seq = 0; seq < 50; seq++) {
            String key = "c1/ns-" + (seq % 5);
            sent.computeIfAbsent(key, k -> new ArrayList<>()).add(seq);
            s.send(new ProducerRecord<>("inv", 0, key, event(seq, "")), null);
        }
        s.flush();
        assertThat(lastAppearanceOrderPerKey()).isEqualTo(sent);
        assertThat(s.counters().get("oci_request_failures_total")).isGreaterThanOrEqualTo(4);
    }
}
