package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * The first look at the policy kinds asks {@code GET /apis} once and then only the group versions it
 * lists (all at once); without {@code /apis} it asks each. The first epoch waits for this look: asked
 * one by one behind the informers' first lists, five group versions took seconds.
 */
class FenceWatchDiscoveryTest {
    private final KubernetesMockServer server = new KubernetesMockServer(false);
    private KubernetesClient client;
    private FenceWatch watch;

    @BeforeEach
    void start() {
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        if (watch != null) {
            watch.close();
        }
        client.close();
        server.destroy();
    }

    @Test
    void aClusterServingNoneOfTheKindsIsLookedAtWithOneDiscoveryRequest() throws Exception {
        server.expect().get().withPath("/apis").andReturn(200, groups("apps/v1", "example.com/v1")).always();
        Set<String> asked = firstLook();
        assertThat(asked).contains("/apis").noneMatch(p -> wantedGroupVersions().stream().anyMatch(p::contains));
        assertThat(watch.watching()).isEmpty();
    }

    @Test
    void onlyTheGroupVersionsListedAreAskedForTheirResources() throws Exception {
        server.expect().get().withPath("/apis").andReturn(200, groups("apps/v1", "crd.projectcalico.org/v1")).always();
        Set<String> asked = firstLook();
        assertThat(asked).contains("/apis", "/apis/crd.projectcalico.org/v1");
        assertThat(asked.stream().filter(p -> wantedGroupVersions().stream().anyMatch(gv -> p.equals("/apis/" + gv))))
                .containsExactly("/apis/crd.projectcalico.org/v1");
    }

    @Test
    void withoutApisEachGroupVersionIsAsked() throws Exception {
        server.expect().get().withPath("/apis").andReturn(403, "{}").always();
        Set<String> asked = firstLook();
        for (String gv : wantedGroupVersions()) {
            assertThat(asked).contains("/apis/" + gv);
        }
        assertThat(watch.watching()).isEmpty(); // every one answered 404: not served
    }

    /** Starts the watch, waits for its first look, and returns the paths (no query) it asked for. */
    private Set<String> firstLook() throws InterruptedException {
        watch = new FenceWatch("c1", client, EnumSet.allOf(PolicyKind.class), e -> { }, Clock.systemUTC(), why -> { },
                Duration.ofHours(1), 0);
        int before = server.getRequestCount();
        watch.start();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(watch::ready);
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < before; i++) {
            server.takeRequest(1, TimeUnit.SECONDS);
        }
        RecordedRequest r;
        while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            paths.add(r.getPath().split("\\?")[0]);
        }
        return Set.copyOf(paths);
    }

    private static Set<String> wantedGroupVersions() {
        return EnumSet.allOf(PolicyKind.class).stream().flatMap(k -> k.servedAs().stream())
                .map(PolicyKind.Served::apiVersion).collect(Collectors.toSet());
    }

    private static String groups(String... groupVersions) {
        APIGroupListBuilder list = new APIGroupListBuilder();
        for (String gv : groupVersions) {
            list.addToGroups(new APIGroupBuilder().withName(gv.substring(0, gv.indexOf('/')))
                    .withVersions(new GroupVersionForDiscoveryBuilder().withGroupVersion(gv)
                            .withVersion(gv.substring(gv.indexOf('/') + 1)).build())
                    .build());
        }
        return io.fabric8.kubernetes.client.utils.Serialization.asJson(list.build());
    }
}
