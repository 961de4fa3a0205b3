package io.fencewatch.ocistub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A stand-in for the Identity and Container Engine calls an OKE fleet's discovery makes, written
 * from Oracle's API reference (Identity 20160918, Container Engine 20180222); not OCI. One instance
 * plays one region's Container Engine and the tenancy's Identity. Strict where the service is:
 * <ul>
 *   <li>every request signed ({@link OciStubServer}), CreateKubeconfig with its body headers;</li>
 *   <li>ListCompartments' {@code compartmentIdInSubtree=true} only on the tenancy (root), as the
 *       reference says; {@code limit} 1..1000, pages through {@code opc-next-page};</li>
 *   <li>ListClusters needs {@code compartmentId}; {@code lifecycleState} filters (one value);</li>
 *   <li>CreateKubeconfig accepts only {@code tokenVersion} 2.0.0 and an endpoint type the cluster
 *       has, and answers the YAML file the CLI writes (server, CA, and the {@code oci ce cluster
 *       generate-token} exec entry) as {@code application/octet-stream}.</li>
 * </ul>
 * Operations for {@link Faults}: ListCompartments, ListRegionSubscriptions, ListClusters, GetCluster,
 * CreateKubeconfig.
 */
public final class OkeFleetStub extends OciStubServer {
    private static final String IDENTITY = "/20160918";
    private static final String CE = "/20180222";
    public static final Set<String> ENDPOINT_TYPES = Set.of("LEGACY_KUBERNETES", "PUBLIC_ENDPOINT", "PRIVATE_ENDPOINT",
            "VCN_HOSTNAME");

    /** A compartment: parent is the tenancy OCID for top-level ones. */
    public record Compartment(String id, String parent, String name, String lifecycleState) {
    }

    /** An OKE cluster as the stand-in keeps it. {@code endpoints}: type → "host:port" (or a URL for tests). */
    public static final class Cluster {
        public final String id;
        public final String name;
        public final String compartmentId;
        public volatile String lifecycleState = "ACTIVE";
        public volatile String kubernetesVersion = "v1.34.1";
        public volatile String cniType = "FLANNEL_OVERLAY";
        public final Map<String, String> endpoints = new ConcurrentHashMap<>();
        public final Map<String, String> freeformTags = new ConcurrentHashMap<>();
        /** The cluster CA the kubeconfig carries: by default a self-signed certificate made for the stand-in only. */
        public volatile String caCertificatePem = STAND_IN_CA;
        /** metadata.timeCreated. */
        public volatile java.time.Instant timeCreated = java.time.Instant.EPOCH;

        Cluster(String id, String name, String compartmentId) {
            this.id = id;
            this.name = name;
            this.compartmentId = compartmentId;
        }
    }

    /** A self-signed CA certificate (openssl, CN fencewatch-oke-stand-in-ca) whose key was thrown away. */
    static final String STAND_IN_CA = "-----BEGIN CERTIFICATE-----\n"
            + "MIIDLTCCAhWgAwIBAgIUTVo3Y1Y41UDMeVzPWOFA9wjy/8gwDQYJKoZIhvcNAQEL\n"
            + "BQAwJTEjMCEGA1UEAwwaZmVuY2V3YXRjaC1va2Utc3RhbmQtaW4tY2EwIBcNMjYx\n"
            + "MjAyMTQzOTIyWhgPMjEyNjExMDgxNDM5MjJaMCUxIzAhBgNVBAMMGmZlbmNld2F0\n"
            + "Y2gtb2tlLXN0YW5kLWluLWNhMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC\n"
            + "AQEAhS4+bKyULlWb9WAbMgQldfW6+23ykQ/QHtC8az4MDstnz7l9lt0v8XC3ovoX\n"
            + "2DQeERqz4+/jzsHoSKtj53HRJNoPdaF8+bZL3nDN1Tpy0EOfwIo8fBKYTEb6RdOm\n"
            + "HJFzUIVdl65BekH9LAgD2+hqxHrJL1J2l/tvBcVAepGiUwK0dk9GsVItUVHost5V\n"
            + "Ry/sQXgtsNs5vE1FMRwIP1xG5MCQzrxKYx0HFh+pT/+/hed3bKmte1gXAlAcNXTC\n"
            + "lBiB59Qe0a9cJ9WPh2kd8VbItGrvMqmSVw4Vsc87p8V/GgWdQc+WNbXx6dhuOMd1\n"
            + "Sv0M1zQJz+AEAOrze+Rn0Ec6bwIDAQABo1MwUTAdBgNVHQ4EFgQUxaeeJ3Ui6nlU\n"
            + "DvYSYqNGcXlp6YMwHwYDVR0jBBgwFoAUxaeeJ3Ui6nlUDvYSYqNGcXlp6YMwDwYD\n"
            + "VR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAUxLfemmBDKZGgI6yoPB0\n"
            + "KDNTpNjLqPG4yolemaY/NEQ00gOTLkNarcJW/84iVWveBWB3ba2nFRZNlQT0M3Xh\n"
            + "vdpPw5KS1AOQwt1t6KIZiXhhv4SAV7Qx7WFkd5h38Vz3wIAjnXiO48ghrPxQSsr9\n"
            + "iy1POalISzWXDPgt+NU0we8nJwiTMmwBjmPHGYySEIZQqdvhgqNx1qEWDNFs71Nv\n"
            + "fYlC+oaZwWATOS4Yj1iTMMJ/6h0DegE0QVbgDTzbtLj8+odHDRldRtKZYJF/ryeu\n"
            + "cOIsa3LGyd/+LGaAs1pWdIypdKS8om4jz6VCRnOpgoo6MPp1BAQcWRDoAthVRIe4\n"
            + "kQ==\n"
            + "-----END CERTIFICATE-----\n";

    private final String region;
    private final String tenancy;
    private final Map<String, Compartment> compartments;
    private final Map<String, Cluster> clusters = new ConcurrentHashMap<>();
    private final List<String> subscribedRegions = new CopyOnWriteArrayList<>();
    /** OCIDs unique across every stand-in of the JVM (regions of one tenancy share compartments). */
    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    public OkeFleetStub(Clock clock, String region, String tenancy) throws IOException {
        this(clock, region, tenancy, new ConcurrentHashMap<>());
    }

    private OkeFleetStub(Clock clock, String region, String tenancy, Map<String, Compartment> compartments)
            throws IOException {
        super(clock);
        this.compartments = compartments;
        this.region = Objects.requireNonNull(region);
        this.tenancy = Objects.requireNonNull(tenancy);
        subscribedRegions.add(region);
        route("GET", IDENTITY + "/compartments", "ListCompartments", this::listCompartments);
        route("GET", IDENTITY + "/compartments/([^/]+)", "GetCompartment", this::getCompartment);
        route("GET", IDENTITY + "/tenancies/([^/]+)/regionSubscriptions", "ListRegionSubscriptions", this::listRegions);
        route("GET", CE + "/clusters", "ListClusters", this::listClusters);
        route("GET", CE + "/clusters/([^/]+)", "GetCluster", this::getCluster);
        route("POST", CE + "/clusters/([^/]+)/kubeconfig/content", "CreateKubeconfig", this::createKubeconfig);
    }

    public static OkeFleetStub start(Clock clock, String region, String tenancy) throws IOException {
        OkeFleetStub stub = new OkeFleetStub(clock, region, tenancy);
        stub.start();
        return stub;
    }

    /**
     * Another region of the same tenancy: its own Container Engine (clusters), the same Identity
     * (compartments are tenancy-wide), started.
     */
    public OkeFleetStub startRegion(String otherRegion) throws IOException {
        OkeFleetStub stub = new OkeFleetStub(clock, otherRegion, tenancy, compartments);
        stub.start();
        return stub;
    }

    public String region() {
        return region;
    }

    /** Adds an ACTIVE compartment under {@code parent} (the tenancy for a top-level one); returns its OCID. */
    public synchronized String addCompartment(String parent, String name) {
        if (!parent.equals(tenancy) && !compartments.containsKey(parent)) {
            throw new IllegalArgumentException("no compartment " + parent);
        }
        String id = "ocid1.compartment.oc1..standin" + IDS.incrementAndGet() + name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
        compartments.put(id, new Compartment(id, parent, name, "ACTIVE"));
        return id;
    }

    public void setCompartmentState(String id, String lifecycleState) {
        Compartment c = compartments.get(id);
        compartments.put(id, new Compartment(c.id(), c.parent(), c.name(), lifecycleState));
    }

    /** Adds an ACTIVE cluster in this region with a public endpoint {@code publicEndpoint}; returns it. */
    public synchronized Cluster addCluster(String compartmentId, String name, String publicEndpoint) {
        if (!compartmentId.equals(tenancy) && !compartments.containsKey(compartmentId)) {
            throw new IllegalArgumentException("no compartment " + compartmentId);
        }
        String id = "ocid1.cluster.oc1." + region + ".standin" + IDS.incrementAndGet() + name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
        Cluster c = new Cluster(id, name, compartmentId);
        c.endpoints.put("PUBLIC_ENDPOINT", publicEndpoint);
        c.timeCreated = clock.instant();
        clusters.put(id, c);
        return c;
    }

    /** Removes a cluster from every list (as OCI does some time after DELETED). */
    public void forgetCluster(String id) {
        clusters.remove(id);
    }

    public Cluster cluster(String id) {
        return clusters.get(id);
    }

    public void subscribeRegion(String regionName) {
        subscribedRegions.add(regionName);
    }

    private Response listCompartments(Request r) {
        String parent = required(r, "compartmentId");
        boolean subtree = Boolean.parseBoolean(r.query().getOrDefault("compartmentIdInSubtree", "false"));
        if (subtree && !parent.equals(tenancy)) {
            throw OciError.invalidParameter("compartmentIdInSubtree can only be true when compartmentId is the tenancy");
        }
        if (!parent.equals(tenancy) && !compartments.containsKey(parent)) {
            throw OciError.notFound("compartment " + parent);
        }
        String state = r.query().get("lifecycleState");
        List<Map<String, Object>> out = new ArrayList<>();
        compartments.values().stream().sorted(java.util.Comparator.comparing(Compartment::id))
                .filter(c -> subtree || c.parent().equals(parent))
                .filter(c -> state == null || state.equals(c.lifecycleState()))
                .forEach(c -> out.add(json(c)));
        return page(r, out);
    }

    private Response getCompartment(Request r) {
        Compartment c = compartments.get(r.pathParam(1));
        if (c == null) {
            throw OciError.notFound("compartment " + r.pathParam(1));
        }
        return Response.ok(json(c));
    }

    /** A Compartment as Identity answers it. */
    private static Map<String, Object> json(Compartment c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("compartmentId", c.parent());
        m.put("name", c.name());
        m.put("description", c.name());
        m.put("lifecycleState", c.lifecycleState());
        m.put("timeCreated", "2026-01-01T00:00:00.000Z");
        return m;
    }

    private Response listRegions(Request r) {
        if (!r.pathParam(1).equals(tenancy)) {
            throw OciError.notFound("tenancy " + r.pathParam(1));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String name : subscribedRegions) {
            out.add(Map.of("regionKey", name.toUpperCase(java.util.Locale.ROOT), "regionName", name, "status", "READY",
                    "isHomeRegion", name.equals(region)));
        }
        return Response.ok(out);
    }

    private Response listClusters(Request r) {
        String compartment = required(r, "compartmentId");
        String state = r.query().get("lifecycleState");
        List<Map<String, Object>> out = new ArrayList<>();
        clusters.values().stream().sorted(java.util.Comparator.comparing(c -> c.id))
                .filter(c -> c.compartmentId.equals(compartment))
                .filter(c -> state == null || state.equals(c.lifecycleState))
                .forEach(c -> out.add(json(c)));
        return page(r, out);
    }

    private Response getCluster(Request r) {
        Cluster c = clusters.get(r.pathParam(1));
        if (c == null) {
            throw OciError.notFound("cluster " + r.pathParam(1));
        }
        return Response.ok(json(c));
    }

    private Response createKubeconfig(Request r) throws IOException {
        Cluster c = clusters.get(r.pathParam(1));
        if (c == null) {
            throw OciError.notFound("cluster " + r.pathParam(1));
        }
        JsonNode body = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
        String version = body.path("tokenVersion").asText("2.0.0");
        if (!"2.0.0".equals(version)) {
            throw OciError.invalidParameter("tokenVersion must be 2.0.0");
        }
        String endpoint = body.path("endpoint").asText("LEGACY_KUBERNETES");
        if (!ENDPOINT_TYPES.contains(endpoint)) {
            throw OciError.invalidParameter("endpoint must be one of " + ENDPOINT_TYPES);
        }
        String address = c.endpoints.get(endpoint.equals("LEGACY_KUBERNETES") ? "PUBLIC_ENDPOINT" : endpoint);
        if (address == null) {
            throw OciError.invalidParameter("cluster " + c.id + " has no " + endpoint);
        }
        String server = address.contains("://") ? address : "https://" + address;
        String ca = Base64.getEncoder().encodeToString(c.caCertificatePem.getBytes(StandardCharsets.US_ASCII));
        String suffix = c.id.substring(c.id.length() - 11);
        String yaml = """
                ---
                apiVersion: v1
                kind: ""
                clusters:
                - name: cluster-%1$s
                  cluster:
                    server: %2$s
                    certificate-authority-data: %3$s
                users:
                - name: user-%1$s
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1beta1
                      command: oci
                      args:
                      - ce
                      - cluster
                      - generate-token
                      - --cluster-id
                      - %4$s
                      - --region
                      - %5$s
                      env: []
                contexts:
                - name: context-%1$s
                  context:
                    cluster: cluster-%1$s
                    user: user-%1$s
                current-context: context-%1$s
                """.formatted(suffix, server, ca, c.id, region);
        return new Response(200, new Raw(yaml.getBytes(StandardCharsets.UTF_8), "application/octet-stream"), Map.of());
    }

    private Map<String, Object> json(Cluster c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id);
        m.put("name", c.name);
        m.put("compartmentId", c.compartmentId);
        m.put("kubernetesVersion", c.kubernetesVersion);
        m.put("lifecycleState", c.lifecycleState);
        m.put("metadata", Map.of("timeCreated", java.time.format.DateTimeFormatter.ISO_INSTANT.format(c.timeCreated)));
        Map<String, Object> endpoints = new LinkedHashMap<>();
        c.endpoints.forEach((type, address) -> endpoints.put(switch (type) {
            case "PUBLIC_ENDPOINT" -> "publicEndpoint";
            case "PRIVATE_ENDPOINT" -> "privateEndpoint";
            case "VCN_HOSTNAME" -> "vcnHostnameEndpoint";
            default -> "kubernetes";
        }, address));
        m.put("endpoints", endpoints);
        m.put("clusterPodNetworkOptions", List.of(Map.of("cniType", c.cniType)));
        m.put("freeformTags", Map.copyOf(c.freeformTags));
        return m;
    }

    private static String required(Request r, String name) {
        String v = r.query().get(name);
        if (v == null || v.isEmpty()) {
            throw OciError.invalidParameter(name + " is required");
        }
        return v;
    }

    /** OCI's paging: {@code limit} (1..1000, default 100) and an opaque {@code page}; next in {@code opc-next-page}. */
    private static Response page(Request r, List<Map<String, Object>> all) {
        int limit;
        try {
            limit = Integer.parseInt(r.query().getOrDefault("limit", "100"));
        } catch (NumberFormatException e) {
            throw OciError.invalidParameter("limit must be an integer");
        }
        if (limit < 1 || limit > 1000) {
            throw OciError.invalidParameter("limit must be between 1 and 1000");
        }
        int from;
        try {
            from = r.query().containsKey("page") ? Integer.parseInt(new String(Base64.getUrlDecoder()
                    .decode(r.query().get("page")), StandardCharsets.UTF_8)) : 0;
        } catch (IllegalArgumentException e) {
            throw OciError.invalidParameter("page is not a token this service issued");
        }
        int to = Math.min(all.size(), from + limit);
        Map<String, String> headers = to < all.size()
                ? Map.of("opc-next-page", Base64.getUrlEncoder().encodeToString(Integer.toString(to).getBytes(StandardCharsets.UTF_8)))
                : Map.of();
        return new Response(200, all.subList(Math.min(from, all.size()), to), headers);
    }
}
