package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Secure by default outside the sandbox: the processor refuses to serve its API beyond loopback
 * without a token, unless {@code --query.auth=none} says so explicitly (issue 20).
 */
class ProcessorExposureTest {
    private record Outcome(ProcessorConfig config, int status, String err) {
    }

    private static Outcome read(Map<String, String> env, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int[] status = {0};
        ProcessorConfig c = ProcessorMain.readConfig(args, env, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), status);
        return new Outcome(c, status[0], err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseToStartWithOneLineAndExit2WhenBoundToEveryInterfaceWithoutAToken() {
        Outcome o = read(Map.of(), "--query.http.bind=0.0.0.0");
        assertThat(o.config()).isNull();
        assertThat(o.status()).isEqualTo(ProcessorMain.EXIT_BAD_CONFIG).isEqualTo(2);
        assertThat(o.err()).isEqualTo("fencewatch processor: --query.http.bind=0.0.0.0 serves the API beyond this "
                + "machine without a token: set query.auth.token.file (or query.auth.token), or query.auth=none to run open "
                + "on purpose" + System.lineSeparator());
        // The same from the environment, as in a container.
        assertThat(read(Map.of("FENCEWATCH_QUERY_HTTP_BIND", "0.0.0.0")).status()).isEqualTo(2);
    }

    @Test
    void shouldStartWhenOpenOnPurposeOrWithATokenOrOnLoopback() {
        Outcome none = read(Map.of(), "--query.http.bind=0.0.0.0", "--query.auth=none");
        assertThat(none.status()).isZero();
        assertThat(none.config().queryConfig().auth()).isEqualTo("none");
        Outcome token = read(Map.of("FENCEWATCH_QUERY_AUTH_TOKEN", "s3cret"), "--query.http.bind=0.0.0.0");
        assertThat(token.status()).isZero();
        assertThat(token.config().queryConfig().hasToken()).isTrue();
        Outcome loopback = read(Map.of());
        assertThat(loopback.status()).isZero();
        assertThat(loopback.config().queryConfig().bindAddress()).isEqualTo("127.0.0.1");
        // No HTTP at all: nothing to expose.
        assertThat(read(Map.of(), "--http-port=-1", "--query.http.bind=0.0.0.0").status()).isZero();
    }

    @Test
    void shouldReadAllowedHostsFromItsEnvironmentVariableWhenTheKeyHasADash() {
        Outcome o = read(Map.of("FENCEWATCH_QUERY_ALLOWED_HOSTS", "fencewatch.example.test,*.svc.cluster.local"));
        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.config().queryConfig().allowedHosts()).containsExactly("fencewatch.example.test", "*.svc.cluster.local");
    }

    @Test
    void shouldNameTheKeyWhenQueryAuthIsNotAMode() {
        Outcome o = read(Map.of(), "--query.auth=maybe");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).startsWith("fencewatch processor: --query.auth: 'maybe' is not one of auto, token, none");
    }
}
