package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * {@link SandboxPolicyKindsIT}'s tests with {@code --transport=oci-streaming}: collector → OCI Streaming stand-in
 * (4 partitions) → oci-bridge → Kafka → processor. A cluster-scoped policy (GlobalNetworkPolicy,
 * CiliumClusterwideNetworkPolicy) is keyed {@code sandbox/*}: on the stand-in's stream it is one message, and the
 * bridge must fan it out to every partition of the inventory topic, or the namespaces of the other partitions would
 * not see it.
 */
class SandboxPolicyKindsOciStreamingIT extends SandboxPolicyKindsIT {
    @Override
    String transport() {
        return "oci-streaming";
    }

    @Override
    void globalPolicyDelivered(Sandbox sandbox) {
        OciStreamingTransport oci = sandbox.ociTransport();
        StreamingStub stub = oci.stub();
        List<InventoryEvent> onStream = stub.allMessages(oci.streamId()).stream()
                .filter(m -> Keys.marker("sandbox").equals(m.keyString()))
                .map(m -> FencewatchSerdes.inventoryEvent().deserialize(sandbox.topics().inventory(), m.value()))
                .filter(e -> e.getKind() == Kind.CALICO_GLOBAL_NETWORK_POLICY && e.getOp() == Op.UPSERT)
                .toList();
        assertThat(onStream).as("the collector puts a cluster-scoped policy once, under the cluster's key").hasSize(1);
        assertThat(stub.rejectedUnauthenticated()).isZero();
        super.globalPolicyDelivered(sandbox); // ... and the bridge forwarded it to every Kafka partition
        assertThat(oci.bridge().metrics().get("dlq_total")).isZero();
    }
}
