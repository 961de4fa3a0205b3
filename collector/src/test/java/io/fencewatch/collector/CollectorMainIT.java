package io.fencewatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.kafka.TopicReader;

/** The real entry point in a child JVM, through a kubeconfig context: SIGTERM flushes and exits cleanly. */
@ExtendWith(KafkaBrokerExtension.class)
class CollectorMainIT {

    @Test
    void shouldPublishAndCloseCleanlyWhenProcessGetsSigterm(EmbeddedKafkaBroker broker, @TempDir Path dir)
            throws Exception {
        String prefix = TestAgents.uniquePrefix();
        broker.createTopic(prefix + ".inventory", 2);
        try (MockCluster cluster = new MockCluster()) {
            cluster.createNamespace("before-start");
            Path kubeconfig = dir.resolve("kubeconfig");
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: mock
                      cluster:
                        server: %s
                    contexts:
                    - name: mock-ctx
                      context: {cluster: mock, user: tester}
                    current-context: mock-ctx
                    users:
                    - name: tester
                      user: {token: not-a-secret}
                    """.formatted(cluster.api.getConfiguration().getMasterUrl()), StandardCharsets.UTF_8);
            int port;
            try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            File log = dir.resolve("collector.log").toFile();
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    CollectorMain.class.getName(), "--contexts=sigterm=mock-ctx", "--kubeconfig=" + kubeconfig,
                    "--bootstrap-servers=" + broker.bootstrapServers(), "--topic-prefix=" + prefix,
                    "--http-port=" + port, "--http-bind=127.0.0.1", "--list-page-size=0", "--shutdown-timeout=10s")
                    .redirectErrorStream(true).redirectOutput(log).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
                cluster.createNamespace("just-before-sigterm");
                // (That queued events are flushed on close is InventoryPublisherTest's job: here the
                // informer may not even have seen the write yet, so wait until it was published.)
                HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
                await().atMost(Duration.ofSeconds(30)).until(() -> http.send(metrics, HttpResponse.BodyHandlers.ofString())
                        .body().contains("{cluster=\"sigterm\",kind=\"NAMESPACE\",op=\"UPSERT\"} 1"));
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly();
            }
            String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
            assertThat(output).contains("shutting down (flushing queued events").contains("cluster sigterm: agent closed")
                    .doesNotContain("not-a-secret");
            assertThat(p.exitValue()).isEqualTo(143); // 128 + SIGTERM, after the shutdown hook ran

            try (TopicReader<String, InventoryEvent> reader = TestAgents.reader(broker, prefix + ".inventory")) {
                List<InventoryEvent> events = TestAgents.readUntil(reader, es -> es.stream()
                        .anyMatch(e -> "just-before-sigterm".equals(e.getName())));
                assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT).extracting(InventoryEvent::getName)
                        .containsExactly("before-start");
                assertThat(events).filteredOn(e -> "just-before-sigterm".equals(e.getName()))
                        .extracting(InventoryEvent::getOp).containsExactly(Op.UPSERT);
                assertThat(events).extracting(e -> e.getSource().getCluster()).containsOnly("sigterm");
            }
        }
    }
}
