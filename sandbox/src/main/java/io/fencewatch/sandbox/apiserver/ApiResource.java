package io.fencewatch.sandbox.apiserver;

import java.util.List;
import java.util.Optional;

/**
 * One resource type the simulated API server advertises in discovery and OpenAPI.
 *
 * @param group API group, empty for the core group
 * @param version API version
 * @param kind object kind
 * @param plural resource name in URLs
 * @param namespaced whether objects live in a namespace
 * @param shortNames kubectl short names
 */
record ApiResource(String group, String version, String kind, String plural, boolean namespaced,
                   List<String> shortNames) {

  static final ApiResource NAMESPACES =
      new ApiResource("", "v1", "Namespace", "namespaces", false, List.of("ns"));
  static final ApiResource NETWORK_POLICIES =
      new ApiResource("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, List.of("netpol"));
  static final ApiResource LEASES =
      new ApiResource("coordination.k8s.io", "v1", "Lease", "leases", true, List.of());
  /** Where NetworkPolicy engines (Calico's calico-node, Cilium, ...) run; FW-NP-002 looks for them. */
  static final ApiResource DAEMON_SETS =
      new ApiResource("apps", "v1", "DaemonSet", "daemonsets", true, List.of("ds"));

  /** Everything served, in discovery order (a real server lists apps before networking.k8s.io). */
  static final List<ApiResource> ALL = List.of(NAMESPACES, DAEMON_SETS, NETWORK_POLICIES, LEASES);

  static final List<String> VERBS_CLUSTER =
      List.of("create", "delete", "get", "list", "patch", "update", "watch");
  static final List<String> VERBS_NAMESPACED =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  String singular() {
    return kind.toLowerCase(java.util.Locale.ROOT);
  }

  List<String> verbs() {
    return namespaced ? VERBS_NAMESPACED : VERBS_CLUSTER;
  }

  /** The URL prefix of its group version, {@code /api/v1} or {@code /apis/<group>/<version>}. */
  String groupVersionPath() {
    return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }

  /** The resource of a kind, e.g. {@code DaemonSet}. */
  static Optional<ApiResource> byKind(String kind) {
    return ALL.stream().filter(r -> r.kind.equals(kind)).findFirst();
  }

  static Optional<ApiResource> byPlural(String group, String plural) {
    String g = group == null ? "" : group;
    return ALL.stream().filter(r -> r.group.equals(g) && r.plural.equals(plural)).findFirst();
  }
}
