package io.fencewatch.ocibridge;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.config.BadFlag;
import io.fencewatch.config.Commands;
import io.fencewatch.config.Flags;
import io.fencewatch.oci.OciClients;

/** {@code fencewatch oci-bridge}: reads config, wires the bridge, runs until SIGTERM (exit 2 on a bad flag, 1 on failure). */
public final class OciBridgeMain {
    private static final Logger LOG = LoggerFactory.getLogger(OciBridgeMain.class);

    private OciBridgeMain() {
    }

    public static void main(String[] args) throws Exception {
        if (Flags.wantsHelp(args)) {
            System.out.print(BridgeConfig.usage());
            return;
        }
        BridgeConfig config;
        try {
            config = BridgeConfig.fromArgs(args, System.getenv());
        } catch (BadFlag e) {
            System.exit(Commands.badFlag(System.err, "oci-bridge", e));
            return;
        }
        OciBridge bridge = new OciBridge(OciBridge.Settings.from(config), OciClients.streamClient(config),
                producer(config));
        BridgeHttpServer http = config.get(BridgeConfig.HTTP_PORT) >= 0
                ? new BridgeHttpServer(config.get(BridgeConfig.HTTP_BIND), config.get(BridgeConfig.HTTP_PORT), bridge).start()
                : null;
        CountDownLatch stopped = new CountDownLatch(1);
        Duration timeout = config.get(BridgeConfig.SHUTDOWN_TIMEOUT);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bridge.close(timeout);
            if (http != null) {
                http.close();
            }
            stopped.countDown();
        }, "fencewatch-oci-bridge-shutdown"));
        bridge.start();
        LOG.info("oci-bridge {} started{}", config.instance(), http == null ? "" : " (HTTP on port " + http.port() + ")");
        while (stopped.getCount() > 0) {
            if (bridge.healthProblem() != null && !stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)
                    && bridge.healthProblem() != null) {
                LOG.error("oci-bridge failed: {}", bridge.healthProblem());
                System.exit(1);
            }
            stopped.await(1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Producer settings: idempotent, acks=all; the properties file wins (putIfAbsent), serializers are ours. */
    public static Properties producerProperties(BridgeConfig config) {
        Properties p = config.kafkaProperties();
        if (config.get(BridgeConfig.BOOTSTRAP_SERVERS) != null) {
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(BridgeConfig.BOOTSTRAP_SERVERS));
        }
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fencewatch-oci-bridge-" + config.instance());
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        return p;
    }

    public static Producer<String, byte[]> producer(BridgeConfig config) {
        Properties p = producerProperties(config);
        p.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        p.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
