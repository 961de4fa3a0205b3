package io.fencewatch.audit;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Commands;
import io.fencewatch.config.Flags;
import io.fencewatch.config.Help;
import io.fencewatch.config.Parsers;
import io.fencewatch.config.Setting;
import io.fencewatch.schema.common.Status;

/**
 * {@code fencewatch audit}: the rule's own audit procedure, once. Lists each cluster's namespaces
 * and NetworkPolicies (paged), evaluates them with {@code rules/} under the processor's flags, prints
 * the result, and says in its exit status whether anything is NON_COMPLIANT. Also FW-NP-002: lists
 * the DaemonSets of the policy-engine namespaces and says whether a NetworkPolicy engine enforces
 * the policies (with {@code --require-enforcement}, in the exit status too). With {@code --pods},
 * FW-NP-003 on every pod's workload shape (with {@code --fail-on=workloads}, in the exit status too). Read-only.
 */
public final class AuditCommand {
    public static final int EXIT_OK = 0;
    public static final int EXIT_NON_COMPLIANT = 1;
    /** With --require-enforcement: a cluster's NetworkPolicies are not known to be enforced. */
    public static final int EXIT_NOT_ENFORCED = 1;
    public static final int EXIT_UNREADABLE = 3;

    public static final Setting<AuditOutput.Format> OUTPUT = new Setting<>("output", "table", AuditOutput.Format::parse,
            "-o table (CLUSTER NAMESPACE STATUS REASON POLICIES INGRESS EGRESS FENCED BY, WORKLOADS with --pods, a summary"
                    + " per cluster), json (the REST API's namespace objects), ocsf (one OCSF Compliance Finding per"
                    + " NON_COMPLIANT namespace, and per NON_COMPLIANT workloadStatus with --pods, per line),"
                    + " junit (one test case per namespace)");
    public static final Setting<String> FAIL_ON = new Setting<>("fail-on", "non-compliant",
            v -> Parsers.choice(v, "non-compliant", "workloads", "none"),
            "non-compliant: exit 1 when a namespace is NON_COMPLIANT; workloads (needs --pods): exit 1 also when a"
                    + " namespace's workloads are NON_COMPLIANT (FW-NP-003) or a cluster's pods could not be listed;"
                    + " none: exit 0 all the same");
    public static final Setting<Boolean> REQUIRE_ENFORCEMENT = Setting.toggle("require-enforcement", "false",
            "FW-NP-002: exit 1 also when a cluster's NetworkPolicies are not known to be enforced (enforcement"
                    + " NOT_ENFORCED or UNKNOWN), whatever --fail-on says");

    static final List<Setting<?>> SETTINGS = settings();

    private AuditCommand() {
    }

    private static List<Setting<?>> settings() {
        List<Setting<?>> all = new ArrayList<>(AuditConfig.TARGET_SETTINGS);
        all.addAll(AuditConfig.RULE_SETTINGS);
        all.add(AuditConfig.POLICY_ENGINE_NAMESPACES);
        all.add(AuditConfig.PODS);
        all.add(OUTPUT);
        all.add(FAIL_ON);
        all.add(REQUIRE_ENFORCEMENT);
        return List.copyOf(all);
    }

    public static String usage() {
        return Help.render("audit", """
                The rule's audit, once: list the namespaces and NetworkPolicies of each cluster, compare, print;
                and whether a NetworkPolicy engine enforces them (FW-NP-002: the DaemonSets of
                --policy-engine-namespaces). Read-only (list on namespaces, networkpolicies, and daemonsets.apps
                in those namespaces). Exit status: 0 nothing NON_COMPLIANT, 1 something is (0 with --fail-on=none)
                or, with --require-enforcement, a cluster's policies are not known to be enforced, 2 a bad flag,
                3 a cluster could not be read (which one and why on stderr). -o is short for --output.
                --pods also lists every pod (list on pods) and judges FW-NP-003 (every workload selected by a
                NetworkPolicy); it fails the run only with --fail-on=workloads.""",
                SETTINGS, List.of());
    }

    public static void main(String[] args) {
        int code = run(args, System.getenv(), System.out, System.err, Clock.systemUTC());
        System.exit(code);
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) {
        String[] expanded = Targets.shortOutput(args);
        if (Flags.wantsHelp(expanded)) {
            out.print(usage());
            return EXIT_OK;
        }
        AuditConfig config;
        AuditOutput.Format format;
        boolean failOnNone;
        boolean failOnWorkloads;
        boolean requireEnforcement;
        try {
            Map<String, String> given = Flags.read(expanded, env, SETTINGS, List.of()).given();
            config = AuditConfig.of(given, SETTINGS);
            format = OUTPUT.parse(given.getOrDefault(OUTPUT.flag(), OUTPUT.defaultValue()));
            String failOn = FAIL_ON.parse(given.getOrDefault(FAIL_ON.flag(), FAIL_ON.defaultValue()));
            failOnNone = failOn.equals("none");
            failOnWorkloads = failOn.equals("workloads");
            if (failOnWorkloads && !config.get(AuditConfig.PODS)) {
                throw new BadFlag(FAIL_ON.option(), "workloads needs --pods (FW-NP-003 is judged on the pods)");
            }
            requireEnforcement = REQUIRE_ENFORCEMENT.parse(given.getOrDefault(REQUIRE_ENFORCEMENT.flag(),
                    REQUIRE_ENFORCEMENT.defaultValue()));
        } catch (BadFlag e) {
            return Commands.badFlag(err, "audit", e);
        }
        Auditor auditor = new Auditor(config.rules());
        List<Auditor.ClusterResult> results = Targets.audit(config, auditor, clock.instant(), err, "audit", null);
        out.print(AuditOutput.render(format, results, version()));
        out.flush();
        if (results.stream().anyMatch(Auditor.ClusterResult::failed)) {
            return EXIT_UNREADABLE;
        }
        boolean nonCompliant = results.stream().flatMap(r -> r.rows().stream())
                .anyMatch(c -> c.getStatus() == Status.NON_COMPLIANT
                        || failOnWorkloads && c.getWorkloadStatus() == Status.NON_COMPLIANT)
                || failOnWorkloads && results.stream().anyMatch(r -> r.podsProblem() != null);
        if (nonCompliant && !failOnNone) {
            return EXIT_NON_COMPLIANT;
        }
        boolean notEnforced = results.stream().anyMatch(r -> !r.enforced());
        return requireEnforcement && notEnforced ? EXIT_NOT_ENFORCED : EXIT_OK;
    }

    static String version() {
        String v = AuditCommand.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
