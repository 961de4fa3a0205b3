package io.fencewatch.query;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.serde.AvroSerde;
import io.fencewatch.schema.serde.FencewatchSerdes;
import io.fencewatch.schema.serde.RecordFormatException;

/**
 * The drift feed of this instance: a plain read_committed consumer of {@code <prefix>.drift}
 * (manual assignment of every partition, no group, so every instance sees every drift) keeping
 * the last {@code capacity} drifts in memory. At start it reads back up to {@code capacity}
 * records from the tail of each partition (the warm start), so /api/v1/drift and SSE replay have
 * history at once; only records after that count as live for metrics.
 *
 * <p>Independent of the processor's internals: it reads the contract topic only.
 */
public final class DriftFeed extends ConsumerLoop {
    private static final Logger LOG = LoggerFactory.getLogger(DriftFeed.class);

    /** One drift as kept: this instance's sequence, the event, its JSON text. */
    public record Entry(long seq, DriftEvent event, String json) {
        public String id() {
            return event.getId();
        }
    }

    private final String topic;
    private final int capacity;
    private final Consumer<DriftEvent> liveListener;
    private final AvroSerde<DriftEvent> serde = FencewatchSerdes.driftEvent();

    private final ArrayDeque<Entry> history = new ArrayDeque<>();
    private final Map<String, Entry> byId = new HashMap<>();
    private final List<Consumer<Entry>> subscribers = new CopyOnWriteArrayList<>();
    private long nextSeq = 1;

    private volatile boolean warm;

    /**
     * @param kafkaConfig  client settings reaching the cluster (bootstrap.servers, security); the
     *                     feed sets isolation.level=read_committed and disables auto-commit
     * @param liveListener told of each drift read after the warm start (metrics)
     */
    public DriftFeed(Map<String, Object> kafkaConfig, String topic, int capacity, Consumer<DriftEvent> liveListener) {
        super("fencewatch-drift-feed", consumerConfig(kafkaConfig));
        this.topic = Objects.requireNonNull(topic, "topic");
        this.capacity = capacity;
        this.liveListener = liveListener == null ? e -> { } : liveListener;
    }

    private static Map<String, Object> consumerConfig(Map<String, Object> kafkaConfig) {
        Map<String, Object> c = new HashMap<>(kafkaConfig);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fencewatch-query-drift");
        // The processor owns the drift topic: never create it by asking for its metadata.
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return c;
    }

    /** True once the tail of every partition has been read back. */
    public boolean warm() {
        return warm;
    }

    @Override
    void consume(KafkaConsumer<String, byte[]> c) {
        List<TopicPartition> partitions = partitions(c);
        c.assign(partitions);
        Map<TopicPartition, Long> end = c.endOffsets(partitions);
        Map<TopicPartition, Long> begin = c.beginningOffsets(partitions);
        for (TopicPartition tp : partitions) {
            c.seek(tp, Math.max(begin.get(tp), end.get(tp) - capacity));
        }
        Map<Integer, Long> liveFrom = new HashMap<>();
        end.forEach((tp, off) -> liveFrom.put(tp.partition(), off));
        LOG.info("drift feed reading {} ({} partitions), keeping the last {}", topic, partitions.size(), capacity);
        while (running()) {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                accept(r, r.offset() >= liveFrom.getOrDefault(r.partition(), 0L));
            }
            if (!warm && caughtUp(c, end)) {
                warm = true;
                LOG.info("drift feed warm: {} drifts in history", size());
            }
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        while (running()) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> out = new ArrayList<>();
                infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
                return out;
            }
            LOG.info("drift topic {} not found yet; waiting", topic);
        }
        return List.of();
    }

    private static boolean caughtUp(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void accept(ConsumerRecord<String, byte[]> r, boolean live) {
        DriftEvent event;
        try {
            event = serde.deserialize(r.topic(), r.value());
        } catch (RecordFormatException e) {
            LOG.warn("unreadable drift at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            return;
        }
        if (event == null) {
            return;
        }
        Entry entry;
        synchronized (this) {
            if (byId.containsKey(event.getId())) {
                return; // the same drift again (a re-read after a restart of this feed)
            }
            entry = new Entry(nextSeq++, event, JsonViews.drift(event).toString());
            history.addLast(entry);
            byId.put(entry.id(), entry);
            while (history.size() > capacity) {
                byId.remove(history.removeFirst().id());
            }
        }
        for (Consumer<Entry> s : subscribers) {
            s.accept(entry);
        }
        if (live) {
            try {
                liveListener.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("drift listener failed on {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
            }
        }
    }

    /** Adds a drift as if read from the topic (used by tests and by embedders without Kafka). */
    void offer(DriftEvent event) {
        accept(new ConsumerRecord<>(topic, 0, Long.MAX_VALUE, event.getId(), serde.serialize(topic, event)), true);
    }

    public synchronized int size() {
        return history.size();
    }

    /** Newest first, matching {@code filter}, at most {@code limit}. */
    public synchronized List<Entry> recent(Predicate<DriftEvent> filter, int limit) {
        List<Entry> out = new ArrayList<>();
        Iterator<Entry> it = history.descendingIterator();
        while (it.hasNext() && out.size() < limit) {
            Entry e = it.next();
            if (filter.test(e.event())) {
                out.add(e);
            }
        }
        return out;
    }

    /** A live subscription: entries newer than its replay go to the subscriber, in order. */
    public interface Subscription extends AutoCloseable {
        /** Entries to replay, oldest first. */
        List<Entry> replay();

        @Override
        void close();
    }

    /**
     * Subscribes {@code subscriber} and returns, atomically with that, what it missed after
     * {@code lastEventId}: the entries after it, oldest first; every retained entry when the id is
     * not (or no longer) in the history; none when {@code lastEventId} is null.
     */
    public synchronized Subscription subscribe(String lastEventId, Consumer<Entry> subscriber) {
        List<Entry> replay = new ArrayList<>();
        if (lastEventId != null) {
            Entry from = byId.get(lastEventId);
            long after = from == null ? 0 : from.seq();
            for (Entry e : history) {
                if (e.seq() > after) {
                    replay.add(e);
                }
            }
        }
        subscribers.add(subscriber);
        List<Entry> frozen = List.copyOf(replay);
        return new Subscription() {
            @Override
            public List<Entry> replay() {
                return frozen;
            }

            @Override
            public void close() {
                subscribers.remove(subscriber);
            }
        };
    }

    public int subscriberCount() {
        return subscribers.size();
    }

    static boolean after(DriftEvent e, Instant since) {
        return since == null || !e.getDetectedAt().isBefore(since);
    }
}
