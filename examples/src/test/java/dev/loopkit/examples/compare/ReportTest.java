package dev.loopkit.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reports write what they are given, escaped; a cell is the median of its runs with their
 * spread; charts break where a figure is missing and draw the spread; the JSON reads back.
 */
class ReportTest {

  private static Cell.Result cell(String model, int level, double throughput, long errors) {
    return Cells.result("wait", model, Cell.Point.closed(level), 1, throughput, 1, 1, errors, 0);
  }

  private static RunInfo info(Settings settings) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("command", "say \"hi\"");
    f.put("cpu", "a \"quoted\" \\ one");
    f.put("measures", settings.measures());
    return new RunInfo(
        f, Instant.parse("2026-12-01T08:00:00Z"), Instant.parse("2026-12-01T08:15:00Z"));
  }

  @Test
  void jsonAndCsvEscapeTextAndLeaveUnknownFiguresEmpty() throws Exception {
    Cell.Result r = cell("threads/virtual", 4, 10, 2);
    Settings settings = Settings.parse(List.of("--quick"));
    String json = ResultFiles.json(info(settings), List.of(), CellRuns.group(List.of(r)));
    JsonNode doc = ResultFiles.JSON.readTree(json);
    assertEquals("say \"hi\"", doc.at("/run/command").asText());
    JsonNode c = doc.at("/cells/0");
    assertEquals("boom \"quoted\"\nnext\tline", c.get("firstError").asText());
    assertTrue(c.get("heapAfterGcBytes").isNull(), "-1 is unknown, not a figure");
    assertTrue(c.get("loopDelayP99Millis").isNull(), "NaN is unknown");
    assertTrue(c.get("rate").isNull(), "a closed-loop cell has no rate");
    assertEquals("closed", c.get("mode").asText());
    assertEquals(1048576, c.get("peakHeapBytes").asLong());
    assertTrue(json.contains("\"firstError\" : \"boom \\\"quoted\\\"\\nnext\\tline\""), json);
    String csv = ResultFiles.csv(CellRuns.group(List.of(r)));
    assertTrue(csv.contains("\"boom \"\"quoted\"\"\nnext\tline\""), csv);
    assertFalse(csv.contains(",-1,"), csv);
    assertTrue(csv.startsWith("workload,model,mode,concurrency,"), csv);
    assertTrue(csv.lines().findFirst().orElseThrow().endsWith(",p99MillisMin,p99MillisMax"), csv);
  }

  @Test
  void aCellIsTheMedianOfItsRunsWithTheirSpread() throws Exception {
    List<Cell.Result> runs = new ArrayList<>();
    double[] throughputs = {90, 130, 100};
    double[] p99s = {7, 5, 9};
    for (int run = 1; run <= 3; run++) {
      runs.add(
          Cells.closed(
              "db", "loop/virtual", 16, run, throughputs[run - 1], p99s[run - 1], 100 * run));
    }
    JsonNode c =
        ResultFiles.JSON
            .readTree(
                ResultFiles.json(info(Settings.parse(List.of())), List.of(), CellRuns.group(runs)))
            .at("/cells/0");
    assertEquals(3, c.get("runs").asInt());
    assertEquals(100, c.get("throughput").asDouble(), 1e-9);
    assertEquals(90, c.get("throughputMin").asDouble(), 1e-9);
    assertEquals(130, c.get("throughputMax").asDouble(), 1e-9);
    assertEquals(7, c.get("p99Millis").asDouble(), 1e-9);
    assertEquals(5, c.get("p99MillisMin").asDouble(), 1e-9);
    assertEquals(9, c.get("p99MillisMax").asDouble(), 1e-9);
    assertEquals(200 * 1048576L, c.get("peakRssBytes").asLong());
    assertTrue(c.get("run").isNull(), "a cell is no one run");
    assertEquals(3, c.get("runResults").size());
    assertEquals(130, c.at("/runResults/1/throughput").asDouble(), 1e-9);
  }

  @Test
  void aMissingFigureBreaksTheLineAndLevelsAreCharted() {
    Map<String, double[]> series = new LinkedHashMap<>();
    series.put("a", new double[] {1, Double.NaN, 3, 4});
    series.put("b", new double[] {2, 2, 2, 2});
    String svg =
        Chart.svg(
            "t", "u", List.of(1, 2, 3, 4), series, List.of("a", "b"), new String[] {"#000"}, false);
    assertEquals(3, count(svg, "<polyline"), "a: two pieces around the gap; b: one");
    assertEquals(7, count(svg, "<circle"), "one dot per known figure");
    assertEquals(0, count(svg, "class=\"spread\""), "no spread given, none drawn");
    String spread =
        Chart.svg(
            "t",
            "u",
            "x",
            List.of(1, 2),
            Map.of("a", new double[] {2, 3}),
            Map.of("a", new double[] {1, Double.NaN}),
            Map.of("a", new double[] {4, 5}),
            List.of("a"),
            new String[] {"#000"},
            false);
    assertEquals(1, count(spread, "class=\"spread\""), "a bar where least and greatest are known");
    assertTrue(spread.contains("(runs 1.00 to 4.00)"), spread);
    String log =
        Chart.svg(
            "t",
            "u",
            List.of(1),
            Map.of("a", new double[] {0.02}),
            List.of("a"),
            new String[] {"#000"},
            true);
    assertTrue(log.contains(">0.01<") && log.contains(">0.1<"), "decades around the value: " + log);
    String none =
        Chart.svg(
            "t",
            "u",
            List.of(1),
            Map.of("a", new double[] {Double.NaN}),
            List.of("a"),
            new String[] {"#000"},
            false);
    assertTrue(none.contains("no data"));
  }

  @Test
  void aCellWithErrorsIsNeitherChartedNorThePeerAndEveryBlankIsExplained() {
    Settings settings = Settings.parse(List.of("--quick"));
    List<CellRuns> cells =
        CellRuns.group(
            List.of(cell("threads/virtual", 4, 10, 3), cell("loop/single-thread", 4, 20, 0)));
    String html = Report.fragment(info(settings), settings, cells, Conclusions.of(cells), true);
    assertFalse(
        html.contains("threads/virtual, requests in flight 4"), "the erring cell is not charted");
    assertTrue(html.contains("loop/single-thread, requests in flight 4"));
    assertFalse(html.contains("<td>2.00</td>"), "no ratio against a peer with errors: " + html);
    assertTrue(html.contains("3: boom"), "the table shows the errors");
    assertTrue(html.contains("the peer has no clean cell at this point"), "the blank ratio");
    assertTrue(html.contains("heap after GC: no collection ran"), "the blank heap");
    assertTrue(html.contains("loop delay: a thread-per-request model has no loop"));
    assertTrue(html.contains("No open-loop cells"), "the missing open loop");
  }

  @Test
  void aQuickRunSaysSoOnEveryPage(@TempDir Path dir) throws Exception {
    Settings quick = Settings.parse(List.of("--quick"));
    Report.write(dir, info(quick), quick, List.of(cell("loop/virtual", 8, 25, 0)));
    assertTrue(Files.readString(dir.resolve("comparison.html")).contains("A quick run"));
    String md = Files.readString(dir.resolve("comparison.md"));
    assertTrue(md.startsWith("# Comparison\n\n**A quick run**"), md);
    Settings full = Settings.parse(List.of());
    Report.write(dir, info(full), full, List.of(cell("loop/virtual", 8, 25, 0)));
    assertFalse(Files.readString(dir.resolve("comparison.html")).contains("A quick run"));
    assertFalse(Files.readString(dir.resolve("comparison.md")).contains("A quick run"));
  }

  @Test
  void theConclusionsOpenTheReport(@TempDir Path dir) throws Exception {
    Settings settings = Settings.parse(List.of());
    List<Cell.Result> runs = new ArrayList<>();
    for (int run = 1; run <= 3; run++) {
      runs.add(Cells.closed("db", "loop/virtual", 16, run, 200 + run, 5, 100));
      runs.add(Cells.closed("db", "threads/virtual", 16, run, 100 + run, 5, 100));
    }
    Report.write(dir, info(settings), settings, runs);
    String md = Files.readString(dir.resolve("comparison.md"));
    assertTrue(
        md.startsWith(
            "# Comparison\n\n## When to choose\n\n- **db** (16 in flight): choose `loop/virtual`"),
        md);
    JsonNode doc = ResultFiles.JSON.readTree(dir.resolve("comparison.json").toFile());
    assertTrue(
        doc.at("/whenToChoose/0").asText().contains("choose `loop/virtual`: 1.98×"),
        doc.toString());
    String html = Files.readString(dir.resolve("comparison.html"));
    assertTrue(html.indexOf("When to choose") < html.indexOf("<table"), "before any table");
  }

  @Test
  void aRunsReportsAreWrittenAgainFromItsJsonUnchanged(@TempDir Path dir) throws Exception {
    Settings settings = Settings.parse(List.of("--quick", "--wait-millis", "7"));
    List<Cell.Result> cells =
        List.of(
            cell("threads/virtual", 8, 10, 0),
            cell("loop/virtual", 8, 25, 0),
            cell("loop/virtual", 1, 5, 2),
            Cells.open("wait", "loop/virtual", 0.5, 1, 3, 2),
            Cells.open("wait", "loop/virtual", 0.5, 2, 4, 0),
            Cell.Result.failed(
                Workload.WAIT, "threads/platform", Cell.Point.closed(8), 1, "no JVM"));
    Report.write(dir, info(settings), settings, cells);
    String md = Files.readString(dir.resolve("comparison.md"));
    String csv = Files.readString(dir.resolve("comparison.csv"));
    String json = Files.readString(dir.resolve("comparison.json"));
    assertTrue(md.contains("<td>2.50</td>"), "the summary's ratio of loop/virtual at 8");
    assertTrue(md.contains("waits 7 ms"), "descriptions from the settings");
    assertEquals(
        new java.util.HashSet<>(cells),
        new java.util.HashSet<>(ResultFiles.readJson(json).runs()),
        "every run reads back, figure for figure");
    Files.delete(dir.resolve("comparison.md"));
    Files.delete(dir.resolve("comparison.csv"));
    Compare.rewrite(dir, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    assertEquals(md, Files.readString(dir.resolve("comparison.md")));
    assertEquals(csv, Files.readString(dir.resolve("comparison.csv")));
    assertEquals(json, Files.readString(dir.resolve("comparison.json")));
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
