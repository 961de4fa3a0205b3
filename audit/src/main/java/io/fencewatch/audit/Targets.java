package io.fencewatch.audit;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.config.BadFlag;
import io.fencewatch.rules.Enforcement;

/** Reads and evaluates every target cluster; a cluster that cannot be read is reported, never skipped silently. */
final class Targets {
    private Targets() {
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return BadFlag.quote(m).replaceAll("^'|'$", "");
    }

    /**
     * @param each called with each readable cluster's client and result, while the client is open
     */
    static List<Auditor.ClusterResult> audit(AuditConfig config, Auditor auditor, Instant now, PrintStream err,
            String command, BiConsumer<KubernetesClient, Auditor.ClusterResult> each) {
        List<Auditor.ClusterResult> results = new ArrayList<>();
        ClusterReader reader = new ClusterReader(config.get(AuditConfig.PAGE_SIZE));
        boolean pods = Boolean.TRUE.equals(config.get(AuditConfig.PODS));
        for (AuditConfig.Target t : config.targets()) {
            String cluster = t.clusterId();
            try (KubernetesClient client = ClusterReader.client(config.get(AuditConfig.KUBECONFIG), t.context(),
                    config.get(AuditConfig.REQUEST_TIMEOUT))) {
                if (cluster == null) {
                    String ctx = ClusterReader.currentContext(client);
                    cluster = ctx == null || io.fencewatch.schema.Keys.clusterIdProblem(ctx) != null ? "in-cluster" : ctx;
                }
                List<ClusterReader.Listed> listing = reader.read(client, cluster);
                // Only audit declares --policy-engine-namespaces: remediate does not look.
                List<String> engineNamespaces = config.get(AuditConfig.POLICY_ENGINE_NAMESPACES);
                Enforcement enforcement = engineNamespaces == null ? null
                        : Auditor.enforcement(reader.policyEngines(client, engineNamespaces,
                                listing.stream().map(ClusterReader.Listed::name).toList()));
                ClusterReader.PolicyFences fences = reader.fences(client, cluster, config.get(AuditConfig.POLICY_KINDS));
                // Only audit declares --pods (FW-NP-003): one list of every pod.
                ClusterReader.PodShapes shapes = pods ? reader.workloads(client, cluster) : null;
                Auditor.ClusterResult r = new Auditor.ClusterResult(cluster,
                        auditor.evaluate(cluster, listing, fences, shapes, enforcement, now), null, enforcement,
                        fences.problem(), pods, shapes == null ? null : shapes.problem());
                results.add(r);
                if (each != null) {
                    each.accept(client, r);
                }
            } catch (RuntimeException e) {
                String name = cluster != null ? cluster : t.context() != null ? t.context() : "(default)";
                String why = oneLine(e);
                err.println("fencewatch " + command + ": cluster " + name + " could not be read: " + why);
                results.add(new Auditor.ClusterResult(name, List.of(), why, null, null, pods, null));
            }
        }
        return results;
    }

    /** {@code -o x}, {@code -ox} and {@code -o=x} as {@code --output=x}; everything else unchanged. */
    static String[] shortOutput(String[] args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-o") && i + 1 < args.length) {
                out.add("--output=" + args[++i]);
            } else if (a.startsWith("-o=")) {
                out.add("--output=" + a.substring(3));
            } else if (a.startsWith("-o") && a.length() > 2 && !a.startsWith("--")) {
                out.add("--output=" + a.substring(2));
            } else {
                out.add(a);
            }
        }
        return out.toArray(String[]::new);
    }
}
