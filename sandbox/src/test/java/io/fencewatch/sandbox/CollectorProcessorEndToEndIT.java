package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.collector.Collector;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;

/**
 * Issue 4's end-to-end test: the real collector against the simulated API server and the real
 * processor against the in-process broker. A namespace without policy gives a drift and an OCSF
 * finding (Create); a policy gives the reverse drift and the finding's Close; a deletion gives
 * Terminating, its policies' deletion, then the namespace gone. {@link CollectorProcessorEndToEndRealApiServerIT}
 * runs the same tests against a real kube-apiserver and namespace controller.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorProcessorEndToEndIT {
    private static final String CLUSTER = "e2e";
    private static final TopicNames TOPICS = new TopicNames("e2e");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path state;
    static EmbeddedKafkaBroker broker;
    static SimulatedApiServer api;
    /** The API server under test: a new client per call. */
    static Supplier<KubernetesClient> clients;
    static ProcessorApp processor;
    static Collector collector;

    /** The API server under test: a new client per call. */
    Supplier<KubernetesClient> apiServer() {
        api = new SimulatedApiServer().start(0);
        return api::client;
    }

    @BeforeAll
    void startEverything() throws Exception {
        startAgainst(apiServer());
    }

    /** Broker, processor and a collector watching the API server whose clients {@code newClient} makes. */
    static void startAgainst(Supplier<KubernetesClient> newClient) throws Exception {
        clients = newClient;
        broker = EmbeddedKafkaBroker.startNew();
        processor = new ProcessorApp(ProcessorConfig.fromMap(Map.of(
                "bootstrap-servers", broker.bootstrapServers(),
                "topic-prefix", TOPICS.prefix(),
                "application-id", "e2e-processor",
                "state-dir", state.toString(),
                "grace-period", "0s",
                "partitions", "2"))).start();
        collector = new Collector(CollectorConfig.fromMap(Map.of(
                "cluster-id", CLUSTER,
                "bootstrap-servers", broker.bootstrapServers(),
                "topic-prefix", TOPICS.prefix(),
                "http-port", "-1",
                "shutdown-timeout", "2s")), target -> newClient.get(), (cluster, reason) -> { }).start();
    }

    @AfterAll
    void stopEverything() {
        if (collector != null) {
            collector.close();
        }
        if (processor != null) {
            processor.close();
        }
        if (api != null) {
            api.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldEmitDriftAndFindingWhenANamespaceAppearsWithoutPolicyAndTheReverseWhenAPolicyIsAdded() throws Exception {
        try (KubernetesClient k = clients.get();
                TopicReader<String, DriftEvent> drift = new TopicReader<>(broker.bootstrapServers(), TOPICS.drift(),
                        new StringDeserializer(), FencewatchSerdes.driftEvent().deserializer());
                TopicReader<String, String> findings = new TopicReader<>(broker.bootstrapServers(), TOPICS.findings(),
                        new StringDeserializer(), new StringDeserializer())) {

            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build())
                    .create();

            ConsumerRecord<String, DriftEvent> opened = awaitDrift(drift, "payments", Status.NON_COMPLIANT);
            assertThat(opened.value().getBefore()).isNull();
            assertThat(opened.value().getReason()).isEqualTo(DriftReason.NAMESPACE_CREATED_WITHOUT_POLICY);
            assertThat(opened.value().getCause().getName()).isEqualTo("payments");
            assertThat(header(opened, "ce_type")).isEqualTo("io.fencewatch.drift.v1");
            JsonNode create = awaitFinding(findings, 1);
            assertThat(create.path("class_uid").asInt()).isEqualTo(2003);
            assertThat(create.toString()).contains("FW-NP-001").contains("payments");

            k.network().v1().networkPolicies().inNamespace("payments").resource(DemoScenario.defaultDeny("payments"))
                    .create();

            ConsumerRecord<String, DriftEvent> fixed = awaitDrift(drift, "payments", Status.COMPLIANT);
            assertThat(fixed.value().getBefore().getStatus()).isEqualTo(Status.NON_COMPLIANT);
            assertThat(fixed.value().getReason()).isEqualTo(DriftReason.POLICY_ADDED);
            assertThat(fixed.value().getAfter().getPolicyCount()).isEqualTo(1);
            JsonNode close = awaitFinding(findings, 3);
            assertThat(close.path("activity_name").asText()).isEqualTo("Close");
        }
    }

    @Test
    void shouldReportTerminatingThenThePoliciesGoneThenTheNamespaceGoneWhenANamespaceIsDeleted() throws Exception {
        try (KubernetesClient k = clients.get();
                TopicReader<String, DriftEvent> drift = new TopicReader<>(broker.bootstrapServers(), TOPICS.drift(),
                        new StringDeserializer(), FencewatchSerdes.driftEvent().deserializer())) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("retiring").endMetadata().build())
                    .create();
            // The namespace and policy informers are independent: a policy written at once may reach the
            // processor first (then NAMESPACE_CREATED_WITH_POLICY). Wait for the namespace's own drift.
            awaitDrift(drift, "retiring", Status.NON_COMPLIANT);
            k.network().v1().networkPolicies().inNamespace("retiring").resource(DemoScenario.defaultDeny("retiring"))
                    .create();
            awaitDrift(drift, "retiring", Status.COMPLIANT);

            k.namespaces().withName("retiring").delete();
            // The API server's own steps: Terminating (deletionTimestamp set), its policies deleted, then gone.
            await().atMost(Duration.ofSeconds(60)).until(() -> k.namespaces().withName("retiring").get() == null);

            List<ConsumerRecord<String, DriftEvent>> steps = await().atMost(Duration.ofSeconds(30))
                    .until(() -> drift.poll(Duration.ofMillis(200)).stream()
                            .filter(r -> r.key().equals(CLUSTER + "/retiring")).toList(),
                            rs -> rs.stream().anyMatch(r -> r.value().getAfter() == null));
            assertThat(steps).extracting(r -> (r.value().getAfter() == null ? "(gone)"
                    : r.value().getAfter().getStatus() + "/" + r.value().getAfter().getPolicyCount())
                    + " " + r.value().getReason())
                    .containsExactly(
                            "NON_COMPLIANT/0 NAMESPACE_CREATED_WITHOUT_POLICY",
                            "COMPLIANT/1 POLICY_ADDED",
                            "TERMINATING/1 NAMESPACE_TERMINATING",
                            "TERMINATING/0 LAST_POLICY_DELETED",
                            "(gone) NAMESPACE_DELETED");
            assertThat(steps.get(2).value().getBefore().getStatus()).isEqualTo(Status.COMPLIANT);
        }
    }

    private static ConsumerRecord<String, DriftEvent> awaitDrift(TopicReader<String, DriftEvent> reader, String namespace,
            Status after) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> find(reader.poll(Duration.ofMillis(200)),
                r -> r.key().equals(CLUSTER + "/" + namespace) && r.value().getAfter() != null
                        && r.value().getAfter().getStatus() == after), Optional::isPresent).orElseThrow();
    }

    private static JsonNode awaitFinding(TopicReader<String, String> reader, int activity) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> find(reader.poll(Duration.ofMillis(200)),
                r -> r.key().equals(CLUSTER + "/payments") && json(r.value()).path("activity_id").asInt() == activity),
                Optional::isPresent).map(r -> json(r.value())).orElseThrow();
    }

    private static <V> Optional<ConsumerRecord<String, V>> find(List<ConsumerRecord<String, V>> records,
            java.util.function.Predicate<ConsumerRecord<String, V>> p) {
        return records.stream().filter(p).findFirst();
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError("finding is not JSON: " + e.getMessage(), e);
        }
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
