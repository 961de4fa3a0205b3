package io.fencewatch.processor;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** CloudEvents 1.0 Kafka protocol binding, binary content mode: attributes as {@code ce_*} headers. */
public final class CloudEvents {
    public static final String SPEC_VERSION = "1.0";
    public static final String DRIFT_TYPE = "io.fencewatch.drift.v1";
    public static final String FINDING_TYPE = "io.fencewatch.finding.v1";
    public static final String OCSF_SCHEMA = "https://schema.ocsf.io/1.3.0/classes/compliance_finding";

    private CloudEvents() {
    }

    /** The source of a cluster's events, a URI reference: {@code /fencewatch/clusters/<cluster>}. */
    public static String source(String cluster) {
        return "/fencewatch/clusters/" + cluster;
    }

    public static Headers headers(String id, String cluster, String type, Instant time, String subject,
            String contentType, String dataSchema) {
        RecordHeaders h = new RecordHeaders();
        put(h, "ce_specversion", SPEC_VERSION);
        put(h, "ce_id", id);
        put(h, "ce_source", source(cluster));
        put(h, "ce_type", type);
        put(h, "ce_time", time.toString());
        put(h, "ce_subject", subject);
        if (dataSchema != null) {
            put(h, "ce_dataschema", dataSchema);
        }
        put(h, "content-type", contentType);
        return h;
    }

    private static void put(Headers h, String key, String value) {
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
