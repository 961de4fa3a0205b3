package io.fencewatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.fencewatch.collector.publish.ProducerSettings;

/** The oci-streaming flags, and the client settings of the alternative path (OCI's Kafka-compatible endpoint). */
class OciSinkConfigTest {
    private static final String STREAM = "ocid1.stream.oc1.eu-frankfurt-1.amaaaaaabcdefgh";

    private static Map<String, String> oci() {
        Map<String, String> m = new HashMap<>();
        m.put("cluster-id", "oke-prod");
        m.put("sink", "oci-streaming");
        m.put("oci-stream-ocid", STREAM);
        return m;
    }

    @Test
    void shouldNeedNoBootstrapServersWhenTheSinkIsOciStreaming() {
        CollectorConfig c = CollectorConfig.fromMap(oci());
        assertThat(c.ociSink()).isTrue();
        assertThat(c.get(CollectorConfig.OCI_AUTH)).isEqualTo("api-key");
        assertThat(c.get(CollectorConfig.OCI_PROFILE)).isEqualTo("DEFAULT");
        assertThat(c.get(CollectorConfig.OCI_MESSAGES_ENDPOINT)).isNull();
    }

    @Test
    void shouldAcceptOkeWorkloadIdentityWhenGivenAsOciAuth() {
        Map<String, String> m = oci();
        m.put("oci-auth", "oke-workload-identity");
        assertThat(CollectorConfig.fromMap(m).get(CollectorConfig.OCI_AUTH)).isEqualTo("oke-workload-identity");
        // The OKE fleet issue's names for the same two modes.
        m.put("oci-auth", "workload-identity");
        assertThat(CollectorConfig.fromMap(m).get(CollectorConfig.OCI_AUTH)).isEqualTo("oke-workload-identity");
        m.put("oci-auth", "config");
        assertThat(CollectorConfig.fromMap(m).get(CollectorConfig.OCI_AUTH)).isEqualTo("api-key");
        // Outside an OKE pod there is no service account token for the SDK to exchange: it refuses.
        assertThatThrownBy(() -> io.fencewatch.oci.OciClients.auth("oke-workload-identity", null, "DEFAULT"))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void shouldDefaultToTheKafkaSinkWhenNoSinkIsGiven() {
        assertThat(CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:9092")).ociSink()).isFalse();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "sink|pulsar|--sink: 'pulsar' is not one of kafka, oci-streaming",
        "oci-stream-ocid|ocid1.topic.oc1..x|--oci-stream-ocid: 'ocid1.topic.oc1..x' is not a stream OCID (ocid1.stream.oc1.<region>.<id>)",
        "oci-messages-endpoint|cell-1.streaming|--oci-messages-endpoint: 'cell-1.streaming' is not an http(s) URL",
        "oci-auth|password|--oci-auth: 'password' is not one of api-key, instance-principal, resource-principal, oke-workload-identity",
        "oci-config-file|/no/such/oci/config|--oci-config-file: '/no/such/oci/config' is not a readable file",
    })
    void shouldNameTheFlagAndWhyWhenAnOciValueIsBad(String key, String value, String message) {
        Map<String, String> m = oci();
        m.put(key, value);
        assertThatThrownBy(() -> CollectorConfig.fromMap(m)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void shouldRequireTheStreamOcidWhenTheSinkIsOciStreaming() {
        Map<String, String> m = oci();
        m.remove("oci-stream-ocid");
        assertThatThrownBy(() -> CollectorConfig.fromMap(m)).hasMessage("--oci-stream-ocid: is required with --sink=oci-streaming");
    }

    /** The documented alternative: the Kafka sink against OCI Streaming's Kafka-compatible endpoint. */
    @Test
    void shouldKeepSaslSettingsAndOneRequestInFlightWhenIdempotenceIsOffForOciKafkaEndpoint(@TempDir Path dir)
            throws Exception {
        Path props = dir.resolve("oci-kafka.properties");
        Files.writeString(props, """
                bootstrap.servers=cell-1.streaming.eu-frankfurt-1.oci.oraclecloud.com:9092
                security.protocol=SASL_SSL
                sasl.mechanism=PLAIN
                sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="tenancy/user/ocid1.streampool.oc1..x" password="AUTH_TOKEN";
                """);
        CollectorConfig c = CollectorConfig.fromMap(Map.of("cluster-id", "oke-prod", "kafka-properties", props.toString(),
                "idempotence", "false"));
        Properties p = ProducerSettings.producerProperties(c, "oke-prod");
        assertThat(p.getProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)).isEqualTo("false");
        assertThat(p.getProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION)).isEqualTo("1");
        assertThat(p.getProperty(ProducerConfig.ACKS_CONFIG)).isEqualTo("all");
        assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(p.getProperty("sasl.mechanism")).isEqualTo("PLAIN");
        assertThat(p.getProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)).endsWith(".oci.oraclecloud.com:9092");
    }
}
