package io.fencewatch.oci;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import com.oracle.bmc.ClientConfiguration;
import com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider;
import com.oracle.bmc.auth.ConfigFileAuthenticationDetailsProvider;
import com.oracle.bmc.auth.InstancePrincipalsAuthenticationDetailsProvider;
import com.oracle.bmc.auth.ResourcePrincipalAuthenticationDetailsProvider;
import com.oracle.bmc.auth.okeworkloadidentity.OkeWorkloadIdentityAuthenticationDetailsProvider;
import com.oracle.bmc.retrier.RetryConfiguration;
import com.oracle.bmc.streaming.StreamAdminClient;
import com.oracle.bmc.streaming.StreamClient;
import com.oracle.bmc.streaming.requests.GetStreamRequest;
import com.oracle.bmc.util.CircuitBreakerUtils;

import io.fencewatch.config.Configured;

/**
 * OCI clients as the collector's oci-streaming sink and the oci-bridge use them: authentication as
 * the SDK does it, and a Streaming messages client for a stream, its endpoint given or looked up with
 * GetStream. Configured by the flags of {@link OciSettings}.
 */
public final class OciClients {
    /** Authentication modes: an API key from the config file, or the instance's / resource's principal. */
    public static final String API_KEY = "api-key";
    public static final String INSTANCE_PRINCIPAL = "instance-principal";
    public static final String RESOURCE_PRINCIPAL = "resource-principal";
    /** OKE workload identity: the pod's service account (namespace, name, cluster) is the principal. */
    public static final String OKE_WORKLOAD_IDENTITY = "oke-workload-identity";

    private OciClients() {
    }

    /**
     * The SDK's authentication provider. {@code api-key} reads the config file ({@code ~/.oci/config}
     * when null) and profile as the OCI CLI does; the principals need the instance metadata service or
     * the resource principal environment (OKE workload or function), which no test here has.
     */
    public static AbstractAuthenticationDetailsProvider auth(String mode, Path configFile, String profile) {
        try {
            return switch (mode) {
                case API_KEY -> configFile == null ? new ConfigFileAuthenticationDetailsProvider(profile)
                        : new ConfigFileAuthenticationDetailsProvider(configFile.toString(), profile);
                case INSTANCE_PRINCIPAL -> InstancePrincipalsAuthenticationDetailsProvider.builder().build();
                case RESOURCE_PRINCIPAL -> ResourcePrincipalAuthenticationDetailsProvider.builder().build();
                case OKE_WORKLOAD_IDENTITY -> OkeWorkloadIdentityAuthenticationDetailsProvider.builder().build();
                default -> throw new IllegalArgumentException("unknown OCI auth mode " + mode);
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the OCI config file", e);
        }
    }

    /**
     * Retries and the circuit breaker off: the sink retries by itself, per entry, honouring OCI's hints,
     * and the bridge with its own backoff; both must see every failure.
     */
    public static ClientConfiguration clientConfiguration() {
        return ClientConfiguration.builder().retryConfiguration(RetryConfiguration.NO_RETRY_CONFIGURATION)
                .circuitBreakerConfiguration(CircuitBreakerUtils.getNoCircuitBreakerConfiguration())
                .connectionTimeoutMillis(10_000).readTimeoutMillis(30_000).build();
    }

    /**
     * The stream's messages endpoint: {@code messagesEndpoint} if given, else GetStream on the admin
     * endpoint ({@code adminEndpoint}, or the region's when null). GetStream needs
     * {@code read streams} (STREAM_READ); giving the endpoint avoids that grant.
     */
    public static String messagesEndpoint(AbstractAuthenticationDetailsProvider auth, String streamId, String messagesEndpoint,
            String adminEndpoint, String region) {
        if (messagesEndpoint != null) {
            return messagesEndpoint;
        }
        var builder = StreamAdminClient.builder().configuration(clientConfiguration());
        if (adminEndpoint != null) {
            builder.endpoint(adminEndpoint);
        } else if (region != null) {
            builder.region(region);
        }
        try (StreamAdminClient admin = builder.build(auth)) {
            return admin.getStream(GetStreamRequest.builder().streamId(streamId).build()).getStream().getMessagesEndpoint();
        }
    }

    public static StreamClient streamClient(AbstractAuthenticationDetailsProvider auth, String messagesEndpoint) {
        return StreamClient.builder().configuration(clientConfiguration()).endpoint(messagesEndpoint).build(auth);
    }

    /**
     * The messages client for the stream that {@code settings} name (auth, stream OCID, endpoint or its
     * lookup): what the sink and the bridge both open at start.
     */
    public static StreamClient streamClient(Configured settings) {
        AbstractAuthenticationDetailsProvider auth = auth(settings.get(OciSettings.AUTH),
                settings.get(OciSettings.CONFIG_FILE), settings.get(OciSettings.PROFILE));
        String endpoint = messagesEndpoint(auth, settings.get(OciSettings.STREAM_OCID),
                settings.get(OciSettings.MESSAGES_ENDPOINT), settings.get(OciSettings.ADMIN_ENDPOINT),
                settings.get(OciSettings.REGION));
        return streamClient(auth, endpoint);
    }
}
