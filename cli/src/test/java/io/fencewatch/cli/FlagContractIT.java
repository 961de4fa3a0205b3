package io.fencewatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fencewatch.audit.AuditConfig;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.query.QueryConfig;
import io.fencewatch.query.WebhookConfig;

/**
 * Every flag and environment variable a command had is a public contract: read from each
 * command's real {@code --help} (the real {@code main} in a child JVM), none may disappear.
 * Pinned from the help output before the flags moved to one shared layer.
 */
class FlagContractIT {
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*(?:\\.<[a-z]+>)?");
    private static final Pattern ENV = Pattern.compile("FENCEWATCH_[A-Z0-9_]+(?:<[A-Z]+>)?");

    @TempDir
    Path dir;

    @Test
    void shouldListEverySandboxFlagWhenAskedForHelp() throws Exception {
        assertThat(flags("sandbox")).containsAll(List.of("--api-port", "--cluster-id", "--context", "--data-dir",
                "--grace", "--http-bind", "--http-port", "--kafka-port", "--kubeconfig", "--scenario", "--profile",
                "--transport", "--control-plane", "--watch-pods"));
    }

    @Test
    void shouldListEveryCollectorFlagAndVariableWhenAskedForHelp() throws Exception {
        List<String> names = List.of("bootstrap-servers", "cluster-id", "collector-id", "contexts",
                "forward-annotations", "heartbeat-interval", "http-bind", "http-port", "idempotence", "kafka-properties",
                "kubeconfig", "leader-election", "lease-duration", "lease-name", "lease-namespace",
                "lease-renew-deadline", "lease-retry-period", "list-page-size", "queue-capacity", "shutdown-timeout",
                "topic-prefix");
        String help = help("collector");
        assertThat(matches(FLAG, help)).containsAll(names.stream().map(n -> "--" + n).toList());
        assertThat(matches(ENV, help)).containsAll(names.stream().map(FlagContractIT::env).toList());
    }

    @Test
    void shouldListEveryProcessorFlagAndVariableWhenAskedForHelp() throws Exception {
        List<String> names = List.of("application-id", "application-server", "bootstrap-servers", "commit-interval",
                "create-topics", "drift-history", "exempt-namespaces", "exempt-patterns", "grace-period", "http-port",
                "partitions", "processing-guarantee", "profile", "stale-after", "state-dir", "stream-threads",
                "system-namespaces", "tick-interval", "topic-prefix");
        String help = help("processor");
        assertThat(matches(FLAG, help)).containsAll(names.stream().map(n -> "--" + n).toList())
                .contains("--kafka.<property>", "--query.<key>");
        assertThat(matches(ENV, help)).containsAll(names.stream().map(FlagContractIT::env).toList())
                .contains("FENCEWATCH_KAFKA_<PROPERTY>", "FENCEWATCH_QUERY_<KEY>");
    }

    @Test
    void shouldListTheAuditAndRemediateFlagsWhenAskedForHelp() throws Exception {
        List<String> shared = List.of("--kubeconfig", "--contexts", "--cluster-id", "--profile", "--system-namespaces",
                "--exempt-namespaces", "--exempt-patterns", "--grace-period");
        assertThat(flags("audit")).containsAll(shared).contains("--output", "--fail-on");
        assertThat(flags("remediate")).containsAll(shared).contains("--namespaces", "--all", "--allow-dns",
                "--policy-types", "--output", "--dry-run", "--apply");
        assertThat(help("remediate")).contains("cuts traffic");
    }

    @Test
    void shouldUseTheProcessorsNamesAndDefaultsWhenAuditTakesTheRuleFlags() {
        Map<String, String> processor = new java.util.TreeMap<>();
        ProcessorConfig.SETTINGS.forEach(s -> processor.put(s.flag(), s.defaultValue() + " | " + s.env()));
        for (io.fencewatch.config.Setting<?> s : AuditConfig.RULE_SETTINGS) {
            assertThat(processor).as(s.option()).containsEntry(s.flag(), s.defaultValue() + " | " + s.env());
        }
    }

    @Test
    void shouldListEveryOciBridgeFlagWithItsVariableWhenAskedForHelp() throws Exception {
        String help = help("oci-bridge");
        for (String flag : List.of("oci-stream-ocid", "oci-group", "oci-instance", "oci-messages-endpoint",
                "oci-admin-endpoint", "oci-region", "oci-auth", "oci-config-file", "oci-profile", "bootstrap-servers",
                "kafka-properties", "topic-prefix", "gap-timeout", "max-held", "commit-interval", "http-port", "http-bind",
                "shutdown-timeout")) {
            assertThat(help).contains("--" + flag, env(flag));
        }
        // The OCI flags are declared once: the collector's --sink=oci-streaming takes the same names.
        assertThat(flags("collector")).contains("--sink", "--oci-stream-ocid", "--oci-auth", "--oci-config-file",
                "--oci-profile", "--oci-region", "--oci-messages-endpoint", "--oci-admin-endpoint", "--oci-exec-plugin");
        // Issue 12's OKE fleet flags, as the issue names them.
        List<String> fleet = List.of("oci-compartments", "oci-subtree", "oci-regions", "oci-endpoint-type",
                "oci-cluster-include", "oci-cluster-exclude", "oci-rediscover-interval", "unreachable-after");
        String collectorHelp = help("collector");
        assertThat(matches(FLAG, collectorHelp)).containsAll(fleet.stream().map(n -> "--" + n).toList());
        assertThat(matches(ENV, collectorHelp)).containsAll(fleet.stream().map(FlagContractIT::env).toList());
        assertThat(collectorHelp).contains("--oci.<service>.endpoint=<url>", "FENCEWATCH_OCI_<SERVICE>_ENDPOINT");
        // Issue 13: where the collector looks for NetworkPolicy engines.
        assertThat(matches(FLAG, collectorHelp)).contains("--policy-engine-namespaces");
        assertThat(matches(ENV, collectorHelp)).contains(env("policy-engine-namespaces"));
        // Issues 15 and 16: the policy kinds beyond NetworkPolicy, and pods.
        assertThat(matches(FLAG, collectorHelp)).contains("--policy-kinds", "--watch-pods", "--pod-shape-delay");
        assertThat(matches(ENV, collectorHelp)).contains(env("policy-kinds"), env("watch-pods"), env("pod-shape-delay"));
    }

    @Test
    void shouldListEveryBenchFlagWhenAskedForHelp() throws Exception {
        assertThat(flags("bench")).contains("--quick", "--doc", "--only", "--help");
    }

    @Test
    void shouldKeepEveryQueryKeyWhenTheQuerySurfaceIsConfigured() {
        Set<String> keys = new TreeSet<>();
        QueryConfig.KEYS.forEach(k -> keys.add(k.name()));
        WebhookConfig.KEYS.forEach(k -> keys.add(k.name()));
        assertThat(keys).containsAll(List.of("query.http.port", "query.http.bind", "query.advertised.server",
                "query.auth.token.file", "query.auth.token", "query.tls.keystore", "query.tls.keystore.password.env",
                "query.cors.origin", "query.drift.history", "query.topic.prefix", "query.retry.after.seconds",
                "query.forward.timeout.ms", "query.http.threads", "query.sse.max.clients", "query.webhook.url",
                "query.webhook.format", "query.webhook.group", "query.webhook.max.attempts", "query.webhook.backoff.ms",
                "query.webhook.max.backoff.ms", "query.webhook.rate.per.minute", "query.webhook.burst",
                "query.webhook.statuses", "query.webhook.timeout.ms"));
    }

    @Test
    void shouldListEveryQueryKeyWithItsVariableWhenTheProcessorIsAskedForHelp() throws Exception {
        String help = help("processor");
        for (QueryConfig.Key<?> k : QueryConfig.KEYS) {
            assertThat(help).contains("--" + k.name(), k.envName());
        }
        for (QueryConfig.Key<?> k : WebhookConfig.KEYS) {
            assertThat(help).contains("--" + k.name(), k.envName());
        }
        assertThat(QueryConfig.PORT.envName()).isEqualTo("FENCEWATCH_QUERY_HTTP_PORT");
    }

    @Test
    void shouldStopWithTheSameOneLineAndExitTwoWhenAnyCommandGetsAnUnknownFlag() throws Exception {
        for (String command : List.of("sandbox", "collector", "processor", "bench", "audit", "remediate", "oci-bridge")) {
            Run r = run(command, "--no-such-flag=1");
            assertThat(r.exit()).as(command).isEqualTo(2);
            assertThat(r.err().strip()).as(command)
                    .isEqualTo("fencewatch " + command + ": --no-such-flag: unknown flag (see --help)");
        }
    }

    private static String env(String name) {
        return "FENCEWATCH_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }

    private Set<String> flags(String command) throws Exception {
        return matches(FLAG, help(command));
    }

    private static Set<String> matches(Pattern p, String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private String help(String command) throws IOException, InterruptedException {
        Run r = run(command, "--help");
        assertThat(r.exit()).as("exit status of fencewatch %s --help", command).isZero();
        return r.out();
    }

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Fencewatch.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fencewatch " + String.join(" ", args) + " did not finish within 60 s");
        }
        String errText = String.join("\n", Files.readAllLines(err).stream()
                .filter(l -> !l.contains("|-INFO") && !l.contains("|-WARN")).toList());
        return new Run(p.exitValue(), Files.readString(out), errText);
    }
}
