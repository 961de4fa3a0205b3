package io.fencewatch.audit;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Commands;
import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Parsers;
import io.fencewatch.config.Setting;
import io.fencewatch.rules.RemediationPolicy;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;

/**
 * {@code fencewatch remediate}: the rule's remediation for each NON_COMPLIANT namespace of the
 * selection, a NetworkPolicy {@value RemediationPolicy#NAME}. By default it only prints the policies
 * (YAML for {@code kubectl apply -f -}); {@code --dry-run=server} asks the API server;
 * {@code --apply} creates them by server-side apply (field manager {@value #FIELD_MANAGER}). Never
 * touches system or exempt namespaces, never changes or deletes an existing policy; a second run
 * creates nothing.
 */
public final class RemediateCommand {
    public static final String FIELD_MANAGER = "fencewatch";
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final String WARNING = "WARNING: a default-deny NetworkPolicy cuts traffic: once applied, every pod of"
            + " the namespace accepts no connection and opens none except DNS to kube-system, until other policies"
            + " allow what the workloads need.";

    public static final Setting<Set<String>> NAMESPACES = new Setting<>("namespaces", "",
            v -> new LinkedHashSet<>(AuditConfig.nameSet(v)), "only these namespaces (comma-separated); default: every"
                    + " NON_COMPLIANT namespace");
    public static final Setting<Boolean> ALL = Setting.toggle("all", "false",
            "also fence namespaces still PENDING (non-compliant inside the grace period), not only NON_COMPLIANT ones");
    public static final Setting<Boolean> ALLOW_DNS = Setting.toggle("allow-dns", "true",
            "keep the egress rule to kube-system DNS (UDP and TCP 53); false denies all egress");
    public static final Setting<RemediationPolicy.Types> POLICY_TYPES = new Setting<>("policy-types", "both",
            RemediationPolicy.Types::parse, "ingress, egress or both: which directions the policy denies");
    public static final Setting<String> OUTPUT = new Setting<>("output", "yaml", v -> Parsers.choice(v, "yaml"),
            "-o yaml: the policies as a multi-document YAML stream for kubectl apply -f - (the default action)");
    public static final Setting<String> DRY_RUN = new Setting<>("dry-run", "none",
            v -> Parsers.choice(v, "none", "server"),
            "server: send the policies with dryRun=All and report what the API server said; nothing is created");
    public static final Setting<Boolean> APPLY = Setting.toggle("apply", "false",
            "create the policies (server-side apply, field manager fencewatch); needs create and patch on networkpolicies");

    static final List<Setting<?>> SETTINGS = settings();

    private enum Mode { PRINT, DRY_RUN, APPLY }

    private RemediateCommand() {
    }

    private static List<Setting<?>> settings() {
        List<Setting<?>> all = new ArrayList<>(AuditConfig.TARGET_SETTINGS);
        all.addAll(AuditConfig.RULE_SETTINGS);
        all.addAll(List.of(NAMESPACES, ALL, ALLOW_DNS, POLICY_TYPES, OUTPUT, DRY_RUN, APPLY));
        return List.copyOf(all);
    }

    public static String usage() {
        return Help.render("remediate", """
                The rule's remediation: for each NON_COMPLIANT namespace, a NetworkPolicy fencewatch-default-deny
                (all pods, Ingress and Egress, no ingress rule, egress only to kube-system on UDP/TCP 53; label
                app.kubernetes.io/managed-by=fencewatch). Prints YAML by default; --dry-run=server or --apply to send.
                Never touches system or exempt namespaces, never changes or deletes an existing policy; a second run
                creates nothing.
                """ + WARNING, SETTINGS, List.of());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err, Clock.systemUTC()));
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) {
        String[] expanded = Targets.shortOutput(args);
        if (Flags.wantsHelp(expanded)) {
            out.print(usage());
            return EXIT_OK;
        }
        AuditConfig config;
        Map<String, String> given;
        Mode mode;
        try {
            given = Flags.read(expanded, env, SETTINGS, List.of()).given();
            config = AuditConfig.of(given, SETTINGS);
            boolean apply = value(APPLY, given);
            boolean dryRun = value(DRY_RUN, given).equals("server");
            value(OUTPUT, given);
            if (apply && dryRun) {
                throw new BadFlag(DRY_RUN.option(), "cannot be combined with --apply (a dry run creates nothing)");
            }
            mode = apply ? Mode.APPLY : dryRun ? Mode.DRY_RUN : Mode.PRINT;
        } catch (BadFlag e) {
            return Commands.badFlag(err, "remediate", e);
        }
        Set<String> only = value(NAMESPACES, given);
        boolean all = value(ALL, given);
        boolean allowDns = value(ALLOW_DNS, given);
        RemediationPolicy.Types types = value(POLICY_TYPES, given);
        // In the default mode stdout is the YAML stream alone; the report goes to stderr.
        PrintStream report = mode == Mode.PRINT ? err : out;
        report.println(WARNING);
        int[] counts = new int[4]; // created, already fenced, skipped, failed
        List<Auditor.ClusterResult> results = Targets.audit(config, new Auditor(config.rules()), clock.instant(), err,
                "remediate", (client, result) -> {
                    Set<String> seen = new LinkedHashSet<>();
                    for (NamespaceCoverage row : result.rows()) {
                        if (!only.isEmpty() && !only.contains(row.getNamespace())) {
                            continue;
                        }
                        seen.add(row.getNamespace());
                        remediate(client, row, all, new RemediationPolicy(row.getNamespace(), allowDns, types), mode,
                                out, report, counts);
                    }
                    for (String missing : only) {
                        if (!seen.contains(missing)) {
                            report.println(line(result.cluster(), missing, "skipped", "no such namespace"));
                            counts[2]++;
                        }
                    }
                });
        String verb = mode == Mode.APPLY ? "created" : mode == Mode.DRY_RUN ? "accepted by a server dry run" : "printed";
        report.println(String.format(java.util.Locale.ROOT, "%d %s, %d already fenced, %d skipped, %d failed",
                counts[0], verb, counts[1], counts[2], counts[3]));
        if (results.stream().anyMatch(Auditor.ClusterResult::failed)) {
            return AuditCommand.EXIT_UNREADABLE;
        }
        return counts[3] > 0 ? EXIT_FAILED : EXIT_OK;
    }

    private static void remediate(KubernetesClient client, NamespaceCoverage row, boolean all, RemediationPolicy policy,
            Mode mode, PrintStream out, PrintStream report, int[] counts) {
        String cluster = row.getCluster();
        String ns = row.getNamespace();
        Status status = row.getStatus();
        switch (status) {
            case EXEMPT -> {
                report.println(line(cluster, ns, "skipped (exempt)", row.getReason()));
                counts[2]++;
                return;
            }
            case TERMINATING -> {
                report.println(line(cluster, ns, "skipped (terminating)", row.getReason()));
                counts[2]++;
                return;
            }
            case COMPLIANT -> {
                report.println(line(cluster, ns, "already fenced", row.getReason()));
                counts[1]++;
                return;
            }
            case PENDING -> {
                if (!all) {
                    report.println(line(cluster, ns, "skipped (pending)", "inside the grace period; --all fences it now"));
                    counts[2]++;
                    return;
                }
            }
            default -> {
                // NON_COMPLIANT: fence it below.
            }
        }
        try {
            var policies = client.network().v1().networkPolicies().inNamespace(ns);
            if (policies.withName(RemediationPolicy.NAME).get() != null) {
                // Never change an existing policy (strict profile: ours exists but the namespace still fails).
                report.println(line(cluster, ns, "already fenced", RemediationPolicy.NAME + " exists; left unchanged ("
                        + row.getReason() + ")"));
                counts[1]++;
                return;
            }
            if (mode == Mode.PRINT) {
                out.print("---\n" + policy.toYaml());
                report.println(line(cluster, ns, "printed", row.getReason()));
                counts[0]++;
                return;
            }
            NetworkPolicy np = client.getKubernetesSerialization().convertValue(policy.toObject(), NetworkPolicy.class);
            if (mode == Mode.DRY_RUN) {
                policies.resource(np).dryRun().fieldManager(FIELD_MANAGER).serverSideApply();
                report.println(line(cluster, ns, "would create", RemediationPolicy.NAME + " (server dry run accepted it)"));
            } else {
                policies.resource(np).fieldManager(FIELD_MANAGER).serverSideApply();
                report.println(line(cluster, ns, "created", RemediationPolicy.NAME));
            }
            counts[0]++;
        } catch (RuntimeException e) {
            report.println(line(cluster, ns, "failed", Targets.oneLine(e)));
            counts[3]++;
        }
    }

    private static String line(String cluster, String ns, String what, String why) {
        return cluster + "/" + ns + ": " + what + (why == null || why.isEmpty() ? "" : " - " + why);
    }

    private static <T> T value(Setting<T> s, Map<String, String> given) {
        return s.parse(given.getOrDefault(s.flag(), s.defaultValue()));
    }
}
