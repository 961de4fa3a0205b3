package io.fencewatch.sandbox;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * Prints each drift on {@code <prefix>.drift} to the terminal as it happens, one line each:
 * time, {@code cluster/namespace}, before → after, reason. Reads committed records only, from the
 * end of the topic at start (what an earlier run printed is not printed again), without a group.
 */
final class DriftPrinter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DriftPrinter.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private final String bootstrapServers;
    private final String topic;
    private final PrintStream out;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private volatile boolean closed;
    /** Lines read before {@link #release()}: the banner comes first, then the drift. */
    private final List<String> held = new ArrayList<>();
    private boolean released;

    DriftPrinter(String bootstrapServers, String topic, PrintStream out) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.out = out;
    }

    /** Positions at the end of the topic (which must exist), then prints from a daemon thread. */
    synchronized DriftPrinter start() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fencewatch-sandbox-drift-printer");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        // A topic just created may not be listed by the broker yet (an empty answer, not an error):
        // ask again until it is, or the printer would watch nothing for the rest of the session.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (partitions.isEmpty()) {
            consumer.partitionsFor(topic, Duration.ofSeconds(5))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            if (partitions.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    consumer.close();
                    throw new IllegalStateException("topic " + topic + " has no partitions listed after 30 s");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // back off, ask again
            }
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve "end" now, before anything drifts
        thread = new Thread(this::run, "fencewatch-sandbox-drift-printer");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run() {
        var serde = FencewatchSerdes.driftEvent();
        try {
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                    try {
                        print(line(serde.deserializer().deserialize(r.topic(), r.value())));
                    } catch (RuntimeException e) {
                        LOG.warn("unreadable drift record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                                e.toString());
                    }
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                LOG.warn("drift printer woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("drift printer stopped: {}", e.toString(), e);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    private synchronized void print(String line) {
        if (released) {
            out.println(line);
        } else {
            held.add(line);
        }
    }

    /** Prints the lines held so far, and from now on each as it comes. */
    synchronized void release() {
        released = true;
        held.forEach(out::println);
        held.clear();
    }

    /** {@code 14:02:07.512  drift  sandbox/payments  (new) → NON_COMPLIANT  NAMESPACE_CREATED_WITHOUT_POLICY}. */
    static String line(DriftEvent d) {
        String before = state(d.getBefore(), "(new)");
        String after = state(d.getAfter(), "(gone)");
        if (d.getBefore() != null && d.getAfter() != null
                && d.getBefore().getStatus() == d.getAfter().getStatus()) {
            before = before + " " + grades(d.getBefore());
            after = after + " " + grades(d.getAfter());
        }
        return String.format(Locale.ROOT, "%s  drift  %s/%s  %s → %s  %s%s%s", TIME.format(Instant.ofEpochMilli(
                d.getDetectedAt().toEpochMilli())), d.getCluster(), d.getNamespace(), before, after, d.getReason(),
                workloads(d.getBefore(), d.getAfter()), fencedBy(d.getAfter()));
    }

    /** FW-NP-003 when it changed, e.g. "workloads COMPLIANT → NON_COMPLIANT (1 unfenced)"; nothing when pods are not known. */
    private static String workloads(CoverageState before, CoverageState after) {
        Status was = before == null ? null : before.getWorkloadStatus();
        Status now = after == null ? null : after.getWorkloadStatus();
        if (was == now || (now == null && before == null) || (was == null && after == null)) {
            return "";
        }
        String unfenced = after != null && after.getUnisolatedWorkloads() > 0
                ? " (" + after.getUnisolatedWorkloads() + " unfenced)" : "";
        if (before == null) {
            // A new namespace: say so only when a workload is open.
            return now == Status.NON_COMPLIANT || now == Status.PENDING ? "  workloads " + now + unfenced : "";
        }
        return "  workloads " + (was == null ? "(not known)" : was) + " → " + (now == null ? "(not known)" : now) + unfenced;
    }

    /** The policies of kinds other than NetworkPolicy that fence the namespace, e.g. "GlobalNetworkPolicy default-deny". */
    private static String fencedBy(CoverageState after) {
        if (after == null) {
            return "";
        }
        List<String> others = new ArrayList<>();
        for (String f : after.getFencedBy()) {
            if (!f.startsWith("namespace:NetworkPolicy:")) {
                others.add(f.substring(f.indexOf(':') + 1).replace(':', ' '));
            }
        }
        return others.isEmpty() ? "" : "  fenced by " + String.join(", ", others);
    }

    private static String state(CoverageState s, String absent) {
        if (s == null) {
            return absent;
        }
        return s.getStale() ? s.getStatus() + " (stale)" : s.getStatus().toString();
    }

    private static String grades(CoverageState s) {
        return "[ingress " + s.getIngress() + (s.getIngressAllowsAll() ? " allow-all" : "") + ", egress "
                + s.getEgress() + (s.getEgressAllowsAll() ? " allow-all" : "") + ", " + s.getPolicyCount()
                + (s.getPolicyCount() == 1 ? " policy" : " policies") + effective(s) + "]";
    }

    /** The grades counting every policy kind, when they differ from the NetworkPolicy ones. */
    private static String effective(CoverageState s) {
        if (s.getEffectiveIngress() == null || (s.getEffectiveIngress() == s.getIngress()
                && s.getEffectiveEgress() == s.getEgress())) {
            return "";
        }
        return "; every kind: ingress " + s.getEffectiveIngress() + ", egress " + s.getEffectiveEgress();
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
            if (consumer != null && t != null) {
                consumer.wakeup();
            }
        }
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (consumer != null) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
    }
}
