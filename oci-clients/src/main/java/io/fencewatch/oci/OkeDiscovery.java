package io.fencewatch.oci;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.oracle.bmc.http.signing.RequestSigner;

/**
 * One pass of OKE fleet discovery, as the rule's audit starts it: compartments (the tenancy means
 * the root; with {@code subtree}, every ACTIVE sub-compartment), then each compartment's clusters in
 * each region, filtered by name globs and the freeform tag {@code fencewatch.io/watch=false}, with a
 * fleet-unique cluster id. Calls Identity 20160918 and Container Engine 20180222 over HTTPS, each
 * request signed by the SDK's {@link RequestSigner}; endpoints are the region's unless overridden
 * (other realms, private endpoints, the test stand-in). The Container Engine SDK is not used: only
 * 3.47.0 resolves here, against common 3.77.2.
 */
public final class OkeDiscovery {
    /** The freeform tag that excludes a cluster. */
    public static final String WATCH_TAG = "fencewatch.io/watch";

    /** A cluster found, in any lifecycle state (callers watch ACTIVE ones and retire the rest). */
    public record OkeCluster(String id, String name, String ocid, String region, String compartmentId,
            String compartmentPath, String kubernetesVersion, String lifecycleState, List<String> cniTypes,
            Map<String, String> endpoints, java.time.Instant timeCreated) {
        public boolean active() {
            return "ACTIVE".equals(lifecycleState);
        }

        /** ACTIVE, or UPDATING (an upgrade: its API server keeps answering). */
        public boolean watchable() {
            return active() || "UPDATING".equals(lifecycleState);
        }

        /** Gone or going: DELETING, DELETED or FAILED. */
        public boolean gone() {
            return "DELETING".equals(lifecycleState) || "DELETED".equals(lifecycleState) || "FAILED".equals(lifecycleState);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RequestSigner signer;
    private final Function<String, URI> identityEndpoint;
    private final Function<String, URI> containerEngineEndpoint;
    private final HttpClient http;

    /**
     * @param identityEndpoint region → Identity endpoint ({@link #defaultEndpoint}("identity", region) unless overridden)
     * @param containerEngineEndpoint region → Container Engine endpoint
     */
    public OkeDiscovery(RequestSigner signer, Function<String, URI> identityEndpoint,
            Function<String, URI> containerEngineEndpoint) {
        this.signer = Objects.requireNonNull(signer);
        this.identityEndpoint = Objects.requireNonNull(identityEndpoint);
        this.containerEngineEndpoint = Objects.requireNonNull(containerEngineEndpoint);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** {@code https://<service>.<region>.oci.oraclecloud.com} (the commercial realm). */
    public static URI defaultEndpoint(String service, String region) {
        return URI.create("https://" + service + "." + region + ".oci.oraclecloud.com");
    }

    /** The subscribed regions' names ({@code all-subscribed}), asked of the home region's Identity. */
    public List<String> subscribedRegions(String tenancy, String homeRegion) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode r : get(identityEndpoint.apply(homeRegion), "/20160918/tenancies/" + tenancy + "/regionSubscriptions")) {
            if ("READY".equals(r.path("status").asText())) {
                out.add(r.path("regionName").asText());
            }
        }
        return out;
    }

    /**
     * Every cluster of {@code roots} (compartment or tenancy OCIDs) in {@code regions}, included by
     * {@code include} (globs on names; empty: all), not excluded by {@code exclude} or the tag.
     */
    public List<OkeCluster> discover(List<String> roots, boolean subtree, List<String> regions, List<String> include,
            List<String> exclude) throws IOException {
        List<PathMatcher> includes = include.stream().map(OkeDiscovery::glob).toList();
        List<PathMatcher> excludes = exclude.stream().map(OkeDiscovery::glob).toList();
        String home = regions.get(0);
        Map<String, String> paths = new LinkedHashMap<>(); // compartment id -> path of names
        for (String root : roots) {
            compartments(root, subtree, home, paths);
        }
        List<OkeCluster> found = new ArrayList<>();
        for (String region : regions) {
            for (Map.Entry<String, String> c : paths.entrySet()) {
                for (JsonNode n : getAll(containerEngineEndpoint.apply(region), "/20180222/clusters?compartmentId="
                        + enc(c.getKey()))) {
                    String name = n.path("name").asText();
                    if (!included(name, includes, excludes) || "false".equalsIgnoreCase(n.path("freeformTags").path(WATCH_TAG).asText())) {
                        continue;
                    }
                    List<String> cni = new ArrayList<>();
                    n.path("clusterPodNetworkOptions").forEach(o -> cni.add(o.path("cniType").asText()));
                    Map<String, String> endpoints = new TreeMap<>();
                    n.path("endpoints").fields().forEachRemaining(e -> endpoints.put(e.getKey(), e.getValue().asText()));
                    found.add(new OkeCluster(null, name, n.path("id").asText(), region, c.getKey(), c.getValue(),
                            n.path("kubernetesVersion").asText(), n.path("lifecycleState").asText(), List.copyOf(cni),
                            Map.copyOf(endpoints), timeCreated(n.path("metadata").path("timeCreated").asText(null))));
                }
            }
        }
        return withIds(found);
    }

    /** The kubeconfig CreateKubeconfig writes for one endpoint type (token version 2.0.0). */
    public String kubeconfig(OkeCluster cluster, String endpointType) throws IOException {
        String body = "{\"tokenVersion\":\"2.0.0\",\"endpoint\":\"" + endpointType + "\"}";
        return send(containerEngineEndpoint.apply(cluster.region()), "POST",
                "/20180222/clusters/" + enc(cluster.ocid()) + "/kubeconfig/content", body).body();
    }

    private static java.time.Instant timeCreated(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Fleet-unique cluster ids from names, deterministically and stable as clusters come: the name as a
     * DNS-1123 label; where clusters would share one, the oldest (timeCreated, then OCID) keeps it and
     * each later one gets the last six characters of its OCID appended. So a new cluster named like an
     * existing one never renames the existing one's rows.
     */
    static List<OkeCluster> withIds(List<OkeCluster> clusters) {
        Map<String, OkeCluster> oldest = new HashMap<>();
        java.util.Comparator<OkeCluster> age = java.util.Comparator
                .comparing((OkeCluster c) -> c.timeCreated() == null ? java.time.Instant.MAX : c.timeCreated())
                .thenComparing(OkeCluster::ocid);
        for (OkeCluster c : clusters) {
            oldest.merge(label(c.name(), 63), c, (a, b) -> age.compare(a, b) <= 0 ? a : b);
        }
        List<OkeCluster> out = new ArrayList<>();
        for (OkeCluster c : clusters) {
            String base = label(c.name(), 63);
            String id = oldest.get(base) == c ? base
                    : label(c.name(), 56) + "-" + c.ocid().substring(Math.max(0, c.ocid().length() - 6)).toLowerCase(Locale.ROOT);
            out.add(new OkeCluster(id, c.name(), c.ocid(), c.region(), c.compartmentId(), c.compartmentPath(),
                    c.kubernetesVersion(), c.lifecycleState(), c.cniTypes(), c.endpoints(), c.timeCreated()));
        }
        return out;
    }

    static String label(String name, int max) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("-{2,}", "-");
        s = s.replaceAll("^-+", "");
        if (s.length() > max) {
            s = s.substring(0, max);
        }
        s = s.replaceAll("-+$", "");
        return s.isEmpty() ? "oke" : s;
    }

    /** Compiled once per pass; a name is matched as one path element. */
    private static boolean included(String name, List<PathMatcher> includes, List<PathMatcher> excludes) {
        Path p = Path.of(name);
        return (includes.isEmpty() || includes.stream().anyMatch(m -> m.matches(p)))
                && excludes.stream().noneMatch(m -> m.matches(p));
    }

    private static PathMatcher glob(String glob) {
        return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    }

    private void compartments(String root, boolean subtree, String home, Map<String, String> paths) throws IOException {
        URI identity = identityEndpoint.apply(home);
        boolean tenancy = root.startsWith("ocid1.tenancy.");
        paths.putIfAbsent(root, tenancy ? "/" : pathFromRoot(identity, root));
        if (!subtree) {
            return;
        }
        if (tenancy) {
            // One call lists the whole tree, but only from the root (the API refuses it elsewhere).
            Map<String, JsonNode> byId = new LinkedHashMap<>();
            for (JsonNode c : getAll(identity, "/20160918/compartments?compartmentId=" + enc(root)
                    + "&compartmentIdInSubtree=true&accessLevel=ANY&lifecycleState=ACTIVE")) {
                byId.put(c.path("id").asText(), c);
            }
            for (String id : byId.keySet()) {
                paths.putIfAbsent(id, path(id, byId, root));
            }
            return;
        }
        Deque<String[]> todo = new ArrayDeque<>();
        todo.add(new String[] {root, paths.get(root)});
        while (!todo.isEmpty()) {
            String[] next = todo.poll();
            for (JsonNode c : getAll(identity, "/20160918/compartments?compartmentId=" + enc(next[0]) + "&lifecycleState=ACTIVE")) {
                String id = c.path("id").asText();
                String p = next[1] + "/" + c.path("name").asText();
                if (paths.putIfAbsent(id, p) == null) {
                    todo.add(new String[] {id, p});
                }
            }
        }
    }

    /** A compartment's path of names from the tenancy, walked up with GetCompartment (a few calls, once per pass). */
    private String pathFromRoot(URI identity, String compartment) throws IOException {
        Deque<String> names = new ArrayDeque<>();
        String at = compartment;
        for (int guard = 0; at != null && !at.startsWith("ocid1.tenancy.") && guard < 8; guard++) {
            JsonNode c = get(identity, "/20160918/compartments/" + enc(at));
            names.push(c.path("name").asText());
            at = c.path("compartmentId").asText(null);
        }
        return "/" + String.join("/", names);
    }

    private static String path(String id, Map<String, JsonNode> byId, String root) {
        Deque<String> names = new ArrayDeque<>();
        String at = id;
        for (int guard = 0; at != null && !at.equals(root) && byId.containsKey(at) && guard < 64; guard++) {
            names.push(byId.get(at).path("name").asText());
            at = byId.get(at).path("compartmentId").asText(null);
        }
        return "/" + String.join("/", names);
    }

    private List<JsonNode> getAll(URI endpoint, String pathAndQuery) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        String page = null;
        do {
            String pq = pathAndQuery + "&limit=1000" + (page == null ? "" : "&page=" + enc(page));
            HttpResponse<String> r = send(endpoint, "GET", pq, null);
            JSON.readTree(r.body()).forEach(out::add);
            page = r.headers().firstValue("opc-next-page").orElse(null);
        } while (page != null);
        return out;
    }

    private JsonNode get(URI endpoint, String pathAndQuery) throws IOException {
        return JSON.readTree(send(endpoint, "GET", pathAndQuery, null).body());
    }

    private HttpResponse<String> send(URI endpoint, String method, String pathAndQuery, String body) throws IOException {
        URI uri = URI.create(endpoint.toString().replaceAll("/+$", "") + pathAndQuery);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (body != null) {
            headers.put("content-type", List.of("application/json"));
        }
        Map<String, String> signed = signer.signRequest(uri, method, headers, body);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("content-type", "application/json");
        }
        signed.forEach((k, v) -> {
            String name = k.toLowerCase(Locale.ROOT);
            // The JDK client sets host and content-length itself (to the same values that were signed).
            if (!name.equals("host") && !name.equals("content-length") && !name.equals("content-type")) {
                b.header(k, v);
            }
        });
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() / 100 != 2) {
            JsonNode err = safeJson(r.body());
            throw new IOException(method + " " + uri.getPath() + ": HTTP " + r.statusCode() + " "
                    + err.path("code").asText("") + ": " + err.path("message").asText(r.body())
                    + r.headers().firstValue("opc-request-id").map(id -> " (opc-request-id " + id + ")").orElse(""));
        }
        return r;
    }

    private static JsonNode safeJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
