package io.fencewatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code main} in a child JVM: exit status and what reaches the terminal. */
class FencewatchCliIT {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    @Test
    void shouldExitTwoWithOneLineNamingTheFlagWhenASandboxFlagIsBad() throws Exception {
        Run r = run("sandbox", "--http-port=eighty", "--data-dir=" + dir.resolve("data"));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err.strip()).doesNotContain("\n")
                .isEqualTo("fencewatch sandbox: --http-port: 'eighty' is not a port number");
        assertThat(r.out).doesNotContain("Starting");
    }

    @Test
    void shouldExitTwoWithOneLineWhenTheFlagIsUnknown() throws Exception {
        Run r = run("sandbox", "--colour=blue");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err.strip()).isEqualTo("fencewatch sandbox: --colour: unknown flag (see --help)");
    }

    @Test
    void shouldExitTwoWithOneLineNamingTheFlagWhenAnOciBridgeFlagIsBad() throws Exception {
        Run r = run("oci-bridge", "--oci-stream-ocid=ocid1.topic.oc1..x", "--bootstrap-servers=k:9092");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err.strip()).doesNotContain("\n").isEqualTo(
                "fencewatch oci-bridge: --oci-stream-ocid: 'ocid1.topic.oc1..x' is not a stream OCID (ocid1.stream.oc1.<region>.<id>)");
        Run help = run("oci-bridge", "--help");
        assertThat(help.exit).isZero();
        assertThat(help.out).contains("--oci-stream-ocid").contains("--oci-group").contains("--bootstrap-servers")
                .contains("--topic-prefix");
    }

    @Test
    void shouldExitTwoWithOneLineWhenTheCommandIsUnknown() throws Exception {
        Run r = run("sandbox-please");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err.strip()).doesNotContain("\n").startsWith("fencewatch: unknown command 'sandbox-please'");
    }

    @Test
    void shouldPrintUsageWhenAskedForHelpOrGivenNothing() throws Exception {
        for (String[] args : List.of(new String[0], new String[] {"--help"})) {
            Run r = run(args);
            assertThat(r.exit).isZero();
            assertThat(r.out).contains("sandbox").contains("collector").contains("processor");
        }
        Run sandbox = run("sandbox", "--help");
        assertThat(sandbox.exit).isZero();
        assertThat(sandbox.out).contains("--http-port").contains("--kafka-port").contains("--api-port")
                .contains("--data-dir").contains("--scenario").contains("--grace").contains("--kubeconfig")
                .contains("--context");
        Run collector = run("collector", "--help");
        assertThat(collector.exit).isZero();
        assertThat(collector.out).contains("--cluster-id").contains("--bootstrap-servers");
        Run processor = run("processor", "--help");
        assertThat(processor.exit).isZero();
        assertThat(processor.out).contains("--bootstrap-servers").contains("--state-dir");
    }

    @Test
    void shouldExitTwoWhenAPortIsInUse() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Run r = run("sandbox", "--kafka-port=" + taken.getLocalPort(), "--http-port=0", "--api-port=0",
                    "--data-dir=" + dir.resolve("data"));
            assertThat(r.exit).isEqualTo(2);
            assertThat(r.err.strip()).startsWith("fencewatch sandbox: --kafka-port: port " + taken.getLocalPort()
                    + " is in use");
        }
    }

    private Run run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Fencewatch.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fencewatch " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
