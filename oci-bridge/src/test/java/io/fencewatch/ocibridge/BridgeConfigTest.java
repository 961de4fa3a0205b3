package io.fencewatch.ocibridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The public flags of {@code fencewatch oci-bridge}: names, defaults and one-line errors. */
class BridgeConfigTest {
    private static final String STREAM = "ocid1.stream.oc1.eu-frankfurt-1.amaaaaaabcdefgh";

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("oci-stream-ocid", STREAM);
        m.put("bootstrap-servers", "kafka:9092");
        return m;
    }

    @Test
    void shouldApplyTheDocumentedDefaultsWhenOnlyTheStreamAndKafkaAreGiven() {
        BridgeConfig c = BridgeConfig.fromMap(minimal());
        assertThat(c.get(BridgeConfig.OCI_GROUP)).isEqualTo("fencewatch-bridge");
        assertThat(c.topics().inventory()).isEqualTo("fencewatch.inventory");
        assertThat(c.get(BridgeConfig.GAP_TIMEOUT)).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.get(BridgeConfig.OCI_AUTH)).isEqualTo("api-key");
        assertThat(c.instance()).isNotBlank();
        assertThat(OciBridgeMain.producerProperties(c)).containsEntry("enable.idempotence", "true").containsEntry("acks", "all");
    }

    @Test
    void shouldPinTheFlagNamesWhenTheIssueNamesThem() {
        assertThat(BridgeConfig.keys()).extracting(io.fencewatch.config.Setting::option)
                .contains("--oci-stream-ocid", "--oci-group", "--bootstrap-servers", "--topic-prefix");
    }

    @Test
    void shouldLetFlagsWinOverTheEnvironment() {
        BridgeConfig c = BridgeConfig.fromArgs(new String[] {"--oci-group=g2", "--bootstrap-servers", "k:1"},
                Map.of("FENCEWATCH_OCI_GROUP", "g1", "FENCEWATCH_OCI_STREAM_OCID", STREAM));
        assertThat(c.get(BridgeConfig.OCI_GROUP)).isEqualTo("g2");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "oci-stream-ocid|ocid1.topic.oc1..x|--oci-stream-ocid: 'ocid1.topic.oc1..x' is not a stream OCID (ocid1.stream.oc1.<region>.<id>)",
        "gap-timeout|soon|--gap-timeout: 'soon' is not a duration (use e.g. 30s, 500ms, 2m or PT30S)",
        "max-held|0|--max-held: '0' is outside 1..50000000",
        "topic-prefix|a b|--topic-prefix: 'a b' is not a valid topic prefix: topic prefix may only hold letters, digits, '-', '_' and '.' (found ' ')",
        "oci-auth|token|--oci-auth: 'token' is not one of api-key, instance-principal, resource-principal, oke-workload-identity",
    })
    void shouldNameTheFlagAndWhyWhenAValueIsBad(String key, String value, String message) {
        Map<String, String> m = minimal();
        m.put(key, value);
        assertThatThrownBy(() -> BridgeConfig.fromMap(m)).isInstanceOf(BridgeConfig.BridgeConfigException.class)
                .hasMessage(message);
    }

    @Test
    void shouldRequireTheStreamAndKafkaWhenMissing() {
        assertThatThrownBy(() -> BridgeConfig.fromMap(Map.of("bootstrap-servers", "k:1"))).hasMessage("--oci-stream-ocid: is required");
        assertThatThrownBy(() -> BridgeConfig.fromMap(Map.of("oci-stream-ocid", STREAM)))
                .hasMessage("--bootstrap-servers: is required (or set bootstrap.servers in --kafka-properties)");
        assertThatThrownBy(() -> BridgeConfig.fromArgs(new String[] {"--nope=1"}, Map.of())).hasMessage("--nope: unknown flag (see --help)");
        assertThat(List.of(BridgeConfig.usage().split("\n"))).anyMatch(l -> l.contains("FENCEWATCH_OCI_GROUP"));
    }
}
