package io.fencewatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.fencewatch.config.Setting;

class CollectorConfigTest {
    private static final Map<String, String> MINIMAL = Map.of("cluster-id", "prod-eu", "bootstrap-servers", "kafka:9092");

    private static CollectorConfig with(String key, String value) {
        Map<String, String> m = new HashMap<>(MINIMAL);
        m.put(key, value);
        return CollectorConfig.fromMap(m);
    }

    @Test
    void shouldApplyDefaultsWhenOnlyRequiredKeysAreGiven() {
        CollectorConfig c = CollectorConfig.fromMap(MINIMAL);
        assertThat(c.get(CollectorConfig.HEARTBEAT_INTERVAL)).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.get(CollectorConfig.IDEMPOTENCE)).isTrue();
        assertThat(c.get(CollectorConfig.LEADER_ELECTION)).isFalse();
        assertThat(c.topics().inventory()).isEqualTo("fencewatch.inventory");
        assertThat(c.annotationPatterns()).containsExactly("fencewatch.io/*");
        assertThat(c.targets()).containsExactly(new ClusterTarget("prod-eu", null));
        assertThat(c.collectorId()).isNotBlank();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "heartbeat-interval|abc|--heartbeat-interval: 'abc' is not a duration (use e.g. 30s, 500ms, 2m or PT30S)",
        "heartbeat-interval|5h|--heartbeat-interval: '5h' is outside 100ms..3600s",
        "queue-capacity|lots|--queue-capacity: 'lots' is not an integer",
        "queue-capacity|3|--queue-capacity: '3' is outside 16..10000000",
        "idempotence|maybe|--idempotence: 'maybe' is not a boolean (true or false)",
        "cluster-id|prod/eu|--cluster-id: 'prod/eu' is not a valid cluster id: cluster id may only hold lower-case letters, digits and '-' (a DNS-1123 label; found '/')",
        "topic-prefix|a b|--topic-prefix: 'a b' is not a valid topic prefix: topic prefix may only hold letters, digits, '-', '_' and '.' (found ' ')",
        "bootstrap-servers|kafka|--bootstrap-servers: 'kafka' is not a list of host:port",
        "bootstrap-servers|kafka:99999|--bootstrap-servers: 'kafka:99999' has a port outside 1..65535",
        "kafka-properties|/no/such/file|--kafka-properties: '/no/such/file' is not a readable file",
        "http-port|70000|--http-port: '70000' is outside -1..65535",
        "forward-annotations|a*b|--forward-annotations: 'a*b' may use '*' only at the end of a key",
        "lease-name|Not_A_Name|--lease-name: 'Not_A_Name' is not a valid Kubernetes name (lower-case letters, digits, '-'; at most 63)",
        "watch-pods|sometimes|--watch-pods: 'sometimes' is not a boolean (true or false)",
        "pod-shape-delay|soon|--pod-shape-delay: 'soon' is not a duration (use e.g. 30s, 500ms, 2m or PT30S)",
        "pod-shape-delay|-1s|--pod-shape-delay: '-1s' is outside 0s..600s",
        "pod-shape-delay|11m|--pod-shape-delay: '11m' is outside 0s..600s",
    })
    void shouldStopWithOneLineNamingTheFlagWhenValueIsBad(String key, String value, String message) {
        assertThatThrownBy(() -> with(key, value)).isInstanceOf(ConfigException.class).hasMessage(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void shouldRequireClusterIdWhenNoContextIsGiven() {
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("bootstrap-servers", "k:1")))
                .hasMessage("--cluster-id: is required when --contexts is empty");
    }

    @Test
    void shouldRequireBootstrapServersWhenPropertiesFileLacksThem() {
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("cluster-id", "a")))
                .hasMessage("--bootstrap-servers: is required (or set bootstrap.servers in --kafka-properties)");
    }

    @Test
    void shouldRejectUnknownFlagWhenParsingArgs() {
        assertThatThrownBy(() -> CollectorConfig.fromArgs(new String[] {"--cluster-id=a", "--heartbeat=1s"}, Map.of()))
                .hasMessage("--heartbeat: unknown flag (see --help)");
    }

    @Test
    void shouldPreferFlagsOverEnvironmentWhenBothAreSet() {
        CollectorConfig c = CollectorConfig.fromArgs(new String[] {"--heartbeat-interval", "5s", "--leader-election"},
                Map.of("FENCEWATCH_CLUSTER_ID", "from-env", "FENCEWATCH_BOOTSTRAP_SERVERS", "k:9092",
                        "FENCEWATCH_HEARTBEAT_INTERVAL", "10s"));
        assertThat(c.get(CollectorConfig.HEARTBEAT_INTERVAL)).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.get(CollectorConfig.CLUSTER_ID)).isEqualTo("from-env");
        assertThat(c.get(CollectorConfig.LEADER_ELECTION)).isTrue();
    }

    @Test
    void shouldNameTheEnvironmentVariableWhenItHoldsTheBadValue() {
        assertThatThrownBy(() -> CollectorConfig.fromArgs(new String[0], Map.of("FENCEWATCH_CLUSTER_ID", "a",
                "FENCEWATCH_BOOTSTRAP_SERVERS", "k:9092", "FENCEWATCH_QUEUE_CAPACITY", "x")))
                .hasMessage("--queue-capacity (from FENCEWATCH_QUEUE_CAPACITY): 'x' is not an integer");
    }

    @Test
    void shouldBuildOneTargetPerContextWhenContextsAreListed() {
        CollectorConfig c = with("contexts", "kind-a, eu=oke-prod-eu ,us=gke_proj_us-east1_prod");
        assertThat(c.targets()).containsExactly(new ClusterTarget("kind-a", "kind-a"),
                new ClusterTarget("eu", "oke-prod-eu"), new ClusterTarget("us", "gke_proj_us-east1_prod"));
        assertThatThrownBy(() -> with("contexts", "a=x,a=y")).hasMessage("--contexts: cluster id 'a' appears twice");
        // A context name that is no DNS-1123 label cannot be the cluster id the processor accepts.
        assertThatThrownBy(() -> with("contexts", "kind-a,gke_proj_us-east1_prod"))
                .hasMessageStartingWith("--contexts: entry 'gke_proj_us-east1_prod': ")
                .hasMessageEndingWith("(write clusterId=context)");
        assertThatThrownBy(() -> with("contexts", "kind-a,arn:aws:eks:eu-west-1:1:cluster/x"))
                .hasMessageStartingWith("--contexts: entry 'arn:aws:eks:eu-west-1:1:cluster/x': ")
                .hasMessageEndingWith("(write clusterId=context)");
    }

    @Test
    void shouldUseClusterIdForTheOneContextWhenBothAreGiven() {
        assertThat(with("contexts", "arn:aws:eks:eu-west-1:1:cluster/x").targets())
                .containsExactly(new ClusterTarget("prod-eu", "arn:aws:eks:eu-west-1:1:cluster/x"));
    }

    @Test
    void shouldRejectLeaseTimingsThatCannotWorkWhenLeaderElectionIsOn() {
        Map<String, String> m = new HashMap<>(MINIMAL);
        m.put("leader-election", "true");
        m.put("lease-duration", "5s");
        m.put("lease-renew-deadline", "10s");
        assertThatThrownBy(() -> CollectorConfig.fromMap(m))
                .hasMessage("--lease-renew-deadline: must be shorter than --lease-duration");
    }

    @Test
    void shouldReadKafkaPropertiesFileWhenGiven(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("kafka.properties");
        Files.writeString(file, "bootstrap.servers=broker:9093\nsecurity.protocol=SASL_SSL\n");
        CollectorConfig c = CollectorConfig.fromMap(Map.of("cluster-id", "a", "kafka-properties", file.toString(),
                "forward-annotations", "team.example.com/owner,example.org/*"));
        assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(c.annotationPatterns()).containsExactly("fencewatch.io/*", "team.example.com/owner", "example.org/*");
    }

    @Test
    void shouldListEveryFlagWithItsEnvironmentVariableWhenUsageIsPrinted() {
        String usage = CollectorConfig.usage();
        for (Setting<?> k : CollectorConfig.keys()) {
            assertThat(usage).contains(k.option()).contains(k.env());
        }
    }

    private static final String TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy";

    @Test
    void shouldDiscoverAFleetWithTheIssuesDefaultsWhenOnlyCompartmentsAreGiven() {
        CollectorConfig c = CollectorConfig.fromMap(Map.of("oci-compartments", TENANCY + ", ocid1.compartment.oc1..aaaaprod",
                "bootstrap-servers", "kafka:9092"));
        assertThat(c.okeFleet()).isTrue();
        assertThat(c.targets()).isEmpty();
        assertThat(c.ociCompartments()).containsExactly(TENANCY, "ocid1.compartment.oc1..aaaaprod");
        assertThat(c.get(CollectorConfig.OCI_SUBTREE)).isTrue();
        assertThat(c.ociRegions()).isEmpty();
        assertThat(c.get(CollectorConfig.OCI_ENDPOINT_TYPE)).isEqualTo("PUBLIC_ENDPOINT");
        assertThat(c.get(CollectorConfig.OCI_REDISCOVER_INTERVAL)).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.get(CollectorConfig.UNREACHABLE_AFTER)).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.ociEndpoints()).isEmpty();
    }

    @Test
    void shouldReadServiceEndpointsFromFlagsAndTheEnvironment() {
        CollectorConfig c = CollectorConfig.fromArgs(new String[] {"--oci-compartments=" + TENANCY,
                "--bootstrap-servers=k:1", "--oci.identity.endpoint=http://127.0.0.1:9999"},
                Map.of("FENCEWATCH_OCI_CONTAINERENGINE_ENDPOINT", "https://ce.example:443"));
        assertThat(c.ociEndpoints()).containsEntry("identity", java.net.URI.create("http://127.0.0.1:9999"))
                .containsEntry("containerengine", java.net.URI.create("https://ce.example:443"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "oci-compartments|ocid1.cluster.oc1..x|--oci-compartments: 'ocid1.cluster.oc1..x' holds 'ocid1.cluster.oc1..x', which is not a compartment or tenancy OCID",
            "oci-regions|eu-frankfurt-1,all-subscribed|--oci-regions: 'eu-frankfurt-1,all-subscribed' names all-subscribed with other regions",
            "oci-regions|Frankfurt|--oci-regions: 'Frankfurt' holds 'Frankfurt', which is not a region identifier (e.g. eu-frankfurt-1)",
            "oci-endpoint-type|PUBLIC|--oci-endpoint-type: 'PUBLIC' is not one of PUBLIC_ENDPOINT, PRIVATE_ENDPOINT, VCN_HOSTNAME",
            "oci-cluster-include|prod/*|--oci-cluster-include: 'prod/*' holds 'prod/*': a cluster name glob has no '/'",
            "oci-rediscover-interval|100ms|--oci-rediscover-interval: '100ms' is outside 1s..86400s",
    })
    void shouldStopWithOneLineNamingTheFleetFlagWhenItsValueIsBad(String key, String value, String message) {
        Map<String, String> m = new HashMap<>(Map.of("oci-compartments", TENANCY, "bootstrap-servers", "k:1"));
        m.put(key, value);
        assertThatThrownBy(() -> CollectorConfig.fromMap(m)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void shouldRefuseAFleetMixedWithNamedContextsOrAnUnknownServiceEndpoint() {
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("oci-compartments", TENANCY, "contexts", "a",
                "bootstrap-servers", "k:1"))).hasMessageStartingWith("--oci-compartments: cannot be combined with --contexts");
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("oci-compartments", TENANCY, "cluster-id", "a",
                "bootstrap-servers", "k:1"))).hasMessageStartingWith("--oci-compartments: cannot be combined with --cluster-id");
        assertThatThrownBy(() -> CollectorConfig.fromArgs(new String[] {"--oci-compartments=" + TENANCY,
                "--bootstrap-servers=k:1", "--oci.objectstorage.endpoint=http://x:1"}, Map.of()))
                .hasMessage("--oci.objectstorage.endpoint: unknown flag (--oci.<service>.endpoint takes identity, containerengine)");
        assertThatThrownBy(() -> CollectorConfig.fromArgs(new String[] {"--oci-compartments=" + TENANCY,
                "--bootstrap-servers=k:1", "--oci.identity.endpoint=ftp://x"}, Map.of()))
                .hasMessage("--oci.identity.endpoint: 'ftp://x' is not an http(s) URL");
    }

    @Test
    void shouldLookForPolicyEnginesWhereTheTableSaysUnlessToldOtherwise() {
        assertThat(CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:1")).policyEngineNamespaces())
                .containsExactly("kube-system", "calico-system");
        assertThat(CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:1",
                "policy-engine-namespaces", " cilium, kube-system,cilium")).policyEngineNamespaces())
                .containsExactly("cilium", "kube-system");
        assertThat(CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:1",
                "policy-engine-namespaces", "")).policyEngineNamespaces()).isEmpty();
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:1",
                "policy-engine-namespaces", "kube-system,Calico_System"))).isInstanceOf(ConfigException.class)
                .hasMessage("--policy-engine-namespaces: 'kube-system,Calico_System' holds 'Calico_System', which is not a valid namespace name");
        assertThatThrownBy(() -> CollectorConfig.fromMap(Map.of("cluster-id", "a", "bootstrap-servers", "k:1",
                "policy-engine-namespaces", "kube-system,,x"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("holds an empty namespace name");
    }

    @Test
    void shouldTakePolicyKindsAsAutoNoneOrAListOfKinds() {
        java.util.function.Function<String, java.util.Set<io.fencewatch.collector.kube.PolicyKind>> kinds = v -> CollectorConfig
                .fromMap(v == null ? Map.of("cluster-id", "a", "bootstrap-servers", "k:1")
                        : Map.of("cluster-id", "a", "bootstrap-servers", "k:1", "policy-kinds", v))
                .policyKinds();
        assertThat(kinds.apply(null)).as("default auto: all seven").containsExactlyInAnyOrder(
                io.fencewatch.collector.kube.PolicyKind.values());
        assertThat(kinds.apply("auto")).hasSize(7);
        assertThat(kinds.apply("none")).isEmpty();
        assertThat(kinds.apply(" calico-global-network-policy, cilium-network-policy,cilium-network-policy"))
                .containsExactly(io.fencewatch.collector.kube.PolicyKind.CALICO_GLOBAL_NETWORK_POLICY,
                        io.fencewatch.collector.kube.PolicyKind.CILIUM_NETWORK_POLICY);
        assertThatThrownBy(() -> kinds.apply("calico-global-network-policy,GlobalNetworkPolicy"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--policy-kinds: 'calico-global-network-policy,GlobalNetworkPolicy' holds"
                        + " 'GlobalNetworkPolicy', which is not a policy kind (auto, none, or a comma list of"
                        + " calico-network-policy, calico-global-network-policy, cilium-network-policy,");
        assertThatThrownBy(() -> kinds.apply("auto,cilium-network-policy")).isInstanceOf(ConfigException.class)
                .hasMessage("--policy-kinds: 'auto,cilium-network-policy' names auto with other kinds (auto stands alone)");
        assertThatThrownBy(() -> kinds.apply("cilium-network-policy,,admin-network-policy"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("holds '', which is not a policy kind");
        assertThat(CollectorConfig.fromArgs(new String[] {"--cluster-id=a", "--bootstrap-servers=k:1"},
                Map.of("FENCEWATCH_POLICY_KINDS", "admin-network-policy")).policyKinds())
                .containsExactly(io.fencewatch.collector.kube.PolicyKind.ADMIN_NETWORK_POLICY);
        assertThat(io.fencewatch.collector.AgentSettings.from(CollectorConfig.fromMap(Map.of("cluster-id", "a",
                "bootstrap-servers", "k:1", "policy-kinds", "none")), new ClusterTarget("a", null)).policyKinds())
                .isEmpty();
    }

    @Test
    void shouldWatchNoPodsUnlessAskedAndGatherShapeChangesForASecond() {
        CollectorConfig defaults = CollectorConfig.fromMap(MINIMAL);
        assertThat(defaults.get(CollectorConfig.WATCH_PODS)).isFalse();
        assertThat(defaults.get(CollectorConfig.POD_SHAPE_DELAY)).isEqualTo(Duration.ofSeconds(1));
        io.fencewatch.collector.AgentSettings off = io.fencewatch.collector.AgentSettings.from(defaults,
                defaults.targets().get(0));
        assertThat(off.watchPods()).isFalse();

        CollectorConfig on = CollectorConfig.fromArgs(new String[] {"--cluster-id=a", "--bootstrap-servers=k:1",
                "--watch-pods", "--pod-shape-delay=0"}, Map.of());
        io.fencewatch.collector.AgentSettings settings = io.fencewatch.collector.AgentSettings.from(on,
                on.targets().get(0));
        assertThat(settings.watchPods()).isTrue();
        assertThat(settings.podShapeDelay()).isZero();
        assertThat(CollectorConfig.fromArgs(new String[] {"--cluster-id=a", "--bootstrap-servers=k:1"},
                Map.of("FENCEWATCH_WATCH_PODS", "true", "FENCEWATCH_POD_SHAPE_DELAY", "250ms")).get(
                        CollectorConfig.POD_SHAPE_DELAY)).isEqualTo(Duration.ofMillis(250));
        assertThat(CollectorConfig.usage()).contains("--watch-pods", "FENCEWATCH_WATCH_PODS", "--pod-shape-delay",
                "FENCEWATCH_POD_SHAPE_DELAY");
    }
}
