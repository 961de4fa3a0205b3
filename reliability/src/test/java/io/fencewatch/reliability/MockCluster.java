package io.fencewatch.reliability;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * fabric8's mock API server in CRUD mode (as the collector's ITs use it), behind a dispatcher that
 * can behave like a real API server whose watch cache has been compacted.
 *
 * <p>fabric8's CRUD dispatcher ignores a watch's {@code resourceVersion}: a watch that reconnects
 * after a drop silently misses whatever happened meanwhile, where a real API server either replays
 * it or answers {@code 410 Gone}. With {@link #expireStaleWatches(boolean)} on, a watch that starts
 * behind the newest resourceVersion gets what a real server sends after compaction: an {@code ERROR}
 * watch event with a {@code Status} of code 410 ("too old resource version"), so the informer
 * relists. {@link #dropWatches()} closes every open watch connection from the server side.
 *
 * <p>Clients are closed one at a time (closing many watches at once can stall the mock server).
 */
final class MockCluster implements AutoCloseable {
    private static final Pattern RESOURCE_VERSION = Pattern.compile("[?&]resourceVersion=(\\d+)");

    final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher(List.of());
    final WatchControl watches = new WatchControl(crud);
    final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
            watches, false);
    final KubernetesClient api;
    private final List<KubernetesClient> clients = new ArrayList<>();

    MockCluster() {
        server.init();
        api = newClient();
    }

    KubernetesClient newClient() {
        KubernetesClient c = server.createClient();
        clients.add(c);
        return c;
    }

    void expireStaleWatches(boolean on) {
        watches.expireStale = on;
    }

    /** Closes every open watch connection from the server side; returns how many were open. */
    int dropWatches() {
        return watches.dropAll();
    }

    Namespace createNamespace(String name) {
        return api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("kubernetes.io/metadata.name", name)).endMetadata()
                .withNewStatus().withPhase("Active").endStatus().build()).create();
    }

    NetworkPolicy createDefaultDeny(String namespace, String name) {
        return api.network().v1().networkPolicies().inNamespace(namespace).resource(new NetworkPolicyBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
                .build()).create();
    }

    void deleteNamespace(String name) {
        api.namespaces().withName(name).delete();
    }

    void deletePolicy(String namespace, String name) {
        api.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    /** The cluster as it is now, read back from the API (the rule's own audit procedure). */
    Oracle.ClusterState audit() {
        List<String> namespaces = api.namespaces().list().getItems().stream().map(n -> n.getMetadata().getName())
                .toList();
        Map<String, Integer> policies = new HashMap<>();
        for (NetworkPolicy p : api.network().v1().networkPolicies().inAnyNamespace().list().getItems()) {
            policies.merge(p.getMetadata().getNamespace(), 1, Integer::sum);
        }
        return new Oracle.ClusterState(Set.copyOf(namespaces), policies);
    }

    @Override
    public void close() {
        for (KubernetesClient c : clients) {
            c.close();
        }
        server.destroy();
    }

    /** Delegates to the CRUD dispatcher; tracks open watches and answers stale ones with 410 Gone when asked. */
    static final class WatchControl extends Dispatcher {
        private final KubernetesCrudDispatcher crud;
        private final AtomicLong counter;
        private final List<WebSocket> open = new CopyOnWriteArrayList<>();
        volatile boolean expireStale;
        final AtomicInteger goneSent = new AtomicInteger();
        final AtomicInteger watchesStarted = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();

        WatchControl(KubernetesCrudDispatcher crud) {
            this.crud = crud;
            try {
                Field f = KubernetesCrudDispatcher.class.getDeclaredField("resourceVersion");
                f.setAccessible(true);
                this.counter = (AtomicLong) f.get(crud);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("fabric8's CRUD dispatcher changed: no resourceVersion counter", e);
            }
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            boolean watch = path.contains("watch=true");
            boolean write = !"GET".equalsIgnoreCase(request.getMethod());
            if (!watch && !write) {
                return crud.dispatch(request);
            }
            // Writes and watch registrations are serialized, so "behind the newest version" is exact.
            synchronized (this) {
                if (watch) {
                    Matcher m = RESOURCE_VERSION.matcher(path);
                    if (expireStale && m.find() && Long.parseLong(m.group(1)) < counter.get()) {
                        goneSent.incrementAndGet();
                        return new MockResponse().withWebSocketUpgrade(new Gone(m.group(1), counter.get()));
                    }
                    MockResponse r = crud.dispatch(request);
                    WebSocketListener inner = r.getWebSocketListener();
                    if (inner != null) {
                        watchesStarted.incrementAndGet();
                        r.withWebSocketUpgrade(new Tracked(inner));
                    }
                    return r;
                }
                return crud.dispatch(request);
            }
        }

        int dropAll() {
            List<WebSocket> now = new ArrayList<>(open);
            open.removeAll(now);
            for (WebSocket ws : now) {
                ws.close(1000, "watch dropped by the test");
            }
            dropped.addAndGet(now.size());
            return now.size();
        }

        /** The CRUD dispatcher's watch listener, plus a handle on its socket. */
        private final class Tracked extends WebSocketListener {
            private final WebSocketListener inner;

            Tracked(WebSocketListener inner) {
                this.inner = inner;
            }

            @Override
            public void onBeforeAccept(WebSocket ws, Response response) {
                inner.onBeforeAccept(ws, response);
            }

            @Override
            public void onOpen(WebSocket ws, Response response) {
                open.add(ws);
                inner.onOpen(ws, response);
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                inner.onMessage(ws, text);
            }

            @Override
            public void onMessage(WebSocket ws, byte[] bytes) {
                inner.onMessage(ws, bytes);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                open.remove(ws);
                inner.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                open.remove(ws);
                inner.onClosed(ws, code, reason);
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response response) {
                open.remove(ws);
                inner.onFailure(ws, t, response);
            }
        }

        /** What a real API server streams when the requested version was compacted away. */
        private static final class Gone extends WebSocketListener {
            private final String asked;
            private final long newest;

            Gone(String asked, long newest) {
                this.asked = asked;
                this.newest = newest;
            }

            @Override
            public void onOpen(WebSocket ws, Response response) {
                ws.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                        + "\"status\":\"Failure\",\"message\":\"too old resource version: " + asked + " (" + newest
                        + ")\",\"reason\":\"Expired\",\"code\":410}}");
                ws.close(1000, "");
            }
        }
    }
}
