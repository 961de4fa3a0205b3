package io.fencewatch.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Kafka's POMs declare slf4j-api 1.7.36, which would find no SLF4J 2 provider and log to NOP.
 * This proves Kafka's own log lines reach Logback.
 */
class LoggingBindingIT {

    @Test
    void shouldRouteKafkaClientLogLinesToLogback() {
        assertThat(LoggerFactory.getILoggerFactory()).isInstanceOf(LoggerContext.class);
        Logger kafkaLogger = (Logger) LoggerFactory.getLogger("org.apache.kafka");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        kafkaLogger.addAppender(appender);
        kafkaLogger.setLevel(ch.qos.logback.classic.Level.INFO);
        try {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "logging-probe");
            try (KafkaProducer<String, String> ignored = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                assertThat(appender.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("Kafka version"));
            }
        } finally {
            kafkaLogger.detachAppender(appender);
            kafkaLogger.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
