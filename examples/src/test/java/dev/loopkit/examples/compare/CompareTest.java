package dev.loopkit.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparison CLI runs every workload under every model and reports figures that hold up: every
 * request checked its answer, latencies are no shorter than the work they waited for, and the
 * reports carry every cell. The figures of these short runs are not results.
 */
class CompareTest {

  @TempDir Path out;

  private List<Cell.Result> run(String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--out", out.toString()));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    return Compare.run(
        Settings.parse(all), all, new PrintStream(printed, true, StandardCharsets.UTF_8));
  }

  @Test
  void everyWorkloadRunsUnderEveryModelWithoutAnError() throws IOException {
    List<Cell.Result> results =
        run(
            "--fork",
            "false",
            "--warmup",
            "0.1",
            "--duration",
            "0.3",
            "--concurrency",
            "3",
            "--hash-iterations",
            "1000");
    assertEquals(Workload.values().length * Settings.DEFAULT_MODELS.size(), results.size());
    for (Cell.Result r : results) {
      String cell = r.workload() + " " + r.model();
      assertNull(r.failure(), cell);
      assertEquals(0, r.errors(), cell + ": " + r.firstError());
      assertTrue(r.completed() > 0, cell + " completed nothing");
      assertTrue(r.p50Millis() <= r.p99Millis() && r.p99Millis() <= r.maxMillis(), cell);
      if (r.model().equals("threads/platform")) {
        // 200 started up front; in one JVM, threads of an earlier cell may still be ending when
        // the baseline is read, so allow some of them.
        assertTrue(
            r.platformThreadsAdded() >= 150,
            cell + ": the pool's 200 threads, but added " + r.platformThreadsAdded());
      } else {
        assertTrue(r.platformThreadsAdded() < 50, cell + " added " + r.platformThreadsAdded());
      }
      assertEquals(-1, r.peakRssBytes(), cell + ": RSS is the process's, not the cell's");
      boolean onLoop = r.model().startsWith("loop/");
      assertEquals(onLoop, !Double.isNaN(r.loopDelayMaxMillis()), cell + ": loop delay");
    }
    String csv = Files.readString(out.resolve("comparison.csv"));
    assertEquals(results.size() + 1, csv.lines().count());
    String json = Files.readString(out.resolve("comparison.json"));
    for (String model : Settings.DEFAULT_MODELS) {
      assertTrue(json.contains("\"model\": \"" + model + "\""), model);
    }
    assertTrue(json.contains("\"commit\""), "the report names the commit");
    String html = Files.readString(out.resolve("comparison.html"));
    assertEquals(Workload.values().length * 6, count(html, "<svg "), "six charts per workload");
    String md = Files.readString(out.resolve("comparison.md"));
    int start = md.indexOf("<div class=\"comparison\">");
    assertTrue(start > 0);
    assertTrue(
        !md.substring(start).contains("\n\n"),
        "no blank line in the HTML, or Markdown would end the block there");
  }

  @Test
  void aRequestTakesAtLeastItsWaitAndEveryChainKeepsGoing() throws IOException {
    int waitMillis = 40;
    int concurrency = 4;
    double seconds = 0.6;
    List<Cell.Result> results =
        run(
            "--fork",
            "false",
            "--workloads",
            "wait",
            "--warmup",
            "0",
            "--duration",
            String.valueOf(seconds),
            "--concurrency",
            String.valueOf(concurrency),
            "--wait-millis",
            String.valueOf(waitMillis));
    assertEquals(Settings.DEFAULT_MODELS.size(), results.size());
    double perChain = seconds / (waitMillis / 1000.0); // 15 waits fit in the window
    for (Cell.Result r : results) {
      // A timer never fires, nor a sleep returns, before its delay: no latency below the wait.
      assertTrue(r.p50Millis() >= waitMillis * 0.999, r.model() + " p50 " + r.p50Millis());
      assertTrue(
          r.completed() <= concurrency * (perChain + 1), r.model() + " completed " + r.completed());
      // Every chain keeps going: at least a fifth of what fits (a wide margin for a busy machine).
      assertTrue(
          r.completed() >= concurrency * perChain / 5, r.model() + " completed " + r.completed());
    }
  }

  @Test
  void aForkedCellRunsInItsOwnJvmAndReportsItsPeakRss() throws IOException {
    List<Cell.Result> results =
        run(
            "--workloads",
            "file",
            "--models",
            "threads/platform",
            "--warmup",
            "0.1",
            "--duration",
            "0.2",
            "--concurrency",
            "2");
    Cell.Result r = results.get(0);
    assertNull(r.failure());
    assertTrue(r.completed() > 0);
    assertTrue(r.peakRssBytes() > 0, "a forked cell reads its own VmHWM");
    assertTrue(Files.readString(out.resolve("logs/cell-1.log")).contains("cell done"));
  }

  @Test
  void badOptionsAreRefusedNamingTheOptionAndWhatIsAllowed() {
    assertRefused("--models", "loop/manual", "loop/manual cannot be timed");
    assertRefused("--models", "threads/green", "--models: unknown model 'threads/green'");
    assertRefused("--workloads", "disk", "--workloads: unknown workload 'disk'; allowed: file");
    assertRefused("--concurrency", "0", "--concurrency: '0' is not allowed; a whole number from 1");
    assertRefused("--concurrency", "4,,8", "--concurrency: an empty item");
    assertRefused("--duration", "soon", "--duration: 'soon' is not allowed; seconds from");
    assertRefused("--fork", "yes", "--fork: 'yes' is not allowed; true or false");
    assertRefused("--speed", "1", "unknown option '--speed'; allowed: --quick");
    assertRefused("--models", "loop/fiber", "--models: unknown model 'loop/fiber'; allowed: loop/");
    assertRefused("--out", "--fork", "--out: needs a value");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Settings.parse(List.of("--out")));
    assertTrue(e.getMessage().startsWith("--out: needs a value"), e.getMessage());
  }

  @Test
  void settingsGoToAChildJvmUnchanged() {
    Settings s =
        Settings.parse(List.of("--quick", "--models", "loop/virtual", "--hash-iterations", "77"));
    Settings again = Settings.parse(s.toArgs());
    assertEquals(s, again, "every setting but --out and --fork goes through toArgs and back");
    assertEquals(77, again.hashIterations());
    assertEquals(List.of(1, 8), again.concurrency());
  }

  private static void assertRefused(String option, String value, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Settings.parse(List.of(option, value)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
