package io.fencewatch.rules;

import static io.fencewatch.rules.FencesTest.A;
import static io.fencewatch.rules.FencesTest.CALICO;
import static io.fencewatch.rules.FencesTest.CILIUM;
import static io.fencewatch.rules.FencesTest.LONG_AGO;
import static io.fencewatch.rules.FencesTest.SHOP_LABELS;
import static io.fencewatch.rules.FencesTest.all;
import static io.fencewatch.rules.FencesTest.anp;
import static io.fencewatch.rules.FencesTest.calicoNp;
import static io.fencewatch.rules.FencesTest.cnp;
import static io.fencewatch.rules.FencesTest.ff;
import static io.fencewatch.rules.FencesTest.gnp;
import static io.fencewatch.rules.FencesTest.labels;
import static io.fencewatch.rules.FencesTest.rule;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.WorkloadRef;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * FW-NP-003 ({@link Workloads}): which workload shapes of a namespace the policies select, per
 * profile, and how the namespace's own status folds in ({@link CoverageEvaluator}).
 */
class WorkloadsTest {
    static final NamespaceState.Workload API = shape("Deployment", "api", Map.of("app", "api", "tier", "back"), 3);
    static final NamespaceState.Workload WEB = shape("Deployment", "web", Map.of("app", "web", "tier", "front"), 5);
    static final NamespaceState.Workload JOB = shape("Job", "migrate", Map.of("job", "migrate"), 1);

    // ---- label selectors (baseline: a networking.k8s.io NetworkPolicy selects the pods) ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "matchLabels app=api                 | app=api             | api",
            "matchLabels app=api,tier=back       | app=api;tier=back   | api",
            "matchLabels app=api,tier=front      | app=api;tier=front  | ''",
            "In tier [back,front]                | tier In back,front  | api;web",
            "In tier [batch]                     | tier In batch       | ''",
            "NotIn tier [front] (absent counts)  | tier NotIn front    | api;migrate",
            "Exists tier                         | tier Exists         | api;web",
            "DoesNotExist tier                   | tier DoesNotExist   | migrate",
            "Exists and NotIn                    | tier Exists;app NotIn api | web",
            "empty selector selects every pod    | ''                  | api;web;migrate",
    })
    void aNetworkPolicySelectsByLabelSelector(String name, String selector, String selected) {
        NamespaceState state = withPolicy(new PolicyFacts(selector(selector), null, null, null), API, WEB, JOB);

        WorkloadVerdict v = Workloads.of(state, Profile.BASELINE);

        List<String> expectedSelected = selected.isEmpty() ? List.of() : List.of(selected.split(";"));
        List<String> unisolated = v.unisolated().stream().map(WorkloadRef::getName).toList();
        List<String> expectedUnisolated = new ArrayList<>(List.of("api", "web", "migrate"));
        expectedUnisolated.removeAll(expectedSelected);
        assertThat(unisolated).containsExactlyInAnyOrderElementsOf(expectedUnisolated);
        int selectedPods = state.workloads().stream().filter(w -> expectedSelected.contains(w.facts().getOwnerName()))
                .mapToInt(w -> w.facts().getPods()).sum();
        assertThat(v.counts().getTotal()).isEqualTo(9);
        assertThat(v.counts().getIsolatedIngress()).isEqualTo(selectedPods);
        assertThat(v.counts().getIsolatedEgress()).isZero(); // no egress rules, no policyTypes: ingress only
        assertThat(v.status()).isEqualTo(expectedSelected.size() == 3 ? Status.COMPLIANT : Status.NON_COMPLIANT);
        assertThat(v.unisolatedCount()).isEqualTo(3 - expectedSelected.size());
    }

    @Test
    void noPodsIsCompliantAndPodsNotKnownIsNoVerdict() {
        NamespaceState known = withPolicy(new PolicyFacts(labels("app", "api"), null, null, null));
        WorkloadVerdict v = Workloads.of(known, Profile.BASELINE);
        assertThat(v.status()).isEqualTo(Status.COMPLIANT);
        assertThat(v.reason()).isEqualTo("no pods");
        assertThat(v.counts().getTotal()).isZero();

        NamespaceState unknown = FencesTest.shop();
        assertThat(Workloads.of(unknown, Profile.BASELINE)).isNull();
        assertThat(new CoverageEvaluator(Rules.defaults()).evaluate(unknown, LONG_AGO.toEpochMilli()).workloads()).isNull();
    }

    @Test
    void hostNetworkPodsAreCountedApartAndNeverIsolated() {
        NamespaceState.Workload agent = new NamespaceState.Workload("DaemonSet/agent/00000000",
                new WorkloadFacts("DaemonSet", "agent", Map.of("app", "agent"), List.of(), 4, true));
        NamespaceState state = withPolicy(new PolicyFacts(all(), List.of("Ingress", "Egress"), null, null), API, agent);

        WorkloadVerdict v = Workloads.of(state, Profile.STRICT);
        assertThat(v.counts().getTotal()).isEqualTo(7);
        assertThat(v.counts().getHostNetwork()).isEqualTo(4);
        assertThat(v.counts().getIsolatedIngress()).isEqualTo(3);
        assertThat(v.counts().getIsolatedEgress()).isEqualTo(3);
        assertThat(v.status()).isEqualTo(Status.COMPLIANT);
        assertThat(v.reason()).contains("4 hostNetwork pods apart");

        WorkloadVerdict onlyHost = Workloads.of(withPolicy(null, agent), Profile.BASELINE);
        assertThat(onlyHost.status()).isEqualTo(Status.COMPLIANT);
        assertThat(onlyHost.reason()).startsWith("only hostNetwork pods");
    }

    @Test
    void aSelectorOnAPerRevisionLabelNeverCountsAsSelecting() {
        NamespaceState.Workload rolled = new NamespaceState.Workload("Deployment/api/11111111",
                new WorkloadFacts("Deployment", "api", Map.of("app", "api"), List.of("pod-template-hash"), 3, false));
        for (String op : List.of("Exists", "DoesNotExist")) {
            LabelSelector sel = new LabelSelector(Map.of(), List.of(new LabelSelectorRequirement("pod-template-hash", op, List.of())));
            WorkloadVerdict v = Workloads.of(withPolicy(new PolicyFacts(sel, null, null, null), rolled), Profile.BASELINE);
            assertThat(v.status()).as(op).isEqualTo(Status.NON_COMPLIANT);
        }
        // A selector on its known labels still decides.
        WorkloadVerdict v = Workloads.of(withPolicy(new PolicyFacts(labels("app", "api"), null, null, null), rolled),
                Profile.BASELINE);
        assertThat(v.status()).isEqualTo(Status.COMPLIANT);
    }

    @Test
    void profilesAskForDifferentThings() {
        // An egress-only default deny selecting every pod, and an ingress allow-all for app=api.
        PolicyFacts egressDeny = new PolicyFacts(all(), List.of("Egress"), null, null);
        PolicyFacts apiAllowAll = new PolicyFacts(labels("app", "api"), List.of("Ingress"),
                List.of(new PolicyRule(null, null)), null);
        NamespaceState state = withPolicies(List.of(egressDeny, apiAllowAll), API, WEB);

        WorkloadVerdict baseline = Workloads.of(state, Profile.BASELINE);
        assertThat(baseline.status()).isEqualTo(Status.COMPLIANT);
        assertThat(baseline.counts().getIsolatedIngress()).isEqualTo(3); // selected, even by an allow-all
        assertThat(baseline.counts().getIsolatedEgress()).isEqualTo(8);

        WorkloadVerdict effective = Workloads.of(state, Profile.EFFECTIVE);
        assertThat(effective.status()).isEqualTo(Status.COMPLIANT); // egress isolates both
        assertThat(effective.counts().getIsolatedIngress()).isZero(); // allow-all: not isolated for ingress
        assertThat(effective.counts().getIsolatedEgress()).isEqualTo(8);

        WorkloadVerdict strict = Workloads.of(state, Profile.STRICT);
        assertThat(strict.status()).isEqualTo(Status.NON_COMPLIANT);
        assertThat(strict.unisolated()).extracting(WorkloadRef::getName, WorkloadRef::getDirections)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web", List.of("ingress")),
                        org.assertj.core.groups.Tuple.tuple("api", List.of("ingress")));
        assertThat(strict.reason()).startsWith("2 workloads (8 of 8 pods) not isolated both ways: Deployment web, Deployment api");
    }

    @Test
    void otherKindsCountUnderEffectiveWithThePodsLabels() {
        // Calico GlobalNetworkPolicy on app == 'api'; Cilium policy on k8s:app=web; ANP denying the migrate job.
        NamespaceState state = new NamespaceState("shop", facts(), List.of(), LONG_AGO.toEpochMilli(), List.of(),
                List.of(gnp("api-deny", ff(CALICO).podExpression("app == 'api'").types("Ingress")),
                        cnp("shop", "web", ff(CILIUM).pods(labels("k8s:app", "web")).ingress(rule("Allow", "some", "all"))),
                        anp("jobs", 10, ff(FencesTest.ANP).namespaces(all()).pods(labels("job", "migrate"))
                                .egress(rule("Deny", "all", "all")))),
                List.of(API, WEB, JOB), true);

        WorkloadVerdict baseline = Workloads.of(state, Profile.BASELINE);
        assertThat(baseline.unisolatedCount()).isEqualTo(3); // no NetworkPolicy at all

        WorkloadVerdict effective = Workloads.of(state, Profile.EFFECTIVE);
        assertThat(effective.status()).isEqualTo(Status.COMPLIANT);
        assertThat(effective.counts().getIsolatedIngress()).isEqualTo(8); // api by Calico, web by Cilium
        assertThat(effective.counts().getIsolatedEgress()).isEqualTo(1); // migrate by the ANP

        // The pods' labels decide: one label off and the shape is not selected.
        NamespaceState.Workload apiV2 = shape("Deployment", "api-v2", Map.of("app", "api2"), 2);
        WorkloadVerdict more = Workloads.of(state.withWorkloads(List.of(API, WEB, JOB, apiV2)), Profile.EFFECTIVE);
        assertThat(more.unisolated()).extracting(WorkloadRef::getName).containsExactly("api-v2");
    }

    @Test
    void aPolicyOfAnotherNamespaceNeverCounts() {
        NamespaceState state = new NamespaceState("shop", facts(), List.of(), LONG_AGO.toEpochMilli(), List.of(),
                List.of(calicoNp("other", "deny-all", ff(CALICO).types("Ingress", "Egress")),
                        cnp("other", "deny-all", ff(CILIUM).pods(all()).ingress(rule("Allow", "none", "all")))),
                List.of(API), true);
        assertThat(Workloads.of(state, Profile.EFFECTIVE).status()).isEqualTo(Status.NON_COMPLIANT);
        // The same policies in the namespace itself isolate it.
        NamespaceState own = new NamespaceState("shop", facts(), List.of(), LONG_AGO.toEpochMilli(), List.of(),
                List.of(calicoNp("shop", "deny-all", ff(CALICO).types("Ingress", "Egress"))), List.of(API), true);
        assertThat(Workloads.of(own, Profile.STRICT).status()).isEqualTo(Status.COMPLIANT);
        assertThat(Fences.forPods(own, Workloads.lookup(API.facts())).ingress()).isEqualTo(Grade.DEFAULT_DENY);
    }

    @Test
    void theListIsBoundedMostPodsFirstAndTheCountTellsTheRest() {
        List<NamespaceState.Workload> many = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            many.add(shape("Deployment", "w" + i, Map.of("app", "w" + i), i + 1));
        }
        WorkloadVerdict v = Workloads.of(withPolicy(null, many.toArray(NamespaceState.Workload[]::new)), Profile.BASELINE);
        assertThat(v.unisolatedCount()).isEqualTo(25);
        assertThat(v.unisolated()).hasSize(Workloads.MAX_LISTED);
        assertThat(v.unisolated().get(0).getName()).isEqualTo("w24");
        assertThat(v.unisolated().get(19).getName()).isEqualTo("w5");
        assertThat(v.reason()).startsWith("25 workloads (325 of 325 pods) not selected by a NetworkPolicy:"
                + " Deployment w24, Deployment w23, Deployment w22, …");
    }

    @Test
    void theNamespaceStatusFoldsIntoTheWorkloads() {
        long now = LONG_AGO.toEpochMilli();
        CoverageEvaluator grace = new CoverageEvaluator(Rules.defaults().withGracePeriod(Duration.ofMinutes(5)));
        NamespaceState fresh = new NamespaceState("fresh", new NamespaceFacts("Active", Map.of(), Map.of(), LONG_AGO, null),
                List.of(), now, List.of(), List.of(), List.of(API), true);
        Verdict pending = grace.evaluate(fresh, now);
        assertThat(pending.status()).isEqualTo(Status.PENDING);
        assertThat(pending.workloads().status()).isEqualTo(Status.PENDING);
        assertThat(grace.evaluate(fresh, now + Duration.ofMinutes(6).toMillis()).workloads().status())
                .isEqualTo(Status.NON_COMPLIANT);

        Map<String, String> exemptLabels = new HashMap<>(Map.of(Rules.EXEMPT_LABEL, "lab"));
        NamespaceState exempt = new NamespaceState("lab", new NamespaceFacts("Active", exemptLabels, Map.of(), LONG_AGO,
                null), List.of(), now, List.of(), List.of(), List.of(API), true);
        Verdict ex = grace.evaluate(exempt, now);
        assertThat(ex.workloads().status()).isEqualTo(Status.EXEMPT);
        assertThat(ex.workloads().unisolatedCount()).isEqualTo(1); // still counted, for the record

        NamespaceState system = new NamespaceState("kube-system", facts(), List.of(), now, List.of(), List.of(),
                List.of(API), true);
        assertThat(grace.evaluate(system, now).workloads().status()).isEqualTo(Status.EXEMPT);

        NamespaceState terminating = new NamespaceState("gone", new NamespaceFacts("Terminating", Map.of(), Map.of(),
                LONG_AGO, null), List.of(), now, List.of(), List.of(), List.of(API), true);
        assertThat(grace.evaluate(terminating, now).workloads().status()).isEqualTo(Status.TERMINATING);

        // FW-NP-001 keeps its meaning: one NetworkPolicy for app=api passes it while web is open.
        NamespaceState partial = withPolicy(new PolicyFacts(labels("app", "api"), null, null, null), API, WEB);
        Verdict v = new CoverageEvaluator(Rules.defaults()).evaluate(partial, now);
        assertThat(v.status()).isEqualTo(Status.COMPLIANT);
        assertThat(v.workloads().status()).isEqualTo(Status.NON_COMPLIANT);
        var record = CoverageRecords.of("c1", "shop", "uid-1", v, List.of("api"), Profile.BASELINE, LONG_AGO,
                LONG_AGO, LONG_AGO, null, true);
        assertThat(record.getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
        assertThat(record.getPods().getTotal()).isEqualTo(8);
        assertThat(record.getUnisolatedWorkloads()).extracting(WorkloadRef::getName).containsExactly("web");
        assertThat(CoverageRecords.stateOf(record).getWorkloadStatus()).isEqualTo(Status.NON_COMPLIANT);
        assertThat(CoverageRecords.stateOf(record).getUnisolatedWorkloads()).isEqualTo(1);
    }

    @Test
    void theFindingIsAnOcsfComplianceFindingNamingTheWorkloads() throws Exception {
        long now = LONG_AGO.toEpochMilli();
        NamespaceState partial = withPolicy(new PolicyFacts(labels("app", "api"), null, null, null), API, WEB);
        Verdict v = new CoverageEvaluator(Rules.defaults()).evaluate(partial, now);
        var after = CoverageRecords.of("c1", "shop", "uid-1", v, List.of("api"), Profile.BASELINE, LONG_AGO, LONG_AGO,
                LONG_AGO, null, true);
        DriftEvent drift = DriftEvent.newBuilder().setId("d-1").setCluster("c1").setNamespace("shop")
                .setReason(DriftReason.WORKLOAD_UNISOLATED).setDetectedAt(Instant.ofEpochMilli(now)).build();

        JsonNode open = new ObjectMapper().readTree(Findings.workloadJson(drift, "f-1", true, after, "test"));
        assertThat(open.get("class_uid").asInt()).isEqualTo(2003);
        assertThat(open.get("activity_name").asText()).isEqualTo("Create");
        assertThat(open.at("/compliance/control").asText()).isEqualTo("FW-NP-003");
        assertThat(open.at("/compliance/status").asText()).isEqualTo("Fail");
        assertThat(open.at("/finding_info/uid").asText()).isEqualTo("FW-NP-003:c1/shop");
        assertThat(open.get("status_detail").asText()).startsWith("1 workload (5 of 8 pods) not selected by a NetworkPolicy");
        List<String> resources = new ArrayList<>();
        open.get("resources").forEach(r -> resources.add(r.get("type").asText() + "=" + r.get("name").asText()));
        assertThat(resources).containsExactly("Kubernetes Cluster=c1", "Kubernetes Namespace=shop",
                "Kubernetes Deployment=web");
        assertThat(open.at("/resources/2/labels/app").asText()).isEqualTo("web");
        assertThat(open.at("/unmapped/unisolated_workloads").asInt()).isEqualTo(1);
        assertThat(open.at("/unmapped/pods/isolated_ingress").asInt()).isEqualTo(3);
        assertThat(open.at("/remediation/desc").asText()).contains("podSelector: {}");

        JsonNode close = new ObjectMapper().readTree(Findings.workloadJson(drift, "f-2", false, null, "test"));
        assertThat(close.get("activity_name").asText()).isEqualTo("Close");
        assertThat(close.at("/compliance/status").asText()).isEqualTo("Pass");
        assertThat(close.get("status_detail").asText()).isEqualTo("namespace deleted");
    }

    static NamespaceState.Workload shape(String kind, String owner, Map<String, String> labels, int pods) {
        return new NamespaceState.Workload(kind + "/" + owner + "/0badcafe",
                new WorkloadFacts(kind, owner, labels, List.of(), pods, false));
    }

    static NamespaceFacts facts() {
        return new NamespaceFacts("Active", SHOP_LABELS, Map.of(), LONG_AGO, null);
    }

    static NamespaceState withPolicy(PolicyFacts policy, NamespaceState.Workload... workloads) {
        return withPolicies(policy == null ? List.of() : List.of(policy), workloads);
    }

    static NamespaceState withPolicies(List<PolicyFacts> policies, NamespaceState.Workload... workloads) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            names.add("p" + i);
        }
        return new NamespaceState("shop", facts(), policies, LONG_AGO.toEpochMilli(), names, List.of(),
                List.of(workloads), true);
    }

    /** "" (empty), "k=v;k2=v2" (matchLabels) or "key Op v1,v2;key2 Op" (matchExpressions). */
    static LabelSelector selector(String text) {
        Map<String, String> match = new HashMap<>();
        List<LabelSelectorRequirement> exprs = new ArrayList<>();
        for (String part : text.isEmpty() ? new String[0] : text.split(";")) {
            String[] words = part.strip().split(" ");
            if (words.length == 1) {
                String[] kv = words[0].split("=");
                match.put(kv[0], kv[1]);
            } else {
                exprs.add(new LabelSelectorRequirement(words[0], words[1],
                        words.length > 2 ? List.of(words[2].split(",")) : List.of()));
            }
        }
        return new LabelSelector(match, exprs);
    }
}
