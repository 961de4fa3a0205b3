package io.fencewatch.audit;

import static io.fencewatch.audit.AuditAgainstSandboxIT.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/** fencewatch audit against the sandbox's simulated API server: exit statuses, contexts, unreadable clusters. */
class AuditCommandIT {
    @TempDir
    Path dir;

    private SimulatedApiServer api;

    @BeforeEach
    void start() {
        api = new SimulatedApiServer().start(0);
        try (KubernetesClient k = api.client()) {
            for (int i = 0; i < 25; i++) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team-" + i).endMetadata()
                        .build()).create();
            }
        }
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void shouldExitOneWhenANamespaceIsNonCompliantAndZeroWhenFailOnIsNone() {
        String kubeconfig = "--kubeconfig=" + api.writeKubeconfig(dir.resolve("kubeconfig"));
        var r = run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--page-size=10");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("cluster sandbox: 29 namespaces, 25 NON_COMPLIANT, 0 PENDING, 0 COMPLIANT, 4 EXEMPT");
        assertThat(run(AuditCommand::run, kubeconfig, "--grace-period=0s", "--fail-on=none").exit()).isZero();
        // Inside the default 30 s grace period the new namespaces are PENDING, as in the processor.
        var pending = run(AuditCommand::run, kubeconfig);
        assertThat(pending.exit()).isZero();
        assertThat(pending.out()).contains("0 NON_COMPLIANT, 25 PENDING");
    }

    @Test
    void shouldReadEveryContextAndExitThreeNamingTheClusterWhenOneCannotBeRead() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Path file = dir.resolve("two-contexts");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: live
                  cluster: {server: "%s"}
                - name: gone
                  cluster: {server: "http://127.0.0.1:%d"}
                users:
                - name: u
                  user: {token: %s}
                contexts:
                - name: live
                  context: {cluster: live, user: u}
                - name: gone
                  context: {cluster: gone, user: u}
                current-context: live
                """.formatted(api.url(), dead, SimulatedApiServer.TOKEN));
        var r = run(AuditCommand::run, "--kubeconfig=" + file, "--contexts=prod=live,gone", "--grace-period=0s",
                "--request-timeout=3s", "-o", "table");
        assertThat(r.exit()).isEqualTo(AuditCommand.EXIT_UNREADABLE);
        assertThat(r.out()).contains("cluster prod: 29 namespaces, 25 NON_COMPLIANT").contains("prod     team-0")
                .contains("cluster gone: not read (");
        assertThat(r.err()).contains("fencewatch audit: cluster gone could not be read: ");
    }

    @Test
    void shouldStopWithOneLineAndExitTwoWhenAFlagIsBad() {
        for (List<String> args : List.of(List.of("-o", "xml"), List.of("--profile=lax"), List.of("--colour"),
                List.of("--kubeconfig=/nope"))) {
            var r = run(AuditCommand::run, args.toArray(String[]::new));
            assertThat(r.exit()).as(args.toString()).isEqualTo(2);
            assertThat(r.err().strip()).as(args.toString()).startsWith("fencewatch audit: --").doesNotContain("\n");
        }
        assertThat(run(AuditCommand::run, "-o", "xml").err().strip())
                .isEqualTo("fencewatch audit: --output: must be table, json, ocsf or junit, not 'xml'");
    }
}
