package dev.loopkit.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A negative control for the browser check: a site broken in each way it looks for must fail it, in
 * exactly those places, so a passing check on the real site cannot come from a checker that sees
 * nothing. Needs Chromium, like the check itself.
 */
class SiteCheckTest {

  @Test
  void aBrokenSiteIsCaughtInEveryWayAndAGoodPageIsNot(@TempDir Path dir) throws Exception {
    assumeTrue(SiteCheck.available(), "no chromium and chromedriver: the browser check is skipped");
    Path site = Files.createDirectories(dir.resolve("site"));
    String drawn =
        "<svg data-chart=\"ok\" viewBox=\"0 0 10 10\"><rect width=\"5\" height=\"5\"/></svg>";
    Files.writeString(
        site.resolve("good.html"),
        "<!doctype html><html><head><meta name=\"viewport\" content=\"width=device-width\">"
            + "<link rel=\"icon\" href=\"data:,\"></head><body><h1 id=\"top\">good</h1>"
            + drawn
            + "<a href=\"#top\">top</a> <a href=\"bad.html\">bad</a></body></html>");
    Files.writeString(
        site.resolve("bad.html"),
        "<!doctype html><html><head><meta name=\"viewport\" content=\"width=device-width\">"
            + "<link rel=\"icon\" href=\"data:,\"></head><body>"
            + "<script>console.error('broken on purpose');</script>"
            + "<a href=\"missing.html\">missing</a> <a href=\"good.html#nowhere\">anchor</a>"
            + "<svg data-chart=\"empty\" viewBox=\"0 0 10 10\"><rect width=\"0\" height=\"5\"/></svg>"
            + "<div style=\"width:2000px\">too wide</div></body></html>");

    Map<String, Object> report = SiteCheck.check(site, dir.resolve("report"));

    assertEquals(2, report.get("pages"));
    assertEquals(2, report.get("consoleErrors"), "one per width: " + report.get("problems"));
    assertEquals(2, report.get("brokenLinks"), String.valueOf(report.get("problems")));
    assertEquals(2, report.get("charts"));
    assertEquals(1, report.get("chartsDrawn"));
    assertEquals(2, report.get("overflowingPages"), "bad.html at both widths");
    // the console error, the width and the empty chart at both widths; the two links once
    assertEquals(
        2 + 2 + 2 + 2,
        ((List<?>) report.get("problems")).size(),
        String.valueOf(report.get("problems")));
    assertEquals(
        true,
        Files.exists(dir.resolve("report/screenshots/bad-390.png")),
        "a screenshot per width");
  }
}
