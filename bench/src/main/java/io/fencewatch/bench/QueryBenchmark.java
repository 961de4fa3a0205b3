package io.fencewatch.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;

import io.fencewatch.processor.CoverageTopology;
import io.fencewatch.processor.ProcessorApp;
import io.fencewatch.processor.ProcessorConfig;
import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * Query latency over real HTTP (moved here from the query module's tests, now on the real
 * processor): two processor instances of one application on the in-process broker, 4 partitions,
 * N namespaces fed as inventory events (every seventh without a policy); measures the point query
 * answered locally, the point query forwarded to the other instance, and the list of all
 * namespaces (fan-out to both instances and merge).
 */
final class QueryBenchmark {
    private static final String CLUSTER = CoverageBenchmark.CLUSTER;
    private static final int PARTITIONS = 4;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Medians over the rounds of p50/p99/max (ms) for local, forwarded and list. */
    record Result(int namespaces, int rounds, int points, int lists, Stats.Summary local, Stats.Summary forwarded,
            Stats.Summary list, int ownedByA, int ownedByB) {
    }

    private QueryBenchmark() {
    }

    static Result run(EmbeddedKafkaBroker broker, Path stateRoot, int namespaces, int rounds, int points, int lists)
            throws Exception {
        String prefix = "bench-query";
        TopicNames topics = new TopicNames(prefix);
        BenchKafka.createTopics(broker, topics, PARTITIONS);
        produceInventory(broker, topics.inventory(), namespaces);
        try (ProcessorApp a = start(broker, stateRoot, prefix, "a"); ProcessorApp b = start(broker, stateRoot, prefix, "b")) {
            int portA = a.queryServer().port();
            awaitReady(a, b, portA, namespaces);
            List<String> local = new ArrayList<>();
            List<String> remote = new ArrayList<>();
            for (int i = 0; i < namespaces; i++) {
                KeyQueryMetadata md = a.streams().queryMetadataForKey(CoverageTopology.COVERAGE_STORE,
                        Keys.of(CLUSTER, "ns-" + i), Serdes.String().serializer());
                (md.activeHost().port() == portA ? local : remote).add("ns-" + i);
            }
            BenchMain.progress(String.format(Locale.ROOT, "query: keys owned by A %d, by B %d", local.size(),
                    remote.size()));
            if (local.isEmpty() || remote.isEmpty()) {
                throw new IllegalStateException("one instance owns every partition; cannot measure forwarding");
            }
            // Warm-up: JIT, connections, RocksDB caches.
            for (int w = 0; w < 2; w++) {
                points(portA, local, points);
                points(portA, remote, points);
                list(portA, 3, namespaces);
            }
            List<Stats.Summary> l = new ArrayList<>();
            List<Stats.Summary> f = new ArrayList<>();
            List<Stats.Summary> li = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                l.add(points(portA, local, points));
                f.add(points(portA, remote, points));
                li.add(list(portA, lists, namespaces));
            }
            return new Result(namespaces, rounds, points, lists, medianOf(l), medianOf(f), medianOf(li), local.size(),
                    remote.size());
        }
    }

    private static Stats.Summary medianOf(List<Stats.Summary> rounds) {
        return new Stats.Summary(rounds.get(0).n(), Stats.median(rounds.stream().map(Stats.Summary::p50).toList()),
                Stats.median(rounds.stream().map(Stats.Summary::p99).toList()),
                Stats.median(rounds.stream().map(Stats.Summary::max).toList()));
    }

    private static ProcessorApp start(EmbeddedKafkaBroker broker, Path stateRoot, String prefix, String name) {
        int port = freePort();
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap-servers", broker.bootstrapServers());
        flags.put("application-id", prefix);
        flags.put("topic-prefix", prefix);
        flags.put("state-dir", stateRoot.resolve(prefix + "-" + name).toString());
        flags.put("create-topics", "false");
        flags.put("stale-after", "1d"); // no heartbeats in this synthetic feed
        flags.put("http-port", Integer.toString(port));
        flags.put("application-server", "127.0.0.1:" + port);
        flags.put("query.http.bind", "127.0.0.1");
        flags.put("kafka.consumer.session.timeout.ms", "6000");
        flags.put("kafka.consumer.heartbeat.interval.ms", "500");
        return new ProcessorApp(ProcessorConfig.fromMap(flags)).start();
    }

    /** SYNC_START to every partition, then one namespace event per namespace, six in seven with a policy. */
    private static void produceInventory(EmbeddedKafkaBroker broker, String topic, int namespaces) throws Exception {
        AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
        long epoch = System.currentTimeMillis();
        long seq = 0;
        Instant created = Instant.now().minus(Duration.ofDays(1));
        CoverageBenchmark helper = new CoverageBenchmark(broker, null);
        try (KafkaProducer<byte[], byte[]> producer = helper.producer(false)) {
            for (int p = 0; p < PARTITIONS; p++) {
                producer.send(new ProducerRecord<>(topic, p, CoverageBenchmark.key(Keys.marker(CLUSTER)),
                        serde.serialize(topic, CoverageBenchmark.marker(Op.SYNC_START, epoch, seq))));
            }
            seq++;
            for (int i = 0; i < namespaces; i++) {
                String name = "ns-" + i;
                byte[] k = CoverageBenchmark.key(Keys.of(CLUSTER, name));
                producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                        CoverageBenchmark.namespace(name, epoch, seq++, created))));
                if (i % 7 != 0) {
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            CoverageBenchmark.policy(name, "p0", Op.UPSERT, epoch, seq++))));
                }
            }
            producer.flush();
        }
    }

    private static void awaitReady(ProcessorApp a, ProcessorApp b, int port, int namespaces) throws Exception {
        Wait.until(() -> {
            if (a.state() != KafkaStreams.State.RUNNING || b.state() != KafkaStreams.State.RUNNING
                    || a.streams().streamsMetadataForStore(CoverageTopology.COVERAGE_STORE).size() != 2) {
                return false;
            }
            HttpResponse<String> r = get(URI.create("http://127.0.0.1:" + port + "/api/v1/clusters"));
            return r.statusCode() == 200 && r.body().contains("\"namespaces\":" + namespaces);
        }, Duration.ofMinutes(3));
    }

    private static Stats.Summary points(int port, List<String> keys, int n) {
        List<Double> ms = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/clusters/" + CLUSTER + "/namespaces/"
                    + keys.get(i % keys.size()));
            long t0 = System.nanoTime();
            HttpResponse<String> r = get(uri);
            ms.add((System.nanoTime() - t0) / 1e6);
            if (r.statusCode() != 200) {
                throw new IllegalStateException("point query answered " + r.statusCode());
            }
        }
        return Stats.summary(ms);
    }

    private static Stats.Summary list(int port, int n, int namespaces) {
        List<Double> ms = new ArrayList<>(n);
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/clusters/" + CLUSTER + "/namespaces");
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = get(uri);
            ms.add((System.nanoTime() - t0) / 1e6);
            if (r.statusCode() != 200 || r.body().length() < namespaces * 100) {
                throw new IllegalStateException("list answered " + r.statusCode());
            }
        }
        return Stats.summary(ms);
    }

    static HttpResponse<String> get(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
