package io.fencewatch.collector.kube;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.FenceRule;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.Source;

/**
 * Turns a policy of a kind beyond NetworkPolicy (a {@link GenericKubernetesResource}) into
 * {@link FenceFacts}, exactly as the contract's field docs say: the policy as written, reduced to what
 * decides which pods it fences in which direction. Pure and total: a shape it cannot read gives facts
 * with {@code problem} set (which never count as isolating), never an exception.
 *
 * <p>Peers of a rule: {@code all} (every source or destination, in the cluster and out), {@code cluster}
 * (every pod of every namespace), {@code some}, {@code none}. Where a rule names several peers the
 * broadest wins.
 * <ul>
 *   <li>Calico (projectcalico.org/v3): the rule's {@code source} (ingress) or {@code destination}
 *       (egress). No {@code nets}, {@code notNets}, {@code selector}, {@code notSelector},
 *       {@code namespaceSelector}, {@code serviceAccounts}, {@code services} and no {@code ipVersion}:
 *       all; {@code nets} of exactly 0.0.0.0/0 and ::/0: all; only {@code namespaceSelector: all()}
 *       (or, in a GlobalNetworkPolicy, only {@code selector: all()}): cluster; otherwise some. Ports:
 *       some when the rule has {@code protocol}, {@code notProtocol}, {@code icmp}, {@code notICMP},
 *       {@code http} or {@code ports}/{@code notPorts} on either side.</li>
 *   <li>Cilium (cilium.io/v2): {@code ingress}/{@code egress} rules are Allow, {@code ingressDeny}/
 *       {@code egressDeny} rules Deny, appended after. The empty rule {@code {}}: none;
 *       {@code fromEntities}/{@code toEntities} with {@code all} (or both {@code cluster} and
 *       {@code world}): all; with {@code cluster}: cluster; other peers: some; a rule with only
 *       {@code toPorts}/{@code icmps} (an L4-only rule admits every L3 peer): all. Ports: some with
 *       {@code toPorts} or {@code icmps}. A {@code specs:} list (several rules in one object) is not
 *       translated beyond its first rule: with more than one, {@code problem} says so.</li>
 *   <li>AdminNetworkPolicy, BaselineAdminNetworkPolicy (v1alpha1), ClusterNetworkPolicy (v1alpha2):
 *       {@code from}/{@code to} peers; {@code namespaces: {}} or {@code pods} with both selectors
 *       empty: cluster; {@code networks} holding both 0.0.0.0/0 and ::/0: all; any other peer: some; no
 *       peer: none. Ports: some with {@code ports} (v1alpha1) or {@code protocols}/{@code match}
 *       (v1alpha2).</li>
 * </ul>
 */
public final class FenceTranslator {
    /** The label Calico gives a workload endpoint for its service account's name (a pod-level fact). */
    static final String SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount";
    private static final String ALL = "all";
    private static final String CLUSTER = "cluster";
    private static final String SOME = "some";
    private static final String NONE = "none";
    private static final List<String> BREADTH = List.of(NONE, SOME, CLUSTER, ALL);

    private FenceTranslator() {
    }

    /** The inventory event of one object, or null if it cannot be keyed (no name; a namespaced kind without namespace). */
    public static InventoryEvent event(PolicyKind kind, GenericKubernetesResource r, Op op, Source source) {
        ObjectMeta m = r == null ? null : r.getMetadata();
        if (m == null || m.getName() == null || m.getName().isEmpty()) {
            return null;
        }
        String ns = kind.clusterScoped() ? null : m.getNamespace();
        if (!kind.clusterScoped() && (ns == null || ns.isEmpty())) {
            return null;
        }
        return InventoryEvent.newBuilder().setSource(source).setOp(op).setKind(kind.kind()).setNamespace(ns)
                .setName(name(kind, r)).setUid(m.getUid()).setResourceVersion(m.getResourceVersion())
                .setNamespaceFacts(null).setPolicyFacts(null).setSync(null).setTruncated(false).setCluster(null)
                .setFenceFacts(facts(kind, r)).build();
    }

    /**
     * The name users know the object by. Calico's datastore keeps a policy of the default tier under
     * {@code default.<name>} (libcalico-go's {@code names.TieredPolicyName}; its
     * {@code ClientTieredPolicyName} strips that prefix again for clients): so does this, for both the
     * CRD form and the v3 one, so that {@code fencedBy} shows {@code default-deny} and a policy keeps one
     * name when the collector switches between the two. A policy of another tier is named
     * {@code <tier>.<name>} in v3 too: kept as it is. Other kinds: {@code metadata.name}.
     */
    public static String name(PolicyKind kind, GenericKubernetesResource r) {
        String name = r == null || r.getMetadata() == null ? null : r.getMetadata().getName();
        if (name != null && isCalico(kind) && name.startsWith(DEFAULT_TIER_PREFIX)
                && name.length() > DEFAULT_TIER_PREFIX.length()) {
            return name.substring(DEFAULT_TIER_PREFIX.length());
        }
        return name;
    }

    private static final String DEFAULT_TIER_PREFIX = "default.";

    private static boolean isCalico(PolicyKind kind) {
        return kind == PolicyKind.CALICO_NETWORK_POLICY || kind == PolicyKind.CALICO_GLOBAL_NETWORK_POLICY;
    }

    /** True for an object read from Calico's CRDs ({@code crd.projectcalico.org}) rather than its v3 API. */
    static boolean calicoStorageForm(GenericKubernetesResource r) {
        return r != null && r.getApiVersion() != null && r.getApiVersion().startsWith(PolicyKind.CALICO_CRD_GROUP + "/");
    }

    /**
     * The tier a CRD-form name's prefix names when {@code spec.tier} is omitted: Calico's backend always
     * stores {@code <tier>.<name>} (libcalico-go {@code names.TierFromPolicyName}); null for the default
     * tier (the contract's null) and for names Calico formats itself ({@code knp.}, {@code kanp.},
     * {@code kbanp.}, {@code kcnp.}, {@code ossg.}: not stored in these CRDs).
     */
    static String tierOfStoredName(String name) {
        if (name == null) {
            return null;
        }
        for (String formatted : List.of("knp.", "kanp.", "kbanp.", "kcnp.", "ossg.")) {
            if (name.startsWith(formatted)) {
                return null;
            }
        }
        int dot = name.indexOf('.');
        if (dot <= 0 || dot == name.length() - 1) {
            return null;
        }
        String tier = name.substring(0, dot);
        return tier.equals("default") ? null : tier;
    }

    /** The facts of one object of {@code kind}. */
    public static FenceFacts facts(PolicyKind kind, GenericKubernetesResource r) {
        FenceFacts f = new FenceFacts();
        f.setApiVersion(r == null || r.getApiVersion() == null ? kind.apiVersion() : r.getApiVersion());
        Object spec = r == null ? null : r.getAdditionalProperties().get("spec");
        try {
            switch (kind) {
                case CALICO_NETWORK_POLICY, CALICO_GLOBAL_NETWORK_POLICY -> {
                    calico(f, spec, kind);
                    if (f.getTier() == null && calicoStorageForm(r) && r.getMetadata() != null) {
                        f.setTier(tierOfStoredName(r.getMetadata().getName()));
                    }
                }
                case CILIUM_NETWORK_POLICY, CILIUM_CLUSTERWIDE_NETWORK_POLICY -> cilium(f, spec,
                        r == null ? null : r.getAdditionalProperties().get("specs"));
                case ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY -> admin(f, spec, kind);
            }
        } catch (Unreadable e) {
            addProblem(f, e.getMessage());
        }
        return f;
    }

    // ------------------------------------------------------------------ Calico

    private static void calico(FenceFacts f, Object specObj, PolicyKind kind) {
        Map<String, Object> spec = map(specObj, "spec");
        if (spec == null) {
            addProblem(f, "spec is missing");
            return;
        }
        f.setTier(string(spec.get("tier"), "spec.tier"));
        f.setOrder(number(spec.get("order"), "spec.order"));
        f.setPodExpression(string(spec.get("selector"), "spec.selector"));
        String accounts = string(spec.get("serviceAccountSelector"), "spec.serviceAccountSelector");
        if (accounts != null && !accounts.isBlank() && !accounts.strip().equals("all()")) {
            // The policy applies only to the pods of the service accounts it selects: unknown here
            // (pods are not watched), so the selection is written to count as some pods, never all.
            String selector = f.getPodExpression();
            f.setPodExpression("(" + (selector == null || selector.isBlank() ? "all()" : selector) + ") && has("
                    + SERVICE_ACCOUNT_LABEL + ")");
        }
        if (kind == PolicyKind.CALICO_GLOBAL_NETWORK_POLICY) {
            f.setNamespaceExpression(string(spec.get("namespaceSelector"), "spec.namespaceSelector"));
        }
        f.setTypes(strings(spec.get("types"), "spec.types"));
        boolean global = kind == PolicyKind.CALICO_GLOBAL_NETWORK_POLICY;
        f.setIngress(calicoRules(spec.get("ingress"), "spec.ingress", "source", global));
        f.setEgress(calicoRules(spec.get("egress"), "spec.egress", "destination", global));
    }

    private static List<FenceRule> calicoRules(Object rules, String where, String peerSide, boolean global) {
        List<Object> list = list(rules, where);
        if (list == null) {
            return null;
        }
        List<FenceRule> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            Map<String, Object> rule = map(list.get(i), at);
            if (rule == null) {
                throw new Unreadable(at + " is empty");
            }
            String action = string(rule.get("action"), at + ".action");
            if (action == null) {
                throw new Unreadable(at + " has no action");
            }
            Map<String, Object> peer = map(rule.get(peerSide), at + "." + peerSide);
            Map<String, Object> other = map(rule.get(peerSide.equals("source") ? "destination" : "source"), at);
            boolean somePorts = present(rule, "protocol", "notProtocol", "icmp", "notICMP", "http")
                    || present(peer, "ports", "notPorts") || present(other, "ports", "notPorts");
            out.add(new FenceRule(action, calicoPeers(peer, rule.get("ipVersion") != null, global, at), somePorts ? SOME : ALL));
        }
        return out;
    }

    private static String calicoPeers(Map<String, Object> peer, boolean ipVersion, boolean global, String at) {
        if (ipVersion) {
            return SOME;
        }
        if (!present(peer, "nets", "notNets", "selector", "notSelector", "namespaceSelector", "serviceAccounts",
                "services")) {
            return ALL;
        }
        Set<String> fields = new java.util.HashSet<>();
        peer.forEach((k, v) -> {
            if (v != null && !k.equals("ports") && !k.equals("notPorts")) {
                fields.add(k);
            }
        });
        if (fields.equals(Set.of("nets")) && allNetworks(strings(peer.get("nets"), at + ".nets"))) {
            return ALL;
        }
        if (fields.equals(Set.of("namespaceSelector")) && "all()".equals(trim(peer.get("namespaceSelector")))) {
            return CLUSTER;
        }
        if (global && fields.equals(Set.of("selector")) && "all()".equals(trim(peer.get("selector")))) {
            return CLUSTER;
        }
        return SOME;
    }

    // ------------------------------------------------------------------ Cilium

    private static void cilium(FenceFacts f, Object specObj, Object specsObj) {
        Map<String, Object> spec = map(specObj, "spec");
        List<Object> specs = list(specsObj, "specs");
        int rules = (spec == null ? 0 : 1) + (specs == null ? 0 : specs.size());
        if (spec == null && specs != null && !specs.isEmpty()) {
            spec = map(specs.get(0), "specs[0]");
        }
        if (spec == null) {
            addProblem(f, "spec is missing");
            return;
        }
        if (rules > 1) {
            addProblem(f, "holds " + rules + " rules (spec and specs); only the first is translated");
        }
        Object endpointSelector = spec.get("endpointSelector");
        f.setPodSelector(endpointSelector == null ? null : selector(endpointSelector, "spec.endpointSelector"));
        f.setIngress(ciliumRules(spec, "ingress", "ingressDeny", "from"));
        f.setEgress(ciliumRules(spec, "egress", "egressDeny", "to"));
        Map<String, Object> dd = map(spec.get("enableDefaultDeny"), "spec.enableDefaultDeny");
        if (dd != null) {
            f.setDefaultDenyIngress(bool(dd.get("ingress"), "spec.enableDefaultDeny.ingress"));
            f.setDefaultDenyEgress(bool(dd.get("egress"), "spec.enableDefaultDeny.egress"));
        }
    }

    private static List<FenceRule> ciliumRules(Map<String, Object> spec, String allow, String deny, String prefix) {
        List<Object> allows = list(spec.get(allow), "spec." + allow);
        List<Object> denies = list(spec.get(deny), "spec." + deny);
        if (allows == null && denies == null) {
            return null;
        }
        List<FenceRule> out = new ArrayList<>();
        for (String[] part : new String[][] {{allow, "Allow"}, {deny, "Deny"}}) {
            List<Object> rules = part[0].equals(allow) ? allows : denies;
            if (rules == null) {
                continue;
            }
            for (int i = 0; i < rules.size(); i++) {
                String at = "spec." + part[0] + "[" + i + "]";
                Map<String, Object> rule = map(rules.get(i), at);
                out.add(new FenceRule(part[1], ciliumPeers(rule, prefix, at),
                        present(rule, "toPorts", "icmps") ? SOME : ALL));
            }
        }
        return out;
    }

    private static String ciliumPeers(Map<String, Object> rule, String prefix, String at) {
        if (rule == null || rule.values().stream().allMatch(v -> v == null)) {
            return NONE; // {}: selects nothing; it only puts the endpoints in default deny
        }
        String breadth = null;
        for (Map.Entry<String, Object> e : rule.entrySet()) {
            String k = e.getKey();
            if (e.getValue() == null || !k.startsWith(prefix) || k.equals(prefix + "Requires")) {
                continue; // toPorts, icmps, authentication; fromRequires only narrows the other peers
            }
            String b = SOME;
            if (k.equals(prefix + "Entities")) {
                List<String> entities = strings(e.getValue(), at + "." + k);
                b = entities.contains("all") || (entities.contains("cluster") && entities.contains("world")) ? ALL
                        : entities.contains("cluster") ? CLUSTER : SOME;
            }
            breadth = broadest(breadth, b);
        }
        // No L3 peer but L4 fields (toPorts, icmps): an L4-only rule admits every peer on those ports.
        return breadth == null ? ALL : breadth;
    }

    // ------------------------------------------------------------------ Admin policies

    private static void admin(FenceFacts f, Object specObj, PolicyKind kind) {
        Map<String, Object> spec = map(specObj, "spec");
        if (spec == null) {
            addProblem(f, "spec is missing");
            return;
        }
        if (kind != PolicyKind.BASELINE_ADMIN_NETWORK_POLICY) {
            f.setOrder(number(spec.get("priority"), "spec.priority"));
        }
        if (kind == PolicyKind.CLUSTER_NETWORK_POLICY) {
            f.setTier(string(spec.get("tier"), "spec.tier"));
        }
        Map<String, Object> subject = map(spec.get("subject"), "spec.subject");
        if (subject == null) {
            addProblem(f, "spec.subject is missing");
        } else if (subject.get("namespaces") != null) {
            f.setNamespaceSelector(selector(subject.get("namespaces"), "spec.subject.namespaces"));
        } else if (subject.get("pods") != null) {
            Map<String, Object> pods = map(subject.get("pods"), "spec.subject.pods");
            f.setNamespaceSelector(selector(pods.get("namespaceSelector"), "spec.subject.pods.namespaceSelector"));
            f.setPodSelector(selector(pods.get("podSelector"), "spec.subject.pods.podSelector"));
        } else {
            addProblem(f, "spec.subject has neither namespaces nor pods");
        }
        f.setIngress(adminRules(spec.get("ingress"), "spec.ingress", "from"));
        f.setEgress(adminRules(spec.get("egress"), "spec.egress", "to"));
    }

    private static List<FenceRule> adminRules(Object rules, String where, String peersField) {
        List<Object> list = list(rules, where);
        if (list == null) {
            return null;
        }
        List<FenceRule> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            Map<String, Object> rule = map(list.get(i), at);
            String action = rule == null ? null : string(rule.get("action"), at + ".action");
            if (action == null) {
                throw new Unreadable(at + " has no action");
            }
            List<Object> peers = list(rule.get(peersField), at + "." + peersField);
            String breadth = NONE;
            if (peers != null) {
                for (int p = 0; p < peers.size(); p++) {
                    breadth = broadest(breadth, adminPeer(map(peers.get(p), at + "." + peersField + "[" + p + "]"),
                            at + "." + peersField + "[" + p + "]"));
                }
            }
            boolean somePorts = present(rule, "ports", "protocols", "match");
            out.add(new FenceRule(action, breadth, somePorts ? SOME : ALL));
        }
        return out;
    }

    private static String adminPeer(Map<String, Object> peer, String at) {
        if (peer == null || peer.values().stream().allMatch(v -> v == null)) {
            // The API says a peer with no field it knows must fail closed; we cannot tell which way here.
            throw new Unreadable(at + " has no peer field the collector knows");
        }
        if (peer.get("namespaces") != null) {
            return emptySelector(peer.get("namespaces"), at + ".namespaces") ? CLUSTER : SOME;
        }
        if (peer.get("pods") != null) {
            Map<String, Object> pods = map(peer.get("pods"), at + ".pods");
            return emptySelector(pods.get("namespaceSelector"), at + ".pods.namespaceSelector")
                    && emptySelector(pods.get("podSelector"), at + ".pods.podSelector") ? CLUSTER : SOME;
        }
        if (peer.get("networks") != null) {
            return allNetworks(strings(peer.get("networks"), at + ".networks")) ? ALL : SOME;
        }
        return SOME; // nodes, domainNames, and what later versions add
    }

    // ------------------------------------------------------------------ helpers

    private static boolean allNetworks(List<String> cidrs) {
        Set<String> s = new java.util.HashSet<>();
        for (String c : cidrs) {
            s.add(c.strip());
        }
        return s.contains("0.0.0.0/0") && s.contains("::/0");
    }

    private static String broadest(String a, String b) {
        if (a == null) {
            return b;
        }
        return BREADTH.indexOf(a) >= BREADTH.indexOf(b) ? a : b;
    }

    private static boolean emptySelector(Object s, String at) {
        if (s == null) {
            return false; // omitted is not written as {}: treat as a selection
        }
        LabelSelector sel = selector(s, at);
        return sel.getMatchLabels().isEmpty() && sel.getMatchExpressions().isEmpty();
    }

    private static LabelSelector selector(Object s, String at) {
        if (s == null) {
            return null;
        }
        if (!(s instanceof Map)) {
            throw new Unreadable(at + " is not a label selector");
        }
        try {
            io.fabric8.kubernetes.api.model.LabelSelector ls = Serialization.jsonMapper().convertValue(s,
                    io.fabric8.kubernetes.api.model.LabelSelector.class);
            return EventTranslator.selector(ls);
        } catch (RuntimeException e) {
            throw new Unreadable(at + " is not a label selector");
        }
    }

    private static boolean present(Map<String, Object> m, String... keys) {
        if (m == null) {
            return false;
        }
        for (String k : keys) {
            Object v = m.get(k);
            if (v != null && !(v instanceof Collection<?> c && c.isEmpty()) && !(v instanceof Map<?, ?> mm && mm.isEmpty())) {
                return true;
            }
        }
        return false;
    }

    private static String trim(Object o) {
        return o instanceof String s ? s.strip() : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String at) {
        if (o == null) {
            return null;
        }
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new Unreadable(at + " is not an object");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String at) {
        if (o == null) {
            return null;
        }
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new Unreadable(at + " is not a list");
    }

    private static List<String> strings(Object o, String at) {
        List<Object> l = list(o, at);
        if (l == null) {
            return null;
        }
        List<String> out = new ArrayList<>(l.size());
        for (Object x : l) {
            if (!(x instanceof String s)) {
                throw new Unreadable(at + " holds something that is not a string");
            }
            out.add(s);
        }
        return out;
    }

    private static String string(Object o, String at) {
        if (o == null) {
            return null;
        }
        if (o instanceof String s) {
            return s;
        }
        throw new Unreadable(at + " is not a string");
    }

    private static Double number(Object o, String at) {
        if (o == null) {
            return null;
        }
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        throw new Unreadable(at + " is not a number");
    }

    private static Boolean bool(Object o, String at) {
        if (o == null) {
            return null;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        throw new Unreadable(at + " is not a boolean");
    }

    /** A shape the translator cannot read; its message becomes {@code problem}. */
    private static final class Unreadable extends RuntimeException {
        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    /** Adds to the facts' {@code problem} (several join with "; "), cut to 400 characters. */
    private static void addProblem(FenceFacts f, String p) {
        String problem = f.getProblem() == null ? p : f.getProblem() + "; " + p;
        f.setProblem(problem.length() <= 400 ? problem : problem.substring(0, 397) + "...");
    }
}
