package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * {@link SandboxOkeScenarioIT}'s fleet story with {@code --transport=oci-streaming}: the fleet's collector signs
 * discovery, its OKE tokens and its PutMessages with one key, which both stand-ins trust; the discovered, the
 * deleted (CLUSTER_REMOVED) and the refused (UNREACHABLE) clusters reach the processor through the stream and the
 * oci-bridge.
 */
class SandboxOkeScenarioOciStreamingIT extends SandboxOkeScenarioIT {

    @Override
    String transport() {
        return "oci-streaming";
    }

    @Override
    void checkTransport(Sandbox sandbox) {
        OciStreamingTransport oci = sandbox.ociTransport();
        assertThat(oci).isNotNull();
        assertThat(oci.credentials().configFile()).startsWith(sandbox.dataDir().resolve("oke"));
        StreamingStub stub = oci.stub();
        List<StreamingStub.StoredMessage> all = stub.allMessages(oci.streamId());
        assertThat(all).extracting(StreamingStub.StoredMessage::keyString)
                .contains(Keys.marker("shop"), Keys.marker("analytics"), Keys.of("shop", "orders"));
        List<InventoryEvent> markers = all.stream().filter(m -> Keys.isMarker(m.keyString()))
                .map(m -> FencewatchSerdes.inventoryEvent().deserialize("fencewatch.inventory", m.value())).toList();
        assertThat(markers).anySatisfy(e -> {
            assertThat(e.getSource().getCluster()).isEqualTo("dev-1");
            assertThat(e.getOp()).isEqualTo(Op.CLUSTER_REMOVED);
        });
        assertThat(markers).anySatisfy(e -> {
            assertThat(e.getSource().getCluster()).isEqualTo("payments");
            assertThat(e.getOp()).isEqualTo(Op.UNREACHABLE);
        });
        assertThat(stub.rejectedUnauthenticated()).as("requests the Streaming stand-in refused").isZero();
        assertThat(oci.bridge().metrics().get("events_forwarded_total")).isPositive();
        assertThat(oci.bridge().metrics().get("dlq_total")).isZero();
        assertThat(oci.healthProblem()).as("the bridge's health").isNull();
    }
}
