package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.rules.Rules;

class DeadLetterTopologyTest {
    private static final Instant OLD = Harness.T0.minus(Duration.ofDays(1));

    @Test
    void shouldSendEveryUnreadableOrInvalidRecordToDlqWhenGarbageArrivesAndKeepTheTable() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            h.send(f.namespace(Op.UPSERT, "team", Feed.active(OLD)));
            var before = h.coverage("c1/team");
            h.drift();

            byte[] good = FencewatchSerdes.inventoryEvent().serialize("t", f.namespace(Op.UPSERT, "x", Feed.active(OLD)).value);
            DriftEvent other = DriftEvent.newBuilder().setId("d").setCluster("c1").setNamespace("team")
                    .setReason(DriftReason.POLICY_ADDED).setDetectedAt(Instant.EPOCH).build();
            InventoryEvent noFacts = f.policy(Op.UPSERT, "team", "p", null).value;
            noFacts.setPolicyFacts(null);
            InventoryEvent wrongKey = f.namespace(Op.UPSERT, "team", Feed.active(OLD)).value;

            List<byte[]> values = List.of(
                    new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
                    Arrays.copyOf(good, good.length / 2),
                    FencewatchSerdes.driftEvent().serialize("t", other),
                    FencewatchSerdes.inventoryEvent().serialize("t", noFacts),
                    FencewatchSerdes.inventoryEvent().serialize("t", wrongKey));
            List<String> keys = List.of("c1/team", "c1/x", "c1/team", "c1/team", "c1/elsewhere");
            RecordHeaders original = new RecordHeaders();
            original.add("trace", "abc".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < values.size(); i++) {
                h.raw.pipeInput(new TestRecord<>(keys.get(i).getBytes(StandardCharsets.UTF_8), values.get(i), original,
                        h.now()));
            }
            h.raw.pipeInput(new TestRecord<>("c1/team".getBytes(StandardCharsets.UTF_8), (byte[]) null, h.now()));
            h.raw.pipeInput(new TestRecord<>((byte[]) null, good, h.now()));

            var dead = h.deadLetters();
            assertThat(dead).hasSize(7);
            assertThat(dead).extracting(r -> header(r, DeadLetters.TOPIC)).containsOnly("fw.inventory");
            assertThat(dead).extracting(r -> header(r, DeadLetters.PARTITION)).containsOnly("0");
            assertThat(dead).extracting(r -> Long.parseLong(header(r, DeadLetters.OFFSET)))
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
            assertThat(dead).extracting(r -> header(r, DeadLetters.STAGE)).containsExactly("deserialization",
                    "deserialization", "deserialization", "processing", "processing", "deserialization",
                    "deserialization");
            assertThat(header(dead.get(2), DeadLetters.ERROR)).contains("DriftEvent");
            assertThat(header(dead.get(3), DeadLetters.ERROR)).contains("without policyFacts");
            assertThat(header(dead.get(4), DeadLetters.ERROR)).contains("key does not match");
            assertThat(header(dead.get(0), "trace")).isEqualTo("abc");
            assertThat(dead.get(1).value()).isEqualTo(values.get(1));
            assertThat(dead.get(1).key()).isEqualTo("c1/x".getBytes(StandardCharsets.UTF_8));

            assertThat(h.coverage("c1/team")).isEqualTo(before);
            assertThat(h.coverage("c1/x")).isNull();
            assertThat(h.drift()).isEmpty();

            // The processor goes on with the next good record.
            h.send(f.policy(Op.UPSERT, "team", "p", Policies.denyAll()));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.COMPLIANT);
        }
    }

    @Test
    void shouldRejectMarkerWhenItIsNotKeyedAsMarker() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            var hb = f.heartbeat();
            h.inventory.pipeInput(Keys.of("c1", "team"), hb.value, h.now());
            var kind = InventoryEvent.newBuilder(f.namespace(Op.UPSERT, "t", Feed.active(OLD)).value)
                    .setKind(Kind.UNKNOWN).build();
            h.inventory.pipeInput("c1/t", kind, h.now());
            assertThat(h.deadLetters()).extracting(r -> header(r, DeadLetters.STAGE))
                    .containsExactly("processing", "processing");
        }
    }

    private static String header(TestRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        assertThat(h).as("header " + key).isNotNull();
        return new String(h.value(), StandardCharsets.UTF_8);
    }
}
