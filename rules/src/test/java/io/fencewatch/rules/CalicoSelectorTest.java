package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Calico's selector language as a table: expression × labels → three-valued result, then syntax
 * errors with their messages. Labels are written {@code key=value}, and {@code key=?} for a label
 * whose value is not known (a pod label); a key not listed is absent.
 */
class CalicoSelectorTest {

    static Stream<Arguments> rows() {
        return Stream.of(
                row("", "", Truth.TRUE),
                row("   ", "app=?", Truth.TRUE),
                row("all()", "app=?", Truth.TRUE),
                row("all( )", "", Truth.TRUE),
                row("global()", "", Truth.FALSE),
                row("!global()", "", Truth.TRUE),
                row("has(app)", "app=web", Truth.TRUE),
                row("has( app )", "", Truth.FALSE),
                row("has(app)", "app=?", Truth.UNKNOWN),
                row("!has(app)", "", Truth.TRUE),
                row("!has(app)", "app=web", Truth.FALSE),
                row("!has(app)", "app=?", Truth.UNKNOWN),
                row("app == 'web'", "app=web", Truth.TRUE),
                row("app == 'web'", "app=db", Truth.FALSE),
                row("app == 'web'", "", Truth.FALSE),
                row("app == 'web'", "app=?", Truth.UNKNOWN),
                row("app=='web'", "app=web", Truth.TRUE),
                row("app == \"web\"", "app=web", Truth.TRUE),
                row("msg == \"it's\"", "msg=it's", Truth.TRUE),
                row("msg == 'say \"hi\"'", "msg=say \"hi\"", Truth.TRUE),
                row("app != 'web'", "", Truth.TRUE),
                row("app != 'web'", "app=web", Truth.FALSE),
                row("app != 'web'", "app=db", Truth.TRUE),
                row("app != 'web'", "app=?", Truth.UNKNOWN),
                row("app in {'web', \"db\"}", "app=db", Truth.TRUE),
                row("app in {'web', 'db'}", "app=cache", Truth.FALSE),
                row("app in {'web', 'db'}", "", Truth.FALSE),
                row("app in {'web','db',}", "app=web", Truth.TRUE),
                row("app in {}", "app=web", Truth.FALSE),
                row("app in {'web'}", "app=?", Truth.UNKNOWN),
                row("app not in {'web', 'db'}", "", Truth.TRUE),
                row("app not in {'web', 'db'}", "app=web", Truth.FALSE),
                row("app not in {'web', 'db'}", "app=cache", Truth.TRUE),
                row("app not  in {'web'}", "app=?", Truth.UNKNOWN),
                row("app not in {}", "app=web", Truth.TRUE),
                row("tier contains 'ont'", "tier=frontend", Truth.TRUE),
                row("tier contains 'ont'", "", Truth.FALSE),
                row("tier starts with 'fr'", "tier=frontend", Truth.TRUE),
                row("tier starts with 'back'", "tier=frontend", Truth.FALSE),
                row("tier ends with 'end'", "tier=frontend", Truth.TRUE),
                row("tier ends   with 'x'", "tier=?", Truth.UNKNOWN),
                row("projectcalico.org/namespace == 'shop'", "projectcalico.org/namespace=shop", Truth.TRUE),
                row("app.kubernetes.io/part-of == 'shop'", "app.kubernetes.io/part-of=shop", Truth.TRUE),
                row("my-key_1.x/y == 'v'", "my-key_1.x/y=v", Truth.TRUE),
                // precedence: ! over && over ||
                row("a == '1' || b == '1' && c == '1'", "a=1|b=0|c=0", Truth.TRUE),
                row("(a == '1' || b == '1') && c == '1'", "a=1|b=0|c=0", Truth.FALSE),
                row("a == '1' && b == '1' || c == '1'", "a=0|b=0|c=1", Truth.TRUE),
                row("a == '1' && (b == '1' || c == '1')", "a=0|b=0|c=1", Truth.FALSE),
                row("!a == '1' && b == '1'", "b=0", Truth.FALSE),
                row("!(a == '1' && b == '1')", "b=0", Truth.TRUE),
                row("!!has(a)", "a=x", Truth.TRUE),
                row("! ! ! has(a)", "a=x", Truth.FALSE),
                row("((has(a)))", "a=x", Truth.TRUE),
                // Kleene logic
                row("has(ns) || app == 'web'", "ns=x|app=?", Truth.TRUE),
                row("!has(ns) || app == 'web'", "ns=x|app=?", Truth.UNKNOWN),
                row("has(ns) && app == 'web'", "ns=x|app=?", Truth.UNKNOWN),
                row("!has(ns) && app == 'web'", "ns=x|app=?", Truth.FALSE),
                row("!(app == 'web')", "app=?", Truth.UNKNOWN),
                row("app == 'web' || !(app == 'web')", "app=?", Truth.UNKNOWN),
                // the Calico docs' default deny: every namespace but the system ones
                row("projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}",
                        "projectcalico.org/namespace=shop", Truth.TRUE),
                row("projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}",
                        "projectcalico.org/namespace=calico-system", Truth.FALSE),
                row("has(projectcalico.org/name) && projectcalico.org/name not in {\"kube-system\", \"calico-system\"}",
                        "projectcalico.org/name=shop", Truth.TRUE));
    }

    @ParameterizedTest(name = "{0} with [{1}] is {2}")
    @MethodSource("rows")
    void shouldGiveTheRowsTruthWhenEvaluatingTheSelector(String expression, String labels, Truth expected) {
        assertThat(CalicoSelector.parse(expression).evaluate(lookup(labels))).isEqualTo(expected);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("app == web", "expected a quoted string at position 7"),
                Arguments.of("app = 'web'", "unexpected characters after label 'app'"),
                Arguments.of("app = 'web'", "at position 4"),
                Arguments.of("app", "unexpected end after label 'app'"),
                Arguments.of("has(app", "expected ) after has(app at position 7"),
                Arguments.of("has()", "expected a label key in has( at position 4"),
                Arguments.of("all(x)", "expected ) after all( at position 4"),
                Arguments.of("global(", "expected ) after global( at position 7"),
                Arguments.of("(app == 'web'", "expected ) at position 13"),
                Arguments.of("app == 'web", "unterminated string at position 7"),
                Arguments.of("app in {'a' 'b'}", "expected } or a quoted string in a set literal at position 12"),
                Arguments.of("app in 'a'", "expected a set literal {...} at position 7"),
                Arguments.of("app not 'a'", "expected 'in' after 'not' at position 8"),
                Arguments.of("app starts 'a'", "expected 'with' after 'starts' at position 11"),
                Arguments.of("app ends 'a'", "expected 'with' after 'ends' at position 9"),
                Arguments.of("app == 'a' &&", "unexpected end, expected an expression at position 13"),
                Arguments.of("app == 'a' & b == 'c'", "unexpected '&', expected && or || or the end at position 11"),
                Arguments.of("app == 'a' b == 'c'", "unexpected 'b', expected && or || or the end at position 11"),
                Arguments.of(")", "unexpected ')', expected a label key, all(), global(), has(, ! or ( at position 0"),
                Arguments.of("!", "unexpected end, expected an expression at position 1"),
                Arguments.of("a == 'b' ||| c == 'd'", "unexpected '|', expected a label key"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void shouldNameWhatAndWhereWhenTheSyntaxIsWrong(String expression, String message) {
        assertThatThrownBy(() -> CalicoSelector.parse(expression))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message)
                .hasMessageContaining("\"" + expression + "\"");
    }

    @Test
    void shouldBindNotTighterThanAndTighterThanOrWhenParsing() {
        assertThat(CalicoSelector.parse("a == '1' || b == '1' && !c == '1'").canonical())
                .isEqualTo("(a == '1' || (b == '1' && !c == '1'))");
        assertThat(CalicoSelector.parse("x not in {'b', 'a'} && has(y) || all()").canonical())
                .isEqualTo("((x not in {'a', 'b'} && has(y)) || all())");
        assertThat(CalicoSelector.parse("").canonical()).isEqualTo("all()");
        assertThat(CalicoSelector.parse(" app == 'web' ").toString()).isEqualTo(" app == 'web' ");
    }

    @Test
    void shouldEvaluateTheSameTreeManyTimesWhenParsedOnce() {
        CalicoSelector s = CalicoSelector.parse("app == 'web'");
        assertThat(s.evaluate(lookup("app=web"))).isEqualTo(Truth.TRUE);
        assertThat(s.evaluate(lookup("app=db"))).isEqualTo(Truth.FALSE);
        assertThat(s.evaluate(lookup("app=web"))).isEqualTo(Truth.TRUE);
    }

    /** {@code k=v|k2=?}: known values, and unknown ones; other keys absent. */
    static Label.Lookup lookup(String spec) {
        Map<String, String> known = new HashMap<>();
        Set<String> unknown = new java.util.HashSet<>();
        if (!spec.isEmpty()) {
            for (String kv : spec.split("\\|")) {
                int eq = kv.indexOf('=');
                String k = kv.substring(0, eq);
                String v = kv.substring(eq + 1);
                if (v.equals("?")) {
                    unknown.add(k);
                } else {
                    known.put(k, v);
                }
            }
        }
        return key -> unknown.contains(key) ? Label.UNKNOWN : Label.ofNullable(known.get(key));
    }

    private static Arguments row(String expression, String labels, Truth expected) {
        return Arguments.of(expression, labels, expected);
    }
}
