package io.fencewatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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
 * turning non-compliant shows on the open page within a second, without reload. Screenshots go
 * to {@code target/dashboard-*.png}.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DashboardBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

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
        topics = new TopicNames(QueryTestApp.uniquePrefix("ui"));
        QueryTestApp.createTopics(broker, topics, 2);
        QueryTestApp.produceCoverage(broker, topics, List.of(
                QueryTestApp.coverage("prod-eu", "checkout", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "catalog", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "search", Status.COMPLIANT),
                QueryTestApp.coverage("prod-eu", "legacy-batch", Status.NON_COMPLIANT),
                QueryTestApp.coverage("prod-eu", "kube-system", Status.EXEMPT),
                QueryTestApp.coverage("prod-eu", "new-team", Status.PENDING),
                QueryTestApp.coverage("staging", "web", Status.COMPLIANT),
                QueryTestApp.coverage("staging", "api", Status.COMPLIANT)));
        QueryTestApp.produceDrift(broker, topics, List.of(
                QueryTestApp.drift("ui-0", "prod-eu", "legacy-batch", Status.COMPLIANT, Status.NON_COMPLIANT, DriftReason.LAST_POLICY_DELETED)));
        app = QueryTestApp.start(broker, topics.prefix() + "-app", topics, Map.of(), Map.of());
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
                "namespace: payments", "port: 53", "protocol: UDP", "protocol: TCP");
        screenshot("namespace");
    }

    private static void screenshot(String name) throws Exception {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target", "dashboard-" + name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
