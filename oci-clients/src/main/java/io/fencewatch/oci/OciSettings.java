package io.fencewatch.oci;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.fencewatch.config.Setting;

/**
 * The OCI flags that every command reaching OCI takes, declared once: authentication as the OCI CLI
 * and SDK do it, and the stream to write or read. The collector ({@code --sink=oci-streaming}) and
 * {@code fencewatch oci-bridge} both register these.
 */
public final class OciSettings {
    public static final Setting<String> STREAM_OCID = new Setting<>("oci-stream-ocid", null, OciSettings::streamOcid,
            "the OCID of the OCI stream the collectors write to and the bridge reads (ocid1.stream.oc1...)");
    public static final Setting<String> MESSAGES_ENDPOINT = new Setting<>("oci-messages-endpoint", null,
            OciSettings::httpUrl,
            "the stream's messages endpoint (https://cell-1.streaming.<region>.oci.oraclecloud.com); default: looked up with GetStream");
    public static final Setting<String> ADMIN_ENDPOINT = new Setting<>("oci-admin-endpoint", null, OciSettings::httpUrl,
            "Streaming admin endpoint for the GetStream lookup; default: the region's");
    public static final Setting<String> REGION = new Setting<>("oci-region", null, OciSettings::nonBlank,
            "OCI region for the GetStream lookup (e.g. eu-frankfurt-1); default: the config file's");
    public static final Setting<String> AUTH = new Setting<>("oci-auth", OciClients.API_KEY,
            OciSettings::auth,
            "OCI authentication: api-key (config file and profile, as the OCI CLI reads them; also spelled config), instance-principal,"
                    + " resource-principal or oke-workload-identity (the pod's service account, OKE only; also spelled workload-identity)");
    public static final Setting<Path> CONFIG_FILE = new Setting<>("oci-config-file", null, OciSettings::readableFile,
            "OCI config file for --oci-auth=api-key; default: ~/.oci/config");
    public static final Setting<String> PROFILE = new Setting<>("oci-profile", "DEFAULT", OciSettings::nonBlank,
            "profile of the OCI config file");

    /** Every OCI flag, in documentation order. */
    public static final List<Setting<?>> ALL = List.of(STREAM_OCID, MESSAGES_ENDPOINT, ADMIN_ENDPOINT, REGION, AUTH,
            CONFIG_FILE, PROFILE);

    private OciSettings() {
    }

    static String streamOcid(String v) {
        if (!v.matches("ocid1\\.stream\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("is not a stream OCID (ocid1.stream.oc1.<region>.<id>)");
        }
        return v;
    }

    public static String httpUrl(String v) {
        try {
            URI u = new URI(v);
            if (("https".equals(u.getScheme()) || "http".equals(u.getScheme())) && u.getHost() != null) {
                return v;
            }
        } catch (URISyntaxException e) {
            // the one message below says it
        }
        throw new IllegalArgumentException("is not an http(s) URL");
    }

    static String nonBlank(String v) {
        if (v.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return v;
    }

    static Path readableFile(String v) {
        Path p = Path.of(v);
        if (v.isBlank() || !Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException("is not a readable file");
        }
        return p;
    }

    /**
     * An auth mode; {@code config} and {@code workload-identity}, the names the OKE fleet issue gives
     * them, mean {@code api-key} and {@code oke-workload-identity}, which are what the value becomes.
     */
    static String auth(String v) {
        return switch (v) {
            case "config" -> OciClients.API_KEY;
            case "workload-identity" -> OciClients.OKE_WORKLOAD_IDENTITY;
            default -> choice(v, OciClients.API_KEY, OciClients.INSTANCE_PRINCIPAL, OciClients.RESOURCE_PRINCIPAL,
                    OciClients.OKE_WORKLOAD_IDENTITY);
        };
    }

    static String choice(String v, String... choices) {
        for (String c : choices) {
            if (c.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException("is not one of " + String.join(", ", choices));
    }
}
