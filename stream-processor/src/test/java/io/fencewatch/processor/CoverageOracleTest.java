package io.fencewatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fencewatch.schema.Keys;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.rules.CoverageEvaluator;
import io.fencewatch.rules.Fence;
import io.fencewatch.rules.NamespaceState;
import io.fencewatch.rules.Profile;
import io.fencewatch.rules.Rules;
import io.fencewatch.rules.Verdict;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.WorkloadFacts;
import io.fencewatch.rules.WorkloadVerdict;
import io.fencewatch.schema.drift.DriftReason;

/**
 * The rule's own audit as the oracle. For any sequence of namespace and policy changes, collector
 * restarts (some after changes it never saw), duplicate deliveries and passing time, the table
 * must agree with the audit of the cluster's state, and the drift must tell exactly its changes.
 *
 * <p>One driver serves every example: each example is a cluster of its own.
 */
class CoverageOracleTest {
    static final List<String> NAMESPACES = List.of("team-a", "team-b", "team-c", "kube-system", "default", "sandbox-1");
    static final List<PolicyFacts> POLICIES = List.of(Policies.denyAll(), Policies.policy(Policies.labels("app", "db"),
            null, List.of(Policies.fromPods("app", "web")), null), Policies.remediation(),
            Policies.policy(Policies.all(), List.of("Egress"), null, List.of(Policies.anything())));
    static final Duration GRACE = Duration.ofSeconds(30);
    static final Rules RULES = Rules.defaults().withExemptPatterns(List.of("sandbox-*")).withGracePeriod(GRACE)
            .withStaleAfter(Duration.ofDays(3650));

    /**
     * Cluster-scoped Calico policies the examples add, change and delete: a default deny of every
     * namespace labelled env=prod (ingress), and one of every namespace but kube-system and team-c
     * (both ways), whose second variant only allows everything in (it isolates nothing).
     */
    static final List<String> CLUSTER_POLICIES = List.of("deny-prod", "deny-most");
    static final Rules EFFECTIVE = RULES.withProfile(Profile.EFFECTIVE);

    /**
     * Workload shapes the examples add, recount and delete (FW-NP-003): three owners, labels from a
     * small alphabet that the fixtures' selectors (app=db, every pod) and Calico's select or not, one
     * whose app label is per revision (unknown: never selected by app=db), and hostNetwork pods.
     */
    static final List<String> OWNERS = List.of("Deployment/api", "Deployment/web", "Job/batch");
    static final List<Map<String, String>> SHAPE_LABELS = List.of(Map.of("app", "db"), Map.of("app", "web"),
            Map.of("app", "db", "tier", "x"), Map.of());

    static WorkloadFacts shape(int owner, int labels, int pods, boolean hostNetwork) {
        String[] o = OWNERS.get(owner % OWNERS.size()).split("/");
        int l = labels % (SHAPE_LABELS.size() + 1);
        return l == SHAPE_LABELS.size()
                ? new WorkloadFacts(o[0], o[1], Map.of("tier", "x"), List.of("app"), pods, hostNetwork)
                : new WorkloadFacts(o[0], o[1], SHAPE_LABELS.get(l), List.of(), pods, hostNetwork);
    }

    static Harness harness;
    static Harness effectiveHarness;
    static int clusters;

    @BeforeAll
    static void start() {
        harness = new Harness(RULES);
        effectiveHarness = new Harness(EFFECTIVE);
    }

    @AfterAll
    static void stop() {
        harness.close();
        effectiveHarness.close();
    }

    @Test
    void shouldAgreeWithTheAuditAndDriftOnlyOnRealChangesWhenAnyEventSequenceIsConsumed() {
        qt().withExamples(2000).withShrinkCycles(300)
                .forAll(lists().of(integers().between(0, 1 << 20)).ofSizeBetween(1, 40))
                .checkAssert(actions -> new Run(harness, RULES, "c" + (++clusters)).play(actions));
    }

    /**
     * The effective profile, where cluster-scoped policies and relabels decide too: the table agrees
     * with the effective audit (fenced by a NetworkPolicy that isolates every pod, or selected by a
     * cluster-wide deny) and, row for row, with the rules evaluated in one batch over the final
     * state (streaming = batch: status, effective grades, fencedBy).
     */
    @Test
    void shouldAgreeWithTheEffectiveAuditAndTheBatchEvaluationWhenClusterPoliciesAndLabelsChange() {
        qt().withExamples(1500).withShrinkCycles(300)
                .forAll(lists().of(integers().between(0, 1 << 20)).ofSizeBetween(1, 40))
                .checkAssert(actions -> new Run(effectiveHarness, EFFECTIVE, "e" + (++clusters)).play(actions));
    }

    static FenceFacts clusterPolicy(String name, int variant) {
        if (name.equals("deny-prod")) {
            return Feed.calicoDeny("env == 'prod'", null, "Ingress");
        }
        FenceFacts deny = Feed.calicoDeny(null, "projectcalico.org/namespace not in {'kube-system', 'team-c'}", "Ingress",
                "Egress");
        if (variant % 2 == 0) {
            return deny;
        }
        return FenceFacts.newBuilder(deny).setTypes(List.of("Ingress"))
                .setIngress(List.of(new FenceRule("Allow", "all", "all"))).build();
    }

    /** One namespace as the API server has it. */
    record Ns(String uid, Instant createdAt, String phase, Map<String, String> labels, Map<String, String> annotations) {
        Ns withMeta(String p, Map<String, String> l, Map<String, String> a) {
            return new Ns(uid, createdAt, p, l, a);
        }
    }

    /** One example: a model cluster, its collector, and the checks. */
    static final class Run {
        final Harness h;
        final Rules rules;
        final String cluster;
        final Map<String, Ns> namespaces = new TreeMap<>();
        /** The cluster-scoped policies as the API server has them: name to variant. */
        final Map<String, Integer> clusterPolicies = new TreeMap<>();
        final Map<String, Map<String, PolicyFacts>> policies = new TreeMap<>();
        /** Workload shapes per namespace, by shape id. */
        final Map<String, Map<String, WorkloadFacts>> workloads = new TreeMap<>();
        /** Whether the collector watches pods (told by its markers' facts). */
        boolean watching = true;
        final List<KeyValue<String, InventoryEvent>> sent = new ArrayList<>();
        final List<DriftEvent> drift = new ArrayList<>();
        final Map<String, NamespaceCoverage> latest = new HashMap<>();
        final StringBuilder log = new StringBuilder();
        long epoch = 1_000;
        long sequence;
        boolean dirty;
        int uids;

        Run(Harness h, Rules rules, String cluster) {
            this.h = h;
            this.rules = rules;
            this.cluster = cluster;
        }

        void play(List<Integer> actions) {
            h.drift();
            h.coverageRecords();
            restart(false);
            check();
            for (int v : actions) {
                step(v);
                if (!dirty) {
                    check();
                }
            }
            if (dirty) {
                restart(v(1));
            }
            h.advance(GRACE.plusSeconds(1));
            log.append("advance to end\n");
            check();
            assertThat(nonCompliantInTable()).as("non-compliant set vs audit\n%s", log).isEqualTo(audit());
            checkDriftChains();
        }

        private boolean effective() {
            return rules.profile() == Profile.EFFECTIVE;
        }

        private static boolean v(int x) {
            return x != 0;
        }

        void step(int value) {
            int op = value % 17;
            String ns = NAMESPACES.get((value / 11) % NAMESPACES.size());
            String pol = "p" + (value / 66) % 3;
            int flag = (value / 198) % 4;
            int idx = value / 792;
            Instant now = h.now();
            switch (op) {
                case 0 -> {
                    Ns current = namespaces.get(ns);
                    Ns next = current != null ? current : new Ns(ns + "-" + (++uids), now, "Active", Map.of(), Map.of());
                    namespaces.put(ns, next);
                    log.append("upsert namespace ").append(ns).append('\n');
                    send(namespaceEvent(Op.UPSERT, ns, next));
                }
                case 1 -> {
                    Ns gone = namespaces.remove(ns);
                    Map<String, PolicyFacts> its = policies.remove(ns);
                    Map<String, WorkloadFacts> shapes = workloads.remove(ns);
                    log.append("delete namespace ").append(ns).append(flag % 2 == 1 ? " after its policies and pods" : "")
                            .append('\n');
                    if (flag % 2 == 1 && its != null) {
                        its.keySet().forEach(p -> send(policyEvent(Op.DELETE, ns, p, null)));
                    }
                    if (flag % 2 == 1 && shapes != null) {
                        shapes.values().forEach(w -> send(workloadEvent(Op.DELETE, ns, w)));
                    }
                    send(namespaceEvent(Op.DELETE, ns, gone));
                }
                case 2 -> {
                    PolicyFacts facts = POLICIES.get(flag);
                    policies.computeIfAbsent(ns, k -> new TreeMap<>()).put(pol, facts);
                    log.append("upsert policy ").append(ns).append('/').append(pol).append(" #").append(flag).append('\n');
                    send(policyEvent(Op.UPSERT, ns, pol, facts));
                }
                case 3 -> {
                    Map<String, PolicyFacts> its = policies.get(ns);
                    if (its != null) {
                        its.remove(pol);
                        if (its.isEmpty()) {
                            policies.remove(ns);
                        }
                    }
                    log.append("delete policy ").append(ns).append('/').append(pol).append('\n');
                    send(policyEvent(Op.DELETE, ns, pol, null));
                }
                case 4 -> {
                    Ns current = namespaces.get(ns);
                    if (current != null) {
                        Map<String, String> annotations = switch (flag) {
                            case 1 -> Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, now.plus(Duration.ofHours(1)).toString());
                            case 2 -> Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, now.plusSeconds(30).toString());
                            case 3 -> Map.of(Rules.EXEMPT_UNTIL_ANNOTATION, now.minusSeconds(1).toString());
                            default -> Map.of();
                        };
                        Ns next = current.withMeta(current.phase(), Map.of(Rules.EXEMPT_LABEL, "reason " + flag),
                                annotations);
                        namespaces.put(ns, next);
                        log.append("exempt ").append(ns).append(" ").append(annotations).append('\n');
                        send(namespaceEvent(Op.UPSERT, ns, next));
                    }
                }
                case 5 -> {
                    Ns current = namespaces.get(ns);
                    if (current != null) {
                        Ns next = current.withMeta(current.phase(), Map.of(), Map.of());
                        namespaces.put(ns, next);
                        log.append("unexempt ").append(ns).append('\n');
                        send(namespaceEvent(Op.UPSERT, ns, next));
                    }
                }
                case 6 -> {
                    if (!sent.isEmpty()) {
                        KeyValue<String, InventoryEvent> again = sent.get(idx % sent.size());
                        log.append("duplicate of ").append(again.value.getOp()).append(' ').append(again.key)
                                .append(" seq ").append(again.value.getSource().getSequence()).append('\n');
                        collect();
                        h.send(again);
                        assertThat(h.drift()).as("drift after a duplicate\n%s", log).isEmpty();
                        assertThat(h.coverageRecords()).as("coverage after a duplicate\n%s", log).isEmpty();
                    }
                }
                case 7 -> restart(flag % 2 == 1);
                case 8 -> {
                    if (idx % 3 == 0 && !clusterPolicies.isEmpty()) {
                        String gone = clusterPolicies.keySet().iterator().next();
                        clusterPolicies.remove(gone);
                        log.append("silently delete cluster policy ").append(gone).append('\n');
                        dirty = true;
                    } else if (idx % 3 == 1 && workloads.containsKey(ns)) {
                        Map<String, WorkloadFacts> shapes = workloads.get(ns);
                        String gone = shapes.keySet().iterator().next();
                        shapes.remove(gone);
                        if (shapes.isEmpty()) {
                            workloads.remove(ns);
                        }
                        log.append("silently delete shape ").append(ns).append('/').append(gone).append('\n');
                        dirty = true;
                    } else {
                        silentChange(ns, pol, flag);
                    }
                }
                case 11 -> {
                    String name = CLUSTER_POLICIES.get(flag % 2);
                    clusterPolicies.put(name, flag / 2);
                    log.append("upsert cluster policy ").append(name).append(" #").append(flag / 2).append('\n');
                    send(clusterPolicyEvent(Op.UPSERT, name, flag / 2));
                }
                case 12 -> {
                    String name = CLUSTER_POLICIES.get(flag % 2);
                    Integer variant = clusterPolicies.remove(name);
                    log.append("delete cluster policy ").append(name).append('\n');
                    send(clusterPolicyEvent(Op.DELETE, name, variant == null ? 0 : variant));
                }
                case 13 -> {
                    Ns current = namespaces.get(ns);
                    if (current != null) {
                        Map<String, String> labels = new TreeMap<>(current.labels());
                        if (flag % 2 == 0) {
                            labels.put("env", "prod");
                        } else {
                            labels.remove("env");
                        }
                        Ns next = current.withMeta(current.phase(), labels, current.annotations());
                        namespaces.put(ns, next);
                        log.append("relabel ").append(ns).append(' ').append(labels).append('\n');
                        send(namespaceEvent(Op.UPSERT, ns, next));
                    }
                }
                case 9 -> {
                    log.append("advance 20s\n");
                    h.advance(Duration.ofSeconds(20));
                }
                case 14 -> {
                    // A new shape, or a count that moves: same id, another count.
                    WorkloadFacts w = shape(flag, idx, 1 + (idx / 5) % 4, idx % 7 == 0);
                    workloads.computeIfAbsent(ns, k -> new TreeMap<>()).put(Feed.shapeId(w), w);
                    log.append("upsert shape ").append(ns).append('/').append(Feed.shapeId(w)).append(' ')
                            .append(w.getLabels()).append(w.getUnknownLabels()).append(" x").append(w.getPods())
                            .append(w.getHostNetwork() ? " hostNetwork" : "").append('\n');
                    send(workloadEvent(Op.UPSERT, ns, w));
                }
                case 15 -> {
                    Map<String, WorkloadFacts> shapes = workloads.get(ns);
                    if (shapes != null) {
                        String id = new ArrayList<>(shapes.keySet()).get(idx % shapes.size());
                        WorkloadFacts gone = shapes.remove(id);
                        if (shapes.isEmpty()) {
                            workloads.remove(ns);
                        }
                        log.append("delete shape ").append(ns).append('/').append(id).append('\n');
                        send(workloadEvent(Op.DELETE, ns, gone));
                    }
                }
                case 16 -> {
                    watching = !watching;
                    log.append(watching ? "watch pods\n" : "stop watching pods\n");
                    send(marker(Op.HEARTBEAT));
                }
                default -> {
                    Ns current = namespaces.get(ns);
                    if (current != null) {
                        Ns next = current.withMeta("Terminating", current.labels(), current.annotations());
                        namespaces.put(ns, next);
                        log.append("terminating ").append(ns).append('\n');
                        send(namespaceEvent(Op.UPSERT, ns, next));
                    }
                }
            }
        }

        /** A change the collector does not see (it is down): only the next restart tells. */
        void silentChange(String ns, String pol, int flag) {
            log.append("silently ");
            switch (flag) {
                case 0 -> {
                    log.append("delete namespace ").append(ns);
                    namespaces.remove(ns);
                    policies.remove(ns);
                    workloads.remove(ns);
                }
                case 1 -> {
                    log.append("delete policy ").append(ns).append('/').append(pol);
                    Map<String, PolicyFacts> its = policies.get(ns);
                    if (its != null) {
                        its.remove(pol);
                        if (its.isEmpty()) {
                            policies.remove(ns);
                        }
                    }
                }
                case 2 -> {
                    log.append("add policy ").append(ns).append('/').append(pol);
                    policies.computeIfAbsent(ns, k -> new TreeMap<>()).put(pol, POLICIES.get(0));
                }
                default -> {
                    log.append("recreate namespace ").append(ns);
                    namespaces.put(ns, new Ns(ns + "-" + (++uids), h.now(), "Active", Map.of(), Map.of()));
                    policies.remove(ns);
                    workloads.remove(ns);
                }
            }
            log.append('\n');
            dirty = true;
        }

        /** A collector restart: new epoch, a snapshot of the current state, SYNC_END. */
        void restart(boolean policiesFirst) {
            epoch += 1 + sent.size();
            sequence = 0;
            log.append("restart epoch ").append(epoch).append(policiesFirst ? " policies first" : "").append('\n');
            send(marker(Op.SYNC_START));
            if (policiesFirst) {
                snapshotPolicies();
            }
            namespaces.forEach((name, ns) -> send(namespaceEvent(Op.SNAPSHOT, name, ns)));
            if (!policiesFirst) {
                snapshotPolicies();
            }
            clusterPolicies.forEach((name, variant) -> send(clusterPolicyEvent(Op.SNAPSHOT, name, variant)));
            send(marker(Op.SYNC_END));
            dirty = false;
        }

        private void snapshotPolicies() {
            policies.forEach((ns, its) -> its.forEach((p, facts) -> send(policyEvent(Op.SNAPSHOT, ns, p, facts))));
            workloads.forEach((ns, shapes) -> shapes.values().forEach(w -> send(workloadEvent(Op.SNAPSHOT, ns, w))));
        }

        void send(KeyValue<String, InventoryEvent> kv) {
            sent.add(kv);
            h.send(kv);
        }

        private Source source() {
            return new Source(cluster, cluster + "-collector", epoch, sequence++, h.now());
        }

        /** A marker; SYNC_START and HEARTBEAT carry the cluster's facts: whether pods are watched. */
        KeyValue<String, InventoryEvent> marker(Op op) {
            return KeyValue.pair(Keys.marker(cluster), InventoryEvent.newBuilder().setSource(source()).setOp(op)
                    .setCluster(op == Op.SYNC_START || op == Op.HEARTBEAT ? Feed.pods(watching) : null).build());
        }

        KeyValue<String, InventoryEvent> workloadEvent(Op op, String ns, WorkloadFacts w) {
            return KeyValue.pair(Keys.of(cluster, ns), InventoryEvent.newBuilder().setSource(source()).setOp(op)
                    .setKind(Kind.WORKLOAD).setNamespace(ns).setName(Feed.shapeId(w)).setWorkloadFacts(w).build());
        }

        KeyValue<String, InventoryEvent> namespaceEvent(Op op, String name, Ns ns) {
            NamespaceFacts facts = ns == null ? null
                    : new NamespaceFacts(ns.phase(), ns.labels(), ns.annotations(), ns.createdAt(), null);
            return KeyValue.pair(Keys.of(cluster, name), InventoryEvent.newBuilder().setSource(source()).setOp(op)
                    .setKind(Kind.NAMESPACE).setNamespace(name).setName(name).setUid(ns == null ? null : ns.uid())
                    .setNamespaceFacts(facts).build());
        }

        /** A cluster-scoped policy, keyed {@code <cluster>/*} as the collector sends it to every partition. */
        KeyValue<String, InventoryEvent> clusterPolicyEvent(Op op, String name, int variant) {
            return KeyValue.pair(Keys.marker(cluster), InventoryEvent.newBuilder().setSource(source()).setOp(op)
                    .setKind(Kind.CALICO_GLOBAL_NETWORK_POLICY).setName(name).setFenceFacts(clusterPolicy(name, variant))
                    .build());
        }

        KeyValue<String, InventoryEvent> policyEvent(Op op, String ns, String name, PolicyFacts facts) {
            return KeyValue.pair(Keys.of(cluster, ns), InventoryEvent.newBuilder().setSource(source()).setOp(op)
                    .setKind(Kind.NETWORK_POLICY).setNamespace(ns).setName(name).setPolicyFacts(facts).build());
        }

        // ---- the oracle ----

        boolean exempt(String name, Ns ns, Instant now) {
            if (RULES.systemNamespaces().contains(name) || name.startsWith("sandbox-")) {
                return true;
            }
            String label = ns.labels().get(Rules.EXEMPT_LABEL);
            if (label == null) {
                return false;
            }
            String until = ns.annotations().get(Rules.EXEMPT_UNTIL_ANNOTATION);
            return until == null || Instant.parse(until).isAfter(now);
        }

        /** FW-NP-001's audit: namespaces − system − exempt − with a policy (and − terminating: not alerted). */
        Set<String> audit() {
            Instant now = h.now();
            return namespaces.entrySet().stream()
                    .filter(e -> !e.getValue().phase().equals("Terminating"))
                    .filter(e -> !exempt(e.getKey(), e.getValue(), now))
                    .filter(e -> effective() ? !fencedEffectively(e.getKey(), e.getValue())
                            : policies.getOrDefault(e.getKey(), Map.of()).isEmpty())
                    .map(Map.Entry::getKey)
                    .collect(Collectors.toCollection(TreeSet::new));
        }

        /** The status each namespace must have now: the audit plus grace, exemption and terminating. */
        Map<String, Status> expected() {
            Instant now = h.now();
            Map<String, Status> out = new TreeMap<>();
            namespaces.forEach((name, ns) -> {
                Status s;
                if (ns.phase().equals("Terminating")) {
                    s = Status.TERMINATING;
                } else if (exempt(name, ns, now)) {
                    s = Status.EXEMPT;
                } else if (effective() ? fencedEffectively(name, ns) : !policies.getOrDefault(name, Map.of()).isEmpty()) {
                    s = Status.COMPLIANT;
                } else if (now.isBefore(ns.createdAt().plus(GRACE))) {
                    s = Status.PENDING;
                } else {
                    s = Status.NON_COMPLIANT;
                }
                out.put(name, s);
            });
            return out;
        }

        /**
         * The effective audit, from what each fixture is known to do, per direction: isolated when a
         * policy selects every pod for it, unless a policy selecting every pod allows everything in
         * it (policies add up: an allow-all wins over any deny-all by selection). Ingress: deny-all
         * and the remediation (NetworkPolicies), deny-prod on env=prod, deny-most but in kube-system
         * and team-c (its second variant isolates and allows everything in). Egress: the
         * remediation, the egress allow-all policy (which allows everything out), deny-most's first
         * variant.
         */
        boolean fencedEffectively(String name, Ns ns) {
            boolean in = false;
            boolean inAll = false;
            boolean out = false;
            boolean outAll = false;
            for (PolicyFacts p : policies.getOrDefault(name, Map.of()).values()) {
                in |= p == POLICIES.get(0) || p == POLICIES.get(2);
                out |= p == POLICIES.get(2) || p == POLICIES.get(3);
                outAll |= p == POLICIES.get(3);
            }
            in |= clusterPolicies.containsKey("deny-prod") && "prod".equals(ns.labels().get("env"));
            Integer most = clusterPolicies.get("deny-most");
            if (most != null && !name.equals("kube-system") && !name.equals("team-c")) {
                in = true;
                inAll |= most % 2 == 1;
                out |= most % 2 == 0;
            }
            return (in && !inAll) || (out && !outAll);
        }

        /** The rules over the final state in one batch, as {@code fencewatch audit} evaluates a cluster. */
        void checkBatchEvaluation() {
            CoverageEvaluator evaluator = new CoverageEvaluator(rules);
            List<Fence> fences = new ArrayList<>();
            clusterPolicies.forEach((name, variant) -> fences.add(new Fence(Kind.CALICO_GLOBAL_NETWORK_POLICY, null, name,
                    clusterPolicy(name, variant))));
            Map<String, NamespaceCoverage> table = table();
            namespaces.forEach((name, ns) -> {
                Map<String, PolicyFacts> its = policies.getOrDefault(name, Map.of());
                NamespaceState state = new NamespaceState(name, new NamespaceFacts(ns.phase(), ns.labels(), ns.annotations(),
                        ns.createdAt(), null), new ArrayList<>(its.values()), Long.MAX_VALUE, new ArrayList<>(its.keySet()),
                        fences);
                if (watching) {
                    List<NamespaceState.Workload> shapes = new ArrayList<>();
                    workloads.getOrDefault(name, Map.of()).forEach((id, w) -> shapes.add(new NamespaceState.Workload(id, w)));
                    state = state.withWorkloads(shapes);
                }
                Verdict batch = evaluator.evaluate(state, h.now().toEpochMilli());
                NamespaceCoverage row = table.get(name);
                assertThat(row).as("row of %s\n%s", name, log).isNotNull();
                assertThat(row.getStatus()).as("batch status of %s\n%s", name, log).isEqualTo(batch.status());
                assertThat(row.getEffectiveIngress()).as("batch effective ingress of %s\n%s", name, log)
                        .isEqualTo(batch.fencing().effective().ingress());
                assertThat(row.getEffectiveEgress()).as("batch effective egress of %s\n%s", name, log)
                        .isEqualTo(batch.fencing().effective().egress());
                assertThat(row.getFencedBy()).as("batch fencedBy of %s\n%s", name, log)
                        .isEqualTo(batch.fencing().fencedBy());
                WorkloadVerdict pods = batch.workloads();
                assertThat(row.getWorkloadStatus()).as("batch workloadStatus of %s\n%s", name, log)
                        .isEqualTo(pods == null ? null : pods.status());
                assertThat(row.getPods()).as("batch pods of %s\n%s", name, log).isEqualTo(pods == null ? null : pods.counts());
                assertThat(row.getUnisolatedWorkloadCount()).as("batch unisolated count of %s\n%s", name, log)
                        .isEqualTo(pods == null ? 0 : pods.unisolatedCount());
                assertThat(row.getUnisolatedWorkloads()).as("batch unisolated workloads of %s\n%s", name, log)
                        .isEqualTo(pods == null ? List.of() : pods.unisolated());
            });
        }

        Map<String, NamespaceCoverage> table() {
            Map<String, NamespaceCoverage> out = new TreeMap<>();
            try (var it = h.coverage.prefixScan(cluster + "/", new StringSerializer())) {
                it.forEachRemaining(kv -> out.put(Keys.namespaceOf(kv.key), kv.value));
            }
            return out;
        }

        Set<String> nonCompliantInTable() {
            return table().entrySet().stream().filter(e -> e.getValue().getStatus() == Status.NON_COMPLIANT)
                    .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        }

        void check() {
            Map<String, NamespaceCoverage> table = table();
            Map<String, Status> actual = new TreeMap<>();
            table.forEach((k, v) -> actual.put(k, v.getStatus()));
            assertThat(actual).as("statuses vs model\n%s", log).isEqualTo(expected());
            checkBatchEvaluation();
            table.forEach((k, v) -> assertThat(v.getPolicies()).as("policies of %s\n%s", k, log)
                    .containsExactlyElementsOf(policies.getOrDefault(k, Map.of()).keySet()));
            collect();
            latest.forEach((ns, v) -> assertThat(v).as("coverage topic vs store for %s\n%s", ns, log)
                    .isEqualTo(table.get(ns)));
        }

        /** Drains the drift and coverage topics into this run's records (every run has its own cluster). */
        void collect() {
            for (TestRecord<String, DriftEvent> r : h.drift()) {
                if (Keys.clusterOf(r.key()).equals(cluster)) {
                    drift.add(r.value());
                }
            }
            for (TestRecord<String, NamespaceCoverage> r : h.coverageRecords()) {
                if (Keys.clusterOf(r.key()).equals(cluster)) {
                    latest.put(Keys.namespaceOf(r.key()), r.value());
                }
            }
        }

        /** Per namespace, each drift starts where the previous ended, changes something, and the last is the table. */
        void checkDriftChains() {
            Map<String, List<DriftEvent>> byNs = new LinkedHashMap<>();
            drift.forEach(d -> byNs.computeIfAbsent(d.getNamespace(), k -> new ArrayList<>()).add(d));
            Map<String, NamespaceCoverage> table = table();
            Set<String> ids = new java.util.HashSet<>();
            for (String ns : NAMESPACES) {
                List<DriftEvent> chain = byNs.getOrDefault(ns, List.of());
                CoverageState previous = null;
                for (DriftEvent d : chain) {
                    assertThat(ids.add(d.getId())).as("unique drift id\n%s", log).isTrue();
                    assertThat(DriftReasons.changed(d.getBefore(), d.getAfter()))
                            .as("drift %s of %s changes something\n%s", d.getReason(), ns, log).isTrue();
                    assertThat(key(d.getBefore())).as("drift %s of %s starts where the last ended\n%s",
                            d.getReason(), ns, log).isEqualTo(key(previous));
                    checkWorkloadReason(d);
                    previous = d.getAfter();
                }
                assertThat(key(previous)).as("last drift of %s is the table\n%s", ns, log)
                        .isEqualTo(key(CoverageProcessor.stateOf(table.get(ns))));
            }
        }

        /** A drift in which FW-NP-003's status alone moved is named by its new value. */
        private void checkWorkloadReason(DriftEvent d) {
            CoverageState b = d.getBefore();
            CoverageState a = d.getAfter();
            if (b == null || a == null || b.getWorkloadStatus() == a.getWorkloadStatus()) {
                return;
            }
            CoverageState same = CoverageState.newBuilder(a).setWorkloadStatus(b.getWorkloadStatus())
                    .setUnisolatedWorkloads(b.getUnisolatedWorkloads()).setFencedBy(b.getFencedBy())
                    .setPolicyCount(b.getPolicyCount()).build();
            if (!same.equals(b)) {
                return; // something FW-NP-001 compares moved too: its reason wins
            }
            DriftReason expected = a.getWorkloadStatus() == Status.NON_COMPLIANT || a.getWorkloadStatus() == Status.PENDING
                    ? DriftReason.WORKLOAD_UNISOLATED
                    : a.getWorkloadStatus() == null ? DriftReason.PODS_WATCH_STOPPED
                    : b.getWorkloadStatus() == null ? DriftReason.PODS_WATCH_STARTED
                    : a.getWorkloadStatus() == Status.COMPLIANT ? DriftReason.WORKLOAD_ISOLATED : DriftReason.UNKNOWN;
            assertThat(d.getReason()).as("reason of a workload drift of %s %s -> %s\n%s", d.getNamespace(),
                    b.getWorkloadStatus(), a.getWorkloadStatus(), log).isEqualTo(expected);
        }

        private static String key(CoverageState s) {
            return s == null ? "absent" : s.getStatus() + "/" + s.getIngress() + "/" + s.getEgress() + "/"
                    + s.getIngressAllowsAll() + "/" + s.getEgressAllowsAll() + "/" + s.getStale() + "/"
                    + s.getEffectiveIngress() + "/" + s.getEffectiveEgress() + "/" + s.getWorkloadStatus();
        }
    }
}
