package io.fencewatch.query;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.testing.EmbeddedKafkaBroker;

/**
 * Benchmark harness (not a test, never run by {@code verify}): two instances on an in-process
 * broker, 10,000 namespaces over 4 partitions; measures over real HTTP the point query answered
 * locally, the point query forwarded to the other instance, and the list of all 10,000 namespaces
 * (fan-out to both instances and merge). Prints a table per round and the medians.
 *
 * <pre>
 * ./mvnw -q -o -pl query test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.fencewatch.query.QueryBenchmark [-Dexec.args="rounds pointQueries lists"]
 * </pre>
 */
public final class QueryBenchmark {
    private static final int NAMESPACES = 10_000;

    private QueryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int points = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int lists = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startNew()) {
            TopicNames topics = new TopicNames("bench");
            QueryTestApp.createTopics(broker, topics, 4);
            List<NamespaceCoverage> records = new ArrayList<>();
            for (int i = 0; i < NAMESPACES; i++) {
                records.add(QueryTestApp.coverage("bench", "ns-" + i, i % 7 == 0 ? Status.NON_COMPLIANT : Status.COMPLIANT));
            }
            QueryTestApp.produceCoverage(broker, topics, records);
            try (QueryTestApp.Instance a = QueryTestApp.start(broker, "bench-app", topics, Map.of(), Map.of());
                    QueryTestApp.Instance b = QueryTestApp.start(broker, "bench-app", topics, Map.of(), Map.of())) {
                awaitReady(a, b);
                List<String> local = new ArrayList<>();
                List<String> remote = new ArrayList<>();
                for (int i = 0; i < NAMESPACES; i++) {
                    KeyQueryMetadata md = a.streams.queryMetadataForKey(QueryTestApp.STORE, Keys.of("bench", "ns-" + i),
                            Serdes.String().serializer());
                    (md.activeHost().port() == a.port ? local : remote).add("ns-" + i);
                }
                System.out.printf(Locale.ROOT, "keys owned by A: %d, by B: %d%n", local.size(), remote.size());
                // Warm-up: JIT, connections, RocksDB caches.
                for (int w = 0; w < 3; w++) {
                    run(a, local, points, false);
                    run(a, remote, points, false);
                    runList(a, 10);
                }

                List<double[]> results = new ArrayList<>();
                System.out.printf(Locale.ROOT, "%-6s %-28s %8s %8s %8s %8s%n", "round", "query", "n", "p50 ms", "p99 ms", "max ms");
                for (int r = 1; r <= rounds; r++) {
                    double[] l = run(a, local, points, true);
                    double[] f = run(a, remote, points, true);
                    double[] li = runList(a, lists);
                    double[] share = runShare(a, lists);
                    print(r, "point, local (A owns key)", points, l);
                    print(r, "point, forwarded (A -> B)", points, f);
                    print(r, "list 10,000 (A + B merged)", lists, li);
                    print(r, "  of which: A's share alone", lists, share);
                    results.add(new double[] {l[0], l[1], f[0], f[1], li[0], li[1]});
                }
                System.out.println();
                System.out.printf(Locale.ROOT, "median over %d rounds: local p50 %.2f / p99 %.2f ms (target <= 5); "
                        + "forwarded p50 %.2f / p99 %.2f ms (target <= 15); list p50 %.1f / p99 %.1f ms (target <= 200)%n",
                        rounds, median(results, 0), median(results, 1), median(results, 2), median(results, 3),
                        median(results, 4), median(results, 5));
            }
        }
        System.exit(0);
    }

    private static void awaitReady(QueryTestApp.Instance a, QueryTestApp.Instance b) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (a.streams.state() == KafkaStreams.State.RUNNING && b.streams.state() == KafkaStreams.State.RUNNING
                    && a.streams.streamsMetadataForStore(QueryTestApp.STORE).size() == 2) {
                HttpResponse<String> r = QueryTestApp.get(a.uri("/api/v1/clusters"));
                if (r.statusCode() == 200 && r.body().contains("\"namespaces\":" + NAMESPACES)) {
                    return;
                }
            }
            Thread.sleep(200); // a harness, not a test
        }
        throw new IllegalStateException("instances not ready");
    }

    private static double[] run(QueryTestApp.Instance via, List<String> keys, int n, boolean measure) {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            URI uri = via.uri("/api/v1/clusters/bench/namespaces/" + keys.get(i % keys.size()));
            long t0 = System.nanoTime();
            HttpResponse<String> r = QueryTestApp.get(uri);
            nanos[i] = System.nanoTime() - t0;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("point query answered " + r.statusCode());
            }
        }
        return measure ? stats(nanos) : null;
    }

    private static double[] runList(QueryTestApp.Instance via, int n) {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = QueryTestApp.get(via.uri("/api/v1/clusters/bench/namespaces"));
            nanos[i] = System.nanoTime() - t0;
            if (r.statusCode() != 200 || r.body().length() < NAMESPACES * 100) {
                throw new IllegalStateException("list answered " + r.statusCode());
            }
        }
        return stats(nanos);
    }

    /** A's share of the list only (scan, Avro decode, JSON): the part each instance does in parallel. */
    private static double[] runShare(QueryTestApp.Instance a, int n) {
        String partitions = a.streams.streamsMetadataForStore(QueryTestApp.STORE).stream()
                .filter(m -> m.hostInfo().port() == a.port)
                .flatMap(m -> m.topicPartitions().stream())
                .map(tp -> String.valueOf(tp.partition())).distinct().sorted()
                .collect(java.util.stream.Collectors.joining(","));
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = QueryTestApp.get(a.uri(CoverageQueryService.LOCAL_NAMESPACES + "?cluster=bench&partitions=" + partitions));
            nanos[i] = System.nanoTime() - t0;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("share answered " + r.statusCode());
            }
        }
        return stats(nanos);
    }

    private static double[] stats(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return new double[] {s[s.length / 2] / 1e6, s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6, s[s.length - 1] / 1e6};
    }

    private static void print(int round, String name, int n, double[] s) {
        System.out.printf(Locale.ROOT, "%-6d %-28s %8d %8.2f %8.2f %8.2f%n", round, name, n, s[0], s[1], s[2]);
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
        return v[v.length / 2];
    }
}
