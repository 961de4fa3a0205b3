package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import io.fencewatch.schema.TopicNames;
import io.fencewatch.schema.common.Status;
import io.fencewatch.schema.drift.DriftReason;
import io.fencewatch.kafka.EmbeddedKafkaBroker;
import io.fencewatch.testing.KafkaBrokerExtension;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver): a namespace
 * turning non-compliant shows on the open page within a second, without reload; cluster cards are
 * grouped by OKE compartment (kubeconfig contexts apart), unreachable and stale clusters in their
 * own colours with the collector's error. Screenshots go to {@code target/dashboard-*.png}.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DashboardBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    /** A label value that would run script if the page ever took data for markup. */
    private static final String XSS = "<img src=x onerror=alert(1)>";

    private static EmbeddedKafkaBroker broker;
    private static TopicNames topics;
    private static QueryTestApp.Instance app;
    private static WebDriver browser;
    private static Path profile;

    @BeforeAll
    static void start(EmbeddedKafkaBroker kafka) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: the dashboard browser test needs /usr/bin/chromium and /usr/bin/chromedriver "
                        + "(apt-get install -y chromium chromium-driver)");
        broker = kafka;
        io.fencewatch.schema.serde.FencewatchSerdes.namespaceCoverage(); // Avro 1.12: trust our records before copying one
        topics = new TopicNames(QueryTestApp.uniquePrefix("ui"));
        QueryTestApp.createTopics(broker, topics, 2);
        broker.createTopic(ClusterStatesIT.clusterTopic(topics), 2);
        QueryTestApp.produceCoverage(broker, topics, List.of(
                QueryTestApp.coverage("prod-eu", "checkout", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "catalog", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "search", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "legacy-batch", Status.NON_COMPLIANT),
                QueryTestApp.coverage("prod-eu", "kube-system", Status.EXEMPT),
                QueryTestApp.coverage("prod-eu", "new-team", Status.PENDING),
                QueryTestApp.coverage("staging", "web", Status.COMPLIANT),
                fencedByAGlobalPolicy(QueryTestApp.coverage("staging", "api", Status.COMPLIANT)),
                enforced("oke-down", "shop", Status.COMPLIANT, true),
                QueryTestApp.coverage("old-ctx", "web", Status.COMPLIANT),
                enforced("oke-flat", "web", Status.COMPLIANT, false),
                enforced("oke-flat", "api", Status.COMPLIANT, false),
                enforced("oke-flat", "batch", Status.NON_COMPLIANT, false),
                enforced("oke-flat", "jobs", Status.NON_COMPLIANT, false),
                // FW-NP-003 (issue 16), as the rules write the rows: pods known with one unfenced workload,
                // pods not known, and more unfenced workloads than a row lists.
                WorkloadRows.row("staging", "shop", List.of(WorkloadRows.ingressFor("api")), List.of(
                        WorkloadRows.shape("Deployment", "api", Map.of("app", "api"), 3, false),
                        WorkloadRows.shape("Deployment", "web", Map.of("app", XSS, "tier", "front"), 5, false),
                        WorkloadRows.shape("DaemonSet", "agent", Map.of("app", "agent"), 2, true))),
                WorkloadRows.podsNotKnown("staging", "blind", List.of(WorkloadRows.ingressFor("api"))),
                WorkloadRows.row("staging", "sprawl", List.of(), sprawl())));
        // Cluster states as the processor keeps them, in both partitions: two OKE clusters of prod/eu
        // (one unreachable), one of dev, and two kubeconfig contexts (one silent).
        Instant now = Instant.now();
        for (int p = 0; p < 2; p++) {
            ClusterStatesIT.produce(broker, topics, "prod-eu", p, ClusterStatesIT.View.oke(now, "v1.31.1"));
            ClusterStatesIT.produce(broker, topics, "oke-down", p, ClusterStatesIT.View.oke(now, "v1.30.1")
                    .withUnreachable("401 Unauthorized: the token was refused", now.minusSeconds(600))
                    .withEnforcement(ClusterStatesIT.CALICO));
            // An OKE cluster on the flannel overlay without Calico: its policies exist and do nothing.
            ClusterStatesIT.produce(broker, topics, "oke-flat", p, ClusterStatesIT.View.oke(now, "v1.31.1")
                    .withEnforcement(ClusterStatesIT.FLANNEL));
            ClusterStatesIT.produce(broker, topics, "oke-dev", p, new ClusterStatesIT.View(now.toEpochMilli(), false, true,
                    null, 0L, "oke", "us-ashburn-1", "dev", "ocid1.compartment.oc1..dev", "ocid1.cluster.oc1.iad.d",
                    "v1.31.1", "PUBLIC_ENDPOINT"));
            ClusterStatesIT.produce(broker, topics, "staging", p, new ClusterStatesIT.OnlyLastSeen(now.toEpochMilli()));
            ClusterStatesIT.produce(broker, topics, "old-ctx", p, ClusterStatesIT.View.bare(now.minusSeconds(3600)).withStale());
        }
        QueryTestApp.produceDrift(broker, topics, List.of(
                QueryTestApp.drift("ui-0", "prod-eu", "legacy-batch", Status.COMPLIANT, Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(), Map.of(),
                ClusterStatesIT.topology(topics), ClusterStatesIT.CLUSTER_STORE);
        await().atMost(Duration.ofSeconds(60)).until(() ->
                QueryTestApp.get(app.uri("/api/v1/clusters/prod-eu/namespaces")).statusCode() == 200
                        && app.server.driftFeed().warm());

        profile = Files.createTempDirectory("fencewatch-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1440,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (app != null) {
            app.close();
        }
        QueryTestApp.deleteRecursively(profile);
    }

    @Test
    void shouldShowNamespaceTurningNonCompliantWithinOneSecondWithoutReload() throws Exception {
        browser.get(app.uri("/").toString());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
            assertThat(browser.findElements(By.cssSelector(".cluster[data-cluster='prod-eu']"))).hasSize(1);
            assertThat(browser.findElements(By.cssSelector("#nc-body tr[data-key='prod-eu/legacy-batch']"))).hasSize(1);
            assertThat(browser.findElement(By.id("live")).getAttribute("data-state")).isEqualTo("live");
        });
        // A marker that a reload would erase.
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.__noReload = true;");

        // The processor updates its store, then commits the drift (exactly-once): same order here.
        QueryTestApp.produceCoverage(broker, topics, List.of(QueryTestApp.coverage("prod-eu", "payments", Status.NON_COMPLIANT)));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                QueryTestApp.get(app.uri("/api/v1/clusters/prod-eu/namespaces/payments")).statusCode() == 200);
        QueryTestApp.produceDrift(broker, topics, List.of(
                QueryTestApp.drift("ui-1", "prod-eu", "payments", Status.COMPLIANT, Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
        long committed = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(25)).untilAsserted(() ->
                assertThat(browser.findElements(By.cssSelector("#nc-body tr[data-key='prod-eu/payments']"))).hasSize(1));
        long shownMs = (System.nanoTime() - committed) / 1_000_000;
        assertThat(((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.__noReload === true;"))
                .as("no reload").isEqualTo(true);
        assertThat(browser.findElement(By.id("feed")).getText()).contains("payments");
        // Nothing that should be hidden shows: no token prompt (auth is off), no empty states.
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("nc-empty")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("feed-empty")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("banner")).isDisplayed()).isFalse();
        // The summary bar follows: 2 non-compliant in prod-eu.
        await().atMost(Duration.ofSeconds(3)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElement(By.cssSelector(".cluster[data-cluster='prod-eu']")).getText()).contains("2 non-compliant"));
        screenshot("overview");
        System.out.println("namespace shown on the page " + shownMs + " ms after the drift commit");

        // The namespace view: status, grades, the default-deny YAML to copy.
        browser.findElement(By.cssSelector("#nc-body tr[data-key='prod-eu/payments']")).click();
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElement(By.id("ns-body")).getText()).contains("kubernetes.io/metadata.name: kube-system"));
        WebElement body = browser.findElement(By.id("ns-body"));
        assertThat(body.getText()).contains("Non-compliant", "no NetworkPolicy", "Ingress", "Egress", "None",
                "namespace: payments", "port: 53", "protocol: UDP", "protocol: TCP", "Enforced\nUnknown")
                .as("an absent part is left out, not written as text").doesNotContain("null");
        screenshot("namespace");
    }

    /** A row the effective profile passed through a Calico cluster-wide default deny alone (issue 15). */
    private static io.fencewatch.schema.coverage.NamespaceCoverage fencedByAGlobalPolicy(
            io.fencewatch.schema.coverage.NamespaceCoverage row) {
        row.setProfile("effective");
        row.setPolicies(List.of());
        row.setReason("isolated by GlobalNetworkPolicy default-deny");
        row.setFencedBy(List.of(new io.fencewatch.schema.coverage.FenceRef("GlobalNetworkPolicy", "projectcalico.org/v3",
                "default-deny", "cluster", List.of("ingress", "egress"), "all")));
        row.setEffectiveIngress(io.fencewatch.schema.common.Grade.DEFAULT_DENY);
        row.setEffectiveEgress(io.fencewatch.schema.common.Grade.DEFAULT_DENY);
        return row;
    }

    @Test
    void shouldShowWhatFencesANamespaceBeyondItsNetworkPoliciesWhenLookedUp() throws Exception {
        browser.get(app.uri("/").toString());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
            assertThat(browser.findElements(By.cssSelector("#lookup-cluster option[value='staging']"))).isNotEmpty();
            ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                    "document.getElementById('lookup-cluster').value = 'staging';");
            WebElement ns = browser.findElement(By.id("lookup-ns"));
            ns.clear();
            ns.sendKeys("api");
            ns.submit();
            assertThat(browser.findElement(By.id("ns-body")).getText()).contains("Fenced by other kinds (1)");
        });
        String text = browser.findElement(By.id("ns-body")).getText();
        assertThat(text).contains("Profile\neffective", "isolated by GlobalNetworkPolicy default-deny",
                "None of networking.k8s.io: FW-NP-001 counts only those.", "GlobalNetworkPolicy/default-deny",
                "projectcalico.org/v3 · cluster-wide · ingress and egress, every pod", "INGRESS, EVERY KIND")
                .doesNotContain("Every pod in this namespace accepts and sends any traffic");
        screenshot("fenced-by");
    }

    @Test
    void shouldGroupClustersByCompartmentAndShowUnreachableAndStaleClustersInTheirColours() throws Exception {
        browser.get(app.uri("/").toString());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
            assertThat(groupOf("prod-eu")).isEqualTo("prod/eu");
            assertThat(groupOf("oke-down")).isEqualTo("prod/eu");
            assertThat(groupOf("oke-dev")).isEqualTo("dev");
            assertThat(groupOf("staging")).isEqualTo("Kubernetes contexts");
            assertThat(groupOf("old-ctx")).isEqualTo("Kubernetes contexts");
        });
        List<String> groups = browser.findElements(By.cssSelector(".cluster-group")).stream()
                .map(g -> g.getAttribute("data-group")).toList();
        assertThat(groups).as("compartments sorted, kubeconfig contexts last").containsExactly("dev", "prod/eu", "Kubernetes contexts");
        assertThat(card("prod-eu").getText()).contains("eu-frankfurt-1");
        assertThat(card("oke-dev").getText()).contains("us-ashburn-1");

        WebElement down = card("oke-down");
        assertThat(down.getAttribute("data-state")).isEqualTo("UNREACHABLE");
        assertThat(down.getText()).contains("unreachable", "401 Unauthorized: the token was refused", "fenced, last known");
        WebElement stale = card("old-ctx");
        assertThat(stale.getAttribute("data-state")).isEqualTo("STALE");
        assertThat(stale.getText()).contains("stale data");
        String unreachableColour = down.getCssValue("border-top-color");
        String staleColour = stale.getCssValue("border-top-color");
        String watchingColour = card("prod-eu").getCssValue("border-top-color");
        assertThat(unreachableColour).isEqualTo("rgba(109, 40, 217, 1)");
        assertThat(staleColour).isEqualTo("rgba(194, 97, 12, 1)");
        assertThat(watchingColour).isNotIn(unreachableColour, staleColour);
        assertThat(down.findElement(By.cssSelector(".cluster-error")).getCssValue("color")).isEqualTo(unreachableColour);
        screenshot("clusters");
    }

    /**
     * FW-NP-002 on the card: a cluster whose collector found no NetworkPolicy engine shows the
     * warning in red and 0 % fenced although half its namespaces have a policy; once an engine runs
     * (its cluster state, rows and drift as the processor writes them) the warning goes, the engine
     * shows and the share counts; a cluster of unknown enforcement says so, muted. Data is text,
     * never markup.
     */
    @Test
    void shouldWarnWhileAClusterEnforcesNoPolicyAndShowItsEngineOnceOneRuns() throws Exception {
        browser.get(app.uri("/").toString());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() ->
                assertThat(card("oke-flat").getAttribute("data-enforcement")).isEqualTo("NOT_ENFORCED"));
        WebElement flat = card("oke-flat");
        WebElement warning = flat.findElement(By.cssSelector(".cluster-enforcement.not-enforced"));
        assertThat(warning.getText()).isEqualTo(
                "Policies are not enforced: no network policy engine found (OKE flannel overlay, no Calico)");
        assertThat(warning.getCssValue("color")).as("red").isEqualTo("rgba(217, 63, 63, 1)");
        assertThat(flat.findElement(By.cssSelector(".pct")).getText()).startsWith("0%").contains("fenced");
        assertThat(card("oke-down").getAttribute("data-enforcement")).isEqualTo("ENFORCED");
        assertThat(card("oke-down").getText()).contains("Policies enforced by Calico v3.28.0")
                .doesNotContain("not enforced");
        WebElement unknown = card("prod-eu").findElement(By.cssSelector(".cluster-enforcement.unknown"));
        assertThat(unknown.getText()).startsWith("enforcement unknown: ");
        assertThat(card("prod-eu").findElement(By.cssSelector(".pct")).getText()).contains("with policy");
        assertThat(card("oke-down").findElement(By.cssSelector(".pct")).getText()).startsWith("100%")
                .contains("fenced, last known");
        screenshot("not-enforced");
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.__noReload = true;");

        // Calico appears: the processor rewrites the cluster state and the rows, then commits a drift per row.
        ClusterLiveness.PolicyEnforcement calico = new ClusterLiveness.PolicyEnforcement("ENFORCED", List.of(
                new ClusterLiveness.PolicyEngine("Calico", "v3.28.0", "kube-system", "calico-node", 2, 2),
                new ClusterLiveness.PolicyEngine("<i>odd</i>", null, "kube-system", "x", null, null)),
                "enforced by Calico v3.28.0 (kube-system/calico-node)");
        for (int p = 0; p < 2; p++) {
            ClusterStatesIT.produce(broker, topics, "oke-flat", p, ClusterStatesIT.View.oke(Instant.now(), "v1.31.1")
                    .withEnforcement(calico));
        }
        List<String> names = List.of("web", "api", "batch", "jobs");
        java.util.function.Function<String, Status> status = n -> n.equals("web") || n.equals("api") ? Status.COMPLIANT
                : Status.NON_COMPLIANT;
        QueryTestApp.produceCoverage(broker, topics, names.stream()
                .map(n -> enforced("oke-flat", n, status.apply(n), true)).toList());
        await().atMost(Duration.ofSeconds(10)).until(() -> QueryTestApp.get(app.uri("/api/v1/clusters")).body()
                .contains("\"fenced\":2,\"fencedShare\":0.5"));
        QueryTestApp.produceDrift(broker, topics, names.stream().map(n -> QueryTestApp.drift("ui-engine-" + n, "oke-flat",
                n, status.apply(n), status.apply(n), DriftReason.POLICY_ENGINE_ADDED)).toList());

        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> {
            WebElement c = card("oke-flat");
            assertThat(c.getAttribute("data-enforcement")).isEqualTo("ENFORCED");
            assertThat(c.findElements(By.cssSelector(".cluster-enforcement.not-enforced"))).isEmpty();
            assertThat(c.getText()).doesNotContain("not enforced")
                    .contains("Policies enforced by Calico v3.28.0, <i>odd</i>");
            assertThat(c.findElement(By.cssSelector(".pct")).getText()).startsWith("50%");
        });
        assertThat(card("oke-flat").findElements(By.tagName("i"))).as("a name is text, never markup").isEmpty();
        assertThat(browser.findElement(By.id("feed")).getText()).contains("NetworkPolicy engine found: policies are enforced");
        assertThat(((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.__noReload === true;"))
                .as("no reload").isEqualTo(true);
        screenshot("enforced");
    }

    /**
     * FW-NP-003 in the namespace view: the pods isolated per direction as a bar with the numbers,
     * hostNetwork pods apart, the status and reason, the unfenced workloads with their labels as
     * text; one line when pods are not known; "and N more" past the listed twenty; the badge in the
     * non-compliant table.
     */
    @Test
    void shouldShowWhichWorkloadsAreFencedAndSayWhenPodsAreNotWatched() throws Exception {
        browser.get(app.uri("/").toString());
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElements(By.cssSelector("#lookup-cluster option[value='staging']"))).isNotEmpty());
        lookUp("staging", "shop");
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElement(By.cssSelector("#ns-body .workloads")).getAttribute("data-pods")).isEqualTo("known"));
        WebElement workloads = browser.findElement(By.cssSelector("#ns-body .workloads"));
        assertThat(workloads.findElement(By.cssSelector(".pod-bar[data-direction='ingress'] .pod-bar-text")).getText())
                .isEqualTo("INGRESS 3 / 8 pods isolated");
        assertThat(workloads.findElement(By.cssSelector(".pod-bar[data-direction='egress'] .pod-bar-text")).getText())
                .isEqualTo("EGRESS 0 / 8 pods isolated");
        assertThat(workloads.findElements(By.cssSelector(".pod-bar[data-direction='ingress'] .bar span")))
                .extracting(e -> e.getAttribute("class")).containsExactly("b-compliant", "b-noncompliant");
        assertThat(workloads.findElement(By.cssSelector(".host-network")).getText())
                .isEqualTo("2 hostNetwork pods apart: on the node's network, where no NetworkPolicy applies");
        assertThat(workloads.findElement(By.cssSelector(".workload-status")).getText())
                .startsWith("Non-compliant 1 workload (5 of 8 pods) not selected by a NetworkPolicy: Deployment web");
        List<WebElement> rows = workloads.findElements(By.cssSelector(".unfenced tbody tr"));
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).getAttribute("data-workload")).isEqualTo("Deployment/web");
        assertThat(rows.get(0).findElements(By.tagName("td"))).extracting(WebElement::getText)
                .containsExactly("Deployment", "web", "app=" + XSS + " tier=front", "5", "ingress and egress");
        assertThat(browser.findElements(By.cssSelector("#ns-body img"))).as("a label is text, never markup").isEmpty();
        assertThat(workloads.findElements(By.cssSelector(".more"))).isEmpty();
        assertThat(browser.findElement(By.id("ns-body")).getText()).as("FW-NP-001 keeps its meaning")
                .startsWith("Compliant");
        screenshot("workloads");

        // The cluster card counts the namespaces with unfenced workloads, as /api/v1/clusters does.
        com.fasterxml.jackson.databind.JsonNode clusters = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(QueryTestApp.get(app.uri("/api/v1/clusters")).body());
        long unfenced = java.util.stream.StreamSupport.stream(clusters.spliterator(), false)
                .filter(c -> c.path("cluster").asText().equals("staging")).findFirst().orElseThrow()
                .at("/workloads/nonCompliant").asLong();
        assertThat(unfenced).as("shop and sprawl at least").isGreaterThanOrEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> assertThat(card("staging")
                .findElement(By.cssSelector(".cluster-workloads")).getText()).isEqualTo("· " + unfenced
                        + " with unfenced workloads"));

        lookUp("staging", "blind");
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElement(By.cssSelector("#ns-body .workloads")).getAttribute("data-pods")).isEqualTo("unknown"));
        WebElement blind = browser.findElement(By.cssSelector("#ns-body .workloads"));
        assertThat(blind.getText()).isEqualTo("Workloads (FW-NP-003)\npods not watched: run the collector with --watch-pods");
        assertThat(blind.findElements(By.cssSelector(".pod-bar"))).isEmpty();

        lookUp("staging", "sprawl");
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(browser.findElement(By.cssSelector("#ns-body .workloads .more")).getText()).isEqualTo("and 3 more"));
        assertThat(browser.findElements(By.cssSelector("#ns-body .unfenced tbody tr"))).hasSize(20);
        assertThat(browser.findElement(By.cssSelector("#ns-body .unfenced tbody tr")).getAttribute("data-workload"))
                .as("most pods first").isEqualTo("Deployment/w22");

        // The non-compliant table: FW-NP-003's badge, a dash where pods are not known.
        assertThat(browser.findElement(By.cssSelector("#nc-body tr[data-key='staging/sprawl'] td.fw003")).getText())
                .isEqualTo("Non-compliant");
        assertThat(browser.findElement(By.cssSelector("#nc-body tr[data-key='prod-eu/legacy-batch'] td.fw003")).getText())
                .isEqualTo("–");
    }

    /** 23 Deployments no policy selects, w0 with 1 pod up to w22 with 23. */
    private static List<io.fencewatch.rules.NamespaceState.Workload> sprawl() {
        List<io.fencewatch.rules.NamespaceState.Workload> out = new java.util.ArrayList<>();
        for (int i = 0; i < 23; i++) {
            out.add(WorkloadRows.shape("Deployment", "w" + i, Map.of("app", "w" + i), i + 1, false));
        }
        return out;
    }

    /** Opens a namespace through the lookup form, as a user would submit it. */
    private static void lookUp(String cluster, String namespace) {
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "document.getElementById('lookup-cluster').value = arguments[0];"
                        + "document.getElementById('lookup-ns').value = arguments[1];"
                        + "document.getElementById('lookup').requestSubmit();", cluster, namespace);
    }

    private static io.fencewatch.schema.coverage.NamespaceCoverage enforced(String cluster, String namespace, Status status,
            Boolean value) {
        return io.fencewatch.schema.coverage.NamespaceCoverage.newBuilder(QueryTestApp.coverage(cluster, namespace, status))
                .setEnforced(value).build();
    }

    private static WebElement card(String cluster) {
        return browser.findElement(By.cssSelector(".cluster[data-cluster='" + cluster + "']"));
    }

    private static String groupOf(String cluster) {
        return card(cluster).findElement(By.xpath("ancestor::section[contains(@class,'cluster-group')]"))
                .getAttribute("data-group");
    }

    private static void screenshot(String name) throws Exception {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target", "dashboard-" + name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
