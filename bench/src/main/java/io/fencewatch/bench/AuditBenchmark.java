package io.fencewatch.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fencewatch.audit.AuditCommand;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/**
 * {@code fencewatch audit} against the rule's manual procedure on the same simulated cluster, in
 * the same run: {@code kubectl get namespaces -o json} + {@code kubectl get networkpolicy -A -o json}
 * + the set difference. Both answer the same question; the row says how long each takes (median of
 * rounds, alternating), and checks that both found the same non-compliant namespaces.
 */
final class AuditBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SYSTEM = Set.of("kube-system", "kube-public", "kube-node-lease", "default");

    private AuditBenchmark() {
    }

    static void run(BenchMain.Figures figures, boolean quick) throws Exception {
        int namespaces = quick ? 1_000 : 10_000;
        int rounds = quick ? 3 : 5;
        Path kubectl = Path.of("/usr/bin/kubectl");
        Path dir = Files.createTempDirectory("fencewatch-audit-bench-");
        try (SimulatedApiServer api = new SimulatedApiServer().start(0)) {
            Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));
            int unfenced = seed(api, namespaces);
            BenchMain.progress("audit: seeded " + namespaces + " namespaces and " + 2 * namespaces + " policies");
            List<Double> audit = new ArrayList<>();
            List<Double> manual = new ArrayList<>();
            for (int r = 0; r < rounds + 1; r++) {
                long t0 = System.nanoTime();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int exit = AuditCommand.run(new String[] {"--kubeconfig=" + kubeconfig, "--grace-period=0s", "-o", "json"},
                        Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), System.err, Clock.systemUTC());
                double auditMs = (System.nanoTime() - t0) / 1e6;
                int auditFound = count(JSON.readTree(out.toByteArray()));
                if (exit != 1 || auditFound != unfenced) {
                    throw new IllegalStateException("audit found " + auditFound + " (exit " + exit + "), expected " + unfenced);
                }
                double manualMs = -1;
                int manualFound = -1;
                if (Files.isExecutable(kubectl)) {
                    t0 = System.nanoTime();
                    byte[] ns = kubectl(kubectl, kubeconfig, dir, "get", "namespaces", "-o", "json");
                    byte[] np = kubectl(kubectl, kubeconfig, dir, "get", "networkpolicy", "-A", "-o", "json");
                    manualFound = diff(JSON.readTree(ns), JSON.readTree(np)).size();
                    manualMs = (System.nanoTime() - t0) / 1e6;
                    if (manualFound != unfenced) {
                        throw new IllegalStateException("kubectl procedure found " + manualFound + ", expected " + unfenced);
                    }
                }
                if (r > 0) { // round 0 warms both up
                    audit.add(auditMs);
                    manual.add(manualMs);
                }
            }
            String scale = String.format(Locale.ROOT, "%,d namespaces + %,d policies, %d unfenced, median of %d", namespaces,
                    2 * namespaces, unfenced, rounds);
            double a = Stats.median(audit);
            figures.row("7 audit", "fencewatch audit -o json (in-process: paged list, rules/, JSON out), " + scale,
                    BenchMain.Figures.fmt(a) + " ms", "", "");
            figures.put("audit_ms", a);
            if (manual.get(0) < 0) {
                figures.row("7 audit", "kubectl get namespaces + get networkpolicy -A + diff", "kubectl not found", "", "");
                return;
            }
            double m = Stats.median(manual);
            figures.put("audit_kubectl_ms", m);
            figures.put("audit_speedup", m / a);
            figures.row("7 audit", "kubectl get namespaces -o json + get networkpolicy -A -o json + diff, same cluster",
                    BenchMain.Figures.fmt(m) + " ms", "", "");
            figures.row("7 audit", "speed-up, kubectl procedure / fencewatch audit", BenchMain.Figures.fmt(m / a) + "x",
                    ">= 3x (issue 10)", m / a >= 3 ? "met" : "missed");
        } finally {
            BenchMain.deleteRecursively(dir);
        }
    }

    /**
     * Namespaces {@code team-N} (as the initial-sync benchmark builds them); every tenth has no
     * policy, the others share {@code 2 * namespaces} policies. Loaded in bulk. Returns the unfenced count.
     */
    private static int seed(SimulatedApiServer api, int namespaces) {
        List<io.fabric8.kubernetes.api.model.HasMetadata> objects = new ArrayList<>(InitialSyncBenchmark.objects(namespaces, 0));
        List<String> fenced = new ArrayList<>();
        for (int i = 0; i < namespaces; i++) {
            if (i % 10 != 0) {
                fenced.add("team-" + i);
            }
        }
        String created = "2026-01-01T00:00:00Z";
        for (int i = 0; i < 2 * namespaces; i++) {
            objects.add(new NetworkPolicyBuilder().withNewMetadata().withName("policy-" + i)
                    .withNamespace(fenced.get(i % fenced.size())).withUid("uid-np-" + i)
                    .withResourceVersion(Integer.toString(namespaces + i + 1)).withCreationTimestamp(created).endMetadata()
                    .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
                    .build());
        }
        api.load(objects);
        return namespaces - fenced.size();
    }

    private static byte[] kubectl(Path kubectl, Path kubeconfig, Path dir, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "kubectl", ".json");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " failed");
        }
        byte[] bytes = Files.readAllBytes(out);
        Files.delete(out);
        return bytes;
    }

    /** The rule's procedure: namespaces - system - namespaces with at least one policy. */
    static Set<String> diff(JsonNode namespaces, JsonNode policies) {
        Set<String> fenced = new HashSet<>();
        policies.path("items").forEach(p -> fenced.add(p.at("/metadata/namespace").asText()));
        Set<String> out = new HashSet<>();
        namespaces.path("items").forEach(n -> {
            String name = n.at("/metadata/name").asText();
            if (!SYSTEM.contains(name) && !fenced.contains(name)) {
                out.add(name);
            }
        });
        return out;
    }

    private static int count(JsonNode rows) {
        int n = 0;
        for (JsonNode r : rows) {
            if (r.path("status").asText().equals("NON_COMPLIANT")) {
                n++;
            }
        }
        return n;
    }
}
