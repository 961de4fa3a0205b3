package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;

/** Kubernetes label selectors, three-valued: selector × labels ({@code k=v}, {@code k=?} unknown) → truth. */
class LabelSelectorsTest {

    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of("null selects nothing", null, "app=?", Truth.FALSE),
                Arguments.of("empty selects everything", sel(Map.of()), "app=?", Truth.TRUE),
                Arguments.of("matchLabels equal", sel(Map.of("app", "web")), "app=web", Truth.TRUE),
                Arguments.of("matchLabels other value", sel(Map.of("app", "web")), "app=db", Truth.FALSE),
                Arguments.of("matchLabels absent", sel(Map.of("app", "web")), "", Truth.FALSE),
                Arguments.of("matchLabels unknown", sel(Map.of("app", "web")), "app=?", Truth.UNKNOWN),
                Arguments.of("In", sel(req("app", "In", "web", "db")), "app=db", Truth.TRUE),
                Arguments.of("In absent", sel(req("app", "In", "web")), "", Truth.FALSE),
                Arguments.of("NotIn absent holds", sel(req("app", "NotIn", "web")), "", Truth.TRUE),
                Arguments.of("NotIn other value", sel(req("app", "NotIn", "web")), "app=db", Truth.TRUE),
                Arguments.of("NotIn listed value", sel(req("app", "NotIn", "web")), "app=web", Truth.FALSE),
                Arguments.of("NotIn unknown", sel(req("app", "NotIn", "web")), "app=?", Truth.UNKNOWN),
                Arguments.of("Exists", sel(req("app", "Exists")), "app=x", Truth.TRUE),
                Arguments.of("Exists absent", sel(req("app", "Exists")), "", Truth.FALSE),
                Arguments.of("DoesNotExist absent", sel(req("app", "DoesNotExist")), "", Truth.TRUE),
                Arguments.of("DoesNotExist unknown", sel(req("app", "DoesNotExist")), "app=?", Truth.UNKNOWN),
                Arguments.of("an unknown operator is UNKNOWN", sel(req("app", "Gt", "1")), "app=2", Truth.UNKNOWN),
                Arguments.of("AND: a known FALSE beats an unknown",
                        new LabelSelector(Map.of("ns", "shop"), List.of(req("app", "Exists"))), "ns=billing|app=?", Truth.FALSE),
                Arguments.of("AND: a known TRUE and an unknown",
                        new LabelSelector(Map.of("ns", "shop"), List.of(req("app", "Exists"))), "ns=shop|app=?", Truth.UNKNOWN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldGiveTheRowsTruthWhenEvaluatingTheSelector(String name, LabelSelector selector, String labels, Truth expected) {
        assertThat(LabelSelectors.evaluate(selector, CalicoSelectorTest.lookup(labels))).isEqualTo(expected);
    }

    static LabelSelector sel(Map<String, String> matchLabels) {
        return new LabelSelector(matchLabels, List.of());
    }

    static LabelSelector sel(LabelSelectorRequirement r) {
        return new LabelSelector(Map.of(), List.of(r));
    }

    static LabelSelectorRequirement req(String key, String op, String... values) {
        return new LabelSelectorRequirement(key, op, List.of(values));
    }
}
