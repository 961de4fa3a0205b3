package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fencewatch.ocibridge.OciBridge;
import io.fencewatch.ocistub.StreamingStub;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * {@code --transport=oci-streaming}: collector → OCI Streaming stand-in → oci-bridge → Kafka → processor in the one
 * sandbox JVM. The inherited {@link SandboxKubectlIT} tests run on this path (kubectl, REST, drift lines and the
 * audit; a restart on the same data directory, with a new stand-in stream; a cluster of another kubeconfig); the
 * test here shows that the events really went through the stand-in (signed, on its stream, read by the bridge's
 * group) and that a stopped bridge counts in the sandbox's health and is logged.
 */
class SandboxOciStreamingIT extends SandboxKubectlIT {

    @Override
    String transport() {
        return "oci-streaming";
    }

    @Test
    void shouldCarryKubectlChangesThroughTheStandInAndTheBridgeWhenTheTransportIsOciStreaming() throws Exception {
        Assumptions.assumeTrue(kubectlOnPath(), "kubectl is not on PATH: skipping the sandbox test that drives it"
                + " with the real kubectl (install kubectl 1.32 to run it)");
        try (Sandbox sandbox = new Sandbox(config(dir.resolve("data")), terminal).start()) {
            sandbox.announce();
            OciStreamingTransport oci = sandbox.ociTransport();
            assertThat(oci).isNotNull();
            StreamingStub stub = oci.stub();
            String stream = oci.streamId();
            assertThat(stream).startsWith("ocid1.stream.");
            assertThat(terminal()).contains("  Transport  collector → OCI Streaming stand-in " + stub.endpoint()
                    + " (stream " + stream + ", 4 partitions; not OCI) → oci-bridge → Kafka");
            // The key is under the data directory, owner-only, and nowhere in the terminal.
            Path key = oci.credentials().keyFile();
            assertThat(key).startsWith(sandbox.dataDir().resolve("oci"));
            assertThat(Files.getPosixFilePermissions(key)).extracting(Object::toString)
                    .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
            String keyBody = Files.readAllLines(key, StandardCharsets.US_ASCII).get(1);
            assertThat(terminal()).doesNotContain("PRIVATE KEY").doesNotContain(keyBody);

            String base = sandbox.dashboardUrl() + "api/v1/clusters/sandbox/namespaces";
            Kubectl kubectl = new Kubectl(sandbox.kubeconfig(), Files.createDirectories(dir.resolve("home")));
            kubectl.ok("create", "namespace", "payments");
            awaitStatus(base + "/payments", "NON_COMPLIANT");
            awaitTerminal("sandbox/payments  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY");
            kubectl.ok("apply", "-f", kubectl.manifest("default-deny.yaml", DEFAULT_DENY).toString());
            awaitStatus(base + "/payments", "COMPLIANT");
            awaitTerminal("sandbox/payments  NON_COMPLIANT → COMPLIANT  POLICY_ADDED");

            // On the stand-in's stream: the namespace's and the policy's live events, under the namespace's key.
            List<InventoryEvent> payments = stub.allMessages(stream).stream()
                    .filter(m -> Keys.of("sandbox", "payments").equals(m.keyString()))
                    .map(m -> FencewatchSerdes.inventoryEvent().deserialize("fencewatch.inventory", m.value())).toList();
            assertThat(payments).anySatisfy(e -> {
                assertThat(e.getKind()).isEqualTo(Kind.NAMESPACE);
                assertThat(e.getOp()).isEqualTo(Op.UPSERT);
            });
            assertThat(payments).anySatisfy(e -> {
                assertThat(e.getKind()).isEqualTo(Kind.NETWORK_POLICY);
                assertThat(e.getName()).isEqualTo("default-deny");
            });
            assertThat(stub.allMessages(stream)).extracting(StreamingStub.StoredMessage::keyString)
                    .contains(Keys.marker("sandbox"));
            assertThat(stub.rejectedUnauthenticated()).as("requests the stand-in refused (bad signature)").isZero();
            OciBridge bridge = oci.bridge();
            assertThat(bridge.metrics().get("events_forwarded_total")).isPositive();
            assertThat(bridge.metrics().get("records_acked_total")).isPositive();
            assertThat(bridge.metrics().get("dlq_total")).isZero();
            // The bridge's group commits what Kafka has acknowledged.
            await().atMost(Duration.ofSeconds(10)).until(() -> IntStream.range(0, OciStreamingTransport.PARTITIONS)
                    .anyMatch(p -> stub.committed(stream, OciStreamingTransport.GROUP, p) != null));
            assertThat(sandbox.healthProblem()).isNull();

            // A bridge that stops counts in the sandbox's health and is logged as an error.
            Logger log = (Logger) LoggerFactory.getLogger(OciStreamingTransport.class);
            ListAppender<ILoggingEvent> seen = new ListAppender<>();
            seen.start();
            log.addAppender(seen);
            try {
                bridge.kill();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(sandbox.healthProblem()).isEqualTo("oci-bridge: reader thread not running");
                    assertThat(seen.list).anySatisfy(e -> {
                        assertThat(e.getLevel()).isEqualTo(Level.ERROR);
                        assertThat(e.getFormattedMessage()).startsWith("oci-bridge stopped: reader thread not running");
                    });
                });
            } finally {
                log.detachAppender(seen);
            }
        }
    }
}
