package io.fencewatch.reliability;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random changes made through the mock API server: creates and deletes of namespaces and
 * default-deny NetworkPolicies. Each API write counts as one change. A namespace is deleted as
 * Kubernetes does it: its policies first, then the namespace itself.
 */
final class Churn {
    private final MockCluster cluster;
    private final Random random;
    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();
    private final Map<String, List<String>> policies = new HashMap<>();
    private int nextNamespace;
    private int nextPolicy;
    int changes;
    int namespacesCreated;
    int namespacesDeleted;
    int policiesCreated;
    int policiesDeleted;

    Churn(MockCluster cluster, long seed, String prefix) {
        this.cluster = cluster;
        this.random = new Random(seed);
        this.prefix = prefix;
    }

    /** The system namespaces and {@code count} user namespaces, every other one with a policy. */
    Churn seed(int count) {
        cluster.createNamespace("default");
        cluster.createNamespace("kube-system");
        for (int i = 0; i < count; i++) {
            String ns = createNamespace();
            if (i % 2 == 0) {
                createPolicy(ns);
            }
        }
        return this;
    }

    /** {@code count} more API writes, keeping at most {@code maxNamespaces} user namespaces. */
    Churn run(int count, int maxNamespaces) {
        int target = changes + count;
        while (changes < target) {
            int dice = random.nextInt(100);
            if (namespaces.isEmpty() || (dice < 30 && namespaces.size() < maxNamespaces)) {
                createNamespace();
            } else if (dice < 55) {
                createPolicy(pick());
            } else if (dice < 85) {
                String ns = pick();
                List<String> ps = policies.getOrDefault(ns, List.of());
                if (ps.isEmpty()) {
                    createPolicy(ns);
                } else {
                    String p = ps.remove(random.nextInt(ps.size()));
                    cluster.deletePolicy(ns, p);
                    policiesDeleted++;
                    changes++;
                }
            } else {
                deleteNamespace(pick(), target);
            }
        }
        return this;
    }

    private String pick() {
        return namespaces.get(random.nextInt(namespaces.size()));
    }

    private String createNamespace() {
        String ns = prefix + "-" + (nextNamespace++);
        cluster.createNamespace(ns);
        namespaces.add(ns);
        namespacesCreated++;
        changes++;
        return ns;
    }

    private void createPolicy(String ns) {
        String name = "deny-" + (nextPolicy++);
        cluster.createDefaultDeny(ns, name);
        policies.computeIfAbsent(ns, k -> new ArrayList<>()).add(name);
        policiesCreated++;
        changes++;
    }

    private void deleteNamespace(String ns, int target) {
        List<String> ps = policies.getOrDefault(ns, new ArrayList<>());
        while (!ps.isEmpty() && changes < target) {
            cluster.deletePolicy(ns, ps.remove(ps.size() - 1));
            policiesDeleted++;
            changes++;
        }
        if (ps.isEmpty() && changes < target) {
            cluster.deleteNamespace(ns);
            namespaces.remove(ns);
            policies.remove(ns);
            namespacesDeleted++;
            changes++;
        }
    }

    /** Counts from here on (the seed is not a change the scenario talks about). */
    void resetCounts() {
        changes = 0;
        namespacesCreated = 0;
        namespacesDeleted = 0;
        policiesCreated = 0;
        policiesDeleted = 0;
    }

    String summary() {
        return changes + " changes: " + namespacesCreated + " namespaces created, " + namespacesDeleted + " deleted, "
                + policiesCreated + " policies created, " + policiesDeleted + " deleted";
    }
}
