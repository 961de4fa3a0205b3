package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** The flags of issue 19 (a public contract) and the handler that keeps a refused dead letter from failing a task. */
class PoisonLimitsConfigTest {

    @Test
    void shouldDefaultTheBoundsWhenNoFlagIsGiven() {
        ProcessorConfig c = ProcessorConfig.fromMap(Map.of());
        Limits l = c.limits();
        assertThat(l.dlqMaxPayload()).isEqualTo(65_536);
        assertThat(l.maxRecordBytes()).isEqualTo(1_048_576);
        assertThat(l.clusters()).isEmpty();
        assertThat(l.acceptsCluster("anything")).isTrue();
        assertThat(l.maxNamespacesPerCluster()).isEqualTo(100_000);
        assertThat(l.maxEpochSkew()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.streamsProperties().getProperty(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterProductionHandler.class.getName());
        assertThat(c.streamsProperties().getProperty(DeadLetterProductionHandler.DLQ_TOPIC_CONFIG))
                .isEqualTo("fencewatch.dlq");
        assertThat(Integer.parseInt(c.streamsProperties().getProperty("producer.max.request.size")))
                .isGreaterThan(1_048_576);
        assertThat(ProcessorConfig.usage()).contains("--dlq-max-payload", "--clusters", "--max-namespaces-per-cluster",
                "--max-epoch-skew", "--max-record-size");
    }

    @Test
    void shouldReadTheBoundsWhenFlagsAndEnvironmentGiveThem() {
        ProcessorConfig c = ProcessorConfig.parse(new String[] {"--dlq-max-payload=4KiB", "--clusters=sandbox,prod-*",
            "--max-namespaces-per-cluster", "500", "--max-epoch-skew=30s"},
                Map.of("FENCEWATCH_MAX_RECORD_SIZE", "2MiB"));
        Limits l = c.limits();
        assertThat(l.dlqMaxPayload()).isEqualTo(4096);
        assertThat(l.maxRecordBytes()).isEqualTo(2 * 1024 * 1024);
        assertThat(l.clusters()).containsExactly("sandbox", "prod-*");
        assertThat(l.acceptsCluster("prod-eu")).isTrue();
        assertThat(l.acceptsCluster("victim")).isFalse();
        assertThat(l.maxNamespacesPerCluster()).isEqualTo(500);
        assertThat(l.maxEpochSkew()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shouldNameTheFlagWhenABoundIsBad() {
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of("dlq-max-payload", "900KiB")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--dlq-max-payload:");
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of("dlq-max-payload", "lots")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--dlq-max-payload:");
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of("clusters", "Prod_EU")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--clusters:");
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of("max-namespaces-per-cluster", "0")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-namespaces-per-cluster:");
        assertThatThrownBy(() -> ProcessorConfig.fromMap(Map.of("max-epoch-skew", "0s")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-epoch-skew:");
    }

    private static ErrorHandlerContext context(String topic, int partition, long offset) {
        return new ErrorHandlerContext() {
            public String topic() {
                return topic;
            }

            public int partition() {
                return partition;
            }

            public long offset() {
                return offset;
            }

            public org.apache.kafka.common.header.Headers headers() {
                return new RecordHeaders();
            }

            public String processorNodeId() {
                return CoverageTopology.DLQ_SINK;
            }

            public TaskId taskId() {
                return new TaskId(0, partition);
            }

            public long timestamp() {
                return 0;
            }

            public byte[] sourceRawKey() {
                return null;
            }

            public byte[] sourceRawValue() {
                return null;
            }
        };
    }

    @Test
    void shouldSkipAndCountARefusedDeadLetterButFailARefusedOutputRecord() {
        DeadLetterFailures failures = new DeadLetterFailures();
        DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
        handler.configure(Map.of(DeadLetterFailures.CONFIG, failures, DeadLetterProductionHandler.DLQ_TOPIC_CONFIG, "fw.dlq"));
        var tooLarge = new RecordTooLargeException("The message is 5243357 bytes");

        var dlq = handler.handleError(context("fw.inventory", 2, 41), new ProducerRecord<>("fw.dlq", new byte[1], new byte[1]),
                tooLarge);
        // An asynchronous failure: the context is at another record by now; the headers say which it was.
        var headers = new RecordHeaders();
        headers.add(DeadLetters.TOPIC, "fw.inventory".getBytes());
        headers.add(DeadLetters.PARTITION, "1".getBytes());
        headers.add(DeadLetters.OFFSET, "7".getBytes());
        handler.handleError(context("fw.inventory", 2, 99),
                new ProducerRecord<>("fw.dlq", null, null, new byte[1], new byte[1], headers), tooLarge);
        assertThat(failures.failedBefore("fw.inventory", 1, 7)).isEqualTo(1);
        assertThat(failures.failedBefore("fw.inventory", 2, 99)).isZero();
        assertThat(dlq.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(failures.failedBefore("fw.inventory", 2, 41)).isEqualTo(1);

        var coverage = handler.handleError(context("fw.inventory", 2, 42),
                new ProducerRecord<>("fw.coverage", new byte[1], new byte[1]), tooLarge);
        assertThat(coverage.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(failures.failures()).isEqualTo(2);
        assertThat(List.of(failures.failedBefore("fw.inventory", 2, 42))).containsExactly(0);
    }
}
