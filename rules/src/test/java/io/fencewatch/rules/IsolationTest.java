package io.fencewatch.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.inventory.PolicyFacts;

class IsolationTest {

    @Test
    void shouldTakeTheStrongestGradeWhenSeveralPoliciesApply() {
        PolicyFacts partial = new PolicyFacts(CoverageEvaluatorTest.labels("app", "web"), List.of("Ingress"), null, null);
        PolicyFacts deny = CoverageEvaluatorTest.denyAll("Ingress");
        assertThat(Isolation.of(List.of(partial, deny)).ingress()).isEqualTo(Grade.DEFAULT_DENY);
        assertThat(Isolation.of(List.of(deny, partial)).ingress()).isEqualTo(Grade.DEFAULT_DENY);
        assertThat(Isolation.of(List.of()).ingress()).isEqualTo(Grade.NONE);
    }

    @Test
    void shouldApplyEgressOnlyWithRulesWhenPolicyTypesAreOmitted() {
        assertThat(Isolation.appliesToEgress(CoverageEvaluatorTest.denyAll())).isFalse();
        assertThat(Isolation.appliesToIngress(CoverageEvaluatorTest.denyAll())).isTrue();
        assertThat(Isolation.appliesToEgress(new PolicyFacts(CoverageEvaluatorTest.all(), List.of(), null,
                List.of(CoverageEvaluatorTest.anything())))).isTrue();
        assertThat(Isolation.appliesToIngress(CoverageEvaluatorTest.denyAll(" egress "))).isFalse();
    }
}
