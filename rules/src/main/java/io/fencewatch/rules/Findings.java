package io.fencewatch.rules;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.coverage.NamespaceCoverage;
import io.fencewatch.schema.drift.DriftEvent;
import io.fencewatch.schema.drift.DriftReason;

/**
 * OCSF 1.3 Compliance Finding (class_uid 2003) for FW-NP-001: activity Create when a namespace
 * becomes non-compliant, Close when it is fixed, exempted or deleted. The finding uid is stable
 * per cluster, namespace and rule, so a SIEM pairs the Close with its Create. The same envelope
 * carries {@value #CLUSTER_RULE_ID}, one finding per cluster whose collector cannot reach its API
 * server ({@link #clusterReachabilityJson}), and {@value Enforcement#RULE_ID}, one finding per
 * cluster that runs no NetworkPolicy engine ({@link #enforcementJson}).
 */
public final class Findings {
    public static final String OCSF_VERSION = "1.3.0";
    public static final int CLASS_UID = 2003;
    public static final int CATEGORY_UID = 2;
    public static final int ACTIVITY_CREATE = 1;
    public static final int ACTIVITY_CLOSE = 3;
    public static final int SEVERITY_MEDIUM = 3;
    public static final int SEVERITY_HIGH = 4;

    /** The cluster-level rule: a cluster is reachable by its collector (so FW-NP-001's verdicts on it are current). */
    public static final String CLUSTER_RULE_ID = "FW-CL-001";
    public static final String CLUSTER_RULE_TITLE = "Cluster is reachable by its collector";

    private static final JsonFactory JSON = new JsonFactory();
    private static final String CLUSTER_DESCRIPTION = CLUSTER_RULE_ID + " " + CLUSTER_RULE_TITLE + ": the collector"
            + " of every watched cluster must reach its API server, or the cluster's NetworkPolicy coverage is"
            + " only its last known state.";
    /** Why FW-NP-002 is High: the policies are silently ineffective, so FW-NP-001's Pass means nothing. */
    public static final String ENFORCEMENT_WHY = "NetworkPolicies have no effect without an engine that implements"
            + " them";
    private static final String ENFORCEMENT_DESCRIPTION = Enforcement.RULE_ID + " " + Enforcement.RULE_TITLE + ": "
            + ENFORCEMENT_WHY + " (CIS Kubernetes Benchmark 5.3.1: the CNI in use supports NetworkPolicies). A cluster"
            + " without one passes FW-NP-001 and is still wide open: every NetworkPolicy in it is silently ignored.";
    private static final String WORKLOAD_DESCRIPTION = Workloads.RULE_ID + " " + Workloads.RULE_TITLE + ": every"
            + " pod of a user-workload namespace must be selected by a NetworkPolicy; a namespace whose policies select"
            + " only some of its pods passes FW-NP-001 while the others accept any traffic. Pods on the host network"
            + " are counted apart: no NetworkPolicy applies to them.";
    private static final String DESCRIPTION = "FW-NP-001 Use Network Policies: every user-workload namespace must"
            + " have at least one NetworkPolicy (CIS Kubernetes Benchmark 5.3.2).";

    private Findings() {
    }

    /** Stable finding uid: {@code FW-NP-001:<cluster>/<namespace>}. */
    public static String findingUid(String cluster, String namespace) {
        return Rules.RULE_ID + ":" + cluster + "/" + namespace;
    }

    /** Stable finding uid of a namespace's workload isolation: {@code FW-NP-003:<cluster>/<namespace>}. */
    public static String workloadFindingUid(String cluster, String namespace) {
        return Workloads.RULE_ID + ":" + cluster + "/" + namespace;
    }

    /** Stable finding uid of a cluster's reachability: {@code FW-CL-001:<cluster>}. */
    public static String clusterFindingUid(String cluster) {
        return CLUSTER_RULE_ID + ":" + cluster;
    }

    /** Stable finding uid of a cluster's NetworkPolicy enforcement: {@code FW-NP-002:<cluster>}. */
    public static String enforcementFindingUid(String cluster) {
        return Enforcement.RULE_ID + ":" + cluster;
    }

    /** The finding for a drift that opens ({@code open=true}) or closes a finding. */
    public static String toJson(DriftEvent drift, String findingId, boolean open, NamespaceCoverage after,
            String productVersion) {
        String cluster = drift.getCluster();
        String namespace = drift.getNamespace();
        long time = drift.getDetectedAt().toEpochMilli();
        String closeWhy = open ? null
                : drift.getReason() == DriftReason.CLUSTER_REMOVED ? "cluster removed" : closeReason(after);
        TextBuffer out = TextBuffer.cleared();
        // Streaming, not a tree: one finding per change of compliance, on the processing path.
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeHead(g, open, time, open ? null : after != null && after.getStatus() == Status.EXEMPT, SEVERITY_MEDIUM);
            boolean baseline = after == null || Profile.BASELINE.wireName().equals(after.getProfile());
            g.writeStringField("status_detail", !open ? closeWhy
                    : baseline ? "namespace " + namespace + " has no NetworkPolicy"
                    : "namespace " + namespace + " (profile " + after.getProfile() + "): " + after.getReason());
            g.writeStringField("message", open
                    ? "Namespace " + namespace + " in cluster " + cluster + " is not fenced by any NetworkPolicy"
                    : "Namespace " + namespace + " in cluster " + cluster + ": " + closeWhy);

            writeMetadata(g, findingId, findingUid(cluster, namespace), Rules.RULE_ID, time, productVersion);

            writeFindingInfo(g, findingUid(cluster, namespace), "Namespace without NetworkPolicy: " + cluster + "/"
                    + namespace, DESCRIPTION, "Kubernetes NetworkPolicy coverage", open, time, time);
            writeCompliance(g, Rules.RULE_ID, List.of("CIS Kubernetes Benchmark", "Fencewatch"),
                    List.of("CIS Kubernetes Benchmark 5.3.2", Rules.RULE_ID), open);

            g.writeArrayFieldStart("resources");
            writeNamespaceResources(g, cluster, namespace, after);
            g.writeEndArray();

            writeRemediation(g, NP_001_DESC, namespace, () -> remediationText(namespace),
                    "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies");
            writeUnmappedHead(g, drift, cluster, namespace);
            if (after != null) {
                g.writeStringField("profile", after.getProfile());
                // What fences the namespace now, of every kind (scope:kind:name), e.g. a cluster-wide default deny.
                g.writeArrayFieldStart("fenced_by");
                for (var f : after.getFencedBy()) {
                    g.writeString(f.getScope() + ":" + f.getKind() + ":" + f.getName());
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a finding as JSON", e);
        }
        return out.take();
    }

    /**
     * OCSF 1.3 Compliance Finding for {@value Workloads#RULE_ID} on one namespace, severity Medium:
     * Create ({@code open}) when its workloadStatus becomes NON_COMPLIANT (a workload not isolated as
     * the profile asks), Close when it leaves it (every workload isolated, exempted, deleted, or its
     * pods no longer known). Same envelope as FW-NP-001's; its finding uid is
     * {@link #workloadFindingUid}. The unisolated workloads are its resources (at most
     * {@link Workloads#MAX_LISTED}; {@code unmapped.unisolated_workloads} gives the count).
     */
    public static String workloadJson(DriftEvent drift, String findingId, boolean open, NamespaceCoverage after,
            String productVersion) {
        String cluster = drift.getCluster();
        String namespace = drift.getNamespace();
        long time = drift.getDetectedAt().toEpochMilli();
        String closeWhy = open ? null : after == null ? "namespace deleted"
                : after.getWorkloadStatus() == null ? "pods are no longer watched"
                : switch (after.getWorkloadStatus()) {
                    case COMPLIANT -> "fixed: " + after.getWorkloadReason();
                    case EXEMPT -> "exempted: " + after.getWorkloadReason();
                    case TERMINATING -> "namespace is being deleted";
                    default -> after.getWorkloadReason();
                };
        String uid = workloadFindingUid(cluster, namespace);
        TextBuffer out = TextBuffer.cleared();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeHead(g, open, time, open ? null : after != null && after.getWorkloadStatus() == Status.EXEMPT,
                    SEVERITY_MEDIUM);
            g.writeStringField("status_detail", open ? after.getWorkloadReason() : closeWhy);
            g.writeStringField("message", "Namespace " + namespace + " in cluster " + cluster + ": "
                    + (open ? "workloads accept traffic no NetworkPolicy fences: " + after.getWorkloadReason() : closeWhy));
            writeMetadata(g, findingId, uid, Workloads.RULE_ID, time, productVersion);
            writeFindingInfo(g, uid, "Workloads not selected by a NetworkPolicy: " + cluster + "/" + namespace,
                    WORKLOAD_DESCRIPTION, "Kubernetes NetworkPolicy coverage", open, time, time);
            writeCompliance(g, Workloads.RULE_ID, List.of("CIS Kubernetes Benchmark", "Fencewatch"),
                    List.of("CIS Kubernetes Benchmark 5.3.2", Workloads.RULE_ID), open);

            g.writeArrayFieldStart("resources");
            writeNamespaceResources(g, cluster, namespace, after);
            if (open) {
                for (var w : after.getUnisolatedWorkloads()) {
                    g.writeStartObject();
                    g.writeStringField("type", "Kubernetes " + w.getKind());
                    g.writeStringField("name", w.getName());
                    g.writeStringField("namespace", namespace);
                    g.writeObjectFieldStart("labels");
                    for (var l : new java.util.TreeMap<>(w.getLabels()).entrySet()) {
                        g.writeStringField(l.getKey(), l.getValue());
                    }
                    g.writeEndObject();
                    g.writeEndObject();
                }
            }
            g.writeEndArray();

            writeRemediation(g, NP_003_DESC, namespace, () -> workloadRemediationText(namespace),
                    "https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation");
            writeUnmappedHead(g, drift, cluster, namespace);
            if (after != null) {
                g.writeStringField("profile", after.getProfile());
                g.writeNumberField("unisolated_workloads", after.getUnisolatedWorkloadCount());
                if (after.getPods() != null) {
                    g.writeObjectFieldStart("pods");
                    g.writeNumberField("total", after.getPods().getTotal());
                    g.writeNumberField("isolated_ingress", after.getPods().getIsolatedIngress());
                    g.writeNumberField("isolated_egress", after.getPods().getIsolatedEgress());
                    g.writeNumberField("host_network", after.getPods().getHostNetwork());
                    g.writeEndObject();
                }
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a finding as JSON", e);
        }
        return out.take();
    }

    /**
     * OCSF 1.3 Compliance Finding for {@value #CLUSTER_RULE_ID} on {@code cluster}: Create
     * ({@code open}) when its collector has reported it unreachable for longer than the processor's
     * {@code --stale-after}, Close (Resolved, compliance Pass) when it is reachable again or was
     * removed. Same envelope as FW-NP-001's; its finding uid is {@link #clusterFindingUid}.
     *
     * @param error the collector's last error (open), or null
     * @param since when the outage began (collector clock)
     * @param closeWhy why it is closed (e.g. "reachable again"); ignored when open
     * @param provider {@code oke} or {@code kubernetes}; ocid, region and compartment may be null
     */
    public static String clusterReachabilityJson(String cluster, String findingId, boolean open, String error,
            java.time.Instant since, long time, String closeWhy, String provider, String ocid, String region,
            String compartment, String productVersion) {
        StringWriter out = new StringWriter(2048);
        String detail = open ? "the collector cannot reach the API server since " + since + ": " + error : closeWhy;
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeHead(g, open, time, open ? null : false, SEVERITY_MEDIUM);
            g.writeStringField("status_detail", detail);
            g.writeStringField("message", "Cluster " + cluster + ": " + detail);
            writeMetadata(g, findingId, clusterFindingUid(cluster), CLUSTER_RULE_ID, time, productVersion);

            writeFindingInfo(g, clusterFindingUid(cluster), "Cluster unreachable by its collector: " + cluster,
                    CLUSTER_DESCRIPTION, "Kubernetes cluster reachability", open, time,
                    since == null ? time : since.toEpochMilli());
            writeCompliance(g, CLUSTER_RULE_ID, List.of("Fencewatch"), List.of(CLUSTER_RULE_ID), open);

            writeClusterResource(g, cluster, region);

            g.writeObjectFieldStart("remediation");
            g.writeStringField("desc", "Check the collector's network path and credentials to the API server of "
                    + cluster + " (its last error says which failed). On OKE: the cluster's endpoint (public or"
                    + " private, from the collector's subnet), the IAM policy that lets the collector's principal"
                    + " use the cluster (cluster-use or its token), and the cluster's lifecycle state.");
            g.writeEndObject();

            g.writeObjectFieldStart("unmapped");
            writeClusterPlace(g, cluster, provider, ocid, region, compartment);
            g.writeStringField("error", open ? error : null);
            g.writeStringField("unreachable_since", since == null ? null : since.toString());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a finding as JSON", e);
        }
        return out.toString();
    }

    /**
     * OCSF 1.3 Compliance Finding for {@value Enforcement#RULE_ID} on {@code cluster}, severity
     * High: Create ({@code open}) when the cluster's collector looked for NetworkPolicy engines and
     * found none ({@code NOT_ENFORCED}), Close (Resolved, compliance Pass) when one is found or the
     * cluster was removed. Same envelope as FW-NP-001's; its finding uid is
     * {@link #enforcementFindingUid}.
     *
     * @param verdict the cluster's enforcement now (its reason is the finding's detail)
     * @param closeWhy why it is closed (e.g. "cluster removed"); null: the verdict's reason; ignored when open
     * @param provider {@code oke} or {@code kubernetes}; ocid, region and compartment may be null
     */
    public static String enforcementJson(String cluster, String findingId, boolean open, Enforcement verdict, long time,
            String closeWhy, String provider, String ocid, String region, String compartment, String productVersion) {
        StringWriter out = new StringWriter(2560);
        String detail = open ? "NetworkPolicies are not enforced: " + verdict.reason()
                : closeWhy != null ? closeWhy : verdict.reason();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeHead(g, open, time, open ? null : false, SEVERITY_HIGH);
            g.writeStringField("status_detail", detail);
            g.writeStringField("message", "Cluster " + cluster + ": " + detail
                    + (open ? ". " + ENFORCEMENT_WHY + ": every NetworkPolicy in the cluster is ignored." : ""));
            writeMetadata(g, findingId, enforcementFindingUid(cluster), Enforcement.RULE_ID, time, productVersion);

            writeFindingInfo(g, enforcementFindingUid(cluster), "NetworkPolicies not enforced: " + cluster,
                    ENFORCEMENT_DESCRIPTION, "Kubernetes NetworkPolicy enforcement", open, time, time);
            writeCompliance(g, Enforcement.RULE_ID, List.of("CIS Kubernetes Benchmark", "Fencewatch"),
                    List.of("CIS Kubernetes Benchmark 5.3.1", Enforcement.RULE_ID), open);

            writeClusterResource(g, cluster, region);

            g.writeObjectFieldStart("remediation");
            g.writeStringField("desc", "Install a NetworkPolicy engine in " + cluster + " (or move it to a CNI that"
                    + " implements NetworkPolicy), then check that its DaemonSet runs on every node. On OKE neither"
                    + " the flannel overlay nor VCN-native pod networking enforces NetworkPolicy: install Calico"
                    + " (policy only) as Oracle describes. The collector finds an engine by its DaemonSet in the"
                    + " namespaces it looks in (--policy-engine-namespaces).");
            g.writeArrayFieldStart("references");
            g.writeString("https://docs.oracle.com/en-us/iaas/Content/ContEng/Tasks/contengsettingupcalico.htm");
            g.writeString("https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites");
            g.writeEndArray();
            g.writeEndObject();

            g.writeObjectFieldStart("unmapped");
            writeClusterPlace(g, cluster, provider, ocid, region, compartment);
            g.writeStringField("enforcement", verdict.state().name());
            g.writeStringField("enforcement_reason", verdict.reason());
            g.writeArrayFieldStart("engines");
            for (Enforcement.Engine e : verdict.engines()) {
                g.writeString(e.name() + (e.version() == null ? "" : " " + e.version()) + " (" + e.namespace() + "/"
                        + e.workload() + ")");
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a finding as JSON", e);
        }
        return out.toString();
    }

    /** A namespace finding's {@code remediation}: the templated text and one reference. */
    private static void writeRemediation(JsonGenerator g, String[] template, String namespace,
            java.util.function.Supplier<String> full, String reference) throws IOException {
        g.writeObjectFieldStart("remediation");
        writeTemplated(g, "desc", template, namespace, full);
        g.writeArrayFieldStart("references");
        g.writeString(reference);
        g.writeEndArray();
        g.writeEndObject();
    }

    /** Opens a namespace finding's {@code unmapped} with the drift and where it happened; the caller adds the rest and closes it. */
    private static void writeUnmappedHead(JsonGenerator g, DriftEvent drift, String cluster, String namespace)
            throws IOException {
        g.writeObjectFieldStart("unmapped");
        g.writeStringField("drift_id", drift.getId());
        g.writeStringField("drift_reason", drift.getReason().name());
        g.writeStringField("cluster", cluster);
        g.writeStringField("namespace", namespace);
    }

    /** The first resources of a namespace's finding: its cluster, then the namespace (its uid when known). */
    private static void writeNamespaceResources(JsonGenerator g, String cluster, String namespace, NamespaceCoverage after)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "Kubernetes Cluster");
        g.writeStringField("uid", cluster);
        g.writeStringField("name", cluster);
        g.writeEndObject();
        g.writeStartObject();
        g.writeStringField("type", "Kubernetes Namespace");
        g.writeStringField("uid", after != null && after.getUid() != null ? after.getUid() : cluster + "/" + namespace);
        g.writeStringField("name", namespace);
        g.writeStringField("namespace", namespace);
        g.writeEndObject();
    }

    /** The one resource of a cluster-level finding: the cluster. */
    private static void writeClusterResource(JsonGenerator g, String cluster, String region) throws IOException {
        g.writeArrayFieldStart("resources");
        g.writeStartObject();
        g.writeStringField("type", "Kubernetes Cluster");
        g.writeStringField("uid", cluster);
        g.writeStringField("name", cluster);
        if (region != null) {
            g.writeStringField("region", region);
        }
        g.writeEndObject();
        g.writeEndArray();
    }

    /** Where a cluster lives, in a cluster-level finding's {@code unmapped}. */
    private static void writeClusterPlace(JsonGenerator g, String cluster, String provider, String ocid, String region,
            String compartment) throws IOException {
        g.writeStringField("cluster", cluster);
        g.writeStringField("provider", provider == null ? "kubernetes" : provider);
        g.writeStringField("ocid", ocid);
        g.writeStringField("region", region);
        g.writeStringField("compartment", compartment);
    }

    /** The classification, activity, time, severity and status common to every finding. */
    private static void writeHead(JsonGenerator g, boolean open, long time, Boolean suppressed, int severity)
            throws IOException {
        int activity = open ? ACTIVITY_CREATE : ACTIVITY_CLOSE;
        g.writeNumberField("class_uid", CLASS_UID);
        g.writeStringField("class_name", "Compliance Finding");
        g.writeNumberField("category_uid", CATEGORY_UID);
        g.writeStringField("category_name", "Findings");
        g.writeNumberField("activity_id", activity);
        g.writeStringField("activity_name", open ? "Create" : "Close");
        g.writeNumberField("type_uid", CLASS_UID * 100 + activity);
        g.writeStringField("type_name", "Compliance Finding: " + (open ? "Create" : "Close"));
        g.writeNumberField("time", time);
        g.writeNumberField("severity_id", severity);
        g.writeStringField("severity", severity == SEVERITY_HIGH ? "High" : "Medium");
        if (open) {
            g.writeNumberField("status_id", 1);
            g.writeStringField("status", "New");
        } else if (Boolean.TRUE.equals(suppressed)) {
            g.writeNumberField("status_id", 3);
            g.writeStringField("status", "Suppressed");
        } else {
            g.writeNumberField("status_id", 4);
            g.writeStringField("status", "Resolved");
        }
    }

    private static void writeMetadata(JsonGenerator g, String findingId, String correlationUid, String ruleId, long time,
            String productVersion) throws IOException {
        g.writeObjectFieldStart("metadata");
        g.writeStringField("version", OCSF_VERSION);
        g.writeStringField("uid", findingId);
        g.writeStringField("correlation_uid", correlationUid);
        g.writeStringField("event_code", ruleId);
        g.writeNumberField("logged_time", time);
        g.writeObjectFieldStart("product");
        g.writeStringField("name", "Fencewatch");
        g.writeStringField("vendor_name", "Fencewatch");
        g.writeStringField("version", productVersion);
        g.writeEndObject();
        g.writeArrayFieldStart("profiles");
        g.writeString("cloud");
        g.writeEndArray();
        g.writeEndObject();
    }

    private static String closeReason(NamespaceCoverage after) {
        if (after == null) {
            return "namespace deleted";
        }
        return switch (after.getStatus()) {
            case COMPLIANT -> "fixed: " + after.getReason();
            case EXEMPT -> "exempted: " + after.getReason();
            case TERMINATING -> "namespace is being deleted";
            default -> after.getReason();
        };
    }

    /** FW-NP-003's remediation text for {@code namespace}. */
    static String workloadRemediationText(String namespace) {
        return "Select every workload of namespace " + namespace + " with a NetworkPolicy:"
                + " a default-deny policy with an empty podSelector selects them all; or widen the podSelector of"
                + " the policies that miss these workloads. Apply with: kubectl apply -f - <<'EOF'\n"
                + defaultDenyPolicy(namespace) + "EOF\n";
    }

    private static final String PLACEHOLDER = "fencewatch-namespace-placeholder";
    /**
     * The remediation texts as JSON strings (quoted, escaped), split around the namespace: a finding
     * carries some 3 KB of them, and escaping them char by char was most of writing a finding.
     */
    static final String[] NP_001_DESC = jsonTemplate(remediationText(PLACEHOLDER));
    static final String[] NP_003_DESC = jsonTemplate(workloadRemediationText(PLACEHOLDER));

    private static String[] jsonTemplate(String text) {
        StringWriter out = new StringWriter(text.length() + 256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeString(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toString().split(java.util.regex.Pattern.quote(PLACEHOLDER), -1);
    }

    /**
     * Field {@code name} with the text {@code full} gives: from the pre-escaped template when the
     * namespace is a plain YAML scalar (letters, digits, {@code _ . / -}, nothing JSON escapes, so
     * the bytes are those {@code writeString} writes), else {@code full} written as usual.
     */
    static void writeTemplated(JsonGenerator g, String name, String[] template, String namespace,
            java.util.function.Supplier<String> full) throws java.io.IOException {
        g.writeFieldName(name);
        if (!RemediationPolicy.Yaml.scalar(namespace).equals(namespace)) {
            g.writeString(full.get());
            return;
        }
        // Written in pieces, not joined first: the pieces are JSON already and the name needs no escaping.
        g.writeRawValue(template[0]);
        for (int i = 1; i < template.length; i++) {
            g.writeRaw(namespace);
            g.writeRaw(template[i]);
        }
    }

    /**
     * The text of the finding being written, one per thread and kept between findings: a finding
     * is ~2.5 KB, and a new StringWriter for each was a fifth of the stream thread's allocation.
     * Not reentrant (no finding writes another while it is written).
     */
    private static final class TextBuffer extends java.io.Writer {
        private static final ThreadLocal<TextBuffer> PER_THREAD = ThreadLocal.withInitial(TextBuffer::new);
        private static final int KEEP_CHARS = 64 * 1024;
        private StringBuilder text = new StringBuilder(4096);

        static TextBuffer cleared() {
            TextBuffer b = PER_THREAD.get();
            b.text.setLength(0);
            return b;
        }

        @Override
        public void write(char[] chars, int off, int len) {
            text.append(chars, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            text.append(str, off, off + len);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        /** The text written, and the buffer emptied (and dropped, if a huge finding grew it). */
        String take() {
            String s = text.toString();
            if (text.capacity() > KEEP_CHARS) {
                text = new StringBuilder(4096);
            } else {
                text.setLength(0);
            }
            return s;
        }
    }

    public static String remediationText(String namespace) {
        return "Add a NetworkPolicy to namespace " + namespace + ". A default-deny policy that isolates every pod"
                + " for ingress and egress, allowing only DNS to kube-system, is a safe start; then add policies"
                + " that allow the traffic the workloads need. Apply with: kubectl apply -f - <<'EOF'\n"
                + defaultDenyPolicy(namespace) + "EOF\n";
    }

    /** The rule's remediation as YAML: {@link RemediationPolicy#defaultFor}, one document. */
    public static String defaultDenyPolicy(String namespace) {
        return RemediationPolicy.defaultFor(namespace).toYaml();
    }

    private static final java.util.Set<String> YAML_WORDS = java.util.Set.of("y", "n", "yes", "no", "on", "off",
            "true", "false", "null");

    /**
     * A YAML scalar for {@code value}: plain when it is a lower-case name that YAML reads as a string
     * (starts with a letter, not a boolean or null word), else double-quoted with every character
     * that needs it escaped, so no value can add lines or structure to the generated YAML.
     */
    public static String yamlScalar(String value) {
        if (value.matches("[a-z][-a-z0-9]*") && !YAML_WORDS.contains(value)) {
            return value;
        }
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0xfeff) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static void writeFindingInfo(JsonGenerator g, String uid, String title, String desc, String type, boolean open,
            long time, long firstSeen) throws IOException {
        g.writeObjectFieldStart("finding_info");
        g.writeStringField("uid", uid);
        g.writeStringField("title", title);
        g.writeStringField("desc", desc);
        g.writeArrayFieldStart("types");
        g.writeString(type);
        g.writeEndArray();
        if (open) {
            g.writeNumberField("created_time", time);
            g.writeNumberField("first_seen_time", firstSeen);
        }
        g.writeNumberField("last_seen_time", time);
        g.writeEndObject();
    }

    private static void writeCompliance(JsonGenerator g, String control, List<String> standards, List<String> requirements,
            boolean open) throws IOException {
        g.writeObjectFieldStart("compliance");
        g.writeStringField("control", control);
        g.writeArrayFieldStart("standards");
        for (String st : standards) {
            g.writeString(st);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("requirements");
        for (String r : requirements) {
            g.writeString(r);
        }
        g.writeEndArray();
        g.writeNumberField("status_id", open ? 3 : 1);
        g.writeStringField("status", open ? "Fail" : "Pass");
        g.writeEndObject();
    }
}
