package io.fencewatch.reliability;

import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fencewatch.schema.common.Status;

/** Reads the query surface's JSON. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static JsonNode parse(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not JSON: " + body, e);
        }
    }

    /** A list answer ({@code /api/v1/clusters/{c}/namespaces}) as status per namespace. */
    static Map<String, Status> statuses(String body) {
        Map<String, Status> out = new TreeMap<>();
        for (JsonNode n : parse(body)) {
            out.put(n.get("namespace").asText(), Status.valueOf(n.get("status").asText()));
        }
        return out;
    }
}
