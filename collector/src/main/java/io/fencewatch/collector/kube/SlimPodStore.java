package io.fencewatch.collector.kube;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;

/**
 * The pod informer's item store ({@code SharedIndexInformer.itemStore}): keeps each pod only as its
 * {@link PodFacts}, a few hundred bytes instead of the whole object, and keeps the
 * {@link WorkloadShapes} in step with what it holds. Every put and remove hands the pod's facts before
 * and after to the shapes, so the counts are always those of the stored pods, whatever order fabric8's
 * notifications come in; a namespace whose shapes changed goes to {@code changed}.
 *
 * <p>fabric8 ({@code CacheImpl}) calls it under its lock, from the informer's thread; reads hand back
 * a pod rebuilt from the facts (namespace and name from the key). Like fabric8's own
 * {@code ReducedStateItemStore}, it does not hold the full state ({@link #isFullState()} false), so
 * fabric8 notifies the first list's adds with the listed objects rather than with stored ones.
 */
public final class SlimPodStore implements ItemStore<Pod> {
    private final ConcurrentHashMap<String, PodFacts> items = new ConcurrentHashMap<>();
    private final WorkloadShapes shapes;
    private final Consumer<String> changed;

    /** @param changed told each namespace whose shapes changed and was not marked changed yet */
    public SlimPodStore(WorkloadShapes shapes, Consumer<String> changed) {
        this.shapes = Objects.requireNonNull(shapes);
        this.changed = Objects.requireNonNull(changed);
    }

    @Override
    public String getKey(Pod pod) {
        return Cache.metaNamespaceKeyFunc(pod);
    }

    @Override
    public Pod put(String key, Pod pod) {
        PodFacts now = PodFacts.of(pod);
        PodFacts was = items.put(key, now);
        shapes.update(key, was, now).forEach(changed);
        return restore(key, was);
    }

    @Override
    public Pod remove(String key) {
        PodFacts was = items.remove(key);
        if (was != null) {
            shapes.update(key, was, null).forEach(changed);
        }
        return restore(key, was);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<Pod> values() {
        return items.entrySet().stream().map(e -> restore(e.getKey(), e.getValue()));
    }

    @Override
    public Pod get(String key) {
        return restore(key, items.get(key));
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public boolean isFullState() {
        return false;
    }

    private static Pod restore(String key, PodFacts facts) {
        if (facts == null) {
            return null;
        }
        int slash = key.indexOf('/');
        return facts.toPod(slash < 0 ? null : key.substring(0, slash), slash < 0 ? key : key.substring(slash + 1));
    }
}
