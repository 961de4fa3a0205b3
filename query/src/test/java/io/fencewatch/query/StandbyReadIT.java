package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/** With num.standby.replicas=1, a point query whose active owner cannot answer is read from a standby, and says so. */
@ExtendWith(KafkaBrokerExtension.class)
class StandbyReadIT {
    private static final String TOKEN = "shared-token";
    private static final String[] BEARER = {"Authorization", "Bearer " + TOKEN};

    @Test
    void shouldReadStandbyAndSayItIsStaleWhenTheActiveOwnerIsDown(EmbeddedKafkaBroker broker) {
        TopicNames topics = new TopicNames(QueryTestApp.uniquePrefix("sb"));
        QueryTestApp.createTopics(broker, topics, 2);
        List<NamespaceCoverage> records = new ArrayList<>();
        List<String> names = QueryTestApp.namespaces("ns", 10);
        names.forEach(n -> records.add(QueryTestApp.coverage("alpha", n, Status.COMPLIANT)));
        QueryTestApp.produceCoverage(broker, topics, records);
        String appId = topics.prefix() + "-app";
        Map<String, Object> standby = Map.of(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        // Auth on: instances forward to each other with the shared token.
        Map<String, String> auth = Map.of(QueryConfig.TOKEN.name(), TOKEN);
        try (QueryTestApp.Instance a = QueryTestApp.start(broker, appId, topics, auth, standby);
                QueryTestApp.Instance b = QueryTestApp.start(broker, appId, topics, auth, standby)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(a.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(b.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(a.streams.streamsMetadataForStore(QueryTestApp.STORE)).hasSize(2)
                        .allSatisfy(m -> assertThat(m.standbyTopicPartitions()).isNotEmpty());
            });
            // A key whose active owner is B (and A holds its standby).
            String ownedByB = names.stream().filter(n -> {
                KeyQueryMetadata md = a.streams.queryMetadataForKey(QueryTestApp.STORE, Keys.of("alpha", n), Serdes.String().serializer());
                return md.activeHost().port() == b.port;
            }).findFirst().orElseThrow();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> viaOwner = QueryTestApp.get(a.uri("/api/v1/clusters/alpha/namespaces/" + ownedByB), BEARER);
                assertThat(InteractiveQueriesIT.json(viaOwner, 200).get("namespace").asText()).isEqualTo(ownedByB);
                assertThat(viaOwner.headers().firstValue(CoverageQueryService.REPLICA_HEADER)).contains("active");
                assertThat(viaOwner.headers().firstValue(CoverageQueryService.SERVED_BY_HEADER)).contains("127.0.0.1:" + b.port);
                assertThat(InteractiveQueriesIT.json(QueryTestApp.get(a.uri("/api/v1/clusters/alpha/namespaces"), BEARER), 200))
                        .hasSize(names.size());
            });
            // The dashboard's cookie is enough too: the forward carries the instance's own token.
            assertThat(QueryTestApp.get(a.uri("/api/v1/clusters/alpha/namespaces/" + ownedByB), "Cookie",
                    "fencewatch_token=" + TOKEN).statusCode()).isEqualTo(200);

            // B's query endpoint goes down (its processing goes on): A answers from its standby.
            b.server.close();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> r = QueryTestApp.get(a.uri("/api/v1/clusters/alpha/namespaces/" + ownedByB), BEARER);
                assertThat(InteractiveQueriesIT.json(r, 200).get("namespace").asText()).isEqualTo(ownedByB);
                assertThat(r.headers().firstValue(CoverageQueryService.REPLICA_HEADER)).contains("standby");
                assertThat(r.headers().firstValue(CoverageQueryService.SERVED_BY_HEADER)).contains("127.0.0.1:" + a.port);
            });
            // A list cannot be complete without B: 503, never a partial list.
            HttpResponse<String> list = QueryTestApp.get(a.uri("/api/v1/clusters/alpha/namespaces"), BEARER);
            assertThat(list.statusCode()).isEqualTo(503);
            assertThat(list.headers().firstValue("Retry-After")).isPresent();
        }
    }
}
