package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Calico's {@code calico-node} DaemonSet, the one manifest of a NetworkPolicy engine the sandbox
 * knows: {@value #RESOURCE} (trimmed from Calico v3.28.0's published manifest). The demo installs
 * it; tests apply the same file with kubectl or create it with fabric8.
 */
public final class CalicoNode {
    /** The manifest on the classpath. */
    public static final String RESOURCE = "io/fencewatch/sandbox/calico-node.yaml";
    public static final String NAME = "calico-node";
    public static final String NAMESPACE = "kube-system";
    public static final String IMAGE = "docker.io/calico/node:v3.28.0";

    private CalicoNode() {
    }

    /** The manifest's text, as {@code kubectl apply -f} reads it. */
    public static String yaml() {
        try (InputStream in = CalicoNode.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The manifest as a fabric8 object, a new one each call. */
    public static DaemonSet daemonSet() {
        return Serialization.unmarshal(yaml(), DaemonSet.class);
    }
}
