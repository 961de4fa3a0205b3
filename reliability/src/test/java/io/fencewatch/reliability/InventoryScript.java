package io.fencewatch.reliability;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.SyncInfo;
import io.fencewatch.schema.serde.FencewatchSerdes;

/**
 * A simulated collector's stream for one cluster, fixed in advance from a seed: SYNC_START to every
 * partition, then creates and deletes of namespaces and default-deny policies, numbered per epoch
 * as the real collector does. Keeps the model of the cluster the stream describes, for the oracle.
 */
final class InventoryScript {
    /** One record to send: key, value, and an explicit partition for markers (null: by key). */
    record Item(String key, InventoryEvent event, Integer partition) {
    }

    /** Namespaces were created long ago (no grace period applies). */
    private static final Instant CREATED = Instant.now().minusSeconds(3600);

    final String cluster;
    final List<Item> items = new ArrayList<>();
    private final Set<String> namespaces = new TreeSet<>();
    private final Map<String, Set<String>> policies = new HashMap<>();
    private long epoch;
    private long sequence = -1;
    private final Random random;
    private int nextNamespace;
    private int nextPolicy;

    InventoryScript(String cluster, long seed) {
        this.cluster = cluster;
        this.random = new Random(seed);
        this.epoch = 1_000_000L + seed;
    }

    /** Opens the epoch and creates the system namespaces. */
    InventoryScript begin(int partitions) {
        marker(Op.SYNC_START, partitions);
        for (String ns : List.of("default", "kube-system")) {
            createNamespace(ns);
        }
        return this;
    }

    /** {@code changes} random creates and deletes over at most {@code maxNamespaces} live namespaces. */
    InventoryScript churn(int changes, int maxNamespaces) {
        for (int i = 0; i < changes; i++) {
            List<String> user = namespaces.stream().filter(n -> !Oracle.SYSTEM.contains(n)).toList();
            int dice = random.nextInt(100);
            if (user.isEmpty() || (dice < 30 && user.size() < maxNamespaces)) {
                createNamespace("ns-" + (nextNamespace++));
            } else if (dice < 60) {
                createPolicy(user.get(random.nextInt(user.size())));
            } else if (dice < 85) {
                String ns = user.get(random.nextInt(user.size()));
                Set<String> ps = policies.getOrDefault(ns, Set.of());
                if (ps.isEmpty()) {
                    createPolicy(ns);
                } else {
                    deletePolicy(ns, ps.iterator().next());
                }
            } else {
                deleteNamespace(user.get(random.nextInt(user.size())));
            }
        }
        return this;
    }

    /**
     * The collector restarts having missed some deletes: {@code missedNamespaces} namespaces and
     * {@code missedPolicies} policies vanish without events. A new epoch follows (SYNC_START, a
     * SNAPSHOT of everything left, SYNC_END), and the processor's sweep must remove what vanished.
     */
    InventoryScript resync(int partitions, int missedNamespaces, int missedPolicies) {
        for (int i = 0; i < missedNamespaces; i++) {
            List<String> user = namespaces.stream().filter(n -> !Oracle.SYSTEM.contains(n)).toList();
            if (!user.isEmpty()) {
                String ns = user.get(random.nextInt(user.size()));
                namespaces.remove(ns);
                policies.remove(ns);
            }
        }
        for (int i = 0; i < missedPolicies; i++) {
            List<String> withPolicy = policies.entrySet().stream().filter(e -> !e.getValue().isEmpty())
                    .map(Map.Entry::getKey).sorted().toList();
            if (!withPolicy.isEmpty()) {
                Set<String> ps = policies.get(withPolicy.get(random.nextInt(withPolicy.size())));
                ps.remove(ps.stream().sorted().findFirst().orElseThrow());
            }
        }
        epoch++;
        sequence = -1;
        marker(Op.SYNC_START, partitions);
        for (String ns : List.copyOf(namespaces)) {
            items.add(new Item(Keys.of(cluster, ns), namespaceEvent(Op.SNAPSHOT, ns), null));
            for (String p : policies.getOrDefault(ns, Set.of()).stream().sorted().toList()) {
                items.add(new Item(Keys.of(cluster, ns), policyEvent(Op.SNAPSHOT, ns, p), null));
            }
        }
        marker(Op.SYNC_END, partitions);
        return this;
    }

    void createNamespace(String ns) {
        namespaces.add(ns);
        items.add(new Item(Keys.of(cluster, ns), namespaceEvent(Op.UPSERT, ns), null));
    }

    void createPolicy(String ns) {
        String name = "deny-" + (nextPolicy++);
        policies.computeIfAbsent(ns, k -> new HashSet<>()).add(name);
        items.add(new Item(Keys.of(cluster, ns), policyEvent(Op.UPSERT, ns, name), null));
    }

    private InventoryEvent namespaceEvent(Op op, String ns) {
        return InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.NAMESPACE)
                .setNamespace(ns).setName(ns).setUid("uid-" + ns).setResourceVersion("rv" + ns.hashCode())
                .setNamespaceFacts(new NamespaceFacts("Active", Map.of("kubernetes.io/metadata.name", ns), Map.of(),
                        CREATED, null))
                .build();
    }

    private InventoryEvent policyEvent(Op op, String ns, String name) {
        PolicyFacts deny = new PolicyFacts(new LabelSelector(Map.of(), List.of()), List.of("Ingress", "Egress"), null,
                null);
        return InventoryEvent.newBuilder().setSource(source()).setOp(op).setKind(Kind.NETWORK_POLICY)
                .setNamespace(ns).setName(name).setUid("uid-" + ns + "-" + name)
                .setResourceVersion("rv" + name.hashCode()).setPolicyFacts(deny).build();
    }

    void deletePolicy(String ns, String name) {
        policies.get(ns).remove(name);
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(Op.DELETE)
                .setKind(Kind.NETWORK_POLICY).setNamespace(ns).setName(name).setUid("uid-" + ns + "-" + name)
                .setResourceVersion("rv" + sequence).build();
        items.add(new Item(Keys.of(cluster, ns), e, null));
    }

    void deleteNamespace(String ns) {
        // Kubernetes deletes a namespace's policies with it; the collector reports both.
        for (String p : List.copyOf(policies.getOrDefault(ns, Set.of()))) {
            deletePolicy(ns, p);
        }
        policies.remove(ns);
        namespaces.remove(ns);
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(Op.DELETE).setKind(Kind.NAMESPACE)
                .setNamespace(ns).setName(ns).setUid("uid-" + ns).setResourceVersion("rv" + sequence).build();
        items.add(new Item(Keys.of(cluster, ns), e, null));
    }

    private void marker(Op op, int partitions) {
        InventoryEvent e = InventoryEvent.newBuilder().setSource(source()).setOp(op)
                .setSync(op == Op.SYNC_END ? new SyncInfo(namespaces.size(), 0, 0L, 0L, 0L, 0L) : null).build();
        for (int p = 0; p < partitions; p++) {
            items.add(new Item(Keys.marker(cluster), e, p));
        }
    }

    private Source source() {
        return new Source(cluster, cluster + "-script", epoch, ++sequence, Instant.now());
    }

    /** The cluster the stream describes, after every item. */
    Oracle.ClusterState state() {
        Map<String, Integer> counts = new HashMap<>();
        policies.forEach((ns, ps) -> counts.put(ns, ps.size()));
        return new Oracle.ClusterState(Set.copyOf(namespaces), counts);
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static ProducerRecord<byte[], byte[]> record(String topic, Item item) {
        return new ProducerRecord<>(topic, item.partition(), item.key().getBytes(StandardCharsets.UTF_8),
                FencewatchSerdes.inventoryEvent().serialize(topic, item.event()));
    }

    /** Sends items [from, to) to each topic and waits for the acks. */
    static void send(KafkaProducer<byte[], byte[]> producer, List<String> topics, List<Item> items, int from, int to) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            for (String topic : topics) {
                acks.add(producer.send(record(topic, items.get(i))));
            }
        }
        try {
            for (Future<RecordMetadata> f : acks) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("send failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
