package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import io.fencewatch.rules.Enforcement;
import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

/** The cluster-state store's bytes: version 5 written, versions 1 to 4 (of earlier releases) still read. */
class ClusterStateSerdeTest {
    private final ClusterState.StoreSerde serde = new ClusterState.StoreSerde();

    @Test
    void shouldKeepARemovedClustersTombstone() {
        ClusterState.StoreSerde serde = new ClusterState.StoreSerde();
        ClusterState removed = ClusterState.removedAt(1_234L, 5_678L, "collector-1");
        ClusterState read = serde.deserialize("t", serde.serialize("t", removed));
        assertThat(read).isEqualTo(removed);
        assertThat(read.removed()).isTrue();
        assertThat(read.epoch()).isEqualTo(1_234L);
    }

    @Test
    void shouldReadVersionOneBytesAsSyncedReachableAndWithoutFacts() {
        byte[] v1 = ByteBuffer.allocate(26).put((byte) 1).putLong(7L).putLong(42L).putLong(1_000L).put((byte) 1).array();

        ClusterState s = serde.deserialize("t", v1);

        assertThat(s).isEqualTo(new ClusterState(7L, 42L, 1_000L, true));
        assertThat(s.synced()).isTrue();
        assertThat(s.facts()).isNull();
        assertThat(s.unreachable()).isNull();
        assertThat(s.findingOpen()).isFalse();
        assertThat(s.provider()).isNull();
    }

    @Test
    void shouldReadVersionTwoBytesAsTheSecondReleaseWroteThem() {
        byte[] collector = "collector-1".getBytes(StandardCharsets.UTF_8);
        byte[] v2 = ByteBuffer.allocate(26 + 8 + 1 + 2 + collector.length).put((byte) 2).putLong(7L).putLong(42L)
                .putLong(1_000L).put((byte) 0).putLong(12L).put((byte) 1).putShort((short) collector.length).put(collector)
                .array();

        ClusterState s = serde.deserialize("t", v2);

        assertThat(s).isEqualTo(new ClusterState(7L, 42L, 1_000L, false, "collector-1", 12L, true));
        assertThat(s.synced()).isTrue();
        assertThat(s.facts()).isNull();
        assertThat(s.unreachable()).isNull();
    }

    @Test
    void shouldWriteVersionFiveAndReadBackFactsOutageAndFlags() {
        ClusterFacts facts = Feed.oke("eu-frankfurt-1", "prod/eu").setCniTypes(List.of("FLANNEL_OVERLAY", "OCI_VCN_IP_NATIVE"))
                .setOcid(null).build();
        ClusterState s = new ClusterState(7L, 42L, 1_000L, false, "collector-ü", 12L, false, false, facts,
                "401 Unauthorized: ünïcode", 999L, true);

        byte[] bytes = serde.serialize("t", s);

        assertThat(bytes[0]).isEqualTo((byte) 5);
        ClusterState back = serde.deserialize("t", bytes);
        assertThat(back).isEqualTo(s);
        assertThat(back.facts().getCniTypes()).containsExactly("FLANNEL_OVERLAY", "OCI_VCN_IP_NATIVE");
        assertThat(back.ocid()).isNull();
        assertThat(back.compartment()).isEqualTo("prod/eu");
        assertThat(back.facts().getPolicyEngines()).as("not reported stays not reported").isNull();

        ClusterState bare = new ClusterState(ClusterState.NO_EPOCH, Long.MIN_VALUE, 5L, true, "", 0L, false, true, null,
                null, 0L, false);
        assertThat(serde.deserialize("t", serde.serialize("t", bare))).isEqualTo(bare);
    }

    @Test
    void shouldKeepWhetherTheCollectorWatchesPodsAndReadVersionFourAsNotWatching() {
        ClusterState watching = new ClusterState(7L, 42L, 1_000L, false, "c", 3L, false, true,
                Feed.oke("r", "c").setPolicyEngines(List.of()).setWatchesPods(true).build(), null, 0L, false);
        byte[] v5 = serde.serialize("t", watching);
        assertThat(serde.deserialize("t", v5).watchesPods()).isTrue();
        assertThat(serde.deserialize("t", v5)).isEqualTo(watching);
        assertThat(serde.deserialize("t", serde.serialize("t", watching.withFacts(
                ClusterFacts.newBuilder(watching.facts()).setWatchesPods(false).build()))).watchesPods()).isFalse();

        // Version 4 wrote the same layout without the last byte.
        byte[] v4 = Arrays.copyOf(v5, v5.length - 1);
        v4[0] = 4;
        ClusterState old = serde.deserialize("t", v4);
        assertThat(old.watchesPods()).isFalse();
        assertThat(old.withFacts(ClusterFacts.newBuilder(old.facts()).setWatchesPods(true).build())).isEqualTo(watching);
    }

    @Test
    void shouldKeepWhetherPodsAreWatchedThroughAnUnreachableMarkerThatCannotTell() {
        ClusterState watching = new ClusterState(1L, 0L, 0L, false)
                .withFacts(Feed.oke("r", "c").setWatchesPods(true).build());
        ClusterState outage = watching.withOutageFacts(Feed.oke("r", "c").setError("timeout").build());
        assertThat(outage.watchesPods()).as("an unreachable collector cannot list pods: unchanged").isTrue();
        assertThat(outage.withFacts(Feed.oke("r", "c").build()).watchesPods()).as("a heartbeat tells").isFalse();
    }

    @Test
    void shouldKeepThePolicyEnginesAndTellNoneFoundFromNotReported() {
        PolicyEngineFacts calico = PolicyEngineFacts.newBuilder().setEngine("calico").setNamespace("kube-system")
                .setName("calico-node").setImage("docker.io/calico/node:v3.28.0").setDesired(3).setReady(2).build();
        PolicyEngineFacts noStatus = PolicyEngineFacts.newBuilder().setEngine("cilium").setKind("DaemonSet")
                .setNamespace("kube-system").setName("cilium").setImage(null).setDesired(null).setReady(null).build();
        ClusterFacts enforced = Feed.oke("r", "c").setPolicyEngines(List.of(calico, noStatus))
                .setPolicyEngineNamespaces(List.of("kube-system", "calico-system")).build();
        ClusterFacts none = Feed.oke("r", "c").setPolicyEngines(List.of())
                .setPolicyEngineNamespaces(List.of("kube-system")).build();
        ClusterFacts forbidden = Feed.oke("r", "c").setPolicyEngines(List.of())
                .setPolicyEnginesError("forbidden: list daemonsets.apps in calico-system").build();
        ClusterFacts notReported = Feed.oke("r", "c").build();

        for (ClusterFacts f : List.of(enforced, none, forbidden, notReported)) {
            ClusterState s = new ClusterState(1L, 2L, 3L, false, "c", 1L, false, true, f, null, 0L, false)
                    .withEnforcementFindingOpen(f == none);
            ClusterState back = serde.deserialize("t", serde.serialize("t", s));
            assertThat(back).isEqualTo(s);
            assertThat(back.verdict()).isEqualTo(s.verdict());
        }
        ClusterState back = serde.deserialize("t", serde.serialize("t",
                new ClusterState(1L, 2L, 3L, false, "c", 1L, false, true, enforced, null, 0L, false)));
        assertThat(back.facts().getPolicyEngines()).containsExactly(calico, noStatus);
        assertThat(back.facts().getPolicyEngines().get(1).getDesired()).isNull();
        assertThat(back.verdict().state()).isEqualTo(Enforcement.State.ENFORCED);
        assertThat(back.enforcementFindingOpen()).isFalse();
        assertThat(read(none).verdict().state()).as("[] is looked and found none").isEqualTo(Enforcement.State.NOT_ENFORCED);
        assertThat(read(none).enforcementFindingOpen()).isTrue();
        assertThat(read(notReported).verdict().state()).as("null is not looked").isEqualTo(Enforcement.State.UNKNOWN);
        assertThat(read(forbidden).verdict().state()).isEqualTo(Enforcement.State.UNKNOWN);
        assertThat(read(forbidden).facts().getPolicyEnginesError()).startsWith("forbidden");
        assertThat(read(none).facts().getPolicyEngineNamespaces()).containsExactly("kube-system");
    }

    private ClusterState read(ClusterFacts f) {
        return serde.deserialize("t", serde.serialize("t",
                new ClusterState(1L, 2L, 3L, false, "c", 1L, false, true, f, null, 0L, false)
                        .withEnforcementFindingOpen(f.getPolicyEngines() != null && f.getPolicyEngines().isEmpty()
                                && f.getPolicyEnginesError() == null)));
    }

    @Test
    void shouldReadVersionThreeBytesAsTheThirdReleaseWroteThemWithoutEngineFacts() {
        byte[] v3 = versionThree(7L, 42L, 1_000L, "collector-1", 12L, "401 Unauthorized", 999L, true,
                new String[] {"oke", "ocid1.cluster.x", "eu-frankfurt-1", "ocid1.compartment.y", "prod/eu", "v1.31.1",
                        "PRIVATE_ENDPOINT"}, List.of("FLANNEL_OVERLAY"), false);

        ClusterState s = serde.deserialize("t", v3);

        assertThat(s.epoch()).isEqualTo(7L);
        assertThat(s.lastSequence()).isEqualTo(42L);
        assertThat(s.collector()).isEqualTo("collector-1");
        assertThat(s.namespaces()).isEqualTo(12L);
        assertThat(s.synced()).isFalse();
        assertThat(s.findingOpen()).isTrue();
        assertThat(s.unreachable()).isEqualTo("401 Unauthorized");
        assertThat(s.unreachableSince()).isEqualTo(999L);
        assertThat(s.region()).isEqualTo("eu-frankfurt-1");
        assertThat(s.facts().getCniTypes()).containsExactly("FLANNEL_OVERLAY");
        assertThat(s.facts().getPolicyEngines()).isNull();
        assertThat(s.verdict().state()).isEqualTo(Enforcement.State.UNKNOWN);
        assertThat(s.enforcementFindingOpen()).isFalse();
        assertThat(s.removed()).isFalse();
        // Written back as version 5, it reads the same.
        assertThat(serde.deserialize("t", serde.serialize("t", s))).isEqualTo(s);

        ClusterState removed = serde.deserialize("t", versionThree(9L, Long.MAX_VALUE, 5L, "c", 0L, null, 0L, false,
                null, List.of(), true));
        assertThat(removed).isEqualTo(ClusterState.removedAt(9L, 5L, "c"));
    }

    /** The layout version 3 wrote (the release before FW-NP-002). */
    private static byte[] versionThree(long epoch, long seq, long seen, String collector, long namespaces, String error,
            long since, boolean findingOpen, String[] facts, List<String> cni, boolean removed) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        byte[] c = collector.getBytes(StandardCharsets.UTF_8);
        b.put((byte) 3).putLong(epoch).putLong(seq).putLong(seen).put((byte) 0).putLong(namespaces).put((byte) 0)
                .putShort((short) c.length).put(c).put((byte) 0)
                .put((byte) (findingOpen ? 1 : 0)).putLong(since);
        putString(b, error);
        b.put((byte) (facts == null ? 0 : 1));
        if (facts != null) {
            for (String f : facts) {
                putString(b, f);
            }
            b.putInt(cni.size());
            cni.forEach(x -> putString(b, x));
        }
        b.put((byte) (removed ? 1 : 0));
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void putString(ByteBuffer b, String s) {
        if (s == null) {
            b.putInt(-1);
        } else {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            b.putInt(x.length).put(x);
        }
    }

    @Test
    void shouldRefuseTruncatedOrUnknownBytesWithASerializationException() {
        ClusterState s = new ClusterState(7L, 42L, 1_000L, false, "c", 1L, false, true,
                Feed.oke("r", "c").build(), "e", 1L, false);
        byte[] bytes = serde.serialize("t", s);
        for (int cut : new int[] {1, 30, bytes.length - 1}) {
            assertThatThrownBy(() -> serde.deserialize("t", Arrays.copyOf(bytes, cut)))
                    .isInstanceOf(SerializationException.class);
        }
        byte[] v9 = bytes.clone();
        v9[0] = 9;
        assertThatThrownBy(() -> serde.deserialize("t", v9)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("version 9");
    }

    @Test
    void shouldKeepTheOutageBesideTheFactsAndBoundTheErrorText() {
        ClusterFacts withError = Feed.oke("r", "c").setError("boom").setUnreachableSince(java.time.Instant.EPOCH).build();
        ClusterState s = new ClusterState(1L, 0L, 0L, false).withFacts(withError).withUnreachable("x".repeat(5_000), 3L);
        assertThat(s.facts().getError()).isNull();
        assertThat(s.facts().getUnreachableSince()).isNull();
        assertThat(s.unreachable()).hasSize(ClusterState.MAX_ERROR_CHARS + 3).endsWith("...");
        assertThat(s.withUnreachable(null, 3L).unreachableSince()).isZero();
    }
}
