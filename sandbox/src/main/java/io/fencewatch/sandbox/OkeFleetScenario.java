package io.fencewatch.sandbox;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fencewatch.ocistub.OciTestCredentials;
import io.fencewatch.ocistub.OkeFleetStub;
import io.fencewatch.ocistub.OkeTokenVerifier;
import io.fencewatch.sandbox.apiserver.SimulatedApiServer;

/**
 * {@code --scenario oke}: a tenancy played by the OCI stand-in ({@code oci-stub}: Identity and
 * Container Engine, every request's signature checked against a key made for this run), with two
 * compartments and three OKE clusters, each its own simulated API server that accepts only a valid
 * OKE token for that cluster (and kubectl's sandbox token). The collector discovers them with
 * {@code --oci-compartments} and watches them with in-process tokens. Then the story: a cluster is
 * created (picked up at the next rediscovery), one is deleted (its rows retire with
 * {@code CLUSTER_REMOVED}), one starts refusing the collector (UNREACHABLE).
 */
final class OkeFleetScenario extends ScenarioThread {
    private static final Logger LOG = LoggerFactory.getLogger(OkeFleetScenario.class);
    static final String REGION = "eu-frankfurt-1";
    /** How often the collector lists the fleet again in this scenario. */
    static final Duration REDISCOVER = Duration.ofSeconds(3);

    /** One simulated OKE cluster. */
    record Member(String name, String compartment, OkeFleetStub.Cluster cluster, SimulatedApiServer api, Path kubeconfig) {
    }

    private final Path dir;
    private final PrintStream out;
    private final Duration pause;
    private final OciTestCredentials creds;
    private final OkeFleetStub oci;
    private final String prod;
    private final String dev;
    private final Map<String, Member> members = new java.util.concurrent.ConcurrentSkipListMap<>();

    OkeFleetScenario(Path dataDir, PrintStream out, Duration pause) {
        super("fencewatch-sandbox-oke");
        this.dir = dataDir.resolve("oke");
        this.out = out;
        this.pause = pause;
        this.creds = OciTestCredentials.create(dir.resolve("oci"), "DEFAULT");
        try {
            this.oci = OkeFleetStub.start(Clock.systemUTC(), REGION, OciTestCredentials.TENANCY);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the OCI stand-in", e);
        }
        oci.verifier().trust(creds.keyId(), creds.keyPair().getPublic());
        prod = oci.addCompartment(OciTestCredentials.TENANCY, "prod");
        dev = oci.addCompartment(OciTestCredentials.TENANCY, "dev");
        add("shop", prod, "/prod");
        add("payments", prod, "/prod");
        add("dev-1", dev, "/dev");
        seed();
    }

    private Member add(String name, String compartmentId, String compartment) {
        SimulatedApiServer api = new SimulatedApiServer().start(0);
        OkeFleetStub.Cluster cluster = oci.addCluster(compartmentId, name, api.url());
        OkeTokenVerifier tokens = new OkeTokenVerifier(oci.verifier(), REGION, cluster.id);
        api.requireToken(t -> tokens.verify(t) != null);
        Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig-" + name));
        Member m = new Member(name, compartment, cluster, api, kubeconfig);
        members.put(name, m);
        return m;
    }

    private void seed() {
        try (KubernetesClient shop = members.get("shop").api().client();
                KubernetesClient payments = members.get("payments").api().client();
                KubernetesClient dev1 = members.get("dev-1").api().client()) {
            namespace(shop, "storefront");
            shop.network().v1().networkPolicies().inNamespace("storefront").resource(DemoScenario.defaultDeny("storefront"))
                    .create();
            namespace(shop, "checkout");
            namespace(payments, "ledger");
            payments.network().v1().networkPolicies().inNamespace("ledger").resource(DemoScenario.defaultDeny("ledger"))
                    .create();
            namespace(dev1, "experiments");
        }
    }

    private static void namespace(KubernetesClient k, String name) {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    }

    /** The collector's flags for this fleet. */
    Map<String, String> collectorFlags() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("oci-compartments", OciTestCredentials.TENANCY);
        c.put("oci-auth", "api-key");
        c.put("oci-config-file", creds.configFile().toString());
        c.put("oci.identity.endpoint", oci.endpoint());
        c.put("oci.containerengine.endpoint", oci.endpoint());
        c.put("oci-rediscover-interval", REDISCOVER.toMillis() + "ms");
        c.put("unreachable-after", "2s");
        c.put("heartbeat-interval", "2s");
        return c;
    }

    /** The one API key the fleet's collector signs with (discovery, tokens; the OCI sink too, when asked). */
    OciTestCredentials credentials() {
        return creds;
    }

    /** How many clusters are there at the start. */
    int initialClusters() {
        return 3;
    }

    /** Banner lines: the tenancy and how to drive each cluster. */
    void announce(PrintStream p) {
        p.println("  OCI        stand-in Identity and Container Engine at " + oci.endpoint() + " (tenancy "
                + OciTestCredentials.TENANCY + ", requests signed with " + creds.configFile() + ")");
        for (Member m : members.values()) {
            p.println(String.format(java.util.Locale.ROOT, "  Cluster    %-9s compartment %-6s %s  kubectl: KUBECONFIG=%s",
                    m.name(), m.compartment(), m.api().url(), m.kubeconfig()));
        }
    }

    @Override
    void play() {
        try {
            if (waitStop(pause.plus(REDISCOVER))) {
                return;
            }
            out.println("oke:   a new cluster 'analytics' is created in compartment dev (watched at the next"
                    + " rediscovery, within " + REDISCOVER.toSeconds() + " s)");
            Member analytics = add("analytics", dev, "/dev");
            try (KubernetesClient k = analytics.api().client()) {
                namespace(k, "dashboards");
            }
            out.println("         drive it: KUBECONFIG=" + analytics.kubeconfig() + " kubectl get ns");
            if (waitStop(pause.plus(REDISCOVER).plus(REDISCOVER))) {
                return;
            }
            out.println("oke:   cluster 'dev-1' is deleted (DELETING): its rows retire with drift CLUSTER_REMOVED");
            members.get("dev-1").cluster().lifecycleState = "DELETING";
            if (waitStop(pause.plus(REDISCOVER).plus(REDISCOVER))) {
                return;
            }
            out.println("oke:   cluster 'payments' starts refusing the collector's token (401): UNREACHABLE,"
                    + " its rows marked stale, retried");
            // OKE checks a token when a request starts: open watches end (as at an API server restart).
            members.get("payments").api().requireToken(t -> false);
            members.get("payments").api().endWatches();
            if (waitStop(pause.plus(Duration.ofSeconds(6)))) {
                return;
            }
            out.println("oke:   done; see the clusters on the dashboard and at /api/v1/clusters");
        } catch (RuntimeException e) {
            LOG.warn("oke scenario stopped: {}", e.toString());
            out.println("oke:   stopped: " + e.getMessage());
        }
    }

    List<Member> members() {
        return List.copyOf(members.values());
    }

    @Override
    public void close() {
        super.close();
        for (Member m : members.values()) {
            try {
                m.api().close();
            } catch (RuntimeException e) {
                LOG.warn("stopping {}: {}", m.name(), e.toString());
            }
        }
        oci.close();
    }
}
