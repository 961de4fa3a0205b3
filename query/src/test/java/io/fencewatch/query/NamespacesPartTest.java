package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.fencewatch.query.CoverageQueryService.NamespacesPart;
import io.fencewatch.query.CoverageQueryService.Slice;

/** The instance-to-instance format of a list share survives a round trip, UTF-8 included. */
class NamespacesPartTest {

    @Test
    void shouldReadBackWhatItWroteWhenJsonHoldsUnicodeAndEscapes() {
        String json = "{\"namespace\":\"web\",\"reason\":\"politique absente \u00e9\u4e2d \\t \\n\"}";
        NamespacesPart part = new NamespacesPart(Set.of(0, 2), List.of(
                Map.entry("web", Slice.of(json)), Map.entry("api", Slice.of("{}"))));
        NamespacesPart back = NamespacesPart.parse(part.toBytes());
        assertThat(back.partitions()).containsExactlyInAnyOrder(0, 2);
        assertThat(back.items()).hasSize(2);
        assertThat(back.items().get(0).getKey()).isEqualTo("web");
        Slice s = back.items().get(0).getValue();
        assertThat(new String(s.buffer(), s.offset(), s.length(), StandardCharsets.UTF_8)).isEqualTo(json);
        assertThat(NamespacesPart.parse(new NamespacesPart(Set.of(1), List.of()).toBytes()).items()).isEmpty();
    }

    @Test
    void shouldCarryWhetherTheClusterIsKnownWhenAShareHasNoItems() {
        NamespacesPart known = NamespacesPart.parse(new NamespacesPart(Set.of(0, 1), List.of(), true).toBytes());
        assertThat(new String(new NamespacesPart(Set.of(1), List.of(), true).toBytes(), StandardCharsets.UTF_8))
                .isEqualTo("partitions 1 known\n");
        assertThat(known.known()).isTrue();
        assertThat(known.partitions()).containsExactlyInAnyOrder(0, 1);
        assertThat(NamespacesPart.parse(new NamespacesPart(Set.of(0), List.of(), false).toBytes()).known()).isFalse();
    }

    @Test
    void shouldAnswerUnavailableWhenAPeerSendsGarbage() {
        assertThatThrownBy(() -> NamespacesPart.parse("<html>oops</html>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Unavailable.class);
        assertThatThrownBy(() -> NamespacesPart.parse("partitions 0\nno-tab-here\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Unavailable.class);
    }
}
