package io.fencewatch.collector.fleet;

import java.net.URI;
import java.util.List;
import java.util.function.Function;

import com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider;
import com.oracle.bmc.auth.AuthenticationDetailsProvider;
import com.oracle.bmc.auth.BasicAuthenticationDetailsProvider;
import com.oracle.bmc.auth.RegionProvider;
import com.oracle.bmc.http.signing.DefaultRequestSigner;

import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.collector.config.ConfigException;
import io.fencewatch.oci.OkeDiscovery;

/** An {@link OkeFleet}'s discovery and plan, from the collector's flags and OCI auth. */
public final class OkeFleets {
    private OkeFleets() {
    }

    /** Discovery signed by the auth's key, at {@code --oci.<service>.endpoint} or the region's endpoints. */
    public static OkeDiscovery discovery(CollectorConfig config, AbstractAuthenticationDetailsProvider auth) {
        if (!(auth instanceof BasicAuthenticationDetailsProvider basic)) {
            throw new ConfigException(CollectorConfig.OCI_AUTH.option() + ": " + config.get(CollectorConfig.OCI_AUTH)
                    + " gives no request signer");
        }
        return new OkeDiscovery(DefaultRequestSigner.createRequestSigner(basic), endpoint(config, "identity"),
                endpoint(config, "containerengine"));
    }

    private static Function<String, URI> endpoint(CollectorConfig config, String service) {
        URI given = config.ociEndpoints().get(service);
        return given != null ? region -> given : region -> OkeDiscovery.defaultEndpoint(service, region);
    }

    public static OkeFleet.Plan plan(CollectorConfig config, AbstractAuthenticationDetailsProvider auth) {
        String home = homeRegion(config, auth);
        List<String> named = config.ociRegions();
        OkeFleet.RegionsSource regions;
        if (named.equals(List.of("all-subscribed"))) {
            String tenancy = tenancy(config, auth);
            OkeDiscovery lookup = discovery(config, auth);
            regions = () -> {
                List<String> subscribed = lookup.subscribedRegions(tenancy, home);
                return subscribed.isEmpty() ? List.of(home) : subscribed;
            };
        } else {
            List<String> fixed = named.isEmpty() ? List.of(home) : named;
            regions = () -> fixed;
        }
        return new OkeFleet.Plan(config.ociCompartments(), config.get(CollectorConfig.OCI_SUBTREE), regions,
                config.ociClusterIncludes(), config.ociClusterExcludes(), config.get(CollectorConfig.OCI_ENDPOINT_TYPE),
                config.get(CollectorConfig.OCI_REDISCOVER_INTERVAL), config.get(CollectorConfig.SHUTDOWN_TIMEOUT),
                config.get(CollectorConfig.WATCH_PODS));
    }

    /** {@code --oci-region}, else the auth's region (the config file's, the instance's). */
    static String homeRegion(CollectorConfig config, AbstractAuthenticationDetailsProvider auth) {
        String region = config.get(CollectorConfig.OCI_REGION);
        if (region != null) {
            return region;
        }
        if (auth instanceof RegionProvider rp && rp.getRegion() != null) {
            return rp.getRegion().getRegionId();
        }
        throw new ConfigException(CollectorConfig.OCI_REGIONS.option() + ": no region given and the OCI auth names none"
                + " (set " + CollectorConfig.OCI_REGION.option() + ")");
    }

    /** The tenancy (for all-subscribed): a tenancy OCID among the compartments, else the auth's. */
    static String tenancy(CollectorConfig config, AbstractAuthenticationDetailsProvider auth) {
        for (String c : config.ociCompartments()) {
            if (c.startsWith("ocid1.tenancy.")) {
                return c;
            }
        }
        if (auth instanceof AuthenticationDetailsProvider adp && adp.getTenantId() != null) {
            return adp.getTenantId();
        }
        throw new ConfigException(CollectorConfig.OCI_REGIONS.option() + ": all-subscribed needs the tenancy OCID"
                + " (name it in " + CollectorConfig.OCI_COMPARTMENTS.option() + ")");
    }
}
