package io.fencewatch.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceList;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Figure 6, the rule's own audit done as polling (as a {@code kubectl get namespaces} plus
 * {@code kubectl get networkpolicies -A} loop does): each poll lists every namespace and every policy
 * as JSON from fabric8's CRUD mock API server, parses both and computes the non-compliant set. We
 * measure each poll's bytes and duration at 1,000 and 10,000 namespaces (two policies per
 * namespace), check that a poll right after a change sees it, and derive the time to detect one
 * change (on average half the interval plus one poll; at worst the interval plus one poll) and the
 * bytes per detected change. Fencewatch's side: one watch event per change (its JSON frame, as the
 * API server sends it), detected in the drift latency of figure 1.
 */
final class PollingBenchmark {
    private static final int POLLS = 5;
    private static final int[] SIZES = {1_000, 10_000};
    private static final int[] INTERVALS_S = {10, 60};
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PollingBenchmark() {
    }

    static void run(BenchMain.Figures figures) throws Exception {
        KubernetesSerialization json = new KubernetesSerialization();
        for (int size : SIZES) {
            KubernetesMockServer server = InitialSyncBenchmark.seededServer(InitialSyncBenchmark.objects(size, 2 * size));
            try (KubernetesClient api = server.createClient()) {
                String nsUrl = server.url("/api/v1/namespaces");
                String npUrl = server.url("/apis/networking.k8s.io/v1/networkpolicies");
                // Warm-up poll, then the measured ones.
                poll(json, nsUrl, npUrl);
                List<Double> ms = new ArrayList<>();
                long bytes = 0;
                int nonCompliant = 0;
                for (int i = 0; i < POLLS; i++) {
                    long t0 = System.nanoTime();
                    long[] r = poll(json, nsUrl, npUrl);
                    ms.add((System.nanoTime() - t0) / 1e6);
                    bytes = r[0];
                    nonCompliant = (int) r[1];
                }
                // A change, then one poll: the audit sees it (one more non-compliant namespace).
                String name = "polling-change-" + size;
                Namespace created = api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                        .endMetadata().build()).create();
                long[] after = poll(json, nsUrl, npUrl);
                if (after[1] != nonCompliant + 1) {
                    throw new IllegalStateException("the polling audit did not see the change (" + after[1] + " vs "
                            + (nonCompliant + 1) + ")");
                }
                String event = "{\"type\":\"ADDED\",\"object\":" + json.asJson(created) + "}\n";
                int watchBytes = event.getBytes(StandardCharsets.UTF_8).length;
                double pollMs = Stats.median(ms);
                BenchMain.progress(String.format(Locale.ROOT, "polling %d namespaces: %d bytes and %.0f ms per poll;"
                        + " one watch event %d bytes", size, bytes, pollMs, watchBytes));
                String label = String.format(Locale.ROOT, "%,d ns + %,d policies", size, 2 * size);
                figures.row("6 polling", "one poll (list ns + list policies, parse, diff), " + label,
                        String.format(Locale.ROOT, "%s ms, %s", BenchMain.Figures.fmt(pollMs), kib(bytes)), "", "");
                for (int n : INTERVALS_S) {
                    double mean = n * 1000 / 2.0 + pollMs;
                    double worst = n * 1000 + pollMs;
                    figures.row("6 polling", String.format(Locale.ROOT, "  every %d s: time to detect one change", n),
                            String.format(Locale.ROOT, "mean %.1f s / worst %.1f s", mean / 1000, worst / 1000), "", "");
                    figures.put("polling_" + size + "_every" + n + "s_detect_mean_ms", mean);
                }
                figures.row("6 polling", "  bytes read per detected change (>= one poll; x polls per change)",
                        kib(bytes) + " (1 change/min, every 10 s: " + kib(bytes * 6) + ")", "", "");
                figures.row("6 polling", "  Fencewatch: bytes read from the API per change (one watch event)",
                        watchBytes + " B (" + String.format(Locale.ROOT, "%.0fx less", (double) bytes / watchBytes) + ")",
                        "", "");
                figures.put("polling_" + size + "_bytes_per_poll", bytes);
                figures.put("polling_" + size + "_poll_ms", pollMs);
                figures.put("watch_bytes_per_change", watchBytes);
            } finally {
                InitialSyncBenchmark.destroy(server);
            }
        }
        figures.notes.add("6: polling's time to detect is derived from the measured poll duration (mean = interval/2 +"
                + " one poll, worst = interval + one poll); Fencewatch's is figure 1's drift latency. Lists are plain"
                + " JSON from fabric8's mock server (kubectl's default Table format is smaller, but still one row per"
                + " object per poll).");
    }

    /** One audit: [bytes read, non-compliant count]. */
    private static long[] poll(KubernetesSerialization json, String nsUrl, String npUrl) throws Exception {
        byte[] ns = get(nsUrl);
        byte[] np = get(npUrl);
        NamespaceList namespaces = json.unmarshal(new String(ns, StandardCharsets.UTF_8), NamespaceList.class);
        NetworkPolicyList policies = json.unmarshal(new String(np, StandardCharsets.UTF_8), NetworkPolicyList.class);
        Set<String> fenced = new HashSet<>();
        for (NetworkPolicy p : policies.getItems()) {
            fenced.add(p.getMetadata().getNamespace());
        }
        Set<String> system = Set.of("kube-system", "kube-public", "kube-node-lease", "default");
        long nonCompliant = namespaces.getItems().stream().map(n -> n.getMetadata().getName())
                .filter(n -> !system.contains(n) && !fenced.contains(n)).count();
        return new long[] {ns.length + np.length, nonCompliant};
    }

    private static byte[] get(String url) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
        }
        return r.body();
    }

    private static String kib(long bytes) {
        return bytes >= 1024 * 1024 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
