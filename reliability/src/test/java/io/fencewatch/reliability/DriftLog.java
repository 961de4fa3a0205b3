package io.fencewatch.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.kafka.TopicReader;

/** Everything committed on {@code <prefix>.drift} (read_committed, from the start), in read order. */
final class DriftLog implements AutoCloseable {
    private final TopicReader<String, byte[]> reader;
    private final String topic;
    private final List<DriftEvent> drift = new ArrayList<>();
    private int consumed;

    DriftLog(String bootstrap, String topic) {
        this.topic = topic;
        this.reader = new TopicReader<>(bootstrap, topic, new StringDeserializer(), new ByteArrayDeserializer());
    }

    synchronized List<DriftEvent> read() {
        List<ConsumerRecord<String, byte[]>> all = reader.poll(Duration.ofMillis(200));
        for (int i = consumed; i < all.size(); i++) {
            drift.add(FencewatchSerdes.driftEvent().deserialize(topic, all.get(i).value()));
        }
        consumed = all.size();
        return List.copyOf(drift);
    }

    /** Polls until a poll brings nothing new: everything committed so far. */
    synchronized List<DriftEvent> readAll() {
        int before;
        do {
            before = drift.size();
            read();
        } while (drift.size() != before);
        return List.copyOf(drift);
    }

    /** Drift ids that occur more than once. */
    static Map<String, Integer> duplicates(List<DriftEvent> drift) {
        Map<String, Integer> counts = new HashMap<>();
        drift.forEach(d -> counts.merge(d.getId(), 1, Integer::sum));
        counts.values().removeIf(n -> n == 1);
        return counts;
    }

    /**
     * Problems of the per-namespace chains: each drift must start where the previous one of its
     * namespace ended (the first from nothing; policy counts and fencedBy aside, since adding a
     * second policy changes nothing drift is about), and the last must end in the final table (status
     * and grades: a policy count that changes nothing else is not drift).
     */
    static List<String> chainProblems(List<DriftEvent> drift, Map<String, NamespaceCoverage> finalTable) {
        List<String> problems = new ArrayList<>();
        Map<String, CoverageState> last = new LinkedHashMap<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (DriftEvent d : drift) {
            String key = d.getCluster() + "/" + d.getNamespace();
            CoverageState previous = last.get(key);
            if (seen.containsKey(key) ? !Objects.equals(core(previous), core(d.getBefore())) : d.getBefore() != null) {
                problems.add(key + ": drift " + d.getId() + " (" + d.getReason() + ") starts from " + d.getBefore()
                        + " but the previous drift ended in " + previous);
            }
            seen.put(key, true);
            last.put(key, d.getAfter());
        }
        last.forEach((key, after) -> {
            NamespaceCoverage row = finalTable.get(key);
            boolean ok = after == null ? row == null
                    : row != null && row.getStatus() == after.getStatus() && row.getIngress() == after.getIngress()
                            && row.getEgress() == after.getEgress();
            if (!ok) {
                problems.add(key + ": last drift ends in " + after + " but the table holds "
                        + (row == null ? "nothing" : row.getStatus() + " " + row.getIngress() + "/" + row.getEgress()));
            }
        });
        return problems;
    }

    /**
     * What drift is about: status, grades (NetworkPolicy and every kind), allow-all flags, staleness;
     * FW-NP-003's workloadStatus; not the policy count, the names of the fencing policies or the count of
     * unisolated workloads alone (carried, not compared).
     */
    private static CoverageState core(CoverageState s) {
        return s == null ? null : CoverageState.newBuilder(s).setPolicyCount(0).setFencedBy(List.of())
                .setUnisolatedWorkloads(0).build();
    }

    @Override
    public void close() {
        reader.close();
    }
}
