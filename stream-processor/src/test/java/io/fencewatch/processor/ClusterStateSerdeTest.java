package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.inventory.ClusterFacts;

/** The cluster-state store's bytes: version 3 written, versions 1 and 2 (of earlier releases) still read. */
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
    void shouldWriteVersionThreeAndReadBackFactsOutageAndFlags() {
        ClusterFacts facts = Feed.oke("eu-frankfurt-1", "prod/eu").setCniTypes(List.of("FLANNEL_OVERLAY", "OCI_VCN_IP_NATIVE"))
                .setOcid(null).build();
        ClusterState s = new ClusterState(7L, 42L, 1_000L, false, "collector-ü", 12L, false, false, facts,
                "401 Unauthorized: ünïcode", 999L, true);

        byte[] bytes = serde.serialize("t", s);

        assertThat(bytes[0]).isEqualTo((byte) 3);
        ClusterState back = serde.deserialize("t", bytes);
        assertThat(back).isEqualTo(s);
        assertThat(back.facts().getCniTypes()).containsExactly("FLANNEL_OVERLAY", "OCI_VCN_IP_NATIVE");
        assertThat(back.ocid()).isNull();
        assertThat(back.compartment()).isEqualTo("prod/eu");

        ClusterState bare = new ClusterState(ClusterState.NO_EPOCH, Long.MIN_VALUE, 5L, true, "", 0L, false, true, null,
                null, 0L, false);
        assertThat(serde.deserialize("t", serde.serialize("t", bare))).isEqualTo(bare);
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
