package io.fencewatch.sandbox.apiserver;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A request path split the way the API server routes it.
 *
 * @param group API group, empty for core
 * @param version API version
 * @param namespace namespace of a namespaced request, else null
 * @param plural resource name
 * @param name object name, null for collections
 * @param subresource {@code status}, {@code finalize}, ..., else null
 * @param query decoded query parameters (first value wins)
 */
record ApiPath(String group, String version, String namespace, String plural, String name,
               String subresource, Map<String, String> query) {

  /** Splits {@code raw} (path and query); empty when it is not a resource path. */
  static Optional<ApiPath> parse(String raw) {
    int q = raw.indexOf('?');
    String path = q < 0 ? raw : raw.substring(0, q);
    Map<String, String> query = parseQuery(q < 0 ? "" : raw.substring(q + 1));
    String[] s = path.replaceAll("^/+|/+$", "").split("/");
    int i;
    String group;
    if (s.length >= 3 && s[0].equals("api")) {
      group = "";
      i = 1;
    } else if (s.length >= 4 && s[0].equals("apis")) {
      group = s[1];
      i = 2;
    } else {
      return Optional.empty();
    }
    String version = s[i++];
    String namespace = null;
    int rest = s.length - i;
    if (rest >= 3 && s[i].equals("namespaces") && !isNamespaceSubresource(group, s[i + 2])) {
      namespace = s[i + 1];
      i += 2;
      rest -= 2;
    }
    if (rest < 1 || rest > 3) {
      return Optional.empty();
    }
    String plural = s[i];
    String name = rest >= 2 ? s[i + 1] : null;
    String sub = rest == 3 ? s[i + 2] : null;
    return Optional.of(new ApiPath(group, version, namespace, plural, name, sub, query));
  }

  private static boolean isNamespaceSubresource(String group, String segment) {
    return group.isEmpty() && (segment.equals("status") || segment.equals("finalize"));
  }

  static Map<String, String> parseQuery(String query) {
    Map<String, String> out = new LinkedHashMap<>();
    if (query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  /** The same path with query parameter {@code key} set to {@code value}. */
  ApiPath withQuery(String key, String value) {
    Map<String, String> q = new LinkedHashMap<>(query);
    q.put(key, value);
    return new ApiPath(group, version, namespace, plural, name, subresource, q);
  }

  boolean isWatch() {
    String w = query.get("watch");
    return "true".equals(w) || "1".equals(w);
  }

  Optional<ApiResource> resource() {
    return ApiResource.byPath(group, version, plural);
  }

  /** The path without query, for the CRUD store: its keys come from the path. */
  String storePath() {
    StringBuilder b = new StringBuilder(group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version);
    if (namespace != null) {
      b.append("/namespaces/").append(namespace);
    }
    b.append('/').append(plural);
    if (name != null) {
      b.append('/').append(name);
    }
    if (subresource != null) {
      b.append('/').append(subresource);
    }
    return b.toString();
  }

  /** The same path and query, minus parameters the CRUD store would misread. */
  String storePathWithSelectors() {
    StringBuilder b = new StringBuilder(storePath());
    char sep = '?';
    for (String key : new String[] {"labelSelector", "fieldSelector"}) {
      String v = query.get(key);
      if (v != null && !v.isEmpty()) {
        b.append(sep).append(key).append('=').append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = '&';
      }
    }
    return b.toString();
  }

  String where() {
    return (group.isEmpty() ? "" : group + "/") + plural + " "
        + (namespace == null ? "" : namespace + "/") + (name == null ? "*" : name);
  }
}
