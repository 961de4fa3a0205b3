package io.fencewatch.collector.kube;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/**
 * A pod reduced to what its workload shape needs, as {@link SlimPodStore} keeps it: uid,
 * resourceVersion (fabric8 compares it), labels, the controlling owner's kind and name,
 * {@code spec.hostNetwork} and {@code status.phase}. Namespace and name are the store's key.
 *
 * <p>Labels are sorted key/value pairs; label strings, owner and phase are interned, since the pods
 * of one workload share them. The values of {@link WorkloadShapes#UNKNOWN_LABEL_KEYS} are left out
 * (kept as "") but for {@code pod-template-hash}, which names the ReplicaSet's Deployment: a shape
 * uses only those keys, never their values.
 */
record PodFacts(String uid, String resourceVersion, String[] labels, String ownerKind, String ownerName,
        boolean hostNetwork, String phase) {
    private static final String[] NO_LABELS = new String[0];

    /** The facts of a pod (null for null). */
    static PodFacts of(Pod pod) {
        if (pod == null) {
            return null;
        }
        ObjectMeta m = pod.getMetadata();
        String[] labels = NO_LABELS;
        String ownerKind = null;
        String ownerName = null;
        String uid = null;
        String rv = null;
        if (m != null) {
            uid = m.getUid();
            rv = m.getResourceVersion();
            labels = labels(m.getLabels());
            if (m.getOwnerReferences() != null) {
                for (OwnerReference o : m.getOwnerReferences()) {
                    if (o != null && Boolean.TRUE.equals(o.getController()) && o.getKind() != null && o.getName() != null) {
                        ownerKind = o.getKind().intern();
                        ownerName = o.getName().intern();
                        break;
                    }
                }
            }
        }
        boolean hostNetwork = pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
        String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? null
                : pod.getStatus().getPhase().intern();
        return new PodFacts(uid, rv, labels, ownerKind, ownerName, hostNetwork, phase);
    }

    private static String[] labels(Map<String, String> in) {
        if (in == null || in.isEmpty()) {
            return NO_LABELS;
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        in.forEach((k, v) -> {
            if (k != null) {
                boolean keepValue = !WorkloadShapes.UNKNOWN_LABEL_KEYS.contains(k)
                        || WorkloadShapes.POD_TEMPLATE_HASH.equals(k);
                sorted.put(k, keepValue && v != null ? v : "");
            }
        });
        String[] out = new String[sorted.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            out[i++] = e.getKey().intern();
            out[i++] = e.getValue().intern();
        }
        return out;
    }

    /** The value of label {@code key}, or null. */
    String label(String key) {
        for (int i = 0; i < labels.length; i += 2) {
            if (labels[i].equals(key)) {
                return labels[i + 1];
            }
        }
        return null;
    }

    /** True when the pod counts in its shape: it has not ended (phase other than Succeeded and Failed). */
    boolean running() {
        return !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    /** The pod again, as far as these facts go (what an informer's store hands back). */
    Pod toPod(String namespace, String name) {
        Map<String, String> labelMap = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            labelMap.put(labels[i], labels[i + 1]);
        }
        List<OwnerReference> owners = new ArrayList<>(1);
        if (ownerKind != null) {
            owners.add(new OwnerReference(null, null, Boolean.TRUE, ownerKind, ownerName, null));
        }
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name).withUid(uid)
                .withResourceVersion(resourceVersion).withLabels(labelMap).withOwnerReferences(owners).endMetadata()
                .withNewSpec().withHostNetwork(hostNetwork ? Boolean.TRUE : null).endSpec()
                .withNewStatus().withPhase(phase).endStatus().build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodFacts p && java.util.Objects.equals(uid, p.uid)
                && java.util.Objects.equals(resourceVersion, p.resourceVersion) && Arrays.equals(labels, p.labels)
                && java.util.Objects.equals(ownerKind, p.ownerKind) && java.util.Objects.equals(ownerName, p.ownerName)
                && hostNetwork == p.hostNetwork && java.util.Objects.equals(phase, p.phase);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(uid, resourceVersion, Arrays.hashCode(labels), ownerKind, ownerName, hostNetwork,
                phase);
    }

    @Override
    public String toString() {
        // No label values: log lines say where, never what.
        return "PodFacts[uid=" + uid + ", rv=" + resourceVersion + ", labels=" + labels.length / 2 + ", owner="
                + ownerKind + "/" + ownerName + ", hostNetwork=" + hostNetwork + ", phase=" + phase + "]";
    }
}
