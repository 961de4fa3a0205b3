package io.fencewatch.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import io.fencewatch.collector.ClusterAgent;
import io.fencewatch.collector.Collector;
import io.fencewatch.collector.config.CollectorConfig;

/** A real collector process (in this JVM) watching a mock cluster. */
final class Collectors {
    private Collectors() {
    }

    static Collector start(String bootstrap, String prefix, String cluster, MockCluster mock, List<String> fatal) {
        CollectorConfig config = CollectorConfig.fromMap(Map.of("cluster-id", cluster, "bootstrap-servers", bootstrap,
                "topic-prefix", prefix, "http-port", "-1", "list-page-size", "0", "heartbeat-interval", "5s",
                "shutdown-timeout", "5s"));
        Collector c = new Collector(config, target -> mock.newClient(), (id, reason) -> fatal.add(id + ": " + reason));
        try {
            return c.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ClusterAgent agent(Collector c) {
        return c.agents().get(0);
    }

    /** Informers synced, Kafka reachable, and the open epoch's SYNC_END acked on every partition. */
    static boolean ready(Collector c) {
        return agent(c).readinessProblem() == null;
    }
}
