package io.fencewatch.query;

import java.time.Instant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fencewatch.schema.common.EventRef;
import io.fencewatch.schema.coverage.Exemption;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.coverage.PodCounts;
import io.fencewatch.schema.coverage.WorkloadRef;
import io.fencewatch.schema.drift.CoverageState;
import io.fencewatch.schema.drift.DriftEvent;

/**
 * The public JSON shapes of the API (field names are a contract, pinned by tests). Times are
 * RFC 3339 in UTC ({@link Instant#toString()}); absent values are JSON {@code null}.
 */
public final class JsonViews {
    /** Shared, thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonViews() {
    }

    /**
     * One namespace: {@code cluster, namespace, uid, status, reason, since, policies, ingress,
     * egress, allowsAll{ingress,egress}, exemption{source,reason,until}, stale, profile,
     * createdAt, updatedAt, lastEvent, enforced, fenced, fencedBy, effective}: {@code enforced} whether the cluster
     * enforces NetworkPolicy (FW-NP-002; true, false, null when unknown), {@code fenced} whether the
     * namespace is COMPLIANT and enforced is true; {@code profile} the profile that decided the status;
     * {@code fencedBy} every policy of any kind that isolates its pods, as
     * {@code {kind, apiVersion, name, scope, directions, pods}}; {@code effective} the isolation
     * counting every kind, {@code {ingress, egress, allowsAll{ingress,egress}}} (grades null from
     * older processors), where {@code ingress}/{@code egress} count networking.k8s.io NetworkPolicies alone;
     * then FW-NP-003: {@code pods {total, isolatedIngress, isolatedEgress, hostNetwork}} (null when pods
     * are not known), {@code unisolatedWorkloads [{kind, name, labels, pods, directions}]} (at most 20,
     * most pods first; {@code labels} an object sorted by key), {@code unisolatedWorkloadCount} (all of
     * them), {@code workloadStatus} and {@code workloadReason} (null when pods are not known).
     */
    public static ObjectNode coverage(NamespaceCoverage c) {
        ObjectNode o = NODES.objectNode();
        o.put("cluster", c.getCluster());
        o.put("namespace", c.getNamespace());
        o.put("uid", c.getUid());
        o.put("status", c.getStatus().name());
        o.put("reason", c.getReason());
        o.put("since", time(c.getSince()));
        ArrayNode policies = o.putArray("policies");
        c.getPolicies().forEach(policies::add);
        o.put("ingress", c.getIngress().name());
        o.put("egress", c.getEgress().name());
        ObjectNode allows = o.putObject("allowsAll");
        allows.put("ingress", c.getIngressAllowsAll());
        allows.put("egress", c.getEgressAllowsAll());
        Exemption e = c.getExemption();
        if (e == null) {
            o.putNull("exemption");
        } else {
            ObjectNode ex = o.putObject("exemption");
            ex.put("source", e.getSource());
            ex.put("reason", e.getReason());
            ex.put("until", time(e.getUntil()));
        }
        o.put("stale", c.getStale());
        o.put("profile", c.getProfile());
        o.put("createdAt", time(c.getCreatedAt()));
        o.put("updatedAt", time(c.getUpdatedAt()));
        o.set("lastEvent", eventRef(c.getLastEvent()));
        if (c.getEnforced() == null) {
            o.putNull("enforced");
        } else {
            o.put("enforced", c.getEnforced().booleanValue());
        }
        o.put("fenced", fenced(c));
        ArrayNode fencedBy = o.putArray("fencedBy");
        for (FenceRef f : c.getFencedBy()) {
            ObjectNode x = fencedBy.addObject();
            x.put("kind", f.getKind());
            x.put("apiVersion", f.getApiVersion());
            x.put("name", f.getName());
            x.put("scope", f.getScope());
            ArrayNode directions = x.putArray("directions");
            f.getDirections().forEach(directions::add);
            x.put("pods", f.getPods());
        }
        ObjectNode effective = o.putObject("effective");
        effective.put("ingress", grade(c.getEffectiveIngress()));
        effective.put("egress", grade(c.getEffectiveEgress()));
        ObjectNode effectiveAll = effective.putObject("allowsAll");
        effectiveAll.put("ingress", c.getEffectiveIngressAllowsAll());
        effectiveAll.put("egress", c.getEffectiveEgressAllowsAll());
        PodCounts pods = c.getPods();
        if (pods == null) {
            o.putNull("pods");
        } else {
            ObjectNode p = o.putObject("pods");
            p.put("total", pods.getTotal());
            p.put("isolatedIngress", pods.getIsolatedIngress());
            p.put("isolatedEgress", pods.getIsolatedEgress());
            p.put("hostNetwork", pods.getHostNetwork());
        }
        ArrayNode workloads = o.putArray("unisolatedWorkloads");
        for (WorkloadRef w : c.getUnisolatedWorkloads()) {
            ObjectNode x = workloads.addObject();
            x.put("kind", w.getKind());
            x.put("name", w.getName());
            ObjectNode labels = x.putObject("labels");
            new java.util.TreeMap<>(w.getLabels()).forEach(labels::put);
            x.put("pods", w.getPods());
            ArrayNode directions = x.putArray("directions");
            w.getDirections().forEach(directions::add);
        }
        o.put("unisolatedWorkloadCount", c.getUnisolatedWorkloadCount());
        o.put("workloadStatus", status(c.getWorkloadStatus()));
        o.put("workloadReason", c.getWorkloadReason());
        return o;
    }

    private static String status(io.fencewatch.schema.common.Status s) {
        return s == null ? null : s.name();
    }

    private static String grade(io.fencewatch.schema.common.Grade g) {
        return g == null ? null : g.name();
    }

    /** A namespace is fenced when FW-NP-001 passes (COMPLIANT) and its cluster enforces NetworkPolicy (FW-NP-002). */
    public static boolean fenced(NamespaceCoverage c) {
        return c.getStatus() == io.fencewatch.schema.common.Status.COMPLIANT && Boolean.TRUE.equals(c.getEnforced());
    }

    /**
     * The same object as {@link #coverage}, written with the streaming generator: lists of
     * thousands of namespaces are built from these strings without a tree per item.
     */
    public static String coverageJson(NamespaceCoverage c) {
        java.io.StringWriter out = new java.io.StringWriter(640);
        try (com.fasterxml.jackson.core.JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("cluster", c.getCluster());
            g.writeStringField("namespace", c.getNamespace());
            g.writeStringField("uid", c.getUid());
            g.writeStringField("status", c.getStatus().name());
            g.writeStringField("reason", c.getReason());
            g.writeStringField("since", time(c.getSince()));
            g.writeArrayFieldStart("policies");
            for (String p : c.getPolicies()) {
                g.writeString(p);
            }
            g.writeEndArray();
            g.writeStringField("ingress", c.getIngress().name());
            g.writeStringField("egress", c.getEgress().name());
            g.writeObjectFieldStart("allowsAll");
            g.writeBooleanField("ingress", c.getIngressAllowsAll());
            g.writeBooleanField("egress", c.getEgressAllowsAll());
            g.writeEndObject();
            Exemption e = c.getExemption();
            if (e == null) {
                g.writeNullField("exemption");
            } else {
                g.writeObjectFieldStart("exemption");
                g.writeStringField("source", e.getSource());
                g.writeStringField("reason", e.getReason());
                g.writeStringField("until", time(e.getUntil()));
                g.writeEndObject();
            }
            g.writeBooleanField("stale", c.getStale());
            g.writeStringField("profile", c.getProfile());
            g.writeStringField("createdAt", time(c.getCreatedAt()));
            g.writeStringField("updatedAt", time(c.getUpdatedAt()));
            EventRef r = c.getLastEvent();
            if (r == null) {
                g.writeNullField("lastEvent");
            } else {
                g.writeObjectFieldStart("lastEvent");
                g.writeStringField("kind", r.getKind() == null ? null : r.getKind().name());
                g.writeStringField("name", r.getName());
                g.writeStringField("op", r.getOp().name());
                g.writeStringField("resourceVersion", r.getResourceVersion());
                g.writeStringField("observedAt", time(r.getObservedAt()));
                g.writeStringField("collector", r.getCollector());
                g.writeNumberField("epoch", r.getEpoch());
                g.writeNumberField("sequence", r.getSequence());
                g.writeEndObject();
            }
            if (c.getEnforced() == null) {
                g.writeNullField("enforced");
            } else {
                g.writeBooleanField("enforced", c.getEnforced());
            }
            g.writeBooleanField("fenced", fenced(c));
            g.writeArrayFieldStart("fencedBy");
            for (FenceRef f : c.getFencedBy()) {
                g.writeStartObject();
                g.writeStringField("kind", f.getKind());
                g.writeStringField("apiVersion", f.getApiVersion());
                g.writeStringField("name", f.getName());
                g.writeStringField("scope", f.getScope());
                g.writeArrayFieldStart("directions");
                for (String d : f.getDirections()) {
                    g.writeString(d);
                }
                g.writeEndArray();
                g.writeStringField("pods", f.getPods());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("effective");
            g.writeStringField("ingress", grade(c.getEffectiveIngress()));
            g.writeStringField("egress", grade(c.getEffectiveEgress()));
            g.writeObjectFieldStart("allowsAll");
            g.writeBooleanField("ingress", c.getEffectiveIngressAllowsAll());
            g.writeBooleanField("egress", c.getEffectiveEgressAllowsAll());
            g.writeEndObject();
            g.writeEndObject();
            PodCounts pods = c.getPods();
            if (pods == null) {
                g.writeNullField("pods");
            } else {
                g.writeObjectFieldStart("pods");
                g.writeNumberField("total", pods.getTotal());
                g.writeNumberField("isolatedIngress", pods.getIsolatedIngress());
                g.writeNumberField("isolatedEgress", pods.getIsolatedEgress());
                g.writeNumberField("hostNetwork", pods.getHostNetwork());
                g.writeEndObject();
            }
            g.writeArrayFieldStart("unisolatedWorkloads");
            for (WorkloadRef w : c.getUnisolatedWorkloads()) {
                g.writeStartObject();
                g.writeStringField("kind", w.getKind());
                g.writeStringField("name", w.getName());
                g.writeObjectFieldStart("labels");
                for (java.util.Map.Entry<String, String> l : new java.util.TreeMap<>(w.getLabels()).entrySet()) {
                    g.writeStringField(l.getKey(), l.getValue());
                }
                g.writeEndObject();
                g.writeNumberField("pods", w.getPods());
                g.writeArrayFieldStart("directions");
                for (String d : w.getDirections()) {
                    g.writeString(d);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("unisolatedWorkloadCount", c.getUnisolatedWorkloadCount());
            g.writeStringField("workloadStatus", status(c.getWorkloadStatus()));
            g.writeStringField("workloadReason", c.getWorkloadReason());
            g.writeEndObject();
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException("cannot write JSON", ex);
        }
        return out.toString();
    }

    /**
     * One drift: {@code id, cluster, namespace, reason, before, after, cause, detectedAt, profile,
     * latencyMs}; before/after are {@code {status, ingress, egress, allowsAll{ingress,egress},
     * stale, policyCount, enforced, effective{ingress,egress}, fencedBy, workloadStatus, unisolatedWorkloads}} or null
     * ({@code enforced}: true, false or null; {@code fencedBy}: {@code <scope>:<kind>:<name>} strings;
     * {@code workloadStatus}: FW-NP-003, null when pods are not known; {@code unisolatedWorkloads}: a count); latencyMs = detectedAt - cause.observedAt, null without a cause.
     */
    public static ObjectNode drift(DriftEvent d) {
        ObjectNode o = NODES.objectNode();
        o.put("id", d.getId());
        o.put("cluster", d.getCluster());
        o.put("namespace", d.getNamespace());
        o.put("reason", d.getReason().name());
        o.set("before", state(d.getBefore()));
        o.set("after", state(d.getAfter()));
        o.set("cause", eventRef(d.getCause()));
        o.put("detectedAt", time(d.getDetectedAt()));
        o.put("profile", d.getProfile());
        if (d.getCause() == null) {
            o.putNull("latencyMs");
        } else {
            o.put("latencyMs", d.getDetectedAt().toEpochMilli() - d.getCause().getObservedAt().toEpochMilli());
        }
        return o;
    }

    private static ObjectNode state(CoverageState s) {
        if (s == null) {
            return null;
        }
        ObjectNode o = NODES.objectNode();
        o.put("status", s.getStatus().name());
        o.put("ingress", s.getIngress().name());
        o.put("egress", s.getEgress().name());
        ObjectNode allows = o.putObject("allowsAll");
        allows.put("ingress", s.getIngressAllowsAll());
        allows.put("egress", s.getEgressAllowsAll());
        o.put("stale", s.getStale());
        o.put("policyCount", s.getPolicyCount());
        if (s.getEnforced() == null) {
            o.putNull("enforced");
        } else {
            o.put("enforced", s.getEnforced().booleanValue());
        }
        ObjectNode effective = o.putObject("effective");
        effective.put("ingress", grade(s.getEffectiveIngress()));
        effective.put("egress", grade(s.getEffectiveEgress()));
        ArrayNode fencedBy = o.putArray("fencedBy");
        s.getFencedBy().forEach(fencedBy::add);
        o.put("workloadStatus", status(s.getWorkloadStatus()));
        o.put("unisolatedWorkloads", s.getUnisolatedWorkloads());
        return o;
    }

    private static ObjectNode eventRef(EventRef r) {
        if (r == null) {
            return null;
        }
        ObjectNode o = NODES.objectNode();
        o.put("kind", r.getKind() == null ? null : r.getKind().name());
        o.put("name", r.getName());
        o.put("op", r.getOp().name());
        o.put("resourceVersion", r.getResourceVersion());
        o.put("observedAt", time(r.getObservedAt()));
        o.put("collector", r.getCollector());
        o.put("epoch", r.getEpoch());
        o.put("sequence", r.getSequence());
        return o;
    }

    static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    static ObjectNode error(String message) {
        return NODES.objectNode().put("error", message);
    }
}
