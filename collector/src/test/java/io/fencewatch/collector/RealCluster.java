package io.fencewatch.collector;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fencewatch.controlplane.KubeControlPlane;

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager) seen through the same
 * surface as {@link MockCluster}. The control plane is shared between tests, so {@link #close()}
 * deletes every namespace the test left behind and waits until they are gone: the next test starts
 * from the {@link #baseline()} again.
 *
 * <p>The namespace controller waits a fixed 5 s after a namespace is deleted before it empties it
 * (time for other API servers of an HA control plane to see the deletion; here there is one), so a
 * cleanup left to it cost every test 5 s. {@link #close()} does the controller's work itself: it
 * deletes the namespaces (Terminating: nothing new can be created in them), deletes what they hold,
 * of every namespaced resource discovery lists, and once a second listing finds them empty, removes
 * the {@code kubernetes} finalizer as the controller would. Anything left (an object with finalizers
 * of its own, a listing that failed) leaves that namespace to the controller, as before. A namespace
 * a test deletes itself ({@link #deleteNamespace}) still goes the controller's way.
 */
final class RealCluster implements TestCluster {
    /** What a fresh kube-apiserver creates by itself. */
    static final Set<String> SYSTEM_NAMESPACES = Set.of("default", "kube-system", "kube-public", "kube-node-lease");
    static final Duration NAMESPACE_GONE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubeControlPlane controlPlane;
    private final Config config;
    private final KubernetesClient api;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final boolean cleanUp;

    /** On the shared control plane: {@link #close()} deletes what the test left. */
    RealCluster(KubeControlPlane controlPlane) {
        this(controlPlane, true);
    }

    /** {@code cleanUp} false: on a control plane of the class's own, which is thrown away with what is in it. */
    RealCluster(KubeControlPlane controlPlane, boolean cleanUp) {
        this.controlPlane = controlPlane;
        this.cleanUp = cleanUp;
        try {
            this.config = Config.fromKubeconfig(Files.readString(controlPlane.kubeconfig()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.api = newClient();
    }

    /** A fabric8 client for a kubeconfig of the same control plane (another user's, say). */
    static KubernetesClient client(String kubeconfigYaml) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
    }

    KubeControlPlane controlPlane() {
        return controlPlane;
    }

    @Override
    public KubernetesClient api() {
        return api;
    }

    @Override
    public KubernetesClient newClient() {
        KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
        clients.add(c);
        return c;
    }

    @Override
    public Namespace createNamespace(String name, Map<String, String> labels) {
        return api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).create();
    }

    @Override
    public NetworkPolicy createDefaultDeny(String namespace, String name) {
        return api.network().v1().networkPolicies().inNamespace(namespace).resource(new NetworkPolicyBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
                .build()).create();
    }

    @Override
    public void deleteNamespace(String name) {
        api.namespaces().withName(name).delete();
        await().atMost(NAMESPACE_GONE).until(() -> api.namespaces().withName(name).get() == null);
    }

    @Override
    public void deletePolicy(String namespace, String name) {
        api.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    @Override
    public Set<String> baseline() {
        return SYSTEM_NAMESPACES;
    }

    @Override
    public boolean terminatesNamespaces() {
        return true;
    }

    @Override
    public void close() {
        try {
            if (!cleanUp) {
                return;
            }
            List<String> left = api.namespaces().list().getItems().stream().map(n -> n.getMetadata().getName())
                    .filter(n -> !SYSTEM_NAMESPACES.contains(n)).toList();
            left.forEach(n -> api.namespaces().withName(n).delete());
            if (!left.isEmpty()) {
                finalizeEmptied(Set.copyOf(left));
            }
            await().atMost(NAMESPACE_GONE).until(() -> api.namespaces().list().getItems().stream()
                    .allMatch(n -> SYSTEM_NAMESPACES.contains(n.getMetadata().getName())));
        } finally {
            for (KubernetesClient c : clients) {
                c.close();
            }
        }
    }

    /**
     * The namespace controller's work on {@code namespaces}, already deleted (Terminating), without its
     * 5 s wait: deletes their content and finalizes each one found empty afterwards.
     */
    private void finalizeEmptied(Set<String> namespaces) {
        List<String> collections = namespacedCollections();
        if (collections == null) {
            return; // discovery failed: the controller does it
        }
        Set<String> notEmpty = new HashSet<>();
        for (String collection : collections) {
            for (String[] object : objectsIn(collection, namespaces, notEmpty)) {
                HttpResponse<String> r = controlPlane.request("DELETE", namespacedPath(collection, object[0]) + "/"
                        + object[1], null);
                if (r.statusCode() != 200 && r.statusCode() != 202 && r.statusCode() != 404) {
                    notEmpty.add(object[0]);
                }
            }
        }
        for (String collection : collections) {
            for (String[] object : objectsIn(collection, namespaces, notEmpty)) {
                notEmpty.add(object[0]); // still there: deleting it waits on a finalizer, or it came back
            }
        }
        for (String ns : namespaces) {
            if (!notEmpty.contains(ns)) {
                controlPlane.request("PUT", "/api/v1/namespaces/" + ns + "/finalize", "{\"apiVersion\":\"v1\","
                        + "\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"},\"spec\":{\"finalizers\":[]}}");
            }
        }
    }

    /**
     * The cluster-wide list paths ({@code /api/v1/pods}, {@code /apis/g/v/things}) of every namespaced
     * resource that can be listed and deleted, at its group's preferred version (as the namespace
     * controller picks them); null when discovery fails.
     */
    private List<String> namespacedCollections() {
        List<String> groupVersions = new ArrayList<>(List.of("/api/v1"));
        JsonNode groups = json(controlPlane.request("GET", "/apis", null));
        if (groups == null) {
            return null;
        }
        for (JsonNode g : groups.path("groups")) {
            groupVersions.add("/apis/" + g.path("preferredVersion").path("groupVersion").asText());
        }
        List<String> collections = new ArrayList<>();
        for (String gv : groupVersions) {
            HttpResponse<String> r = controlPlane.request("GET", gv, null);
            if (r.statusCode() == 404 || r.statusCode() == 503) {
                continue; // a group going away (a CRD being deleted): its objects go with it
            }
            JsonNode resources = json(r);
            if (resources == null) {
                return null;
            }
            for (JsonNode res : resources.path("resources")) {
                String name = res.path("name").asText();
                List<String> verbs = new ArrayList<>();
                res.path("verbs").forEach(v -> verbs.add(v.asText()));
                if (res.path("namespaced").asBoolean() && !name.contains("/") && verbs.contains("list")
                        && verbs.contains("delete")) {
                    collections.add(gv + "/" + name);
                }
            }
        }
        return collections;
    }

    /**
     * {@code {namespace, name}} of every object of {@code collection} in {@code namespaces}; a listing
     * that fails marks them all not empty.
     */
    private List<String[]> objectsIn(String collection, Set<String> namespaces, Set<String> notEmpty) {
        HttpResponse<String> r = controlPlane.request("GET", collection, null);
        List<String[]> found = new ArrayList<>();
        if (r.statusCode() == 404) {
            return found; // its CRD went: so did its objects
        }
        JsonNode list = json(r);
        if (list == null) {
            notEmpty.addAll(namespaces);
            return found;
        }
        for (JsonNode item : list.path("items")) {
            String ns = item.path("metadata").path("namespace").asText();
            if (namespaces.contains(ns)) {
                found.add(new String[] {ns, item.path("metadata").path("name").asText()});
            }
        }
        return found;
    }

    /** {@code /api/v1/pods} in namespace {@code ns}: {@code /api/v1/namespaces/ns/pods}. */
    private static String namespacedPath(String collection, String ns) {
        int slash = collection.lastIndexOf('/');
        return collection.substring(0, slash) + "/namespaces/" + ns + collection.substring(slash);
    }

    private static JsonNode json(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            return null;
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        }
    }
}
