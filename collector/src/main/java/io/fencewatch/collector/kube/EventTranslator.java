package io.fencewatch.collector.kube;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.fencewatch.schema.FactLimits;
import io.fencewatch.schema.common.Kind;
import io.fencewatch.schema.common.Op;
import io.fencewatch.schema.inventory.FenceFacts;
import io.fencewatch.schema.inventory.InventoryEvent;
import io.fencewatch.schema.inventory.IpBlock;
import io.fencewatch.schema.inventory.LabelSelector;
import io.fencewatch.schema.inventory.LabelSelectorRequirement;
import io.fencewatch.schema.inventory.NamespaceFacts;
import io.fencewatch.schema.inventory.PolicyFacts;
import io.fencewatch.schema.inventory.PolicyPeer;
import io.fencewatch.schema.inventory.PolicyPort;
import io.fencewatch.schema.inventory.PolicyRule;
import io.fencewatch.schema.inventory.Source;
import io.fencewatch.schema.inventory.WorkloadFacts;

/**
 * Turns fabric8 objects into inventory events: facts as written, never verdicts. Total on odd
 * input: null or empty selectors, null list items and map values, unparsable timestamps and
 * unknown fields give well-formed facts; only an object without a name (or a policy without a
 * namespace), which cannot be keyed, gives {@code null}.
 *
 * <p>fabric8's model does not keep "omitted" apart from "[]" for lists; for ingress, egress, peers
 * and ports the two mean the same, and an empty {@code policyTypes} is sent as omitted, as the
 * API server treats it.
 */
public final class EventTranslator {
    private final List<String> exactAnnotations = new ArrayList<>();
    private final List<String> annotationPrefixes = new ArrayList<>();

    /** @param annotationPatterns keys to forward; an entry ending in '*' is a prefix */
    public EventTranslator(Collection<String> annotationPatterns) {
        for (String p : annotationPatterns) {
            if (p.endsWith("*")) {
                annotationPrefixes.add(p.substring(0, p.length() - 1));
            } else {
                exactAnnotations.add(p);
            }
        }
    }

    /** The key's namespace of an event: the namespace itself, or the policy's namespace; null if unknown. */
    public static String keyNamespace(AgentEvent event) {
        if (event instanceof AgentEvent.NamespaceChanged nc) {
            return ObjectRefs.name(nc.namespace());
        }
        if (event instanceof AgentEvent.WorkloadsChanged wc) {
            return wc.namespace();
        }
        if (event instanceof AgentEvent.FenceChanged fc) {
            // A cluster-scoped kind concerns every namespace: keyed <cluster>/*, sent to every partition.
            return fc.kind().clusterScoped() ? io.fencewatch.schema.Keys.MARKER_NAMESPACE : ObjectRefs.namespace(fc.policy());
        }
        return ObjectRefs.namespace(((AgentEvent.PolicyChanged) event).policy());
    }

    /** The event for {@code op}, or null if the object cannot be keyed. */
    public InventoryEvent translate(AgentEvent event, Op op, Source source) {
        if (event instanceof AgentEvent.NamespaceChanged nc) {
            return namespaceEvent(nc.namespace(), op, source);
        }
        if (event instanceof AgentEvent.FenceChanged fc) {
            return FenceTranslator.event(fc.kind(), fc.policy(), op, source);
        }
        return policyEvent(((AgentEvent.PolicyChanged) event).policy(), op, source);
    }

    public InventoryEvent namespaceEvent(Namespace ns, Op op, Source source) {
        ObjectMeta m = ns == null ? null : ns.getMetadata();
        if (m == null || isBlank(m.getName())) {
            return null;
        }
        String phase = ns.getStatus() == null ? null : ns.getStatus().getPhase();
        NamespaceFacts facts = new NamespaceFacts(phase, stringMap(m.getLabels()), forwardedAnnotations(m.getAnnotations()),
                timestamp(m.getCreationTimestamp()), timestamp(m.getDeletionTimestamp()));
        return new InventoryEvent(source, op, Kind.NAMESPACE, m.getName(), m.getName(), m.getUid(),
                m.getResourceVersion(), facts, null, null, false, null, null, null);
    }

    public InventoryEvent policyEvent(NetworkPolicy np, Op op, Source source) {
        ObjectMeta m = np == null ? null : np.getMetadata();
        if (m == null || isBlank(m.getName()) || isBlank(m.getNamespace())) {
            return null;
        }
        return new InventoryEvent(source, op, Kind.NETWORK_POLICY, m.getNamespace(), m.getName(), m.getUid(),
                m.getResourceVersion(), null, policyFacts(np.getSpec()), null, false, null, null, null);
    }

    /**
     * A workload shape's event (kind WORKLOAD): keyed by its namespace, named by its id, no uid and no
     * resourceVersion (a shape is no one object). A DELETE carries the shape's last facts with 0 pods.
     */
    public static InventoryEvent workloadEvent(WorkloadShapes.Change change, Op op, Source source) {
        WorkloadShapes.Shape s = change.shape();
        WorkloadFacts facts = new WorkloadFacts(s.ownerKind(), s.ownerName(), new HashMap<>(s.labels()),
                new ArrayList<>(s.unknownLabels()), change.pods(), s.hostNetwork());
        return new InventoryEvent(source, op, Kind.WORKLOAD, s.namespace(), s.id(), null, null, null, null, null, false,
                null, null, facts);
    }

    /**
     * Whether an event exceeds the bounds the processor applies ({@link FactLimits}) or, by a cheap
     * estimate of its encoded size, {@code maxBytes}: then it must be sent {@link #truncated}.
     */
    public static boolean exceedsLimits(InventoryEvent e, int maxBytes) {
        return exceedsBounds(e) || estimatedBytes(e) > maxBytes;
    }

    /** Whether an event exceeds the processor's bounds on maps and rules ({@link FactLimits}), whatever its size. */
    public static boolean exceedsBounds(InventoryEvent e) {
        NamespaceFacts n = e.getNamespaceFacts();
        if (n != null && (n.getLabels().size() > FactLimits.MAX_MAP_ENTRIES
                || n.getAnnotations().size() > FactLimits.MAX_MAP_ENTRIES)) {
            return true;
        }
        PolicyFacts p = e.getPolicyFacts();
        if (p != null) {
            int rules = size(p.getIngress()) + size(p.getEgress());
            if (rules > FactLimits.MAX_RULES || elements(p) > FactLimits.MAX_POLICY_ELEMENTS
                    || p.getPodSelector().getMatchLabels().size() > FactLimits.MAX_MAP_ENTRIES) {
                return true;
            }
        }
        WorkloadFacts w = e.getWorkloadFacts();
        if (w != null && w.getLabels().size() > FactLimits.MAX_MAP_ENTRIES) {
            return true;
        }
        FenceFacts f = e.getFenceFacts();
        if (f != null) {
            int rules = size(f.getIngress()) + size(f.getEgress());
            long elements = rules + selectorElements(f.getPodSelector()) + selectorElements(f.getNamespaceSelector())
                    + size(f.getTypes());
            if (rules > FactLimits.MAX_RULES || elements > FactLimits.MAX_POLICY_ELEMENTS
                    || (f.getPodSelector() != null && f.getPodSelector().getMatchLabels().size() > FactLimits.MAX_MAP_ENTRIES)
                    || (f.getNamespaceSelector() != null
                            && f.getNamespaceSelector().getMatchLabels().size() > FactLimits.MAX_MAP_ENTRIES)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The event cut to fit, flagged {@code truncated}, never claiming more isolation than the object
     * has: a policy keeps its policyTypes; its rules become one allow-all rule per direction that had
     * rules; an oversized pod selector becomes a selector of some pods (those labelled
     * {@code fencewatch.io/truncated-selector}), so the policy still counts as a policy of the
     * namespace. A namespace keeps its fencewatch.io/* and kubernetes.io/* labels, then others up to
     * the bound; so do a workload shape's labels (its name, the hash of all its labels, stays).
     */
    public static InventoryEvent truncated(InventoryEvent e, int maxBytes) {
        InventoryEvent.Builder b = InventoryEvent.newBuilder(e).setTruncated(true);
        WorkloadFacts w = e.getWorkloadFacts();
        if (w != null) {
            b.setWorkloadFacts(WorkloadFacts.newBuilder(w).setLabels(boundedLabels(w.getLabels(), maxBytes)).build());
        }
        NamespaceFacts n = e.getNamespaceFacts();
        if (n != null) {
            Map<String, String> labels = boundedLabels(n.getLabels(), maxBytes);
            long bytes = 0;
            for (Map.Entry<String, String> l : labels.entrySet()) {
                bytes += l.getKey().length() + (long) l.getValue().length() + 8;
            }
            Map<String, String> annotations = new LinkedHashMap<>();
            for (Map.Entry<String, String> a : new TreeMap<>(n.getAnnotations()).entrySet()) {
                long size = a.getKey().length() + (long) a.getValue().length() + 8;
                if (annotations.size() < FactLimits.MAX_MAP_ENTRIES && bytes + size < maxBytes / 2) {
                    annotations.put(a.getKey(), a.getValue());
                    bytes += size;
                }
            }
            b.setNamespaceFacts(NamespaceFacts.newBuilder(n).setLabels(labels).setAnnotations(annotations).build());
        }
        PolicyFacts p = e.getPolicyFacts();
        if (p != null) {
            LabelSelector selector = p.getPodSelector();
            if (selector.getMatchLabels().size() > 32 || selector.getMatchExpressions().size() > 32
                    || selector.toString().length() > 16 * 1024) {
                selector = new LabelSelector(Map.of(), List.of(new LabelSelectorRequirement(
                        "fencewatch.io/truncated-selector", "Exists", List.of())));
            }
            List<String> types = p.getPolicyTypes() == null || p.getPolicyTypes().size() <= 3 ? p.getPolicyTypes()
                    : List.of("Ingress", "Egress");
            b.setPolicyFacts(new PolicyFacts(selector, types, allowAllIfAny(p.getIngress()), allowAllIfAny(p.getEgress())));
        }
        FenceFacts f = e.getFenceFacts();
        if (f != null) {
            // A fence cut to fit keeps where it sits (tier, order, types) and says it is cut: a fence with a
            // problem never counts as isolating, so nothing is over-stated.
            FenceFacts.Builder fb = FenceFacts.newBuilder(f).setIngress(null).setEgress(null)
                    .setProblem("too large for the inventory's limits (" + (size(f.getIngress()) + size(f.getEgress()))
                            + " rules): rules left out");
            if (f.getPodSelector() != null && selectorBytes(f.getPodSelector()) > maxBytes / 4) {
                fb.setPodSelector(null);
            }
            if (f.getNamespaceSelector() != null && selectorBytes(f.getNamespaceSelector()) > maxBytes / 4) {
                fb.setNamespaceSelector(null);
            }
            if (len(f.getPodExpression()) > maxBytes / 4) {
                fb.setPodExpression(null);
            }
            if (len(f.getNamespaceExpression()) > maxBytes / 4) {
                fb.setNamespaceExpression(null);
            }
            b.setFenceFacts(fb.build());
        }
        return b.build();
    }

    /** The labels that fit a quarter of {@code maxBytes} and the map bound: fencewatch.io/*, *kubernetes.io/* first. */
    private static Map<String, String> boundedLabels(Map<String, String> all, int maxBytes) {
        Map<String, String> labels = new LinkedHashMap<>();
        long bytes = 0;
        for (boolean own : new boolean[] {true, false}) {
            for (Map.Entry<String, String> l : new TreeMap<>(all).entrySet()) {
                boolean isOwn = l.getKey().startsWith("fencewatch.io/") || l.getKey().contains("kubernetes.io/");
                long size = l.getKey().length() + (long) l.getValue().length() + 8;
                if (isOwn == own && labels.size() < FactLimits.MAX_MAP_ENTRIES && bytes + size < maxBytes / 4) {
                    labels.put(l.getKey(), l.getValue());
                    bytes += size;
                }
            }
        }
        return labels;
    }

    private static List<PolicyRule> allowAllIfAny(List<PolicyRule> rules) {
        if (rules == null || rules.isEmpty()) {
            return rules;
        }
        return List.of(new PolicyRule(null, null));
    }

    private static int size(List<?> l) {
        return l == null ? 0 : l.size();
    }

    private static long elements(PolicyFacts p) {
        long n = selectorElements(p.getPodSelector()) + size(p.getPolicyTypes());
        for (List<PolicyRule> rules : java.util.Arrays.asList(p.getIngress(), p.getEgress())) {
            if (rules == null) {
                continue;
            }
            for (PolicyRule r : rules) {
                n += size(r.getPorts());
                if (r.getPeers() != null) {
                    for (PolicyPeer peer : r.getPeers()) {
                        n += 1 + selectorElements(peer.getPodSelector()) + selectorElements(peer.getNamespaceSelector())
                                + (peer.getIpBlock() == null ? 0 : size(peer.getIpBlock().getExcept()));
                    }
                }
            }
        }
        return n;
    }

    private static long selectorElements(LabelSelector s) {
        if (s == null) {
            return 0;
        }
        long n = s.getMatchLabels().size();
        for (LabelSelectorRequirement r : s.getMatchExpressions()) {
            n += 1 + size(r.getValues());
        }
        return n;
    }

    /** An upper estimate of the event's Avro size: its strings' lengths (UTF-8 at most 3 bytes each) plus framing. */
    public static long estimatedBytes(InventoryEvent e) {
        long n = 256;
        n += len(e.getNamespace()) + len(e.getName()) + len(e.getUid()) + len(e.getResourceVersion());
        NamespaceFacts f = e.getNamespaceFacts();
        if (f != null) {
            n += mapBytes(f.getLabels()) + mapBytes(f.getAnnotations());
        }
        WorkloadFacts w = e.getWorkloadFacts();
        if (w != null) {
            n += 16 + len(w.getOwnerKind()) + len(w.getOwnerName()) + mapBytes(w.getLabels());
            for (String k : w.getUnknownLabels()) {
                n += len(k);
            }
        }
        FenceFacts ff = e.getFenceFacts();
        if (ff != null) {
            n += 64 + len(ff.getApiVersion()) + len(ff.getTier()) + len(ff.getPodExpression())
                    + len(ff.getNamespaceExpression()) + selectorBytes(ff.getPodSelector())
                    + selectorBytes(ff.getNamespaceSelector()) + len(ff.getProblem());
            if (ff.getTypes() != null) {
                for (String t : ff.getTypes()) {
                    n += len(t);
                }
            }
            for (List<io.fencewatch.schema.inventory.FenceRule> rules : java.util.Arrays.asList(ff.getIngress(),
                    ff.getEgress())) {
                if (rules != null) {
                    for (io.fencewatch.schema.inventory.FenceRule r : rules) {
                        n += 8 + len(r.getAction()) + len(r.getPeers()) + len(r.getPorts());
                    }
                }
            }
        }
        PolicyFacts p = e.getPolicyFacts();
        if (p != null) {
            n += selectorBytes(p.getPodSelector());
            for (List<PolicyRule> rules : java.util.Arrays.asList(p.getIngress(), p.getEgress())) {
                if (rules == null) {
                    continue;
                }
                for (PolicyRule r : rules) {
                    n += 8;
                    if (r.getPorts() != null) {
                        for (PolicyPort port : r.getPorts()) {
                            n += 16 + len(port.getProtocol()) + len(port.getPort());
                        }
                    }
                    if (r.getPeers() != null) {
                        for (PolicyPeer peer : r.getPeers()) {
                            n += 8 + selectorBytes(peer.getPodSelector()) + selectorBytes(peer.getNamespaceSelector());
                            if (peer.getIpBlock() != null) {
                                n += len(peer.getIpBlock().getCidr()) + 8;
                                for (String x : peer.getIpBlock().getExcept()) {
                                    n += len(x) + 2;
                                }
                            }
                        }
                    }
                }
            }
        }
        return n;
    }

    private static long len(String s) {
        return s == null ? 1 : 3L * s.length() + 2;
    }

    private static long mapBytes(Map<String, String> m) {
        long n = 2;
        for (Map.Entry<String, String> x : m.entrySet()) {
            n += len(x.getKey()) + len(x.getValue());
        }
        return n;
    }

    private static long selectorBytes(LabelSelector s) {
        if (s == null) {
            return 1;
        }
        long n = 4 + mapBytes(s.getMatchLabels());
        for (LabelSelectorRequirement r : s.getMatchExpressions()) {
            n += len(r.getKey()) + len(r.getOperator()) + 2;
            for (String v : r.getValues()) {
                n += len(v);
            }
        }
        return n;
    }

    PolicyFacts policyFacts(NetworkPolicySpec spec) {
        if (spec == null) {
            // No spec at all: an empty pod selector (every pod) and no rules, as the API server defaults it.
            return new PolicyFacts(emptySelector(), null, null, null);
        }
        List<String> types = spec.getPolicyTypes() == null || spec.getPolicyTypes().isEmpty()
                ? null : strings(spec.getPolicyTypes());
        LabelSelector podSelector = selector(spec.getPodSelector());
        return new PolicyFacts(podSelector == null ? emptySelector() : podSelector, types,
                list(spec.getIngress(), this::ingressRule), list(spec.getEgress(), this::egressRule));
    }

    private PolicyRule ingressRule(NetworkPolicyIngressRule r) {
        return new PolicyRule(list(r.getFrom(), this::peer), list(r.getPorts(), EventTranslator::port));
    }

    private PolicyRule egressRule(NetworkPolicyEgressRule r) {
        return new PolicyRule(list(r.getTo(), this::peer), list(r.getPorts(), EventTranslator::port));
    }

    private PolicyPeer peer(NetworkPolicyPeer p) {
        IPBlock b = p.getIpBlock();
        IpBlock block = b == null || b.getCidr() == null ? null : new IpBlock(b.getCidr(), strings(b.getExcept()));
        return new PolicyPeer(selector(p.getPodSelector()), selector(p.getNamespaceSelector()), block);
    }

    private static PolicyPort port(NetworkPolicyPort p) {
        IntOrString port = p.getPort();
        String portText = null;
        if (port != null) {
            if (port.getIntVal() != null) {
                portText = Integer.toString(port.getIntVal());
            } else if (port.getStrVal() != null) {
                portText = port.getStrVal();
            }
        }
        return new PolicyPort(p.getProtocol(), portText, p.getEndPort());
    }

    /** A Kubernetes label selector as written; null stays null. Shared with {@link FenceTranslator}. */
    static LabelSelector selector(io.fabric8.kubernetes.api.model.LabelSelector s) {
        if (s == null) {
            return null;
        }
        List<LabelSelectorRequirement> exprs = new ArrayList<>();
        if (s.getMatchExpressions() != null) {
            for (io.fabric8.kubernetes.api.model.LabelSelectorRequirement r : s.getMatchExpressions()) {
                if (r != null && r.getKey() != null) {
                    exprs.add(new LabelSelectorRequirement(r.getKey(), r.getOperator() == null ? "" : r.getOperator(),
                            strings(r.getValues())));
                }
            }
        }
        return new LabelSelector(stringMap(s.getMatchLabels()), exprs);
    }

    private static LabelSelector emptySelector() {
        return new LabelSelector(new HashMap<>(), new ArrayList<>());
    }

    private Map<String, String> forwardedAnnotations(Map<String, String> annotations) {
        Map<String, String> out = new HashMap<>();
        if (annotations == null) {
            return out;
        }
        for (Map.Entry<String, String> e : annotations.entrySet()) {
            String k = e.getKey();
            if (k != null && forwards(k)) {
                out.put(k, e.getValue() == null ? "" : e.getValue());
            }
        }
        return out;
    }

    boolean forwards(String annotationKey) {
        if (exactAnnotations.contains(annotationKey)) {
            return true;
        }
        for (String prefix : annotationPrefixes) {
            if (annotationKey.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> stringMap(Map<String, String> in) {
        Map<String, String> out = new HashMap<>(in == null ? 4 : in.size() * 2);
        if (in != null) {
            in.forEach((k, v) -> {
                if (k != null) {
                    out.put(k, v == null ? "" : v);
                }
            });
        }
        return out;
    }

    private static List<String> strings(List<String> in) {
        List<String> out = new ArrayList<>(in == null ? 0 : in.size());
        if (in != null) {
            for (String s : in) {
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    private static <A, B> List<B> list(List<A> in, Function<A, B> f) {
        if (in == null) {
            return null;
        }
        List<B> out = new ArrayList<>(in.size());
        for (A a : in) {
            if (a != null) {
                out.add(f.apply(a));
            }
        }
        return out;
    }

    static Instant timestamp(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                return null; // not a timestamp the API server would write: the fact is unknown
            }
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isEmpty();
    }
}
