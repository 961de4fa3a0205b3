package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/** The pre-escaped remediation texts of a finding are the bytes writing the whole text gives. */
class FindingsTemplateTest {
    private static final JsonFactory JSON = new JsonFactory();

    @ParameterizedTest
    @ValueSource(strings = {"analytics", "ns-1", "a", "true", "Yes", "null", "1abc", "team.web", "_x", "a/b",
            "has space", "fencewatch-namespace-placeholder", "q\"uote", "back\\slash", "tab\there", "ünï"})
    void shouldWriteTheSameJsonAsTheFullTextWhateverTheNamespace(String namespace) throws Exception {
        assertThat(templated(namespace, Findings.NP_001_DESC))
                .isEqualTo(plain(Findings.remediationText(namespace)));
        assertThat(templated(namespace, Findings.NP_003_DESC))
                .isEqualTo(plain(Findings.workloadRemediationText(namespace)));
    }

    private static String templated(String namespace, String[] template) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("before", "x");
            Findings.writeTemplated(g, "desc", template, namespace, () -> template == Findings.NP_001_DESC
                    ? Findings.remediationText(namespace) : Findings.workloadRemediationText(namespace));
            g.writeStringField("after", "y");
            g.writeEndObject();
        }
        return out.toString();
    }

    private static String plain(String text) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("before", "x");
            g.writeStringField("desc", text);
            g.writeStringField("after", "y");
            g.writeEndObject();
        }
        return out.toString();
    }
}
