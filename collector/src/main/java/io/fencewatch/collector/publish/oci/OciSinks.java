package io.fencewatch.collector.publish.oci;

import com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.schema.serde.FencewatchSerdes;

/** Builds the oci-streaming sink of one agent from the collector's configuration. */
public final class OciSinks {
    private OciSinks() {
    }

    public static OciStreamingSink create(CollectorConfig config, String clusterId) {
        AbstractAuthenticationDetailsProvider auth = OciClients.auth(config.get(CollectorConfig.OCI_AUTH),
                config.get(CollectorConfig.OCI_CONFIG_FILE), config.get(CollectorConfig.OCI_PROFILE));
        String stream = config.get(CollectorConfig.OCI_STREAM_OCID);
        String endpoint = OciClients.messagesEndpoint(auth, stream, config.get(CollectorConfig.OCI_MESSAGES_ENDPOINT),
                config.get(CollectorConfig.OCI_ADMIN_ENDPOINT), config.get(CollectorConfig.OCI_REGION));
        return OciStreamingSink.withDefaults(OciClients.streamClient(auth, endpoint), stream, "cluster " + clusterId,
                FencewatchSerdes.inventoryEvent());
    }
}
