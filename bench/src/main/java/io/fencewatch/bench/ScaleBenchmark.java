package io.fencewatch.bench;

import java.io.File;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * Figure 4, scale: clusters × namespaces (default 1,000 × 1,000) fed as inventory events (a
 * namespace and, for nine in ten, one policy) to a processor running in a child JVM
 * ({@code ProcessorMain}, {@code -Xmx1g}, exactly-once defaults), so that its peak RSS is its own.
 * Measures the time to build the table, the state directory's size on disk, the restore time after a
 * restart with the local state wiped (changelogs → RocksDB, until {@code /readyz}) and with it kept,
 * and the child's peak RSS (VmHWM).
 */
final class ScaleBenchmark {
    private static final int PARTITIONS = 3;
    private static final int CLUSTERS = Integer.getInteger("fencewatch.bench.scale.clusters", 1_000);
    private static final int PER_CLUSTER = Integer.getInteger("fencewatch.bench.scale.namespaces", 1_000);
    private static final long BUILD_TIMEOUT_MS = Long.getLong("fencewatch.bench.scale.timeout.ms", 20 * 60_000L);

    private ScaleBenchmark() {
    }

    static void run(EmbeddedKafkaBroker broker, Path stateRoot, BenchMain.Figures figures) throws Exception {
        String prefix = "bench-scale";
        TopicNames topics = new TopicNames(prefix);
        BenchKafka.createTopics(broker, topics, PARTITIONS);
        long t0 = System.nanoTime();
        long records = produce(broker, topics.inventory());
        double produceS = (System.nanoTime() - t0) / 1e9;
        BenchMain.progress(String.format(Locale.ROOT, "scale: produced %,d inventory records in %.0f s", records, produceS));

        Path state = stateRoot.resolve("scale-state");
        Path logs = stateRoot.resolve("scale-logs");
        Files.createDirectories(logs);
        int namespaces = CLUSTERS * PER_CLUSTER;
        String label = String.format(Locale.ROOT, "%,d clusters x %,d = %,d namespaces", CLUSTERS, PER_CLUSTER, namespaces);

        // 1. Build the table from scratch.
        Child first = Child.start(broker, prefix, state, logs.resolve("build.log"));
        long consumed;
        double buildS;
        long start = System.nanoTime();
        try (Admin admin = broker.admin()) {
            long deadline = System.currentTimeMillis() + BUILD_TIMEOUT_MS;
            long last = 0;
            long lastReport = System.currentTimeMillis();
            do {
                Thread.sleep(1000);
                consumed = BenchKafka.committed(admin, prefix, topics.inventory());
                if (System.currentTimeMillis() - lastReport > 30_000) {
                    BenchMain.progress(String.format(Locale.ROOT, "scale: %,d of %,d records processed", consumed, records));
                    lastReport = System.currentTimeMillis();
                }
                if (!first.process.isAlive()) {
                    throw new IllegalStateException("the processor child exited with " + first.process.exitValue()
                            + "; see its log");
                }
                last = consumed;
            } while (last < records && System.currentTimeMillis() < deadline);
        }
        buildS = (System.nanoTime() - start) / 1e9;
        double buildRss = first.peakRssMb();
        first.stop();
        boolean complete = consumed >= records;
        long stateBytes = BenchMain.directorySize(state);
        BenchMain.progress(String.format(Locale.ROOT, "scale: table %s after %.0f s; state on disk %.1f MiB; child peak"
                + " RSS %.0f MB", complete ? "complete" : "INCOMPLETE", buildS, stateBytes / 1048576.0, buildRss));

        // 2. Restart with the local state kept: checkpoint, no restore.
        Child warm = Child.start(broker, prefix, state, logs.resolve("restart-kept.log"));
        double keptS = warm.awaitReady(Duration.ofMinutes(10));
        double warmRss = warm.peakRssMb();
        warm.stop();

        // 3. Restart with the local state wiped: everything restored from the changelogs.
        BenchMain.deleteRecursively(state);
        Child cold = Child.start(broker, prefix, state, logs.resolve("restart-wiped.log"));
        double restoreS = cold.awaitReady(Duration.ofMinutes(20));
        double coldRss = cold.peakRssMb();
        cold.stop();
        long restoredBytes = BenchMain.directorySize(state);

        double peakRss = Math.max(buildRss, Math.max(warmRss, coldRss));
        String scaleNote = complete ? "" : String.format(Locale.ROOT, " (INCOMPLETE: %,d of %,d records in %.0f s)",
                consumed, records, buildS);
        figures.row("4 scale", "build the table: " + label + ", " + String.format(Locale.ROOT, "%,d", records)
                + " events" + scaleNote, String.format(Locale.ROOT, "%.0f s (%s events/s)", buildS,
                        BenchMain.Figures.fmt(consumed / buildS)), "", "");
        figures.row("4 scale", "state store size on disk (RocksDB, all stores)", String.format(Locale.ROOT,
                "%.1f MiB (%.0f B per namespace)", stateBytes / 1048576.0, (double) stateBytes / namespaces), "", "");
        figures.row("4 scale", "restart, local state kept -> /readyz", String.format(Locale.ROOT, "%.1f s", keptS), "", "");
        figures.row("4 scale", "restart, local state wiped -> restored, /readyz", String.format(Locale.ROOT,
                "%.1f s (%.1f MiB restored)", restoreS, restoredBytes / 1048576.0), "", "");
        figures.row("4 scale", "processor peak RSS (child JVM, -Xmx1g)", String.format(Locale.ROOT,
                "%.0f MB (build %.0f, restore %.0f)", peakRss, buildRss, coldRss), "", "");
        figures.put("scale_namespaces", namespaces);
        figures.put("scale_complete", complete ? "true" : "false");
        figures.put("scale_build_s", buildS);
        figures.put("scale_state_mb", stateBytes / 1048576.0);
        figures.put("scale_restore_s", restoreS);
        figures.put("scale_restart_kept_s", keptS);
        figures.put("scale_peak_rss_mb", peakRss);
    }

    /** SYNC_START per cluster to every partition, then per namespace its event and, for nine in ten, a policy. */
    private static long produce(EmbeddedKafkaBroker broker, String topic) throws Exception {
        AvroSerde<InventoryEvent> serde = FencewatchSerdes.inventoryEvent();
        long epoch = System.currentTimeMillis();
        Instant created = Instant.now().minus(Duration.ofDays(1));
        long n = 0;
        CoverageBenchmark helper = new CoverageBenchmark(broker, null);
        try (KafkaProducer<byte[], byte[]> producer = helper.producer(false)) {
            for (int c = 0; c < CLUSTERS; c++) {
                String cluster = "c" + c;
                long seq = 0;
                for (int p = 0; p < PARTITIONS; p++) {
                    producer.send(new ProducerRecord<>(topic, p, CoverageBenchmark.key(Keys.marker(cluster)),
                            serde.serialize(topic, withCluster(CoverageBenchmark.marker(Op.SYNC_START, epoch, seq), cluster))));
                    n++;
                }
                seq++;
                for (int i = 0; i < PER_CLUSTER; i++) {
                    String name = "ns-" + i;
                    byte[] k = CoverageBenchmark.key(Keys.of(cluster, name));
                    producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                            withCluster(CoverageBenchmark.namespace(name, epoch, seq++, created), cluster))));
                    n++;
                    if (i % 10 != 0) {
                        producer.send(new ProducerRecord<>(topic, k, serde.serialize(topic,
                                withCluster(CoverageBenchmark.policy(name, "p0", Op.UPSERT, epoch, seq++), cluster))));
                        n++;
                    }
                }
            }
            producer.flush();
        }
        return n;
    }

    private static InventoryEvent withCluster(InventoryEvent e, String cluster) {
        e.getSource().setCluster(cluster);
        return e;
    }


    static long endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long sum = 0;
        for (var info : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
            sum += info.offset();
        }
        return sum;
    }

    /** The processor in its own JVM, on this JVM's classpath. */
    private static final class Child {
        final Process process;
        final int port;
        final long startedNanos;

        private Child(Process process, int port, long startedNanos) {
            this.process = process;
            this.port = port;
            this.startedNanos = startedNanos;
        }

        static Child start(EmbeddedKafkaBroker broker, String prefix, Path state, Path log) throws Exception {
            int port = QueryBenchmark.freePort();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:+UseSerialGC",
                    "-Dlogback.configurationFile=io/fencewatch/bench/logback-bench.xml",
                    "-cp", System.getProperty("java.class.path"), "io.fencewatch.processor.ProcessorMain",
                    "--bootstrap-servers=" + broker.bootstrapServers(), "--topic-prefix=" + prefix,
                    "--application-id=" + prefix, "--state-dir=" + state, "--create-topics=false",
                    // The synthetic clusters send no heartbeats: without this all of them turn STALE after 2 min.
                    "--stale-after=7d",
                    "--http-port=" + port, "--application-server=127.0.0.1:" + port, "--query.http.bind=127.0.0.1"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            long t0 = System.nanoTime();
            return new Child(pb.start(), port, t0);
        }

        /** Seconds from the child's start until /readyz answers 200. */
        double awaitReady(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            URI ready = URI.create("http://127.0.0.1:" + port + "/readyz");
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the processor child exited with " + process.exitValue());
                }
                try {
                    HttpResponse<String> r = QueryBenchmark.get(ready);
                    if (r.statusCode() == 200) {
                        return (System.nanoTime() - startedNanos) / 1e9;
                    }
                } catch (RuntimeException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("the processor child was not ready within " + timeout);
        }

        double peakRssMb() {
            try {
                for (String line : Files.readAllLines(new File("/proc/" + process.pid() + "/status").toPath())) {
                    if (line.startsWith("VmHWM:")) {
                        return Double.parseDouble(line.substring(6).replace("kB", "").strip()) / 1024.0;
                    }
                }
            } catch (Exception e) {
                return Double.NaN;
            }
            return Double.NaN;
        }

        /** SIGTERM: the processor's shutdown hook closes Kafka Streams (flushes and checkpoints the stores). */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
