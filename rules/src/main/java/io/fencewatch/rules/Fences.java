package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.fencewatch.schema.common.Grade;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.PolicyFacts;

/**
 * Which policies, of every kind, fence one namespace, and the isolation they give it together: a
 * pure function of the namespace's {@link NamespaceState}.
 *
 * <h2>Selection</h2>
 * Pods are not known (yet), so every selector is evaluated three-valued ({@link Truth}) against
 * what is known: the namespace's name, its labels and the labels each engine derives from them; a
 * reference to any other (pod) label is UNKNOWN. TRUE: the policy selects every pod of the namespace
 * ({@code pods "all"}); FALSE: none (the policy does not count); UNKNOWN: some ({@code pods "some"},
 * grade PARTIAL). A selector the rules cannot read (a Calico syntax error) counts as FALSE, as a
 * {@link FenceFacts#getProblem() problem} does: isolation is never over-stated.
 * <ul>
 * <li>NetworkPolicy ({@code networking.k8s.io/v1}): {@link Isolation}, unchanged; an empty pod
 * selector is all pods, any other some.</li>
 * <li>Calico {@code projectcalico.org/v3} NetworkPolicy (its own namespace only) and
 * GlobalNetworkPolicy: {@code spec.selector} ({@link FenceFacts#getPodExpression()}, null:
 * {@code all()}) over the pod's labels, where Calico adds {@code projectcalico.org/namespace} = the
 * namespace and the namespace's labels as {@code pcns.<key>} (with {@code pcns.projectcalico.org/name}
 * = the namespace: {@code NamespaceLabelPrefix = "pcns."} in libcalico-go's
 * {@code lib/backend/k8s/conversion/constants.go}); a GlobalNetworkPolicy's
 * {@code namespaceSelector} ({@link FenceFacts#getNamespaceExpression()}) is evaluated over the
 * namespace's labels plus {@code projectcalico.org/name} = its name (Calico docs, "Calico automatic
 * labels": a namespaceSelector {@code projectcalico.org/name == "ns"} is equivalent to
 * {@code projectcalico.org/namespace == "ns"} in the selector) and ANDed; omitted, it selects every
 * namespace. See {@link CalicoSelector} for {@code global()}.</li>
 * <li>Cilium {@code cilium.io/v2} CiliumNetworkPolicy (its own namespace only) and
 * CiliumClusterwideNetworkPolicy: {@code endpointSelector} ({@link FenceFacts#getPodSelector()}) as
 * a label selector whose keys, after an optional {@code k8s:} or {@code any:} source prefix, are
 * {@code io.kubernetes.pod.namespace} (the namespace), {@code io.cilium.k8s.namespace.labels.<key>}
 * (the namespace's labels), a key with another source prefix (UNKNOWN) or a pod label (UNKNOWN).
 * Empty selects every pod; null (a nodeSelector policy) selects no pod.</li>
 * <li>AdminNetworkPolicy, BaselineAdminNetworkPolicy ({@code policy.networking.k8s.io/v1alpha1})
 * and ClusterNetworkPolicy (v1alpha2): the subject's namespaces
 * ({@link FenceFacts#getNamespaceSelector()}, over the namespace's labels and
 * {@code kubernetes.io/metadata.name}; null selects none) AND its pods
 * ({@link FenceFacts#getPodSelector()}, null or empty: every pod).</li>
 * </ul>
 *
 * <h2>Directions and grades</h2>
 * Per policy and direction: {@code DEFAULT_DENY} when it isolates every pod and allows nothing,
 * {@code ALL_PODS} when it isolates every pod and allows something, {@code PARTIAL} when it isolates
 * some pods; the allow-all flag when a policy selecting every pod admits every peer on every port.
 * The namespace's effective grade per direction is the strongest over every policy of every kind,
 * NetworkPolicy included, and its flags the OR. Rule breadth comes from {@link FenceRule}: peers
 * {@code all|cluster|some|none}, ports {@code all|some}.
 * <ul>
 * <li>Calico: the directions are {@code types} as written, else Calico's defaulting (Calico
 * NetworkPolicy / GlobalNetworkPolicy reference, footnote to {@code types}: Ingress when there are
 * ingress rules or no rules at all, Egress when there are egress rules). A policy that applies to an
 * endpoint in a direction isolates it: traffic no rule of its tier acts on is dropped at the end of
 * the tier (Calico "Tier" reference, "How Policy Is Evaluated"). Rules are walked in order,
 * {@code Log} and peers-{@code none} rules skipped: an {@code Allow} or a {@code Pass} lets
 * something through (ALL_PODS rather than DEFAULT_DENY); an {@code Allow} of peers {@code all} on
 * ports {@code all} reached before any broad ({@code all}/{@code cluster}, all ports) {@code Deny}
 * or {@code Pass} sets the allow-all flag; a {@code Pass} of peers {@code all} on all ports reached
 * before any such rule hands everything to the next tier, so the policy does not isolate in that
 * direction; a rule of peers {@code all} on all ports ends the walk (later rules are unreachable).
 * Simplification: policies are judged one by one, not in {@code order} across a tier nor across
 * tiers; a higher tier's {@code Pass} or {@code Allow}, and a tier whose {@code defaultAction} is
 * {@code Pass} (Calico 3.29+, not in the facts), can undo an isolation counted here.</li>
 * <li>Cilium: a direction applies when {@code enableDefaultDeny} says so or, when omitted, when the
 * policy has rules in it (allow or deny): Cilium's {@code Rule.Sanitize} in
 * {@code pkg/policy/api/rule_validation.go} defaults it to {@code len(r.Ingress) > 0 ||
 * len(r.IngressDeny) > 0}, so an empty {@code ingress: []} does not, while {@code ingress: [{}]}
 * (one rule matching nothing, peers {@code none}) does (Cilium docs, "Policy Enforcement Modes":
 * a rule with an ingress section puts the endpoints it selects in default deny). DEFAULT_DENY when no
 * allow rule has peers other than {@code none}, or when a deny rule has peers {@code all} on all ports
 * (deny policies take precedence over allow policies, Cilium docs "Deny Policies"); the allow-all
 * flag when an allow rule has peers {@code all} on all ports and no deny rule is broad. With
 * {@code enableDefaultDeny: false} the policy only adds allows and denies: it isolates that
 * direction only through a deny rule of peers {@code all} on all ports.</li>
 * <li>Admin policies do not isolate by selecting: a direction is isolated only by a reachable
 * {@code Deny} rule of peers {@code all} or {@code cluster} on all ports (ingress peers of these
 * policies never reach beyond the cluster). Each policy's first such broad rule decides (later
 * rules are unreachable); {@code Allow}/{@code Accept}/{@code Pass} rules before it give ALL_PODS
 * rather than DEFAULT_DENY. Tiers: admin (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin) before
 * NetworkPolicy before baseline (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline);
 * within a tier the lower {@code priority} wins (network-policy-api docs). A broad deny is
 * overridden by a broad {@code Allow}/{@code Accept} or {@code Pass} of another policy of its tier
 * with the same or a lower priority (a tie counts as overriding: the order of equal priorities is
 * undefined), and a baseline deny also by an admin-tier {@code Allow}/{@code Accept} (a
 * {@code Pass} hands over to NetworkPolicy and then the baseline, so it does not). Overridden by a
 * policy selecting every pod: no isolation from that deny; by one selecting some: PARTIAL at best.
 * A broad admin {@code Allow}/{@code Accept} of a policy selecting every pod, not overridden by a
 * stricter-priority broad {@code Deny}/{@code Pass} of its tier (or, for the baseline, an admin
 * {@code Deny}), sets the allow-all flag. Simplification: a NetworkPolicy that admits what a
 * baseline deny refuses does not lower the baseline's grade (the strongest grade is kept, and the
 * NetworkPolicy's own flags and grade are reported beside it), and an admin {@code Allow} does not
 * lower the grade of a NetworkPolicy or of another engine.</li>
 * </ul>
 */
public final class Fences {
    public static final String NETWORKING_V1 = "networking.k8s.io/v1";

    static final String CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace";
    static final String CALICO_NAME_LABEL = "projectcalico.org/name";
    static final String CALICO_NAMESPACE_PREFIX = "pcns.";
    static final String CALICO_LABEL_PREFIX = "projectcalico.org/";
    static final String CILIUM_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
    static final String CILIUM_NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";
    static final String METADATA_NAME_LABEL = "kubernetes.io/metadata.name";

    private static final Comparator<FenceRef> ORDER = Comparator
            .comparing((FenceRef r) -> "namespace".equals(r.getScope()) ? 0 : 1)
            .thenComparing(FenceRef::getKind)
            .thenComparing(FenceRef::getName)
            .thenComparing(FenceRef::getApiVersion);

    private Fences() {
    }

    public static Fencing of(NamespaceState state) {
        List<FenceRef> refs = new ArrayList<>();
        List<PolicyFacts> policies = state.policies();
        for (int i = 0; i < policies.size(); i++) {
            PolicyFacts p = policies.get(i);
            List<String> directions = new ArrayList<>(2);
            if (Isolation.appliesToIngress(p)) {
                directions.add("ingress");
            }
            if (Isolation.appliesToEgress(p)) {
                directions.add("egress");
            }
            if (directions.isEmpty()) {
                continue;
            }
            String name = state.policyNames().isEmpty() ? "#" + i : state.policyNames().get(i);
            refs.add(new FenceRef("NetworkPolicy", NETWORKING_V1, name, "namespace", directions,
                    Isolation.isEmpty(p.getPodSelector()) ? "all" : "some"));
        }
        Isolation effective = others(state, Isolation.of(policies), Label.Lookup.NOTHING_KNOWN, refs);
        refs.sort(ORDER);
        return new Fencing(refs, effective);
    }

    /**
     * The isolation every kind gives the pods of one workload shape of the namespace, whose labels
     * {@code pod} knows: the same judgement as {@link #of}, with each pod selector decided on the
     * pods' labels (TRUE or FALSE; UNKNOWN, so PARTIAL, only for a label the shape does not know).
     */
    public static Isolation forPods(NamespaceState state, Label.Lookup pod) {
        return others(state, Isolation.forPods(state.policies(), pod), pod, null);
    }

    /** Adds the other kinds' effects to the NetworkPolicies' {@code effective}, with their refs when {@code refs} is given. */
    private static Isolation others(NamespaceState state, Isolation effective, Label.Lookup pod, List<FenceRef> refs) {
        if (state.fences().isEmpty()) {
            return effective;
        }
        Map<String, String> labels = state.facts().getLabels() == null ? Map.of() : state.facts().getLabels();
        Scope scope = new Scope(state.name(), labels, pod);
        List<Fence> admin = new ArrayList<>();
        for (Fence f : state.fences()) {
            if (f.facts().getProblem() != null || !Fence.isFenceKind(f.kind())) {
                continue;
            }
            if (!f.clusterScoped() && !f.namespace().equals(state.name())) {
                continue; // a namespaced policy fences its own namespace only
            }
            Isolation effect = switch (f.kind()) {
                case CALICO_NETWORK_POLICY, CALICO_GLOBAL_NETWORK_POLICY -> Calico.effect(f, scope);
                case CILIUM_NETWORK_POLICY, CILIUM_CLUSTERWIDE_NETWORK_POLICY -> Cilium.effect(f, scope);
                default -> {
                    admin.add(f);
                    yield null;
                }
            };
            if (effect != null) {
                effective = add(refs, effective, f, effect);
            }
        }
        if (!admin.isEmpty()) {
            Map<Fence, Isolation> adminEffects = Admin.effects(admin, scope);
            for (Fence f : admin) {
                effective = add(refs, effective, f, adminEffects.get(f));
            }
        }
        return effective;
    }

    /** Adds a policy's effect to the namespace's, and its reference when it isolates. */
    private static Isolation add(List<FenceRef> refs, Isolation total, Fence f, Isolation effect) {
        if (refs == null) {
            return total.and(effect);
        }
        List<String> directions = new ArrayList<>(2);
        boolean allPods = true;
        if (effect.ingress() != Grade.NONE) {
            directions.add("ingress");
            allPods &= effect.ingress() != Grade.PARTIAL;
        }
        if (effect.egress() != Grade.NONE) {
            directions.add("egress");
            allPods &= effect.egress() != Grade.PARTIAL;
        }
        if (!directions.isEmpty()) {
            refs.add(new FenceRef(Fence.kubernetesKind(f.kind()), f.facts().getApiVersion(), f.name(),
                    f.clusterScoped() ? "cluster" : "namespace", directions, allPods ? "all" : "some"));
        }
        return total.and(effect);
    }

    /** The grade of a policy that isolates in a direction, by what it selects and whether it allows anything. */
    static Grade grade(Truth selects, boolean allowsSome) {
        return switch (selects) {
            case FALSE -> Grade.NONE;
            case UNKNOWN -> Grade.PARTIAL;
            case TRUE -> allowsSome ? Grade.ALL_PODS : Grade.DEFAULT_DENY;
        };
    }

    static String norm(String s) {
        return s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
    }

    static boolean peers(FenceRule r, String breadth) {
        return norm(r.getPeers()).equals(breadth);
    }

    static boolean allPorts(FenceRule r) {
        return r.getPorts() == null || norm(r.getPorts()).equals("all");
    }

    /** Peers all, all ports: the rule matches every packet of its direction. */
    static boolean matchesEverything(FenceRule r) {
        return peers(r, "all") && allPorts(r);
    }

    /** Peers all or cluster, all ports. */
    static boolean broad(FenceRule r) {
        return (peers(r, "all") || peers(r, "cluster")) && allPorts(r);
    }

    /**
     * The namespace the rules judge, and how each engine looks its labels up; {@code pod} knows the
     * labels of the pods judged ({@link Label.Lookup#NOTHING_KNOWN} when the namespace is judged as a
     * whole, its pods unknown).
     */
    record Scope(String name, Map<String, String> labels, Label.Lookup pod) {
        Scope(String name, Map<String, String> labels) {
            this(name, labels, Label.Lookup.NOTHING_KNOWN);
        }

        /** A pod label as a label selector over the pods sees it (admin policies' subject pods). */
        Label podLabel(String key) {
            return pod.get(key);
        }

        /** Namespace labels, with {@code kubernetes.io/metadata.name} as the API server sets it. */
        Label namespaceLabel(String key) {
            String v = labels.get(key);
            if (v == null && METADATA_NAME_LABEL.equals(key)) {
                v = name;
            }
            return Label.ofNullable(v);
        }

        /**
         * A Calico workload endpoint of this namespace: its namespace, namespace labels and the pods'
         * labels; Calico's other automatic labels ({@code projectcalico.org/serviceaccount},
         * {@code projectcalico.org/orchestrator}, ...) are not known.
         */
        Label calicoPodLabel(String key) {
            if (CALICO_NAMESPACE_LABEL.equals(key)) {
                return Label.of(name);
            }
            if (key.startsWith(CALICO_NAMESPACE_PREFIX)) {
                return calicoNamespaceLabel(key.substring(CALICO_NAMESPACE_PREFIX.length()));
            }
            if (key.startsWith(CALICO_LABEL_PREFIX)) {
                return Label.UNKNOWN;
            }
            return pod.get(key);
        }

        /** The namespace as a Calico namespaceSelector sees it: its labels and {@code projectcalico.org/name}. */
        Label calicoNamespaceLabel(String key) {
            if (CALICO_NAME_LABEL.equals(key)) {
                return Label.of(name);
            }
            return namespaceLabel(key);
        }

        /** A Cilium endpoint of this namespace, by Cilium's label keys. */
        Label ciliumLabel(String key) {
            String k = key;
            boolean k8sSource = true;
            if (k.startsWith("k8s:")) {
                k = k.substring(4);
            } else if (k.startsWith("any:")) {
                k = k.substring(4);
            } else {
                int colon = k.indexOf(':');
                int slash = k.indexOf('/');
                // "reserved:host", "cidr:...": a source other than k8s (a Kubernetes label key has no ':').
                k8sSource = colon < 0 || (slash >= 0 && slash < colon);
            }
            if (CILIUM_NAMESPACE_LABEL.equals(k)) {
                return Label.of(name);
            }
            if (k.startsWith(CILIUM_NAMESPACE_LABELS_PREFIX)) {
                return namespaceLabel(k.substring(CILIUM_NAMESPACE_LABELS_PREFIX.length()));
            }
            if (!k8sSource || k.startsWith("io.cilium.") || k.startsWith("io.kubernetes.")) {
                return Label.UNKNOWN; // another source, or a label Cilium derives (service account, cluster)
            }
            return pod.get(k);
        }
    }
}
