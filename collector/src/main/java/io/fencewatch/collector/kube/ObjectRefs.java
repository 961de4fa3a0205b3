package io.fencewatch.collector.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/** Null-safe metadata access and the "where" of log lines: {@code cluster/namespace/name@resourceVersion}. */
public final class ObjectRefs {
    private ObjectRefs() {
    }

    public static String name(HasMetadata o) {
        ObjectMeta m = o == null ? null : o.getMetadata();
        return m == null ? null : m.getName();
    }

    public static String namespace(HasMetadata o) {
        ObjectMeta m = o == null ? null : o.getMetadata();
        return m == null ? null : m.getNamespace();
    }

    public static String resourceVersion(HasMetadata o) {
        ObjectMeta m = o == null ? null : o.getMetadata();
        return m == null ? null : m.getResourceVersion();
    }

    static boolean sameVersion(HasMetadata a, HasMetadata b) {
        String ra = resourceVersion(a);
        return ra != null && ra.equals(resourceVersion(b));
    }

    /** {@code cluster/namespace/name@rv} (a namespace is {@code cluster/name@rv}); no content. */
    public static String where(String cluster, HasMetadata o) {
        String ns = namespace(o);
        return cluster + "/" + (ns == null ? "" : ns + "/") + name(o) + "@" + resourceVersion(o);
    }
}
