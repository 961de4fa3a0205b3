package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RemediationPolicyTest {

    @Test
    void shouldRenderTheRulesRemediationWhenDefaultsAreUsed() {
        assertThat(RemediationPolicy.defaultFor("analytics").toYaml()).isEqualTo("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: fencewatch-default-deny
                  namespace: analytics
                  labels:
                    app.kubernetes.io/managed-by: fencewatch
                spec:
                  podSelector: {}
                  policyTypes:
                  - Ingress
                  - Egress
                  egress:
                  - to:
                    - namespaceSelector:
                        matchLabels:
                          kubernetes.io/metadata.name: kube-system
                    ports:
                    - protocol: UDP
                      port: 53
                    - protocol: TCP
                      port: 53
                """);
    }

    @Test
    void shouldDenyAllEgressWhenDnsIsNotAllowed() {
        Map<String, Object> spec = spec(new RemediationPolicy("a", false, RemediationPolicy.Types.BOTH));
        assertThat(spec).containsEntry("policyTypes", List.of("Ingress", "Egress")).doesNotContainKey("egress")
                .doesNotContainKey("ingress");
    }

    @Test
    void shouldIsolateOneDirectionWhenPolicyTypesSaySo() {
        assertThat(spec(new RemediationPolicy("a", true, RemediationPolicy.Types.INGRESS)))
                .containsEntry("policyTypes", List.of("Ingress")).doesNotContainKey("egress");
        assertThat(spec(new RemediationPolicy("a", true, RemediationPolicy.Types.EGRESS)))
                .containsEntry("policyTypes", List.of("Egress")).containsKey("egress");
        assertThat(RemediationPolicy.Types.parse(" Both ")).isEqualTo(RemediationPolicy.Types.BOTH);
        assertThatThrownBy(() -> RemediationPolicy.Types.parse("sideways"))
                .hasMessage("must be ingress, egress or both, not 'sideways'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "analytics|analytics",
            "kube-system|kube-system",
            "true|\"true\"",
            "No|\"No\"",
            "053|\"053\"",
            "1e3|\"1e3\"",
            "'a: b'|\"a: b\"",
            "'#x'|\"#x\"",
            "'-x'|\"-x\"",
            "'x\"y'|\"x\\\"y\"",
            "'a\\b'|\"a\\\\b\"",
            "''|\"\""})
    void shouldQuoteAScalarWhenPlainYamlWouldReadItAsSomethingElse(String value, String rendered) {
        assertThat(RemediationPolicy.Yaml.scalar(value)).isEqualTo(rendered);
    }

    @Test
    void shouldEscapeControlCharactersWhenQuoting() {
        assertThat(RemediationPolicy.Yaml.scalar("a\nb\u0001")).isEqualTo("\"a\\nb\\u0001\"");
    }

    @ParameterizedTest
    @CsvSource(value = {"analytics", "ns-1", "a", "true", "Yes", "null", "1abc", "9", "team.web", "_x", "has space",
            "fencewatch-namespace-placeholder", "q\"uote", "x:y"}, delimiter = '|')
    void shouldRenderTheDefaultFromItsTemplateAsTheObjectRendersWhateverTheNamespace(String namespace) {
        RemediationPolicy p = RemediationPolicy.defaultFor(namespace);
        assertThat(p.toYaml()).isEqualTo(RemediationPolicy.Yaml.render(p.toObject()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(RemediationPolicy p) {
        return (Map<String, Object>) p.toObject().get("spec");
    }
}
