package io.fencewatch.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.fencewatch.schema.inventory.ClusterFacts;
import io.fencewatch.schema.inventory.PolicyEngineFacts;

/**
 * FW-NP-002 NetworkPolicies are enforced: whether a cluster runs an engine that implements
 * NetworkPolicy, from the cluster facts its collector publishes. A NetworkPolicy without an engine
 * has no effect (on OKE neither the flannel overlay nor VCN-native pod networking implements them;
 * Oracle says to install Calico), so a cluster can pass FW-NP-001 and be wide open.
 *
 * <ul>
 * <li>{@code ENFORCED}: at least one engine workload was found (its readiness is reported, not
 *     required: an API server without nodes, or one whose status lags, still has the engine
 *     installed).</li>
 * <li>{@code NOT_ENFORCED}: the collector looked everywhere it was asked to and found none.</li>
 * <li>{@code UNKNOWN}: the collector does not look (older, or switched off), has not finished, or
 *     could not look everywhere (a forbidden watch): never a guess.</li>
 * </ul>
 */
public record Enforcement(State state, List<Engine> engines, String reason) {
    /** The rule's id and title. */
    public static final String RULE_ID = "FW-NP-002";
    public static final String RULE_TITLE = "NetworkPolicies are enforced";

    public enum State {
        ENFORCED, NOT_ENFORCED, UNKNOWN
    }

    /** One engine found: its display name, version (the image tag) and where it runs. */
    public record Engine(String id, String name, String version, String namespace, String workload, Integer desired,
            Integer ready) {
    }

    public Enforcement {
        engines = List.copyOf(engines);
    }

    /** true, false, or null when unknown: the namespace rows' {@code enforced}. */
    public Boolean enforced() {
        return switch (state) {
            case ENFORCED -> Boolean.TRUE;
            case NOT_ENFORCED -> Boolean.FALSE;
            case UNKNOWN -> null;
        };
    }

    /**
     * {@code of(facts).enforced()} without building the verdict's engines and reason: the
     * processor asks it on every event.
     */
    public static Boolean enforced(ClusterFacts facts) {
        if (facts == null || facts.getPolicyEngines() == null) {
            return null;
        }
        if (!facts.getPolicyEngines().isEmpty()) {
            return Boolean.TRUE;
        }
        String error = facts.getPolicyEnginesError();
        return error != null && !error.isBlank() ? null : Boolean.FALSE;
    }

    /** The verdict for a cluster's facts (null: nothing known of the cluster yet). */
    public static Enforcement of(ClusterFacts facts) {
        if (facts == null || facts.getPolicyEngines() == null) {
            return new Enforcement(State.UNKNOWN, List.of(), "the collector does not report NetworkPolicy engines"
                    + " (an older collector, or --policy-engine-namespaces is empty)");
        }
        List<Engine> engines = new ArrayList<>();
        for (PolicyEngineFacts e : facts.getPolicyEngines()) {
            engines.add(new Engine(e.getEngine(), PolicyEngines.display(e.getEngine()), PolicyEngines.versionOf(e.getImage()),
                    e.getNamespace(), e.getName(), e.getDesired(), e.getReady()));
        }
        engines.sort(java.util.Comparator.comparing(Engine::name).thenComparing(Engine::namespace)
                .thenComparing(Engine::workload));
        if (!engines.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Engine e : engines) {
                String ready = e.desired() != null && e.ready() != null && e.ready() < e.desired()
                        ? ", " + e.ready() + "/" + e.desired() + " ready" : "";
                parts.add(e.name() + (e.version() == null ? "" : " " + e.version()) + " (" + e.namespace() + "/"
                        + e.workload() + ready + ")");
            }
            return new Enforcement(State.ENFORCED, engines, "enforced by " + String.join(", ", parts));
        }
        String error = facts.getPolicyEnginesError();
        if (error != null && !error.isBlank()) {
            return new Enforcement(State.UNKNOWN, List.of(), "cannot tell: " + error);
        }
        return new Enforcement(State.NOT_ENFORCED, List.of(), "no network policy engine found" + context(facts));
    }

    /** What the provider says about the pod network, e.g. " (OKE flannel overlay, no Calico)". */
    private static String context(ClusterFacts facts) {
        List<String> cni = new ArrayList<>();
        for (String t : facts.getCniTypes()) {
            switch (t.toUpperCase(Locale.ROOT)) {
                case "FLANNEL_OVERLAY" -> cni.add("flannel overlay");
                case "OCI_VCN_IP_NATIVE" -> cni.add("VCN-native pod networking");
                default -> cni.add(t);
            }
        }
        if ("oke".equals(facts.getProvider())) {
            return " (OKE " + (cni.isEmpty() ? "" : String.join(" and ", cni) + ", ") + "no Calico)";
        }
        List<String> where = facts.getPolicyEngineNamespaces();
        return where.isEmpty() ? "" : " in " + String.join(", ", where);
    }
}
