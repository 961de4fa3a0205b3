package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * A selector in Calico's selector language, parsed once into an immutable tree and evaluated
 * three-valued against a {@link Label.Lookup}.
 *
 * <p>The grammar follows Calico's own tokenizer and parser ({@code projectcalico/calico},
 * {@code libcalico-go/lib/selector/tokenizer/tokenizer.go} and {@code parser/parser.go}):
 * <pre>
 *   or      := and ( "||" and )*
 *   and     := unary ( "&amp;&amp;" unary )*
 *   unary   := "!"* primary
 *   primary := "all()" | "global()" | "has(" key ")" | "(" or ")"
 *            | key ( "==" str | "!=" str | "contains" str | "starts with" str | "ends with" str
 *                  | "in" set | "not in" set )
 *   set     := "{" [ str ( "," str )* [ "," ] ] "}"
 *   str     := '...' | "..."   (no escapes)
 *   key     := [a-zA-Z0-9_./-]+
 * </pre>
 * so {@code !} binds tighter than {@code &&}, which binds tighter than {@code ||}; an empty selector
 * is {@code all()}. Label semantics are Calico's ({@code parser/ast.go}): {@code ==}, {@code in},
 * {@code contains}, {@code starts with}, {@code ends with} and {@code has} need the label;
 * {@code !=} and {@code not in} hold when it is absent.
 *
 * <p>{@code global()} is FALSE here. Calico documents it as usable only in a namespaceSelector,
 * where it widens the scope to non-namespaced resources (global network sets, host endpoints);
 * Fencewatch only ever asks which pods of a namespace a selector selects, and those are namespaced.
 * (Calico's AST evaluates the bare node to true, but its policy conversion rewrites it; we follow
 * the documented meaning.) A label the lookup does not know makes its comparison UNKNOWN, and
 * {@code &&}, {@code ||} and {@code !} are Kleene's.
 */
public final class CalicoSelector {
    private static final int MAX_KEY = 512;

    private final String text;
    private final Node root;

    private CalicoSelector(String text, Node root) {
        this.text = text;
        this.root = root;
    }

    /** {@code all()}. */
    public static final CalicoSelector ALL = new CalicoSelector("all()", new All());

    /**
     * Parses a selector.
     *
     * @throws IllegalArgumentException on a syntax error, naming what was expected and the
     *                                  0-based character position in {@code text}
     */
    public static CalicoSelector parse(String text) {
        Objects.requireNonNull(text, "text");
        Parser p = new Parser(text);
        Node root = p.parseRoot();
        return new CalicoSelector(text, root);
    }

    /** TRUE, FALSE or UNKNOWN for the object whose labels {@code lookup} knows. */
    public Truth evaluate(Label.Lookup lookup) {
        return root.eval(lookup);
    }

    /** The selector as written. */
    @Override
    public String toString() {
        return text;
    }

    /** The parsed tree, in a canonical form with full parentheses (for tests and messages). */
    public String canonical() {
        return root.canonical();
    }

    // ---- the tree ----

    private sealed interface Node permits All, Global, Has, Compare, InSet, Not, And, Or {
        Truth eval(Label.Lookup lookup);

        String canonical();
    }

    private record All() implements Node {
        public Truth eval(Label.Lookup lookup) {
            return Truth.TRUE;
        }

        public String canonical() {
            return "all()";
        }
    }

    private record Global() implements Node {
        public Truth eval(Label.Lookup lookup) {
            return Truth.FALSE;
        }

        public String canonical() {
            return "global()";
        }
    }

    private record Has(String key) implements Node {
        public Truth eval(Label.Lookup lookup) {
            Label l = lookup.get(key);
            return l.known() ? Truth.of(l.present()) : Truth.UNKNOWN;
        }

        public String canonical() {
            return "has(" + key + ")";
        }
    }

    /** {@code ==}, {@code !=}, {@code contains}, {@code starts with}, {@code ends with}. */
    private record Compare(String key, String op, String value, boolean absentHolds, BiPredicate<String, String> test)
            implements Node {
        public Truth eval(Label.Lookup lookup) {
            Label l = lookup.get(key);
            if (!l.known()) {
                return Truth.UNKNOWN;
            }
            return Truth.of(l.present() ? test.test(l.value(), value) : absentHolds);
        }

        public String canonical() {
            return key + " " + op + " '" + value + "'";
        }
    }

    private record InSet(String key, Set<String> values, boolean negated) implements Node {
        public Truth eval(Label.Lookup lookup) {
            Label l = lookup.get(key);
            if (!l.known()) {
                return Truth.UNKNOWN;
            }
            boolean in = l.present() && values.contains(l.value());
            return Truth.of(negated ? !l.present() || !values.contains(l.value()) : in);
        }

        public String canonical() {
            List<String> sorted = new ArrayList<>(values);
            java.util.Collections.sort(sorted);
            StringBuilder b = new StringBuilder(key).append(negated ? " not in {" : " in {");
            for (int i = 0; i < sorted.size(); i++) {
                b.append(i == 0 ? "" : ", ").append('\'').append(sorted.get(i)).append('\'');
            }
            return b.append('}').toString();
        }
    }

    private record Not(Node operand) implements Node {
        public Truth eval(Label.Lookup lookup) {
            return operand.eval(lookup).not();
        }

        public String canonical() {
            return "!" + operand.canonical();
        }
    }

    private record And(List<Node> operands) implements Node {
        public Truth eval(Label.Lookup lookup) {
            Truth t = Truth.TRUE;
            for (Node n : operands) {
                t = t.and(n.eval(lookup));
                if (t == Truth.FALSE) {
                    break;
                }
            }
            return t;
        }

        public String canonical() {
            return join(operands, " && ");
        }
    }

    private record Or(List<Node> operands) implements Node {
        public Truth eval(Label.Lookup lookup) {
            Truth t = Truth.FALSE;
            for (Node n : operands) {
                t = t.or(n.eval(lookup));
                if (t == Truth.TRUE) {
                    break;
                }
            }
            return t;
        }

        public String canonical() {
            return join(operands, " || ");
        }
    }

    private static String join(List<Node> nodes, String op) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < nodes.size(); i++) {
            b.append(i == 0 ? "" : op).append(nodes.get(i).canonical());
        }
        return b.append(')').toString();
    }

    // ---- the parser: recursive descent over the characters, Calico's keywords by prefix ----

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Node parseRoot() {
            skipSpace();
            if (pos == s.length()) {
                return new All();
            }
            Node n = parseOr();
            skipSpace();
            if (pos != s.length()) {
                throw error("unexpected '" + s.charAt(pos) + "', expected && or || or the end");
            }
            return n;
        }

        private Node parseOr() {
            List<Node> parts = new ArrayList<>();
            parts.add(parseAnd());
            while (accept("||")) {
                parts.add(parseAnd());
            }
            return parts.size() == 1 ? parts.get(0) : new Or(List.copyOf(parts));
        }

        private Node parseAnd() {
            List<Node> parts = new ArrayList<>();
            parts.add(parseUnary());
            while (accept("&&")) {
                parts.add(parseUnary());
            }
            return parts.size() == 1 ? parts.get(0) : new And(List.copyOf(parts));
        }

        private Node parseUnary() {
            boolean negated = false;
            skipSpace();
            // '!' not followed by '=' is a negation ("!=" after a key is an operator, never here).
            while (pos < s.length() && s.charAt(pos) == '!') {
                negated = !negated;
                pos++;
                skipSpace();
            }
            Node n = parsePrimary();
            return negated ? new Not(n) : n;
        }

        private Node parsePrimary() {
            skipSpace();
            if (pos == s.length()) {
                throw error("unexpected end, expected an expression");
            }
            if (s.charAt(pos) == '(') {
                pos++;
                Node inner = parseOr();
                if (!accept(")")) {
                    throw error("expected )");
                }
                return inner;
            }
            if (s.startsWith("all(", pos)) {
                pos += 4;
                expectCloseParen("all(");
                return new All();
            }
            if (s.startsWith("global(", pos)) {
                pos += 7;
                expectCloseParen("global(");
                return new Global();
            }
            if (s.startsWith("has(", pos)) {
                pos += 4;
                skipSpace();
                String key = key("a label key in has(");
                expectCloseParen("has(" + key);
                return new Has(key);
            }
            int keyAt = pos;
            String key = key(null);
            if (key == null) {
                throw error("unexpected '" + s.charAt(pos) + "', expected a label key, all(), global(), has(, ! or (");
            }
            skipSpace();
            if (accept("==")) {
                return new Compare(key, "==", string(), false, String::equals);
            }
            if (accept("!=")) {
                return new Compare(key, "!=", string(), true, (a, b) -> !a.equals(b));
            }
            if (keyword("contains")) {
                return new Compare(key, "contains", string(), false, String::contains);
            }
            if (keyword("starts")) {
                if (!keyword("with")) {
                    throw error("expected 'with' after 'starts'");
                }
                return new Compare(key, "starts with", string(), false, String::startsWith);
            }
            if (keyword("ends")) {
                if (!keyword("with")) {
                    throw error("expected 'with' after 'ends'");
                }
                return new Compare(key, "ends with", string(), false, String::endsWith);
            }
            if (keyword("not")) {
                if (!keyword("in")) {
                    throw error("expected 'in' after 'not'");
                }
                return new InSet(key, set(), true);
            }
            if (keyword("in")) {
                return new InSet(key, set(), false);
            }
            if (pos == s.length()) {
                throw error("unexpected end after label '" + key + "' (at position " + keyAt
                        + "), expected an operator (==, !=, in, not in, contains, starts with, ends with)");
            }
            throw error("unexpected characters after label '" + key
                    + "', expected an operator (==, !=, in, not in, contains, starts with, ends with)");
        }

        private void expectCloseParen(String after) {
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == ')') {
                pos++;
                return;
            }
            throw error("expected ) after " + after);
        }

        private String key(String required) {
            int start = pos;
            while (pos < s.length() && isKeyChar(s.charAt(pos))) {
                pos++;
            }
            if (pos == start) {
                if (required != null) {
                    throw error("expected " + required);
                }
                return null;
            }
            if (pos - start > MAX_KEY) {
                pos = start;
                throw error("label key longer than " + MAX_KEY + " characters");
            }
            return s.substring(start, pos);
        }

        private String string() {
            skipSpace();
            if (pos == s.length() || (s.charAt(pos) != '\'' && s.charAt(pos) != '"')) {
                throw error("expected a quoted string");
            }
            char quote = s.charAt(pos);
            int start = pos;
            int end = s.indexOf(quote, pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            pos = end + 1;
            return s.substring(start + 1, end);
        }

        private Set<String> set() {
            skipSpace();
            if (pos == s.length() || s.charAt(pos) != '{') {
                throw error("expected a set literal {...}");
            }
            pos++;
            List<String> values = new ArrayList<>();
            skipSpace();
            while (pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"')) {
                values.add(string());
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    skipSpace();
                } else {
                    break;
                }
            }
            if (pos == s.length() || s.charAt(pos) != '}') {
                throw error("expected } or a quoted string in a set literal");
            }
            pos++;
            return Set.copyOf(values);
        }

        /** A keyword operator, matched by prefix as Calico's tokenizer does. */
        private boolean keyword(String word) {
            skipSpace();
            if (s.startsWith(word, pos)) {
                pos += word.length();
                return true;
            }
            return false;
        }

        private boolean accept(String token) {
            skipSpace();
            if (s.startsWith(token, pos)) {
                pos += token.length();
                return true;
            }
            return false;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("Calico selector \"" + s + "\": " + what + " at position " + pos);
        }

        private static boolean isKeyChar(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '/' || c == '-';
        }
    }
}
