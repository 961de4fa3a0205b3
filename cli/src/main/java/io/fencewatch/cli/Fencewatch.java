package io.fencewatch.cli;

import java.io.PrintStream;
import java.util.Arrays;

import java.time.Clock;

import io.fencewatch.audit.AuditCommand;
import io.fencewatch.audit.RemediateCommand;
import io.fencewatch.collector.CollectorMain;
import io.fencewatch.processor.ProcessorMain;
import io.fencewatch.sandbox.SandboxMain;

/**
 * The {@code fencewatch} command: {@code sandbox}, {@code collector}, {@code processor}, {@code audit},
 * {@code remediate} or {@code bench}, each with
 * {@code --help}. An unknown command prints one line and exits with status 2.
 */
public final class Fencewatch {
    static final int EXIT_USAGE = 2;

    static final String USAGE = """
            Usage: fencewatch <command> [--flag=value ...]

            Commands:
              sandbox     the whole system in one JVM: Kafka broker, simulated Kubernetes cluster (kubectl),
                          collector, stream processor, dashboard and REST API
              collector   a collector agent: watches one or more clusters and publishes to Kafka
              processor   a stream processor instance: the coverage table, drift, findings, REST and dashboard
              audit       the rule's audit, once: list namespaces and NetworkPolicies, compare, print
                          (-o table|json|ocsf|junit); exit 1 when a namespace is NON_COMPLIANT (for CI)
              remediate   the rule's fix: a default-deny NetworkPolicy per NON_COMPLIANT namespace; prints YAML,
                          or --dry-run=server, or --apply (a default-deny policy cuts traffic)
              oci-bridge  forwards an OCI stream that collectors write (--sink=oci-streaming) into Kafka
              bench       end-to-end benchmarks on an in-process broker; --quick runs in under 2 minutes,
                          the full run writes docs/benchmarks.md

            'fencewatch <command> --help' lists a command's flags.
            """;

    private Fencewatch() {
    }

    public static void main(String[] args) throws Exception {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns its exit status when it returns (commands that run until stopped block). */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(USAGE);
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "sandbox" -> SandboxMain.main(rest);
            case "collector" -> {
                serviceLogging();
                CollectorMain.main(rest);
            }
            case "processor" -> {
                serviceLogging();
                ProcessorMain.main(rest);
            }
            case "audit" -> {
                quietLogging();
                return AuditCommand.run(rest, System.getenv(), out, err, Clock.systemUTC());
            }
            case "remediate" -> {
                quietLogging();
                return RemediateCommand.run(rest, System.getenv(), out, err, Clock.systemUTC());
            }
            case "bench" -> io.fencewatch.bench.BenchMain.main(rest);
            case "oci-bridge" -> io.fencewatch.ocibridge.OciBridgeMain.main(rest);
            default -> {
                err.println("fencewatch: unknown command '" + shorten(args[0])
                        + "' (commands: sandbox, collector, processor, audit, remediate, oci-bridge, bench; see fencewatch --help)");
                return EXIT_USAGE;
            }
        }
        return 0;
    }

    /**
     * The dist holds several modules' logback.xml (logback would pick one and print warnings): name
     * ours before the first logger exists, unless the user chose one.
     */
    private static void serviceLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/fencewatch/cli/logback-service.xml");
        }
    }

    /** audit and remediate: stdout is their output, so logs go to stderr, warnings only. */
    private static void quietLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/fencewatch/audit/logback-audit.xml");
        }
    }

    private static String shorten(String s) {
        String one = s.replaceAll("[\\r\\n\\t]", " ");
        return one.length() <= 40 ? one : one.substring(0, 37) + "...";
    }
}
