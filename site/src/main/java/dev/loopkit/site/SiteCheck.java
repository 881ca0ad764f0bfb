package dev.loopkit.site;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The browser check: opens every page of the generated site in headless Chromium, at 1280 and 390
 * CSS pixels wide, served over loopback, and fails on any console error, any link or anchor that
 * does not resolve to a generated file or an element of it, any chart ({@code [data-chart]}) with
 * no drawn mark (a {@code rect}, {@code circle}, {@code path} or {@code polyline} of non-zero
 * size), and any page wider than the screen. Writes {@code report.json} (with {@code pages}, {@code
 * consoleErrors}, {@code brokenLinks}, {@code charts}, {@code chartsDrawn}) and a screenshot of
 * each page at each width.
 *
 * <p>Run by the build ({@code integration-test}): {@code SiteCheck <site dir> <report dir>}. Needs
 * Debian's {@code chromium} and {@code chromium-driver} (or {@code CHROME_BIN} and {@code
 * CHROMEDRIVER}); without them it says so in one line and passes.
 */
public final class SiteCheck {
  private static final int[] WIDTHS = {1280, 390};
  private static final int HEIGHT = 900;

  /** Links, ids, marks and overflow of the page in the browser, after its scripts ran. */
  private static final String PROBE =
      """
      const marks = el => [...el.querySelectorAll('rect,circle,path,polyline')].filter(m => {
        const b = m.getBBox(), line = m.tagName === 'path' || m.tagName === 'polyline';
        return (line ? b.width > 0 || b.height > 0 : b.width > 0 && b.height > 0)
          && getComputedStyle(m).display !== 'none'; }).length;
      return {
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
        sources: [...document.querySelectorAll('img[src],script[src],link[href]')]
          .map(e => e.getAttribute('src') || e.getAttribute('href')),
        ids: [...document.querySelectorAll('[id],a[name]')].map(e => e.id || e.name),
        charts: [...document.querySelectorAll('[data-chart]')].map(c => marks(c)),
        overflow: document.documentElement.scrollWidth - window.innerWidth
      };
      """;

  private SiteCheck() {}

  public static void main(String[] args) throws Exception {
    if (!available()) {
      System.out.println(
          "site check: SKIPPED - no chromium and chromedriver on the PATH"
              + " (apt-get install chromium chromium-driver; CI installs them)");
      return;
    }
    Map<String, Object> report = check(Path.of(args[0]), Path.of(args[1]));
    System.out.printf(
        java.util.Locale.ROOT,
        "site check: %d pages at %d and %d px, %d console errors, %d broken of %d links,"
            + " %d of %d charts drawn, %d too wide (%.0f s); report: %s%n",
        report.get("pages"),
        WIDTHS[0],
        WIDTHS[1],
        report.get("consoleErrors"),
        report.get("brokenLinks"),
        report.get("linksChecked"),
        report.get("chartsDrawn"),
        report.get("charts"),
        report.get("overflowingPages"),
        report.get("seconds"),
        Path.of(args[1]).resolve("report.json"));
    List<?> problems = (List<?>) report.get("problems");
    if (!problems.isEmpty()) {
      problems.forEach(p -> System.out.println("  " + p));
      System.exit(1);
    }
  }

  /** Whether Chromium and its driver are installed. */
  static boolean available() {
    return executable("CHROME_BIN", "chromium", "chromium-browser").isPresent()
        && executable("CHROMEDRIVER", "chromedriver").isPresent();
  }

  /**
   * Checks every page of {@code siteDir}; writes {@code report.json} and the screenshots into
   * {@code reportDir} and returns the report.
   */
  static Map<String, Object> check(Path siteDir, Path reportDirectory) throws Exception {
    Path site = siteDir.toAbsolutePath();
    Path reportDir = reportDirectory.toAbsolutePath();
    Path chromium = executable("CHROME_BIN", "chromium", "chromium-browser").orElseThrow();
    Path driverBinary = executable("CHROMEDRIVER", "chromedriver").orElseThrow();
    Logger.getLogger("org.openqa.selenium").setLevel(Level.SEVERE);
    long start = System.nanoTime();
    List<Path> pages;
    try (Stream<Path> files = Files.list(site)) {
      pages = files.filter(f -> f.toString().endsWith(".html")).sorted().toList();
    }
    Files.createDirectories(reportDir.resolve("screenshots"));

    HttpServer server =
        SimpleFileServer.createFileServer(
            new InetSocketAddress("127.0.0.1", 0), site, SimpleFileServer.OutputLevel.NONE);
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";

    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1280," + HEIGHT);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(driverBinary.toFile())
            .withLogOutput(java.io.OutputStream.nullOutputStream())
            .build();

    List<String> problems = new ArrayList<>();
    List<Map<String, Object>> perPage = new ArrayList<>();
    int consoleErrors = 0;
    int brokenLinks = 0;
    int linksChecked = 0;
    int charts = 0;
    int chartsDrawn = 0;
    int overflowing = 0;
    Map<Path, Set<String>> idsOfFile = new HashMap<>();
    ChromeDriver driver = new ChromeDriver(service, options);
    try {
      for (Path page : pages) {
        String name = page.getFileName().toString();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("page", name);
        int[] drawnAtEveryWidth = null;
        for (int width : WIDTHS) {
          driver.manage().window().setSize(new Dimension(width, HEIGHT));
          driver.get(base + name);
          // step every animation through all its frames, so a script error in any frame shows
          ((JavascriptExecutor) driver)
              .executeScript(
                  "document.querySelectorAll('figure.anim button').forEach(b => {"
                      + " for (let i = 0; i < 20; i++) b.click(); })");
          @SuppressWarnings("unchecked")
          Map<String, Object> probe =
              (Map<String, Object>) ((JavascriptExecutor) driver).executeScript(PROBE);
          for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
              consoleErrors++;
              problems.add(name + " @" + width + "px: console error: " + e.getMessage());
            }
          }
          List<?> marks = (List<?>) probe.get("charts");
          if (drawnAtEveryWidth == null) {
            drawnAtEveryWidth = new int[marks.size()];
            java.util.Arrays.fill(drawnAtEveryWidth, 1);
          }
          for (int i = 0; i < marks.size(); i++) {
            if (((Number) marks.get(i)).intValue() == 0) {
              drawnAtEveryWidth[i] = 0;
              problems.add(name + " @" + width + "px: chart " + (i + 1) + " has no drawn mark");
            }
          }
          long overflow = ((Number) probe.get("overflow")).longValue();
          if (overflow > 0) {
            overflowing++;
            problems.add(name + " @" + width + "px: the page is " + overflow + " px too wide");
          }
          row.put("marks@" + width, marks);
          if (width == WIDTHS[0]) {
            List<String> refs = new ArrayList<>();
            for (Object o : (List<?>) probe.get("links")) {
              refs.add((String) o);
            }
            for (Object o : (List<?>) probe.get("sources")) {
              refs.add((String) o);
            }
            Set<String> ownIds = Set.copyOf(strings(probe.get("ids")));
            for (String href : refs) {
              linksChecked++;
              String broken = resolve(site, page, href, ownIds, idsOfFile);
              if (broken != null) {
                brokenLinks++;
                problems.add(name + ": " + broken);
              }
            }
            row.put("links", refs.size());
          }
          // the whole page, not just the first screen (capped for the longest pages)
          long full =
              ((Number)
                      ((JavascriptExecutor) driver)
                          .executeScript("return document.documentElement.scrollHeight"))
                  .longValue();
          driver.manage().window().setSize(new Dimension(width, (int) Math.min(full, 12_000)));
          byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
          Files.write(
              reportDir
                  .resolve("screenshots")
                  .resolve(name.replace(".html", "") + "-" + width + ".png"),
              png);
        }
        int drawn = 0;
        for (int d : drawnAtEveryWidth) {
          drawn += d;
        }
        charts += drawnAtEveryWidth.length;
        chartsDrawn += drawn;
        row.put("charts", drawnAtEveryWidth.length);
        row.put("chartsDrawn", drawn);
        perPage.add(row);
      }
    } finally {
      driver.quit();
      server.stop(0);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("pages", pages.size());
    report.put("widths", WIDTHS);
    report.put("consoleErrors", consoleErrors);
    report.put("brokenLinks", brokenLinks);
    report.put("linksChecked", linksChecked);
    report.put("charts", charts);
    report.put("chartsDrawn", chartsDrawn);
    report.put("overflowingPages", overflowing);
    report.put("seconds", Math.round(seconds * 10) / 10.0);
    report.put("problems", problems);
    report.put("perPage", perPage);
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(reportDir.resolve("report.json").toFile(), report);
    return report;
  }

  /**
   * Null when {@code href} resolves, else what is wrong: a link must name a generated file and,
   * with a fragment, an element of that file. Links leaving the site are refused too (the site must
   * read offline).
   */
  private static String resolve(
      Path site, Path page, String href, Set<String> ownIds, Map<Path, Set<String>> idsOfFile)
      throws IOException {
    if (href.startsWith("data:") || href.startsWith("mailto:")) {
      return null;
    }
    URI uri = URI.create(href.replace(" ", "%20"));
    if (uri.getScheme() != null || href.startsWith("//")) {
      return "link leaves the site: " + href;
    }
    String path = uri.getPath();
    String fragment = uri.getFragment();
    Path target =
        path == null || path.isEmpty() ? page : page.getParent().resolve(path).normalize();
    if (!target.startsWith(site)) {
      return "link outside the site: " + href;
    }
    if (Files.isDirectory(target)) {
      target = target.resolve("index.html");
    }
    if (!Files.isRegularFile(target)) {
      return "no such file: " + href;
    }
    if (fragment == null || fragment.isEmpty()) {
      return null;
    }
    Set<String> ids =
        target.equals(page) ? ownIds : idsOfFile.computeIfAbsent(target, SiteCheck::idsIn);
    return ids.contains(fragment)
        ? null
        : "no element #" + fragment + " in " + target.getFileName();
  }

  private static final Pattern ID = Pattern.compile("\\s(?:id|name)=\"([^\"]+)\"");

  private static Set<String> idsIn(Path file) {
    try {
      Set<String> ids = new java.util.HashSet<>();
      Matcher m = ID.matcher(Files.readString(file));
      while (m.find()) {
        ids.add(m.group(1));
      }
      return ids;
    } catch (IOException e) {
      return Set.of();
    }
  }

  private static List<String> strings(Object list) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) list) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  private static Optional<Path> executable(String env, String... names) {
    String fromEnv = System.getenv(env);
    if (fromEnv != null && Files.isExecutable(Path.of(fromEnv))) {
      return Optional.of(Path.of(fromEnv));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : names) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }
}
