package io.fencewatch.collector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;

class EventHandlersTest {
    private final List<AgentEvent> sink = new ArrayList<>();
    private final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    private static Namespace ns(String rv) {
        return new NamespaceBuilder().withNewMetadata().withName("a").withResourceVersion(rv).endMetadata().build();
    }

    private static NetworkPolicy np(String rv) {
        return new NetworkPolicyBuilder().withNewMetadata().withName("p").withNamespace("a").withResourceVersion(rv)
                .endMetadata().build();
    }

    @Test
    void shouldEmitDeleteWhenRelistAfterGoneFindsObjectVanished() {
        // fabric8's relist after 410 Gone reports a vanished object as a delete whose final state may be unknown.
        new NamespaceEventHandler(sink::add, clock).onDelete(ns("5"), true);
        new PolicyEventHandler(sink::add, clock).onDelete(np("6"), true);
        assertThat(sink).extracting(AgentEvent::change).containsExactly(ChangeType.DELETE, ChangeType.DELETE);
        assertThat(sink).extracting(AgentEvent::observedAt).containsOnly(clock.instant());
    }

    @Test
    void shouldQueueNothingFromFirstListButEverythingFromRelistWhenWatchIsLost() {
        List<String> relists = new ArrayList<>();
        NamespaceEventHandler h = new NamespaceEventHandler(sink::add, clock, () -> relists.add("relist"));
        h.onBeforeList("0");
        h.onAdd(ns("1"));
        h.onAdd(ns("2"));
        h.onList("2", false);
        assertThat(sink).isEmpty(); // the first epoch's snapshot comes from the cache
        h.onAdd(ns("3"));
        assertThat(sink).hasSize(1);
        // 410 Gone: fabric8 lists again and reports what vanished as deletes.
        h.onBeforeList("3");
        h.onDelete(ns("3"), true);
        assertThat(relists).isEmpty();
        h.onList("9", false);
        assertThat(sink).extracting(AgentEvent::change).containsExactly(ChangeType.UPSERT, ChangeType.DELETE);
        assertThat(relists).containsExactly("relist");
    }

    @Test
    void shouldSkipUpdateWhenResourceVersionIsUnchanged() {
        NamespaceEventHandler nh = new NamespaceEventHandler(sink::add, clock);
        PolicyEventHandler ph = new PolicyEventHandler(sink::add, clock);
        nh.onUpdate(ns("5"), ns("5"));
        ph.onUpdate(np("6"), np("6"));
        assertThat(sink).isEmpty();
        nh.onUpdate(ns("5"), ns("7"));
        ph.onUpdate(np("6"), np("8"));
        ph.onAdd(np("9"));
        assertThat(sink).extracting(AgentEvent::change).containsOnly(ChangeType.UPSERT).hasSize(3);
        assertThat(((AgentEvent.NamespaceChanged) sink.get(0)).namespace().getMetadata().getResourceVersion())
                .isEqualTo("7");
    }
}
