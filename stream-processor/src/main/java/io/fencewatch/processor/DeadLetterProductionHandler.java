package io.fencewatch.processor;

import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor's {@code production.exception.handler}. A record the producer refuses on the
 * dead-letter topic is logged (where it came from, never its payload), counted
 * ({@code fencewatch_dlq_write_failures_total}) and skipped: Kafka Streams goes on. Every other
 * topic keeps Kafka's default (retry what is retriable, fail the rest), because a coverage, drift,
 * finding or changelog record that is not written must fail the transaction and be retried, never be
 * lost or diverted.
 *
 * <p>Kafka Streams calls this handler from the producer's callback and, on FAIL, keeps the error
 * and throws it from the next {@code send}, which is made while processing the next input record.
 * Before this handler (and before {@link CoverageProcessor} stopped catching errors of its own
 * {@code forward}), that next, good record was therefore dead-lettered in place of the bad one.
 */
public final class DeadLetterProductionHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionHandler.class);

    private final DefaultProductionExceptionHandler fallback = new DefaultProductionExceptionHandler();
    private String dlqTopic;
    private DeadLetterFailures failures;

    @Override
    public void configure(Map<String, ?> configs) {
        fallback.configure(configs);
        Object f = configs.get(DeadLetterFailures.CONFIG);
        failures = f instanceof DeadLetterFailures d ? d : new DeadLetterFailures();
        Object topic = configs.get(DLQ_TOPIC_CONFIG);
        dlqTopic = topic == null ? null : topic.toString();
    }

    /** Streams property naming the dead-letter topic (set by {@link ProcessorConfig}). */
    public static final String DLQ_TOPIC_CONFIG = "fencewatch.dlq.topic";

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (dlqTopic != null && dlqTopic.equals(record.topic())) {
            failures.failed(context.topic(), context.partition(), context.offset());
            LOG.error("could not write the dead letter of {}-{}@{} to {} ({}): skipped, counted in "
                    + "fencewatch_dlq_write_failures_total", context.topic(), context.partition(), context.offset(),
                    record.topic(), exception.toString());
            return Response.resume();
        }
        return fallback.handleError(context, record, exception);
    }

    DeadLetterFailures failures() {
        return failures;
    }
}
