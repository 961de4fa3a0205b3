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
            // The source is read from the dead letter's own headers: the callback of an asynchronous
            // failure runs while the stream thread is at another record, so the context may not be it.
            String topic = header(record, DeadLetters.TOPIC, context.topic());
            int partition = parse(header(record, DeadLetters.PARTITION, null), context.partition());
            long offset = parse(header(record, DeadLetters.OFFSET, null), context.offset());
            failures.failed(topic, partition, offset);
            LOG.error("could not write the dead letter of {}-{}@{} to {} ({}): skipped, counted in "
                    + "fencewatch_dlq_write_failures_total", topic, partition, offset, record.topic(),
                    exception.toString());
            return Response.resume();
        }
        return fallback.handleError(context, record, exception);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String key, String fallback) {
        org.apache.kafka.common.header.Header h = record.headers() == null ? null : record.headers().lastHeader(key);
        return h == null || h.value() == null ? fallback : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int parse(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static long parse(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    DeadLetterFailures failures() {
        return failures;
    }
}
