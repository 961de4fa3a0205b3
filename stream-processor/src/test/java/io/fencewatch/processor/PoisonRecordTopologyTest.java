package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Findings;

/** Every way one record could stall the task or poison the table: each is a dead letter with its reason. */
class PoisonRecordTopologyTest {
    private static final Instant OLD = Harness.T0.minus(Duration.ofDays(1));
    private static final String INVENTORY = "fw.inventory";

    private static Harness harness(Limits limits) {
        return new Harness(Rules.defaults(), TopologyOptions.defaults().withLimits(limits), Topics.of("fw"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(TestRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static byte[] encode(KeyValue<String, InventoryEvent> kv) {
        return FencewatchSerdes.inventoryEvent().serialize(INVENTORY, kv.value);
    }

    /** The namespace still works after the bad record: a policy turns it COMPLIANT. */
    private static void assertStillApplying(Harness h, Feed f, String ns) {
        h.send(f.namespace(Op.UPSERT, ns, Feed.active(OLD)));
        h.send(f.policy(Op.UPSERT, ns, "p", Policies.denyAll()));
        assertThat(h.coverage(Keys.of(f.cluster, ns)).getStatus()).isEqualTo(Status.COMPLIANT);
    }

    @Test
    void shouldDeadLetterABoundedPrefixWithSizeAndHashWhenRecordIsLargerThanTheLimit() throws Exception {
        try (Harness h = harness(Limits.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            byte[] huge = new byte[5 * 1024 * 1024];
            new Random(1).nextBytes(huge);
            h.raw.pipeInput(new TestRecord<>(bytes("c1/team"), huge, h.now()));

            var dead = h.deadLetters();
            assertThat(dead).hasSize(1);
            TestRecord<byte[], byte[]> d = dead.get(0);
            assertThat(header(d, DeadLetters.REASON)).isEqualTo("too-large");
            assertThat(header(d, DeadLetters.STAGE)).isEqualTo("deserialization");
            assertThat(header(d, DeadLetters.ERROR)).contains("5242887 bytes", "1048576");
            assertThat(d.value()).hasSize(Limits.DEFAULT_DLQ_MAX_PAYLOAD);
            assertThat(d.value()).isEqualTo(java.util.Arrays.copyOf(huge, Limits.DEFAULT_DLQ_MAX_PAYLOAD));
            assertThat(header(d, DeadLetters.ORIGINAL_SIZE)).isEqualTo(Integer.toString(huge.length));
            assertThat(header(d, DeadLetters.ORIGINAL_SHA256)).isEqualTo(sha256(huge));
            assertThat(header(d, DeadLetters.TRUNCATED)).isEqualTo("true");
            assertStillApplying(h, f, "team");
        }
    }

    @Test
    void shouldKeepTheWholeValueWhenADeadLetterIsSmallerThanTheBound() throws Exception {
        try (Harness h = harness(Limits.defaults().withDlqMaxPayload(100))) {
            byte[] small = {9, 8, 7, 6, 5};
            byte[] big = new byte[1000];
            h.raw.pipeInput(new TestRecord<>(bytes("c1/a"), small, h.now()));
            h.raw.pipeInput(new TestRecord<>(bytes("c1/b"), big, h.now()));
            var dead = h.deadLetters();
            assertThat(dead.get(0).value()).isEqualTo(small);
            assertThat(header(dead.get(0), DeadLetters.TRUNCATED)).isEqualTo("false");
            assertThat(header(dead.get(0), DeadLetters.ORIGINAL_SHA256)).isEqualTo(sha256(small));
            assertThat(header(dead.get(0), DeadLetters.REASON)).isEqualTo("unreadable");
            assertThat(dead.get(1).value()).hasSize(100);
            assertThat(header(dead.get(1), DeadLetters.ORIGINAL_SIZE)).isEqualTo("1000");
        }
    }

    @Test
    void shouldDeadLetterACutKeyWhenTheKeyIsTooLong() {
        try (Harness h = harness(Limits.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            byte[] key = bytes("c1/" + "a".repeat(5000));
            h.raw.pipeInput(new TestRecord<>(key, new byte[] {1}, h.now()));
            var d = h.deadLetters().get(0);
            assertThat(header(d, DeadLetters.REASON)).isEqualTo("key-too-long");
            assertThat(d.key()).hasSize(Limits.MAX_KEY_BYTES);
            assertThat(header(d, DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo(Integer.toString(key.length));
            assertStillApplying(h, f, "team");
        }
    }

    @Test
    void shouldDeadLetterWithABoundedCopyOfTheHeadersWhenHeadersFlood() {
        try (Harness h = harness(Limits.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            RecordHeaders flood = new RecordHeaders();
            for (int i = 0; i < 5_000; i++) {
                flood.add("h" + i, bytes("value-" + i));
            }
            h.raw.pipeInput(new TestRecord<>(bytes("c1/team"), encode(f.namespace(Op.UPSERT, "team", Feed.active(OLD))),
                    flood, h.now()));
            var d = h.deadLetters().get(0);
            assertThat(header(d, DeadLetters.REASON)).isEqualTo("header-flood");
            assertThat(d.headers().toArray().length).isLessThanOrEqualTo(Limits.DLQ_MAX_HEADERS + 16);
            assertThat(header(d, DeadLetters.HEADERS_DROPPED)).isEqualTo(Integer.toString(5_000 - Limits.DLQ_MAX_HEADERS));
            assertThat(h.coverage("c1/team")).isNull();
            assertStillApplying(h, f, "team");
        }
    }

    @Test
    void shouldDeadLetterNamesThatAreNotDnsNamesAndKeepThemOutOfTheTable() {
        try (Harness h = harness(Limits.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            List<String> forged = List.of("<img src=x onerror=alert(1)>", "../../etc/passwd", "evil\r\nkind: Secret",
                    "Team", "a".repeat(64), "-lead", "trail-");
            for (String ns : forged) {
                // The key agrees with the event, so only the name check can stop it.
                InventoryEvent e = f.namespace(Op.UPSERT, "x", Feed.active(OLD)).value;
                e.setNamespace(ns);
                e.setName(ns);
                h.raw.pipeInput(new TestRecord<>(bytes("c1/" + ns), FencewatchSerdes.inventoryEvent().serialize(INVENTORY, e),
                        h.now()));
            }
            InventoryEvent badPolicy = f.policy(Op.UPSERT, "team", "a..b", Policies.denyAll()).value;
            h.raw.pipeInput(new TestRecord<>(bytes("c1/team"), FencewatchSerdes.inventoryEvent().serialize(INVENTORY, badPolicy),
                    h.now()));
            InventoryEvent badCluster = InventoryEvent.newBuilder(f.namespace(Op.UPSERT, "team", Feed.active(OLD)).value)
                    .setSource(new Source("Prod_EU", "x", 1L, 0L, h.now())).build();
            h.raw.pipeInput(new TestRecord<>(bytes("Prod_EU/team"), FencewatchSerdes.inventoryEvent().serialize(INVENTORY,
                    badCluster), h.now()));

            var dead = h.deadLetters();
            assertThat(dead).hasSize(forged.size() + 2);
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsOnly("invalid-name");
            assertThat(dead).allSatisfy(r -> assertThat(header(r, DeadLetters.ERROR)).doesNotContain("\r", "\n"));
            try (var all = h.coverage.all()) {
                assertThat(all.hasNext()).as("no forged name became a row").isFalse();
            }
            assertThat(h.drift()).isEmpty();
            assertThat(h.findings()).isEmpty();
            assertStillApplying(h, f, "team");
        }
    }

    @Test
    void shouldDeadLetterRecordsOfClustersNotListedWhenClustersAreGiven() {
        try (Harness h = harness(Limits.defaults().withClusters(List.of("sandbox", "prod-*")))) {
            Feed victim = new Feed("victim", 1, h::now);
            for (int i = 0; i < 50; i++) {
                h.send(victim.namespace(Op.UPSERT, "ns-" + i, Feed.active(OLD)));
            }
            h.send(victim.heartbeat());
            var dead = h.deadLetters();
            assertThat(dead).hasSize(51);
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsOnly("unlisted-cluster");
            assertThat(h.coverage("victim/ns-0")).isNull();
            assertStillApplying(h, new Feed("sandbox", 1, h::now), "team");
            assertStillApplying(h, new Feed("prod-eu", 1, h::now), "team");
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    @Test
    void shouldMarkTheClusterAndDeadLetterNewNamespacesWhenTheCapIsReached() {
        try (Harness h = harness(Limits.defaults().withMaxNamespacesPerCluster(3))) {
            Feed f = new Feed("c1", 1, h::now);
            for (int i = 0; i < 5; i++) {
                h.send(f.namespace(Op.UPSERT, "ns-" + i, Feed.active(OLD)));
            }
            var dead = h.deadLetters();
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("namespace-cap", "namespace-cap");
            assertThat(h.coverage("c1/ns-3")).isNull();
            KeyValueStore<String, ClusterState> clusters = h.driver.getKeyValueStore(CoverageTopology.CLUSTER_STORE);
            assertThat(clusters.get("c1").capped()).isTrue();
            assertThat(clusters.get("c1").namespaces()).isEqualTo(3);
            // Known namespaces keep changing; after a deletion a new one fits again.
            h.send(f.policy(Op.UPSERT, "ns-0", "p", Policies.denyAll()));
            assertThat(h.coverage("c1/ns-0").getStatus()).isEqualTo(Status.COMPLIANT);
            h.send(f.namespace(Op.DELETE, "ns-1", null));
            h.send(f.namespace(Op.UPSERT, "ns-9", Feed.active(OLD)));
            assertThat(h.coverage("c1/ns-9")).isNotNull();
            assertThat(clusters.get("c1").namespaces()).isEqualTo(3);
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    @Test
    void shouldDeadLetterAFarFutureEpochAndKeepApplyingTheRealCollector() {
        try (Harness h = harness(Limits.defaults())) {
            Feed real = new Feed("c1", Harness.T0.toEpochMilli() - 60_000, h::now);
            h.send(real.syncStart(real.epoch));
            h.send(real.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(real.syncEnd());
            Feed forged = new Feed("c1", 9_000_000_000_000_000_000L, h::now);
            h.send(forged.heartbeat());
            h.send(forged.syncStart(9_000_000_000_000_000_000L));
            var dead = h.deadLetters();
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("epoch-skew", "epoch-skew");
            h.send(real.policy(Op.UPSERT, "team", "p", Policies.denyAll()));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.COMPLIANT);
        }
    }

    @Test
    void shouldNotLetANewerEpochInWithoutItsSyncStart() {
        try (Harness h = harness(Limits.defaults())) {
            Feed real = new Feed("c1", Harness.T0.toEpochMilli() - 60_000, h::now);
            h.send(real.syncStart(real.epoch));
            h.send(real.syncEnd());
            // Inside the allowed skew, but a heartbeat cannot open an epoch.
            Feed forged = new Feed("c1", Harness.T0.toEpochMilli() + 300_000, h::now);
            h.send(forged.heartbeat());
            assertThat(h.deadLetters()).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("epoch-not-opened");
            assertStillApplying(h, real, "team");
        }
    }

    @Test
    void shouldAcceptAnOlderEpochFromAnotherCollectorsSyncStartWhenTheStoredEpochWasForged() {
        try (Harness h = harness(Limits.defaults())) {
            Feed real = new Feed("c1", Harness.T0.toEpochMilli() - 60_000, h::now);
            h.send(real.syncStart(real.epoch));
            h.send(real.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(real.syncEnd());
            // A forged epoch five minutes ahead (inside the skew) from another instance, with a fact.
            Feed forged = new Feed("c1", Harness.T0.toEpochMilli() + 300_000, h::now);
            KeyValue<String, InventoryEvent> start = forged.syncStart(forged.epoch);
            start.value.getSource().setCollector("intruder");
            h.send(start);
            InventoryEvent ghost = forged.namespace(Op.UPSERT, "ghost", Feed.active(OLD)).value;
            ghost.getSource().setCollector("intruder");
            h.send(KeyValue.pair("c1/ghost", ghost));
            assertThat(h.coverage("c1/ghost")).isNotNull();
            // The real collector is now locked out...
            h.send(real.policy(Op.UPSERT, "team", "p", Policies.denyAll()));
            assertThat(h.coverage("c1/team").getPolicies()).isEmpty();
            // ...until it relists: its SYNC_START is older, but of another instance and near the clock.
            h.send(real.syncStart(Harness.T0.toEpochMilli()));
            h.send(real.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(real.policy(Op.SNAPSHOT, "team", "p", Policies.denyAll()));
            h.send(real.syncEnd());
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.COMPLIANT);
            assertThat(h.coverage("c1/ghost")).as("the forged epoch's facts are swept").isNull();
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    @Test
    void shouldIgnoreALateSyncStartOfAPreviousLeaderWhenTheCurrentEpochIsNotAhead() {
        try (Harness h = harness(Limits.defaults())) {
            Feed leader = new Feed("c1", Harness.T0.toEpochMilli() - 1_000, h::now);
            h.send(leader.syncStart(leader.epoch));
            h.send(leader.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(leader.syncEnd());
            Feed previous = new Feed("c1", Harness.T0.toEpochMilli() - 2_000, h::now);
            KeyValue<String, InventoryEvent> late = previous.syncStart(previous.epoch);
            late.value.getSource().setCollector("previous-leader");
            h.send(late);
            h.send(leader.policy(Op.UPSERT, "team", "p", Policies.denyAll()));
            assertThat(h.coverage("c1/team").getStatus()).isEqualTo(Status.COMPLIANT);
            KeyValueStore<String, ClusterState> clusters = h.driver.getKeyValueStore(CoverageTopology.CLUSTER_STORE);
            assertThat(clusters.get("c1").epoch()).isEqualTo(leader.epoch);
        }
    }

    @Test
    void shouldAcceptALiveHeartbeatOfAnotherCollectorWhenTheForgedEpochLeftTheClusterStale() {
        Rules rules = Rules.defaults();
        try (Harness h = harness(Limits.defaults())) {
            Feed real = new Feed("c1", Harness.T0.toEpochMilli() - 60_000, h::now);
            h.send(real.syncStart(real.epoch));
            h.send(real.namespace(Op.SNAPSHOT, "team", Feed.active(OLD)));
            h.send(real.syncEnd());
            Feed forged = new Feed("c1", Harness.T0.toEpochMilli() + 300_000, h::now);
            KeyValue<String, InventoryEvent> start = forged.syncStart(forged.epoch);
            start.value.getSource().setCollector("intruder");
            h.send(start);
            h.advance(rules.staleAfter().plusSeconds(5));
            assertThat(h.coverage("c1/team").getStale()).isTrue();
            h.send(real.heartbeat());
            h.send(real.policy(Op.UPSERT, "team", "p", Policies.denyAll()));
            NamespaceCoverage team = h.coverage("c1/team");
            assertThat(team.getStale()).isFalse();
            assertThat(team.getStatus()).isEqualTo(Status.COMPLIANT);
        }
    }

    @Test
    void shouldDeadLetterAHugeLabelMapAndAPolicyWithTenThousandRules() {
        try (Harness h = harness(Limits.defaults())) {
            Feed f = new Feed("c1", 1, h::now);
            Map<String, String> labels = new HashMap<>();
            for (int i = 0; i < 100_000; i++) {
                labels.put("l" + i, "v");
            }
            h.send(f.namespace(Op.UPSERT, "team", Feed.facts("Active", labels, Map.of(), OLD, null)));
            List<PolicyRule> rules = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                rules.add(Policies.fromPods("app", "a" + i));
            }
            PolicyFacts big = Policies.policy(Policies.all(), Feed.types("Ingress"), rules, null);
            h.send(f.policy(Op.UPSERT, "team", "big", big));
            var dead = h.deadLetters();
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsExactly("facts-too-large",
                    "facts-too-large");
            assertThat(header(dead.get(0), DeadLetters.ERROR)).contains("labels with 100000 entries");
            assertThat(header(dead.get(1), DeadLetters.ERROR)).contains("10000 rules");
            assertThat(h.coverage("c1/team")).isNull();
            assertStillApplying(h, f, "team");
        }
    }

    @Test
    void shouldDeadLetterAPolicyThatWouldGrowTheNamespacesFactsBeyondTheRecordLimit() {
        try (Harness h = harness(Limits.defaults().withMaxRecordBytes(20_000).withDlqMaxPayload(1_000))) {
            Feed f = new Feed("c1", 1, h::now);
            h.send(f.namespace(Op.UPSERT, "team", Feed.active(OLD)));
            List<PolicyRule> rules = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                rules.add(Policies.fromPods("app", "workload-number-" + i));
            }
            PolicyFacts large = Policies.policy(Policies.all(), Feed.types("Ingress"), rules, null);
            for (int i = 0; i < 4; i++) {
                h.send(f.policy(Op.UPSERT, "team", "p" + i, large));
            }
            var dead = h.deadLetters();
            assertThat(dead).isNotEmpty();
            assertThat(dead).extracting(r -> header(r, DeadLetters.REASON)).containsOnly("facts-too-large");
            assertThat(h.coverage("c1/team").getPolicies()).hasSize(4 - dead.size());
        }
    }

    @Test
    void shouldWriteASmallerDeadLetterThenNoneWhenEarlierWritesOfItFailed() {
        DeadLetterFailures failures = new DeadLetterFailures();
        try (Harness h = new Harness(Rules.defaults(), TopologyOptions.defaults().withDlqFailures(failures),
                Topics.of("fw"))) {
            RecordHeaders original = new RecordHeaders();
            original.add("trace", bytes("abc"));
            failures.failed(INVENTORY, 0, 0);
            h.raw.pipeInput(new TestRecord<>(bytes("c1/team"), new byte[] {1, 2, 3}, original, h.now()));
            var d = h.deadLetters().get(0);
            assertThat(d.value()).isEmpty();
            assertThat(header(d, DeadLetters.TRUNCATED)).isEqualTo("true");
            assertThat(header(d, DeadLetters.ORIGINAL_SIZE)).isEqualTo("3");
            assertThat(header(d, "trace")).isNull();

            failures.failed(INVENTORY, 0, 1);
            failures.failed(INVENTORY, 0, 1);
            h.raw.pipeInput(new TestRecord<>(bytes("c1/team"), new byte[] {1, 2, 3}, h.now()));
            assertThat(h.deadLetters()).isEmpty();
            assertThat(failures.skippedCount()).isEqualTo(1);
            assertStillApplying(h, new Feed("c1", 1, h::now), "team");
        }
    }

    @Test
    void shouldFailTheTaskInsteadOfDeadLetteringWhenWritingAnOutputFails() {
        // A findings serializer that fails for one namespace: the failure comes out of forward(),
        // exactly where Kafka Streams throws the error of an earlier failed send.
        Serializer<String> failing = (topic, json) -> {
            if (json != null && json.contains("doomed")) {
                throw new IllegalStateException("broker refused the write");
            }
            return bytes(json);
        };
        Topics base = Topics.of("fw");
        Topics topics = new Topics(base.inventory(), base.coverage(), base.drift(),
                new Topic<>(base.findings().name(), base.findings().keySerde(),
                        org.apache.kafka.common.serialization.Serdes.serdeFrom(failing,
                                base.findings().valueSerde().deserializer())),
                base.dlq());
        try (Harness h = new Harness(Rules.defaults().withGracePeriod(Duration.ZERO), TopologyOptions.defaults(), topics)) {
            Feed f = new Feed("c1", 1, h::now);
            h.send(f.namespace(Op.UPSERT, "fine", Feed.active(OLD)));
            assertThat(h.findings()).hasSize(1);
            assertThatThrownBy(() -> h.send(f.namespace(Op.UPSERT, "doomed", Feed.active(OLD))))
                    .isInstanceOf(StreamsException.class);
            assertThat(h.deadLetters()).as("a failed write is not the record's fault").isEmpty();
        }
    }

    @Test
    void shouldQuoteEveryValueThatNeedsItInTheGeneratedYaml() {
        assertThat(Findings.yamlScalar("payments")).isEqualTo("payments");
        assertThat(Findings.yamlScalar("true")).isEqualTo("\"true\"");
        assertThat(Findings.yamlScalar("no")).isEqualTo("\"no\"");
        assertThat(Findings.yamlScalar("123")).isEqualTo("\"123\"");
        assertThat(Findings.yamlScalar("1e3")).isEqualTo("\"1e3\"");
        assertThat(Findings.yamlScalar("evil\nkind: Secret")).isEqualTo("\"evil\\nkind: Secret\"");
        assertThat(Findings.yamlScalar("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        String yaml = Findings.defaultDenyPolicy("evil\r\n  labels: {x: y}");
        assertThat(yaml.lines().filter(l -> l.contains("labels: {x"))).hasSize(1);
        assertThat(yaml).contains("namespace: \"evil\\r\\n  labels: {x: y}\"");
        assertThat(yaml.lines().count()).isEqualTo(Findings.defaultDenyPolicy("team").lines().count());
    }
}
