package io.fencewatch.collector.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.fencewatch.collector.Collector;
import io.fencewatch.collector.FleetTestClusters;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.OkeFleetStub;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * A collector given only a tenancy: it finds the OKE clusters through the Identity and Container
 * Engine stand-in (every request's signature checked), watches each with the kubeconfig
 * CreateKubeconfig writes, picks up a cluster created later, retires a deleted one with
 * CLUSTER_REMOVED, reports an unreachable one with UNREACHABLE and its error, and never retires a
 * cluster because discovery failed.
 */
@ExtendWith(KafkaBrokerExtension.class)
class OkeFleetIT {
    private static final String REGION = "eu-frankfurt-1";
    private static final int PARTITIONS = 2;

    private OkeFleetStub oci;
    private OciTestCredentials creds;
    private FleetTestClusters clusters;
    private String prod;
    private String dev;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        creds = OciTestCredentials.create(dir, "DEFAULT");
        oci = OkeFleetStub.start(Clock.systemUTC(), REGION, OciTestCredentials.TENANCY);
        oci.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        prod = oci.addCompartment(OciTestCredentials.TENANCY, "prod");
        dev = oci.addCompartment(OciTestCredentials.TENANCY, "dev");
        clusters = new FleetTestClusters();
    }

    @AfterEach
    void stop() {
        clusters.close();
        oci.close();
    }

    private Collector collector(EmbeddedKafkaBroker broker, String prefix) {
        Map<String, String> flags = new HashMap<>();
        flags.put("oci-compartments", OciTestCredentials.TENANCY);
        flags.put("oci-auth", "api-key");
        flags.put("oci-config-file", creds.configFile().toString());
        flags.put("oci.identity.endpoint", oci.endpoint());
        flags.put("oci.containerengine.endpoint", oci.endpoint());
        flags.put("oci-rediscover-interval", "1s");
        flags.put("unreachable-after", "300ms");
        flags.put("heartbeat-interval", "300ms");
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("topic-prefix", prefix);
        flags.put("http-port", "-1");
        flags.put("list-page-size", "0");
        flags.put("collector-id", "fleet-test");
        return new Collector(CollectorConfig.fromMap(flags), target -> {
            throw new AssertionError("a fleet makes its clients from CreateKubeconfig");
        }, (c, r) -> { });
    }

    private static TopicReader<String, InventoryEvent> reader(EmbeddedKafkaBroker broker, String prefix) {
        return new TopicReader<>(broker.bootstrapServers(), prefix + ".inventory", new StringDeserializer(),
                FencewatchSerdes.inventoryEvent());
    }

    private static List<InventoryEvent> readUntil(TopicReader<String, InventoryEvent> reader,
            Predicate<List<InventoryEvent>> done) {
        List<ConsumerRecord<String, InventoryEvent>> recs = reader.pollUntil(
                rs -> done.test(rs.stream().map(ConsumerRecord::value).toList()), Duration.ofSeconds(60));
        return recs.stream().map(ConsumerRecord::value).toList();
    }

    private static long count(List<InventoryEvent> events, String cluster, Op op) {
        return events.stream().filter(e -> e.getSource().getCluster().equals(cluster) && e.getOp() == op).count();
    }

    @Test
    void shouldWatchEveryClusterOfTheTenancyThenTheNewOneAndRetireTheDeletedOne(EmbeddedKafkaBroker broker)
            throws Exception {
        String prefix = FleetTestClusters.uniquePrefix();
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        var shop = oci.addCluster(prod, "shop", clusters.start("shop").url());
        oci.addCluster(dev, "Dev_Cluster", clusters.start("dev").url());
        clusters.get("shop").createNamespace("payments");

        try (Collector collector = collector(broker, prefix).start();
                TopicReader<String, InventoryEvent> reader = reader(broker, prefix)) {
            List<InventoryEvent> events = readUntil(reader, es -> count(es, "shop", Op.SYNC_END) >= PARTITIONS
                    && count(es, "dev-cluster", Op.SYNC_END) >= PARTITIONS);
            InventoryEvent start = events.stream().filter(e -> e.getOp() == Op.SYNC_START
                    && e.getSource().getCluster().equals("shop")).findFirst().orElseThrow();
            assertThat(start.getCluster().getProvider()).isEqualTo("oke");
            assertThat(start.getCluster().getOcid()).isEqualTo(shop.id);
            assertThat(start.getCluster().getRegion()).isEqualTo(REGION);
            assertThat(start.getCluster().getCompartment()).isEqualTo("/prod");
            assertThat(start.getCluster().getCompartmentId()).isEqualTo(prod);
            assertThat(start.getCluster().getKubernetesVersion()).isEqualTo("v1.34.1");
            assertThat(start.getCluster().getEndpointType()).isEqualTo("PUBLIC_ENDPOINT");
            assertThat(start.getCluster().getCniTypes()).containsExactly("FLANNEL_OVERLAY");
            assertThat(events).filteredOn(e -> e.getOp() == Op.SNAPSHOT && "payments".equals(e.getNamespace()))
                    .extracting(e -> e.getSource().getCluster()).containsOnly("shop");

            // Created tomorrow: picked up at the next pass.
            oci.addCluster(prod, "billing", clusters.start("billing").url());
            readUntil(reader, es -> count(es, "billing", Op.SYNC_END) >= PARTITIONS);
            assertThat(collector.fleet().members()).extracting(OkeFleet.Member::id)
                    .containsExactlyInAnyOrder("shop", "dev-cluster", "billing");

            // Deleted: the agent stops and CLUSTER_REMOVED goes to every partition.
            shop.lifecycleState = "DELETING";
            events = readUntil(reader, es -> count(es, "shop", Op.CLUSTER_REMOVED) >= PARTITIONS);
            assertThat(events).filteredOn(e -> e.getOp() == Op.CLUSTER_REMOVED)
                    .allSatisfy(e -> assertThat(e.getCluster().getOcid()).isEqualTo(shop.id));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(collector.fleet().members())
                    .extracting(OkeFleet.Member::id).containsExactlyInAnyOrder("dev-cluster", "billing"));
            assertThat(collector.agents()).extracting(a -> a.clusterId()).doesNotContain("shop");

            // OCI refuses ListClusters for a while: nothing is retired for it.
            long failedBefore = collector.fleet().failedPasses();
            oci.faults().on("ListClusters").serverErrors(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> collector.fleet().failedPasses() > failedBefore);
            assertThat(collector.fleet().members()).hasSize(2);
            await().atMost(Duration.ofSeconds(30)).until(() -> collector.fleet().lastPass().error() == null);
            assertThat(collector.fleet().members()).extracting(OkeFleet.Member::id)
                    .containsExactlyInAnyOrder("dev-cluster", "billing");
        }
    }

    @Test
    void shouldReportAClusterItCannotReachAsUnreachableWithTheErrorAndRecoverWhenItAnswers(EmbeddedKafkaBroker broker)
            throws Exception {
        String prefix = FleetTestClusters.uniquePrefix();
        broker.createTopic(prefix + ".inventory", PARTITIONS);
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        var lost = oci.addCluster(prod, "lost", "http://127.0.0.1:" + deadPort);
        try (Collector collector = collector(broker, prefix).start();
                TopicReader<String, InventoryEvent> reader = reader(broker, prefix)) {
            List<InventoryEvent> events = readUntil(reader, es -> count(es, "lost", Op.UNREACHABLE) >= 2 * PARTITIONS);
            InventoryEvent u = events.stream().filter(e -> e.getOp() == Op.UNREACHABLE).findFirst().orElseThrow();
            assertThat(u.getCluster().getError()).isNotBlank().doesNotContainIgnoringCase("bearer")
                    .doesNotContain("Signature");
            assertThat(u.getCluster().getUnreachableSince()).isNotNull();
            assertThat(u.getCluster().getOcid()).isEqualTo(lost.id);
            assertThat(count(events, "lost", Op.SYNC_START)).isZero();

            // Its API server comes up where the kubeconfig points: the agent's retries reach it.
            clusters.start("lost", deadPort);
            readUntil(reader, es -> count(es, "lost", Op.SYNC_END) >= PARTITIONS);
        }
    }
}
