package io.fencewatch.collector.publish.oci;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.oci.OciClients;
import io.fencewatch.schema.serde.FencewatchSerdes;

/** Builds the oci-streaming sink of one agent from the collector's configuration. */
public final class OciSinks {
    private OciSinks() {
    }

    public static OciStreamingSink create(CollectorConfig config, String clusterId) {
        return OciStreamingSink.withDefaults(OciClients.streamClient(config), config.get(CollectorConfig.OCI_STREAM_OCID),
                "cluster " + clusterId, FencewatchSerdes.inventoryEvent());
    }
}
