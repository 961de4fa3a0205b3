package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the real entry point in a child JVM: a bad flag stops start-up with one line and exit code 2. */
class CollectorMainTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--heartbeat-interval=abc|fencewatch collector: --heartbeat-interval: 'abc' is not a duration (use e.g. 30s, 500ms, 2m or PT30S)",
        "--heartbeet=1s|fencewatch collector: --heartbeet: unknown flag (see --help)",
        "--queue-capacity=-5|fencewatch collector: --queue-capacity: '-5' is outside 16..10000000",
    })
    void shouldExitWithCodeTwoAndOneLineWhenAFlagIsBad(String flag, String expected) throws Exception {
        Process p = start("--cluster-id=c1", "--bootstrap-servers=127.0.0.1:1", flag);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(err.strip()).isEqualTo(expected);
        assertThat(err.strip().lines()).hasSize(1);
    }

    private static Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx64m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CollectorMain.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }
}
