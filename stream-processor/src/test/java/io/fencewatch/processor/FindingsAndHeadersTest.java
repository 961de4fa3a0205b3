package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Findings;
import io.fencewatch.rules.OcsfChecks;

class FindingsAndHeadersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant OLD = Harness.T0.minus(Duration.ofDays(1));

    @Test
    void shouldWriteOcsfComplianceFindingWhenNamespaceBecomesNonCompliantAndCloseItWhenFixed() throws Exception {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("prod-eu", 7, h::now);
            h.send(f.namespace(Op.UPSERT, "payments", Feed.active(OLD)));
            h.send(f.policy(Op.UPSERT, "payments", "default-deny", Policies.remediation()));

            var findings = h.findings();
            assertThat(findings).hasSize(2);
            assertThat(findings.get(0).key()).isEqualTo("prod-eu/payments");
            JsonNode create = OcsfChecks.assertOpenFinding(findings.get(0).value(), "prod-eu", "payments",
                    h.now().toEpochMilli());

            JsonNode close = JSON.readTree(findings.get(1).value());
            assertThat(close.get("activity_id").asInt()).isEqualTo(3);
            assertThat(close.get("activity_name").asText()).isEqualTo("Close");
            assertThat(close.get("type_uid").asLong()).isEqualTo(200303);
            assertThat(close.get("status").asText()).isEqualTo("Resolved");
            assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");
            assertThat(close.at("/finding_info/uid").asText()).isEqualTo(create.at("/finding_info/uid").asText());
            assertThat(close.at("/metadata/uid").asText()).isNotEqualTo(create.at("/metadata/uid").asText());

            assertCloudEvent(findings.get(0).headers(), create.at("/metadata/uid").asText(), "io.fencewatch.finding.v1",
                    "/fencewatch/clusters/prod-eu", "application/json");
        }
    }

    @Test
    void shouldParseRemediationPolicyAsTheStrictProfileAcceptsIt() {
        // The YAML we recommend must satisfy the profile we sell: its facts are Policies.remediation().
        try (Harness h = new Harness(Rules.defaults().withProfile(Profile.STRICT))) {
            Feed f = new Feed("c", 1, h::now);
            h.send(f.namespace(Op.UPSERT, "ns", Feed.active(OLD)));
            h.send(f.policy(Op.UPSERT, "ns", "default-deny", Policies.remediation()));
            assertThat(h.coverage("c/ns").getStatus().name()).isEqualTo("COMPLIANT");
            assertThat(Findings.defaultDenyPolicy("ns")).contains("name: fencewatch-default-deny", "namespace: ns", "app.kubernetes.io/managed-by: fencewatch");
        }
    }

    @Test
    void shouldCarryCloudEventsHeadersAndCauseWhenDriftIsEmitted() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 42, h::now);
            var event = f.namespace(Op.UPSERT, "shop", Feed.active(OLD));
            h.send(event);
            var drift = h.drift();
            assertThat(drift).hasSize(1);
            DriftEvent d = drift.get(0).value();
            assertThat(d.getCluster()).isEqualTo("c1");
            assertThat(d.getNamespace()).isEqualTo("shop");
            assertThat(d.getBefore()).isNull();
            assertThat(d.getAfter().getStatus().name()).isEqualTo("NON_COMPLIANT");
            assertThat(d.getDetectedAt()).isEqualTo(h.now());
            assertThat(d.getCause().getOp()).isEqualTo(Op.UPSERT);
            assertThat(d.getCause().getName()).isEqualTo("shop");
            assertThat(d.getCause().getEpoch()).isEqualTo(42);
            assertThat(d.getCause().getSequence()).isEqualTo(event.value.getSource().getSequence());
            assertThat(d.getCause().getResourceVersion()).isEqualTo(event.value.getResourceVersion());
            assertThat(d.getCause().getObservedAt()).isEqualTo(event.value.getSource().getObservedAt());
            assertCloudEvent(drift.get(0).headers(), d.getId(), "io.fencewatch.drift.v1", "/fencewatch/clusters/c1",
                    "application/avro");
        }
    }

    @Test
    void shouldKeepRecentDriftQueryableWhenDriftIsEmitted() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 5, h::now);
            h.send(f.namespace(Op.UPSERT, "a", Feed.active(OLD)));
            h.advance(Duration.ofSeconds(5));
            h.send(f.policy(Op.UPSERT, "a", "p", Policies.denyAll()));
            org.apache.kafka.streams.state.WindowStore<String, DriftEvent> store =
                    h.driver.getWindowStore(CoverageTopology.DRIFT_HISTORY_STORE);
            List<String> reasons = new ArrayList<>();
            try (var it = store.fetch("c1/a", Harness.T0.minusSeconds(1), h.now())) {
                it.forEachRemaining(kv -> reasons.add(kv.value.getReason().name()));
            }
            assertThat(reasons).containsExactly("NAMESPACE_CREATED_WITHOUT_POLICY", "POLICY_ADDED");
        }
    }

    @Test
    void shouldGiveSameDriftIdsWhenSameInputIsProcessedAgain() {
        List<String> first = driftIds();
        List<String> second = driftIds();
        assertThat(first).hasSize(3).doesNotHaveDuplicates();
        assertThat(second).isEqualTo(first);
    }

    private static List<String> driftIds() {
        try (Harness h = new Harness(Rules.defaults())) {
            Feed f = new Feed("c1", 5, h::now);
            h.send(f.namespace(Op.UPSERT, "a", Feed.active(OLD)));
            h.send(f.policy(Op.UPSERT, "a", "p", Policies.denyAll()));
            h.send(f.policy(Op.DELETE, "a", "p", null));
            return h.drift().stream().map(r -> r.value().getId()).toList();
        }
    }

    private static void assertCloudEvent(Headers headers, String id, String type, String source, String contentType) {
        assertThat(header(headers, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(headers, "ce_id")).isEqualTo(id);
        assertThat(header(headers, "ce_type")).isEqualTo(type);
        assertThat(header(headers, "ce_source")).isEqualTo(source);
        assertThat(Instant.parse(header(headers, "ce_time"))).isEqualTo(Harness.T0);
        assertThat(header(headers, "content-type")).isEqualTo(contentType);
    }

    private static String header(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        assertThat(h).as("header " + key).isNotNull();
        return new String(h.value(), StandardCharsets.UTF_8);
    }
}
