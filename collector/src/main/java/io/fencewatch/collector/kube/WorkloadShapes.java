package io.fencewatch.collector.kube;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * The workload shapes of a cluster's pods (FW-NP-003): per namespace, the pods that share one
 * controlling owner, one label set (less {@link #UNKNOWN_LABEL_KEYS}) and one hostNetwork setting,
 * counted while they have not ended. The collector publishes shapes, not pods, so a rollout that
 * keeps the labels moves one count and a crash loop moves nothing.
 *
 * <p>Pure bookkeeping: fed each stored pod's before and after ({@link SlimPodStore}), it says which
 * namespaces changed; {@link #drain(String)} then gives what changed there since it last said (a new
 * shape or count: UPSERT; a shape gone to zero: DELETE with its last facts and 0 pods), and
 * {@link #snapshot()} every shape (an epoch's snapshot, after which changes count from it). Thread-safe:
 * the informer's thread updates, the publisher's thread drains.
 *
 * <p>Owner: the ownerReference with {@code controller: true}. A ReplicaSet whose name is
 * {@code <prefix>-<the pod's pod-template-hash>} stands for Deployment {@code <prefix>} (no ReplicaSet is
 * read); any other owner keeps its kind and name; a pod without a controller is its own owner (kind
 * {@code Pod}).
 */
public final class WorkloadShapes {
    /**
     * Label keys whose value differs per revision or per pod, set by the controllers: left out of a
     * shape's labels (and listed in its {@code unknownLabels}) so that a rollout or a StatefulSet does
     * not split one workload into a shape per revision or per pod. A selector on one of them cannot be
     * decided from the shape.
     */
    public static final List<String> UNKNOWN_LABEL_KEYS = List.of("pod-template-hash", "controller-revision-hash",
            "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid",
            "controller-uid", "batch.kubernetes.io/job-completion-index");
    static final String POD_TEMPLATE_HASH = "pod-template-hash";

    /** One shape of one namespace; its {@link #id()} is the event's name. */
    public record Shape(String namespace, String ownerKind, String ownerName, SortedMap<String, String> labels,
            List<String> unknownLabels, boolean hostNetwork) {
        public Shape {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(ownerKind, "ownerKind");
            Objects.requireNonNull(ownerName, "ownerName");
            labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
            unknownLabels = List.copyOf(new TreeSet<>(unknownLabels));
        }

        /**
         * {@code <ownerKind>/<ownerName>/<8 hex>}: the first 4 bytes of SHA-256 over the labels in key
         * order, the unknown keys in order and hostNetwork, each string written as its UTF-8 length (4
         * bytes) and bytes, each list preceded by its size, hostNetwork as one byte.
         */
        public String id() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            writeInt(out, labels.size());
            labels.forEach((k, v) -> {
                writeString(out, k);
                writeString(out, v);
            });
            writeInt(out, unknownLabels.size());
            unknownLabels.forEach(k -> writeString(out, k));
            out.write(hostNetwork ? 1 : 0);
            byte[] digest = sha256(out.toByteArray());
            return ownerKind + "/" + ownerName + "/" + HexFormat.of().formatHex(digest, 0, 4);
        }
    }

    /** What changed for one shape: UPSERT with its count, or DELETE (count 0) with its last facts. */
    public record Change(ChangeType change, Shape shape, int pods) {
    }

    private final Map<String, Map<Shape, Integer>> current = new HashMap<>();
    private final Map<String, Map<Shape, Integer>> published = new HashMap<>();
    private final Set<String> dirty = new HashSet<>();

    /** The shape a pod counts in, or null: it has ended (Succeeded, Failed) or cannot be keyed. */
    public static Shape shapeOf(Pod pod) {
        if (pod == null || pod.getMetadata() == null) {
            return null;
        }
        return shapeOf(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), PodFacts.of(pod));
    }

    static Shape shapeOf(String namespace, String name, PodFacts pod) {
        if (pod == null || !pod.running() || namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            return null;
        }
        SortedMap<String, String> labels = new TreeMap<>();
        List<String> unknown = new ArrayList<>(0);
        String[] l = pod.labels();
        for (int i = 0; i < l.length; i += 2) {
            if (UNKNOWN_LABEL_KEYS.contains(l[i])) {
                unknown.add(l[i]);
            } else {
                labels.put(l[i], l[i + 1]);
            }
        }
        String kind = pod.ownerKind();
        String owner = pod.ownerName();
        if (kind == null) {
            kind = "Pod";
            owner = name;
        } else if (kind.equals("ReplicaSet")) {
            String hash = pod.label(POD_TEMPLATE_HASH);
            if (hash != null && !hash.isEmpty() && owner.length() > hash.length() + 1 && owner.endsWith("-" + hash)) {
                kind = "Deployment";
                owner = owner.substring(0, owner.length() - hash.length() - 1);
            }
        }
        return new Shape(namespace, kind, owner, labels, unknown, pod.hostNetwork());
    }

    /**
     * One pod changed: {@code before} and {@code after} are its facts as stored (null: absent), under the
     * store's key {@code namespace/name}. Returns the namespaces whose shapes changed and were not marked
     * changed yet (their caller schedules a {@link #drain(String)}); empty when the pod's shape stayed the
     * same (a restart count, a condition, a phase between Pending and Running).
     */
    public synchronized List<String> update(String key, PodFacts before, PodFacts after) {
        int slash = key.indexOf('/');
        String namespace = slash < 0 ? null : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        Shape was = shapeOf(namespace, name, before);
        Shape now = shapeOf(namespace, name, after);
        if (Objects.equals(was, now)) {
            return List.of();
        }
        if (was != null) {
            add(was, -1);
        }
        if (now != null) {
            add(now, 1);
        }
        return dirty.add(namespace) ? List.of(namespace) : List.of();
    }

    /** {@link #update(String, PodFacts, PodFacts)} from two pods (tests and benchmarks). */
    public List<String> update(Pod before, Pod after) {
        Pod any = after != null ? after : before;
        if (any == null || any.getMetadata() == null) {
            return List.of();
        }
        return update(any.getMetadata().getNamespace() + "/" + any.getMetadata().getName(), PodFacts.of(before),
                PodFacts.of(after));
    }

    private void add(Shape shape, int delta) {
        Map<Shape, Integer> shapes = current.computeIfAbsent(shape.namespace(), k -> new HashMap<>());
        int n = shapes.getOrDefault(shape, 0) + delta;
        if (n <= 0) {
            shapes.remove(shape);
            if (shapes.isEmpty()) {
                current.remove(shape.namespace());
            }
        } else {
            shapes.put(shape, n);
        }
    }

    /**
     * What changed in {@code namespace} since the last drain or snapshot: new shapes and changed counts
     * first (UPSERT), then the shapes gone (DELETE), so the namespace never looks empty between a
     * rollout's old and new shape. Empty when the counts came back to where they were.
     */
    public synchronized List<Change> drain(String namespace) {
        dirty.remove(namespace);
        Map<Shape, Integer> now = current.getOrDefault(namespace, Map.of());
        Map<Shape, Integer> then = published.getOrDefault(namespace, Map.of());
        List<Change> upserts = new ArrayList<>();
        List<Change> deletes = new ArrayList<>();
        now.forEach((shape, n) -> {
            if (!n.equals(then.get(shape))) {
                upserts.add(new Change(ChangeType.UPSERT, shape, n));
            }
        });
        then.keySet().forEach(shape -> {
            if (!now.containsKey(shape)) {
                deletes.add(new Change(ChangeType.DELETE, shape, 0));
            }
        });
        if (now.isEmpty()) {
            published.remove(namespace);
        } else {
            published.put(namespace, new HashMap<>(now));
        }
        List<Change> out = new ArrayList<>(upserts.size() + deletes.size());
        out.addAll(sorted(upserts));
        out.addAll(sorted(deletes));
        return out;
    }

    /** Every shape now (as UPSERTs, by namespace and id); later drains count from here. */
    public synchronized List<Change> snapshot() {
        dirty.clear();
        published.clear();
        List<Change> out = new ArrayList<>();
        current.forEach((namespace, shapes) -> {
            published.put(namespace, new HashMap<>(shapes));
            shapes.forEach((shape, n) -> out.add(new Change(ChangeType.UPSERT, shape, n)));
        });
        return sorted(out);
    }

    /** The shapes of a namespace now and their counts (tests, diagnostics). */
    public synchronized Map<Shape, Integer> shapes(String namespace) {
        return Map.copyOf(current.getOrDefault(namespace, Map.of()));
    }

    /** How many distinct shapes there are now, all namespaces. */
    public synchronized int size() {
        return current.values().stream().mapToInt(Map::size).sum();
    }

    private static List<Change> sorted(List<Change> changes) {
        Map<Change, String> ids = new LinkedHashMap<>();
        changes.forEach(c -> ids.put(c, c.shape().namespace() + "/" + c.shape().id()));
        List<Change> out = new ArrayList<>(changes);
        out.sort(Comparator.comparing(ids::get));
        return out;
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeInt(out, b.length);
        out.write(b, 0, b.length);
    }

    private static byte[] sha256(byte[] in) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(in);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
