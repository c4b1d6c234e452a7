package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard (README: Dashboard) in a real headless browser: Debian's {@code chromium} driven
 * through its {@code chromedriver} by Selenium, against a real server with API keys and a namespace
 * of a few documents. The page asks for the key (the server answers 401 without one), lists the
 * namespace, runs a BM25 query with a filter, a hybrid and a vector query whose result tables hold
 * the ids a REST search answers, measures recall with the {@code _debug/recall} button and draws
 * the request charts from {@code /metrics}; the screenshot goes to {@code target/dashboard.png}.
 *
 * <p>Where no browser is installed the test is skipped and says so on stderr; with {@code CI=true}
 * (.ci/run, which installs both packages) a missing browser is a failure instead. Selenium Manager
 * cannot download anything here, so both binaries are named explicitly ({@code
 * -Dtamter.chromium=…}, {@code -Dtamter.chromedriver=…} override the Debian paths).
 */
class DashboardBrowserTest {
    private static final String ADMIN_KEY = "dashboard-test-admin-key-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = TestServer.start(dir.resolve("n"), Map.of(Params.HTTP_API_KEYS.key(), ADMIN_KEY + "=admin"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (s != null) s.close();
    }

    /** Without a browser: the page and its assets come from the jar, to anyone, and name no other host. */
    @Test
    void pageAndAssetsAreServedFromTheJarWithoutAKey() {
        for (String page : List.of("/dashboard", "/dashboard/", "/dashboard/index.html")) {
            HttpResponse<String> r = s.call("GET", page, null);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(page).startsWith("text/html");
            assertThat(r.body()).as(page).contains("<title>Tamter dashboard</title>", "/dashboard/dashboard.js", "/dashboard/dashboard.css");
            assertThat(r.headers().firstValue("Cache-Control")).as(page).hasValue("no-cache");
        }
        HttpResponse<String> js = s.call("GET", "/dashboard/dashboard.js", null);
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type").orElse("")).contains("javascript");
        assertThat(js.body()).contains("function parsePrometheus", "Authorization");
        HttpResponse<String> css = s.call("GET", "/dashboard/dashboard.css", null);
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
        // nothing loaded from another host (no CDN): every asset is this server's
        for (HttpResponse<String> r : List.of(s.call("GET", "/dashboard/", null), js, css))
            assertThat(r.body()).doesNotContain("http://", "https://", "//cdn");
        // a missing asset is API.md's JSON 404, as any unknown path
        HttpResponse<String> missing = s.call("GET", "/dashboard/nope.js", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"not_found\"");
        // the page's requests are one bounded label in the request metrics, not one per asset
        String metrics = s.call("GET", "/metrics", null, "Authorization", "Bearer " + ADMIN_KEY).body();
        assertThat(metrics).contains("route=\"/dashboard\"").doesNotContain("route=\"/dashboard/dashboard.js\"");
    }

    @Test
    void pageListsNamespacesQueriesMeasuresRecallAndCharts() throws Exception {
        File chromium = new File(System.getProperty("tamter.chromium", "/usr/bin/chromium"));
        File chromedriver = new File(System.getProperty("tamter.chromedriver", "/usr/bin/chromedriver"));
        boolean present = chromium.canExecute() && chromedriver.canExecute();
        if (!present) {
            String why = "DashboardBrowserTest: no headless browser (" + chromium + ", " + chromedriver + "); install Debian's "
                    + "chromium and chromium-driver (apt-get install chromium chromium-driver) to run it";
            if ("true".equals(System.getenv("CI"))) fail(why + " — CI must run it (.ci/run installs them)");
            System.err.println("SKIPPED: " + why);
            assumeTrue(false, why);
        }

        String auth = "Bearer " + ADMIN_KEY;
        String ns = "/v1/namespaces/products";
        s.ok("PUT", ns, "{\"num_shards\":2,\"embedding_model\":null}", "Authorization", auth);
        StringBuilder rows = new StringBuilder("{\"upsert_rows\":[");
        String[] words = {"wireless charging pad", "usb cable", "wireless earbuds", "desk lamp", "wireless mouse", "keyboard"};
        for (int i = 0; i < 24; i++) {
            if (i > 0) rows.append(',');
            rows.append("{\"id\":\"p-").append(i).append("\",\"vector\":[").append(Math.cos(i * 0.4)).append(',')
                    .append(Math.sin(i * 0.4)).append(',').append(0.1 * (i % 5)).append("],\"text\":\"")
                    .append(words[i % words.length]).append(" model ").append(i).append("\",\"category\":\"")
                    .append(i % 3 == 0 ? "audio" : "home").append("\",\"price\":").append(10 + i).append('}');
        }
        s.ok("POST", ns + "/upsert", rows.append("]}").toString(), "Authorization", auth);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        // root in a container: chromium's sandbox cannot start there; /dev/shm may be tiny
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1500", "--user-data-dir=" + Files.createTempDirectory(dir, "chrome-profile"));
        // the page talks to the loopback server only; the browser's own background traffic (updates, safe
        // browsing, metrics) is turned off, and any other host name fails to resolve
        options.addArguments("--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                "--no-first-run", "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            WebDriverWait wait = new WebDriverWait(driver, WAIT);
            driver.get(s.base + "/dashboard/");

            // without a key: the server's 401 becomes the page's request for one
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "requires an API key"));
            assertThat(driver.findElements(By.cssSelector("#ns-table tbody tr"))).isEmpty();
            driver.findElement(By.id("api-key")).sendKeys(ADMIN_KEY);
            driver.findElement(By.id("key-save")).click();

            // the namespace's row: documents, shards, owners, index status
            By row = By.cssSelector("#ns-table tbody tr[data-ns='products']");
            WebElement nsRow = wait.until(ExpectedConditions.visibilityOfElementLocated(row));
            JsonNode meta = s.ok("GET", ns, null, "Authorization", auth);
            List<String> cells = driver.findElement(row).findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
            assertThat(driver.findElement(By.id("cluster-summary")).getText()).startsWith("1 server node");
            assertThat(cells.get(0)).isEqualTo("products");
            assertThat(cells.get(1)).isEqualTo(Long.toString(meta.get("approx_row_count").asLong()));
            assertThat(cells.get(5)).isEqualTo("2");
            assertThat(cells.get(6)).as("owners").contains("×2");
            assertThat(cells.get(7)).isEqualTo(meta.get("index").get("status").asText());
            assertThat(nsRow.getText()).contains("products");
            assertThat(new Select(driver.findElement(By.id("q-ns"))).getFirstSelectedOption().getText()).isEqualTo("products");

            // a BM25 query with a filter: the table's ids are the REST search's, in order
            new Select(driver.findElement(By.id("q-mode"))).selectByValue("bm25");
            driver.findElement(By.id("q-text")).sendKeys("wireless");
            driver.findElement(By.id("q-filter")).sendKeys("{\"category\":\"home\"}");
            List<String> browserBm25 = runQuery(driver, wait);
            List<String> restBm25 = ids(s.ok("POST", ns + "/search",
                    "{\"text\":\"wireless\",\"mode\":\"bm25\",\"filter\":{\"category\":\"home\"},\"top_k\":10}", "Authorization", auth));
            assertThat(restBm25).isNotEmpty();
            assertThat(browserBm25).isEqualTo(restBm25);

            // a bad filter names the field, in the page, without a request
            driver.findElement(By.id("q-filter")).sendKeys("x");
            driver.findElement(By.id("q-run")).click();
            assertThat(driver.findElement(By.id("q-error")).getText()).startsWith("filter: not JSON");

            // hybrid: the text's BM25 ranking fused with the vector's, without filter
            new Select(driver.findElement(By.id("q-mode"))).selectByValue("hybrid");
            driver.findElement(By.id("q-filter")).clear();
            driver.findElement(By.id("q-vector")).sendKeys("[1, 0, 0.2]");
            List<String> browserHybrid = runQuery(driver, wait);
            List<String> restHybrid = ids(s.ok("POST", ns + "/search",
                    "{\"text\":\"wireless\",\"vector\":[1,0,0.2],\"mode\":\"hybrid\",\"top_k\":10}", "Authorization", auth));
            assertThat(restHybrid).hasSize(10);
            assertThat(browserHybrid).isEqualTo(restHybrid);

            // a vector query (the text stays in its field and is not sent)
            new Select(driver.findElement(By.id("q-mode"))).selectByValue("vector");
            List<String> browserVector = runQuery(driver, wait);
            List<String> restVector = ids(s.ok("POST", ns + "/search", "{\"vector\":[1,0,0.2],\"top_k\":10}", "Authorization", auth));
            assertThat(restVector).hasSize(10).isNotEqualTo(restHybrid);
            assertThat(browserVector).isEqualTo(restVector);

            // the recall button: _debug/recall's answer, shown as a percentage
            driver.findElement(By.id("recall-run")).click();
            wait.until(ExpectedConditions.attributeToBe(By.id("recall-result"), "class", "done"));
            String recall = driver.findElement(By.id("recall-value")).getText();
            assertThat(recall).matches("\\d+\\.\\d %");
            assertThat(Double.parseDouble(recall.replace(" %", ""))).isBetween(0.0, 100.0);

            // the charts: a point per two successive scrapes of /metrics (one every 2 s), with traffic in between
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < 20 * round; i++)
                    s.ok("POST", ns + "/search", "{\"vector\":[" + Math.cos(i) + "," + Math.sin(i) + ",0],\"top_k\":5}", "Authorization", auth);
                int points = round;
                wait.until(d -> chartPoints(d) >= points);
            }
            assertThat(driver.findElement(By.id("metrics-status")).getText()).contains("requests since start");

            Path shot = Path.of("target", "dashboard.png");
            Files.createDirectories(shot.getParent());
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
            assertThat(Files.size(shot)).isGreaterThan(10_000);
            System.err.println("DashboardBrowserTest: screenshot at " + shot.toAbsolutePath());
        } finally {
            driver.quit();
        }
    }

    /** Submits the query form and returns the result table's ids once the page has drawn the answer. */
    private static List<String> runQuery(ChromeDriver driver, WebDriverWait wait) {
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("document.getElementById('results').dataset.state = 'pending'");
        driver.findElement(By.id("q-run")).click();
        wait.until(d -> "done".equals(d.findElement(By.id("results")).getDomAttribute("data-state"))
                || !d.findElement(By.id("q-error")).getText().isEmpty());
        assertThat(driver.findElement(By.id("q-error")).getText()).isEmpty();
        List<String> out = new ArrayList<>();
        for (WebElement tr : driver.findElements(By.cssSelector("#results tbody tr")))
            out.add(tr.findElement(By.className("id")).getText());
        return out;
    }

    private static int chartPoints(org.openqa.selenium.WebDriver d) {
        String p = d.findElement(By.id("metrics")).getDomAttribute("data-points");
        return p == null ? 0 : Integer.parseInt(p);
    }

    private static List<String> ids(JsonNode res) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : res.get("matches")) out.add(m.get("id").asText());
        return out;
    }
}
