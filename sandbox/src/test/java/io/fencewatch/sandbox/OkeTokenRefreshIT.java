package io.fencewatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.collector.Collector;
import io.fencewatch.collector.config.CollectorConfig;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.kafka.TopicReader;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.OkeFleetStub;
import io.fencewatch.ocistub.OkeTokenVerifier;
import io.fencewatch.ocistub.RequestSignatureVerifier;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.testing.KafkaBrokerExtension;
import io.fencewatch.testing.MovableClock;

/**
 * Token refresh while watching: an OKE fleet's cluster whose API server accepts only a valid OKE
 * token (signature and a date within five minutes of its clock). Five minutes pass on the clock the
 * collector's tokens and the API server share, the server ends the open watches, and the informers
 * watch again with a fresh token: the next change arrives, no token is refused, never UNREACHABLE.
 */
@ExtendWith(KafkaBrokerExtension.class)
class OkeTokenRefreshIT {
    private static final String REGION = "eu-frankfurt-1";

    @TempDir
    Path dir;

    /** Ticks with the system clock (durations are measured too); the test moves it ahead. */
    private final MovableClock clock = MovableClock.ticking();

    private static List<InventoryEvent> readUntil(TopicReader<String, InventoryEvent> reader,
            Predicate<List<InventoryEvent>> done) {
        return reader.pollUntil(rs -> done.test(rs.stream().map(ConsumerRecord::value).toList()), Duration.ofSeconds(60))
                .stream().map(ConsumerRecord::value).toList();
    }

    @Test
    void shouldWatchOnWithAFreshTokenWhenTheOldOneHasExpired(EmbeddedKafkaBroker broker) throws Exception {
        String prefix = "t" + java.util.UUID.randomUUID().toString().substring(0, 8);
        broker.createTopic(prefix + ".inventory", 1);
        OciTestCredentials creds = OciTestCredentials.create(dir, "DEFAULT");
        Set<String> tokensSeen = ConcurrentHashMap.newKeySet();
        try (OkeFleetStub oci = OkeFleetStub.start(Clock.systemUTC(), REGION, OciTestCredentials.TENANCY);
                SimulatedApiServer api = new SimulatedApiServer().start(0)) {
            oci.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
            OkeFleetStub.Cluster cluster = oci.addCluster(oci.addCompartment(OciTestCredentials.TENANCY, "prod"), "shop",
                    api.url());
            RequestSignatureVerifier signatures = new RequestSignatureVerifier(clock);
            signatures.trust(creds.keyId(), creds.keyPair().getPublic());
            OkeTokenVerifier tokens = new OkeTokenVerifier(signatures, REGION, cluster.id);
            List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
            api.requireToken(t -> {
                try {
                    tokens.verify(t);
                } catch (RuntimeException e) {
                    refused.add(e.getMessage());
                    throw e;
                }
                tokensSeen.add(t);
                return true;
            });

            Map<String, String> flags = new HashMap<>();
            flags.put("oci-compartments", OciTestCredentials.TENANCY);
            flags.put("oci-config-file", creds.configFile().toString());
            flags.put("oci.identity.endpoint", oci.endpoint());
            flags.put("oci.containerengine.endpoint", oci.endpoint());
            flags.put("unreachable-after", "500ms");
            flags.put("heartbeat-interval", "300ms");
            flags.put("bootstrap-servers", broker.bootstrapServers());
            flags.put("topic-prefix", prefix);
            flags.put("http-port", "-1");
            flags.put("collector-id", "refresh-test");
            try (Collector collector = new Collector(CollectorConfig.fromMap(flags), t -> {
                throw new AssertionError("clients come from CreateKubeconfig");
            }, (c, r) -> { }, clock).start();
                    TopicReader<String, InventoryEvent> reader = new TopicReader<>(broker.bootstrapServers(),
                            prefix + ".inventory", new StringDeserializer(), FencewatchSerdes.inventoryEvent())) {
                List<InventoryEvent> events = readUntil(reader, es -> es.stream().anyMatch(e -> e.getOp() == Op.SYNC_END));
                int before = tokensSeen.size();

                clock.advance(Duration.ofMinutes(5)); // every token made so far is now refused
                api.endWatches();
                try (KubernetesClient admin = api.client()) {
                    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("after-refresh")
                            .endMetadata().build()).create();
                }

                // The informers watch (or list) again with a token made on the new clock: the new
                // namespace arrives, live or in a resync's snapshot, and no token is refused.
                events = readUntil(reader, es -> es.stream().anyMatch(e -> (e.getOp() == Op.UPSERT
                        || e.getOp() == Op.SNAPSHOT) && "after-refresh".equals(e.getNamespace())) || !refused.isEmpty());
                assertThat(refused).as("tokens the API server refused").isEmpty();
                assertThat(events).noneMatch(e -> e.getOp() == Op.UNREACHABLE);
                assertThat(tokensSeen.size()).as("a new token after the clock moved").isGreaterThan(before);
            }
        }
    }
}
