package io.fencewatch.audit;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fencewatch.query.JsonViews;
import io.fencewatch.rules.Enforcement;
import io.fencewatch.rules.Workloads;
import io.fencewatch.schema.common.Status;
import io.fencewatch.rules.Fences;
import io.fencewatch.schema.coverage.FenceRef;
import io.fencewatch.schema.coverage.NamespaceCoverage;

/** The four output formats of {@code fencewatch audit}: table, json, ocsf, junit. */
public final class AuditOutput {
    public enum Format {
        TABLE, JSON, OCSF, JUNIT;

        public static Format parse(String v) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(v.strip())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("must be table, json, ocsf or junit, not '" + v + "'");
        }
    }

    private AuditOutput() {
    }

    public static String render(Format format, List<Auditor.ClusterResult> results, String productVersion) {
        return switch (format) {
            case TABLE -> table(results);
            case JSON -> json(results);
            case OCSF -> ocsf(results, productVersion);
            case JUNIT -> junit(results);
        };
    }

    /**
     * CLUSTER, NAMESPACE, STATUS, REASON, POLICIES, INGRESS, EGRESS, FENCED BY (the policies of
     * other kinds than networking.k8s.io NetworkPolicy that isolate its pods); then one summary line
     * per cluster, followed by its FW-NP-002 line when it was looked for, and a line saying which
     * policy kinds could not be read, if any. With {@code --pods} also WORKLOADS (FW-NP-003: its
     * status, with "N unfenced" when not COMPLIANT; "-" when the pods could not be listed) and a line
     * per cluster whose pods could not be.
     */
    static String table(List<Auditor.ClusterResult> results) {
        boolean pods = results.stream().anyMatch(Auditor.ClusterResult::pods);
        String[] head = pods
                ? new String[] {"CLUSTER", "NAMESPACE", "STATUS", "REASON", "POLICIES", "INGRESS", "EGRESS", "FENCED BY",
                        "WORKLOADS"}
                : new String[] {"CLUSTER", "NAMESPACE", "STATUS", "REASON", "POLICIES", "INGRESS", "EGRESS", "FENCED BY"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
        }
        for (Auditor.ClusterResult r : results) {
            for (NamespaceCoverage c : r.rows()) {
                String[] row = row(c, pods);
                for (int i = 0; i < row.length; i++) {
                    w[i] = Math.max(w[i], row[i].length());
                }
            }
        }
        StringBuilder b = new StringBuilder();
        line(b, head, w);
        for (Auditor.ClusterResult r : results) {
            for (NamespaceCoverage c : r.rows()) {
                line(b, row(c, pods), w);
            }
        }
        b.append('\n');
        for (Auditor.ClusterResult r : results) {
            b.append(summary(r)).append('\n');
            if (!r.failed() && r.enforcement() != null) {
                b.append(enforcementLine(r)).append('\n');
            }
            if (!r.failed() && r.fencesProblem() != null) {
                b.append("cluster ").append(r.cluster()).append(": policy kinds not all read (")
                        .append(oneLine(r.fencesProblem())).append("): isolation may be under-stated\n");
            }
            if (!r.failed() && r.podsProblem() != null) {
                b.append("cluster ").append(r.cluster()).append(": pods not read (").append(oneLine(r.podsProblem()))
                        .append("): no FW-NP-003 verdict\n");
            }
        }
        return b.toString();
    }

    /** {@code cluster prod: enforcement NOT_ENFORCED (no network policy engine found in kube-system, calico-system)}. */
    static String enforcementLine(Auditor.ClusterResult r) {
        return "cluster " + r.cluster() + ": enforcement " + r.enforcement().state() + " ("
                + oneLine(r.enforcement().reason()) + ")";
    }

    static String summary(Auditor.ClusterResult r) {
        if (r.failed()) {
            return "cluster " + r.cluster() + ": not read (" + r.error() + ")";
        }
        Map<Status, Integer> n = r.counts();
        return String.format(Locale.ROOT, "cluster %s: %d namespaces, %d NON_COMPLIANT, %d PENDING, %d COMPLIANT,"
                + " %d EXEMPT, %d TERMINATING", r.cluster(), r.rows().size(), n.getOrDefault(Status.NON_COMPLIANT, 0),
                n.getOrDefault(Status.PENDING, 0), n.getOrDefault(Status.COMPLIANT, 0), n.getOrDefault(Status.EXEMPT, 0),
                n.getOrDefault(Status.TERMINATING, 0));
    }

    private static String[] row(NamespaceCoverage c, boolean pods) {
        String[] cells = {c.getCluster(), c.getNamespace(), c.getStatus().name(), oneLine(c.getReason()),
                Integer.toString(c.getPolicies().size()), grade(c.getIngress().name(), c.getIngressAllowsAll()),
                grade(c.getEgress().name(), c.getEgressAllowsAll()), fencedBy(c)};
        if (!pods) {
            return cells;
        }
        String[] out = java.util.Arrays.copyOf(cells, cells.length + 1);
        out[cells.length] = workloads(c);
        return out;
    }

    /** FW-NP-003's cell: {@code COMPLIANT}, {@code NON_COMPLIANT (2 unfenced)}, or "-" when the pods are not known. */
    static String workloads(NamespaceCoverage c) {
        Status s = c.getWorkloadStatus();
        if (s == null) {
            return "-";
        }
        return s != Status.COMPLIANT && c.getUnisolatedWorkloadCount() > 0
                ? s.name() + " (" + c.getUnisolatedWorkloadCount() + " unfenced)" : s.name();
    }

    /**
     * The policies of other kinds that fence the namespace, kubectl-style ({@code GlobalNetworkPolicy/default-deny},
     * Calico's namespaced one {@code NetworkPolicy.projectcalico.org/x}), or "-".
     */
    static String fencedBy(NamespaceCoverage c) {
        List<String> out = new java.util.ArrayList<>();
        for (FenceRef f : c.getFencedBy()) {
            if (f.getApiVersion().equals(Fences.NETWORKING_V1)) {
                continue;
            }
            String kind = f.getKind().equals("NetworkPolicy")
                    ? "NetworkPolicy." + f.getApiVersion().substring(0, f.getApiVersion().indexOf('/')) : f.getKind();
            out.add(kind + "/" + f.getName() + ("all".equals(f.getPods()) ? "" : " (some pods)"));
        }
        return out.isEmpty() ? "-" : String.join(",", out);
    }

    private static String grade(String grade, boolean allowsAll) {
        return allowsAll ? grade + "+ALLOW_ALL" : grade;
    }

    private static void line(StringBuilder b, String[] cells, int[] w) {
        for (int i = 0; i < cells.length; i++) {
            b.append(cells[i]);
            if (i < cells.length - 1) {
                b.append(" ".repeat(w[i] - cells[i].length() + 2));
            }
        }
        b.append('\n');
    }

    /**
     * An array of the REST API's namespace objects ({@code GET /api/v1/clusters/{c}/namespaces/{ns}}),
     * each with {@code enforced} (the row's: true, false, null when unknown) and, when it was looked
     * for, its cluster's FW-NP-002 verdict {@code enforcement: {rule, state, reason, engines: [{id,
     * name, version, namespace, workload, desired, ready}]}}; {@code policyKindsError} when some policy
     * kinds could not be listed (fencedBy and the effective grades may then be under-stated);
     * {@code podsError} when {@code --pods} was asked for and the pods could not be listed (the
     * FW-NP-003 fields, {@code pods} to {@code workloadReason}, are then the REST API's "not known").
     */
    static String json(List<Auditor.ClusterResult> results) {
        StringBuilder b = new StringBuilder("[");
        boolean first = true;
        for (Auditor.ClusterResult r : results) {
            ObjectNode enforcement = r.enforcement() == null ? null : enforcementJson(r.enforcement());
            for (NamespaceCoverage c : r.rows()) {
                ObjectNode row = JsonViews.coverage(c);
                if (!row.has("enforced")) {
                    row.put("enforced", c.getEnforced());
                }
                if (enforcement != null) {
                    row.set("enforcement", enforcement);
                }
                if (r.fencesProblem() != null) {
                    row.put("policyKindsError", r.fencesProblem());
                }
                if (r.podsProblem() != null) {
                    row.put("podsError", r.podsProblem());
                }
                b.append(first ? "\n  " : ",\n  ").append(write(row));
                first = false;
            }
        }
        return b.append(first ? "]\n" : "\n]\n").toString();
    }

    static ObjectNode enforcementJson(Enforcement e) {
        ObjectNode o = JsonViews.MAPPER.createObjectNode();
        o.put("rule", Enforcement.RULE_ID);
        o.put("state", e.state().name());
        o.put("reason", e.reason());
        ArrayNode engines = o.putArray("engines");
        for (Enforcement.Engine en : e.engines()) {
            engines.addObject().put("id", en.id()).put("name", en.name()).put("version", en.version())
                    .put("namespace", en.namespace()).put("workload", en.workload()).put("desired", en.desired())
                    .put("ready", en.ready());
        }
        return o;
    }

    private static String write(ObjectNode o) {
        try {
            return JsonViews.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /**
     * One OCSF Compliance Finding per NON_COMPLIANT namespace (FW-NP-001), and one per namespace whose
     * workloadStatus is NON_COMPLIANT (FW-NP-003, with {@code --pods}), one per line (the findings topic's JSON).
     */
    static String ocsf(List<Auditor.ClusterResult> results, String productVersion) {
        StringBuilder b = new StringBuilder();
        for (Auditor.ClusterResult r : results) {
            for (NamespaceCoverage c : r.rows()) {
                if (c.getStatus() == Status.NON_COMPLIANT) {
                    b.append(Auditor.finding(c, productVersion)).append('\n');
                }
                if (c.getWorkloadStatus() == Status.NON_COMPLIANT) {
                    b.append(Auditor.workloadFinding(c, productVersion)).append('\n');
                }
            }
        }
        return b.toString();
    }

    /** One test suite per cluster, one test case per namespace: NON_COMPLIANT fails, EXEMPT and TERMINATING are skipped. */
    static String junit(List<Auditor.ClusterResult> results) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fencewatch audit\">\n");
        for (Auditor.ClusterResult r : results) {
            Map<Status, Integer> n = r.counts();
            int skipped = n.getOrDefault(Status.EXEMPT, 0) + n.getOrDefault(Status.TERMINATING, 0);
            b.append("  <testsuite name=\"").append(xml("FW-NP-001 " + r.cluster())).append("\" tests=\"")
                    .append(r.rows().size() + (r.failed() ? 1 : 0)).append("\" failures=\"").append(n.getOrDefault(Status.NON_COMPLIANT, 0))
                    .append("\" errors=\"").append(r.failed() ? 1 : 0).append("\" skipped=\"").append(skipped)
                    .append("\">\n");
            if (r.failed()) {
                b.append("    <testcase classname=\"").append(xml(r.cluster())).append("\" name=\"(cluster)\">\n")
                        .append("      <error message=\"").append(xml(r.error())).append("\"/>\n    </testcase>\n");
            }
            for (NamespaceCoverage c : r.rows()) {
                b.append("    <testcase classname=\"").append(xml(c.getCluster())).append("\" name=\"")
                        .append(xml(c.getNamespace())).append('"');
                String detail = c.getStatus().name() + ": " + c.getReason();
                switch (c.getStatus()) {
                    case NON_COMPLIANT -> b.append(">\n      <failure type=\"FW-NP-001\" message=\"").append(xml(detail))
                            .append("\"/>\n    </testcase>\n");
                    case EXEMPT, TERMINATING -> b.append(">\n      <skipped message=\"").append(xml(detail))
                            .append("\"/>\n    </testcase>\n");
                    default -> b.append(">\n      <system-out>").append(xml(detail)).append("</system-out>\n    </testcase>\n");
                }
            }
            b.append("  </testsuite>\n");
            if (r.pods() && !r.failed() && r.podsProblem() == null) {
                workloadSuite(b, r);
            }
        }
        return b.append("</testsuites>\n").toString();
    }

    /**
     * With {@code --pods}, FW-NP-003 as a test suite of its own per cluster whose pods were read: one test case
     * per namespace, a NON_COMPLIANT workloadStatus fails (its reason names the unfenced workloads), EXEMPT and
     * TERMINATING are skipped.
     */
    private static void workloadSuite(StringBuilder b, Auditor.ClusterResult r) {
        int failures = 0;
        int skipped = 0;
        int tests = 0;
        for (NamespaceCoverage c : r.rows()) {
            if (c.getWorkloadStatus() == null) {
                continue;
            }
            tests++;
            switch (c.getWorkloadStatus()) {
                case NON_COMPLIANT -> failures++;
                case EXEMPT, TERMINATING -> skipped++;
                default -> {
                }
            }
        }
        b.append("  <testsuite name=\"").append(xml(Workloads.RULE_ID + " " + r.cluster())).append("\" tests=\"")
                .append(tests).append("\" failures=\"").append(failures).append("\" errors=\"0\" skipped=\"")
                .append(skipped).append("\">\n");
        for (NamespaceCoverage c : r.rows()) {
            if (c.getWorkloadStatus() == null) {
                continue;
            }
            b.append("    <testcase classname=\"").append(xml(c.getCluster())).append("\" name=\"")
                    .append(xml(c.getNamespace())).append('"');
            String detail = c.getWorkloadStatus().name() + ": " + c.getWorkloadReason();
            switch (c.getWorkloadStatus()) {
                case NON_COMPLIANT -> b.append(">\n      <failure type=\"").append(Workloads.RULE_ID).append("\" message=\"")
                        .append(xml(detail)).append("\"/>\n    </testcase>\n");
                case EXEMPT, TERMINATING -> b.append(">\n      <skipped message=\"").append(xml(detail))
                        .append("\"/>\n    </testcase>\n");
                default -> b.append(">\n      <system-out>").append(xml(detail)).append("</system-out>\n    </testcase>\n");
            }
        }
        b.append("  </testsuite>\n");
    }

    static String xml(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        b.append(' ');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ");
    }
}
