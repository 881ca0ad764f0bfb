package dev.loopkit.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reports write what they are given, escaped, and charts break where a figure is missing. */
class ReportTest {

  private static Cell.Result cell(String model, int level, double throughput, long errors) {
    return new Cell.Result(
        "wait",
        model,
        level,
        1,
        10,
        errors,
        errors == 0 ? null : "boom \"quoted\"\nnext\tline",
        throughput,
        1,
        1,
        1,
        1,
        1,
        1,
        0.5,
        0.05,
        3,
        20,
        -1,
        1 << 20,
        -1,
        Double.NaN,
        Double.NaN,
        Double.NaN,
        0.5,
        null);
  }

  @Test
  void jsonAndCsvEscapeTextAndLeaveUnknownFiguresEmpty() {
    Cell.Result r = cell("threads/virtual", 4, 10, 2);
    RunInfo info =
        new RunInfo(Map.of("command", "say \"hi\""), Instant.EPOCH, Instant.EPOCH.plusSeconds(1));
    String json = Report.json(info, List.of(r));
    assertTrue(json.contains("\"command\": \"say \\\"hi\\\"\""), json);
    assertTrue(json.contains("\"firstError\": \"boom \\\"quoted\\\"\\nnext\\tline\""), json);
    assertTrue(json.contains("\"heapAfterGcBytes\": null"), "-1 is unknown, not a figure");
    assertTrue(json.contains("\"loopDelayP99Millis\": null"), "NaN is unknown");
    assertTrue(json.contains("\"peakHeapBytes\": 1048576"), json);
    String csv = Report.csv(List.of(r));
    assertTrue(csv.contains("\"boom \"\"quoted\"\"\nnext\tline\""), csv);
    assertFalse(csv.contains(",-1,"), csv);
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
  void aCellWithErrorsIsNeitherChartedNorThePeer() {
    Settings settings = Settings.parse(List.of("--quick"));
    RunInfo info = new RunInfo(Map.of(), Instant.EPOCH, Instant.EPOCH);
    String html =
        Report.fragment(
            info,
            settings,
            List.of(cell("threads/virtual", 4, 10, 3), cell("loop/single-thread", 4, 20, 0)));
    assertFalse(html.contains("threads/virtual, 4 in flight"), "the erring cell is not charted");
    assertTrue(html.contains("loop/single-thread, 4 in flight"));
    assertFalse(html.contains("<td>2.00</td>"), "no ratio against a peer with errors: " + html);
    assertTrue(html.contains("3: boom"), "the table shows the errors");
  }

  @Test
  void aRunsReportsAreWrittenAgainFromItsCsvAndJsonUnchanged(@TempDir Path dir) throws Exception {
    Settings settings = Settings.parse(List.of("--quick", "--wait-millis", "7"));
    RunInfo info =
        new RunInfo(
            new LinkedHashMap<>(
                Map.of(
                    "settings", String.join(" ", settings.toArgs()), "cpu", "a \"quoted\" \\ one")),
            Instant.parse("2026-12-01T08:00:00Z"),
            Instant.parse("2026-12-01T08:15:00Z"));
    List<Cell.Result> cells =
        List.of(
            cell("threads/virtual", 8, 10, 0),
            cell("loop/virtual", 8, 25, 0),
            cell("loop/virtual", 1, 5, 2));
    Report.write(dir, info, settings, cells);
    String md = Files.readString(dir.resolve("comparison.md"));
    String csv = Files.readString(dir.resolve("comparison.csv"));
    assertTrue(md.contains("<td>2.50</td>"), "the summary's ratio of loop/virtual at 8");
    assertTrue(md.contains("waits 7 ms"), "descriptions from the settings");
    assertEquals(cells, Report.readCsv(csv));
    Files.delete(dir.resolve("comparison.md"));
    Compare.rewrite(dir);
    assertEquals(md, Files.readString(dir.resolve("comparison.md")));
    assertEquals(csv, Files.readString(dir.resolve("comparison.csv")));
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
