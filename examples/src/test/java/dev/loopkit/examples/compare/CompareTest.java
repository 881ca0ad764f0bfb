package dev.loopkit.examples.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            "--runs",
            "1",
            "--open",
            "none",
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
      assertEquals("closed", r.mode(), cell);
      assertEquals(1, r.run(), cell);
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
      assertTrue(json.contains("\"model\" : \"" + model + "\""), model);
    }
    assertTrue(json.contains("\"commit\""), "the report names the commit");
    String html = Files.readString(out.resolve("comparison.html"));
    assertEquals(
        Workload.values().length * 6 + 2,
        count(html, "<svg "),
        "six charts per workload, and the two of the platform pool on hash");
    assertEquals(
        Workload.values().length,
        count(html.substring(html.indexOf("<ul class=\"conclusions\">")), "<li>"),
        "a conclusion per workload");
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
            "--runs",
            "1",
            "--open",
            "none",
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
  void forkedRunsEachInItsOwnJvmReportTheirPeakRssAndAStoppedGridResumes() throws IOException {
    String[] args = {
      "--workloads",
      "file",
      "--models",
      "threads/platform",
      "--warmup",
      "0.1",
      "--duration",
      "0.2",
      "--concurrency",
      "2",
      "--runs",
      "2",
      "--open",
      "none"
    };
    List<Cell.Result> results = run(args);
    assertEquals(2, results.size());
    for (Cell.Result r : results) {
      assertNull(r.failure());
      assertTrue(r.completed() > 0);
      assertTrue(r.peakRssBytes() > 0, "a forked cell reads its own VmHWM");
      assertTrue(Double.isFinite(r.jitCpuSeconds()), "the JIT's threads' CPU, from /proc");
    }
    assertTrue(
        Files.readString(out.resolve("logs/run-file_threads_platform_c=2-1.log"))
            .contains("cell done"));
    // The same command again finds both runs kept and measures nothing.
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    List<String> again = new ArrayList<>(List.of(args));
    again.addAll(List.of("--out", out.toString()));
    List<Cell.Result> resumed =
        Compare.run(
            Settings.parse(again), again, new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertEquals(results, resumed);
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("2 kept"), printed.toString());
    assertFalse(printed.toString(StandardCharsets.UTF_8).contains("[1/2]"), "no run measured");
  }

  @Test
  void aRunThatFailedIsMadeAgainWhenTheGridResumes() throws IOException {
    String[] args = {
      "--fork",
      "false",
      "--workloads",
      "wait",
      "--models",
      "threads/virtual",
      "--warmup",
      "0",
      "--duration",
      "0.1",
      "--concurrency",
      "2",
      "--runs",
      "1",
      "--open",
      "none",
      "--wait-millis",
      "5"
    };
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--out", out.toString()));
    Settings settings = Settings.parse(all);
    new RunStore(out)
        .save(
            Cell.Result.failed(
                Workload.WAIT, "threads/virtual", Cell.Point.closed(2), 1, "the machine rebooted"),
            settings.measures());
    List<Cell.Result> results = run(args);
    assertEquals(1, results.size(), "the failed run replaced, not kept beside");
    assertNull(results.get(0).failure());
    assertEquals(results, new RunStore(out).load(settings.measures()));
  }

  @Test
  void theOpenLoopOffersAFractionOfThePeakAndCountsDrops() throws IOException {
    List<Cell.Result> results =
        run(
            "--fork",
            "false",
            "--runs",
            "1",
            "--workloads",
            "wait",
            "--models",
            "loop/single-thread,threads/virtual",
            "--warmup",
            "0.1",
            "--duration",
            "0.5",
            "--concurrency",
            "20",
            "--wait-millis",
            "20",
            "--open",
            "0.5,4",
            "--open-cap",
            "25");
    assertEquals(6, results.size(), "2 models x (1 level + 2 rates)");
    double peak =
        Compare.peak(results, Workload.WAIT, List.of("loop/single-thread", "threads/virtual"));
    // 20 chains of 20 ms waits: about 1,000 req/s, less on a busy machine.
    assertTrue(peak > 200 && peak <= 1000, "peak " + peak);
    for (Cell.Result r : results.stream().filter(r -> r.point().open()).toList()) {
      String cell = r.model() + " at " + r.rateFraction();
      assertEquals("open", r.mode());
      assertEquals(r.rateFraction() * peak, r.rate(), 1e-6, cell + ": one ladder for all");
      assertTrue(r.p50Millis() >= 20 * 0.999, cell + ": a request takes its wait");
      if (r.rateFraction() == 0.5) {
        assertTrue(r.throughput() > r.rate() * 0.5, cell + " served " + r.throughput());
      } else {
        // 4x the peak against a cap of 25 in flight (at most 1,250 req/s): arrivals dropped.
        assertTrue(r.dropped() > 0, cell + " dropped none");
        assertTrue(r.throughput() < 1250 * 1.2, cell + " served " + r.throughput());
      }
    }
  }

  @Test
  void partsOfAGridMergeIntoTheSameReportInAnyOrder(@TempDir Path a, @TempDir Path b)
      throws IOException {
    Settings settings = Settings.parse(List.of("--quick"));
    RunStore one = new RunStore(a);
    RunStore two = new RunStore(b);
    String measures = settings.measures();
    for (int run = 1; run <= 3; run++) {
      one.save(Cells.closed("db", "loop/virtual", 8, run, 100 + run, 3, 100), measures);
      two.save(Cells.closed("file", "loop/virtual", 8, run, 200 + run, 3, 100), measures);
    }
    RunInfo info = RunInfo.collect(List.of("--quick"), settings);
    one.saveSitting(info);
    two.saveSitting(
        new RunInfo(
            info.fields(), info.started().plusSeconds(60), info.finished().plusSeconds(90)));
    PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
    Compare.merge(out.resolve("ab"), List.of(a, b), quiet);
    Compare.merge(out.resolve("ba"), List.of(b, a), quiet);
    for (String f : List.of("comparison.json", "comparison.csv", "comparison.md")) {
      assertEquals(
          Files.readString(out.resolve("ab").resolve(f)),
          Files.readString(out.resolve("ba").resolve(f)),
          f);
    }
    String md = Files.readString(out.resolve("ab/comparison.md"));
    assertTrue(md.contains("**db**") && md.contains("**file**"), "both parts' workloads");
    Settings other = Settings.parse(List.of("--quick", "--duration", "9"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> one.load(other.measures()));
    assertTrue(e.getMessage().contains("holds runs taken with other settings"), e.getMessage());
  }

  @Test
  void aBadOptionEndsWithStatus2AndOneLine() throws IOException {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream std = new ByteArrayOutputStream();
    int status =
        Compare.cli(
            List.of("--concurrency", "0"),
            new PrintStream(std, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    String said = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, said.lines().count(), said);
    assertTrue(
        said.startsWith("compare: --concurrency: '0' is not allowed; a whole number from 1"), said);
    assertEquals("", std.toString(StandardCharsets.UTF_8), "nothing else printed");
    assertEquals(
        2,
        Compare.cli(
            List.of("--rewrite"),
            new PrintStream(std, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8)));
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
    assertRefused("--server", "http", "--server: 'http' is not allowed; true or false");
    assertRefused("--speed", "1", "unknown option '--speed'; allowed: --quick");
    assertRefused("--models", "loop/fiber", "--models: unknown model 'loop/fiber'; allowed: loop/");
    assertRefused("--out", "--fork", "--out: needs a value");
    assertRefused("--runs", "0", "--runs: '0' is not allowed; a whole number from 1");
    assertRefused("--open", "0", "--open: '0' is not allowed; a fraction of the peak");
    assertRefused("--open", "half", "--open: 'half' is not allowed");
    assertRefused("--jvm-options", "Xmx1g", "--jvm-options: 'Xmx1g' is not allowed; JVM options");
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
    assertTrue(again.quick());
    Settings full = Settings.parse(List.of("--open", "none", "--runs", "5"));
    assertEquals(full, Settings.parse(full.toArgs()));
    assertEquals(List.of(), full.open());
    Settings traced =
        Settings.parse(List.of("--jvm-options", "-Xlog:safepoint,-XX:+PrintCompilation"));
    assertEquals(List.of("-Xlog:safepoint", "-XX:+PrintCompilation"), traced.jvmOptions());
    assertEquals(traced, Settings.parse(List.of(traced.measures().split(" "))));
    assertFalse(
        traced.measures().equals(full.measures()), "JVM options change the figures: a measure");
    assertEquals(
        Settings.parse(List.of("--runs", "5")).measures(),
        Settings.parse(List.of("--workloads", "db")).measures(),
        "the grid's extent is no measure");
    Settings served = Settings.parse(List.of("--server", "true"));
    assertEquals(served, Settings.parse(served.toArgs()));
    assertTrue(served.server());
    assertFalse(served.measures().equals(full.measures()), "behind a server or not: a measure");
  }

  @Test
  void serverModeServesEachWorkloadOverHttpUnderEveryModel() throws IOException {
    int waitMillis = 20;
    List<Cell.Result> results =
        run(
            "--server",
            "true",
            "--fork",
            "false",
            "--runs",
            "1",
            "--workloads",
            "file,http,wait",
            "--open",
            "0.5",
            "--warmup",
            "0.1",
            "--duration",
            "0.3",
            "--concurrency",
            "3",
            "--wait-millis",
            String.valueOf(waitMillis));
    assertEquals(3 * Settings.DEFAULT_MODELS.size() * 2, results.size(), "closed and open");
    for (Cell.Result r : results) {
      String cell = r.workload() + " " + r.model() + " " + r.mode();
      assertNull(r.failure(), cell);
      assertEquals(0, r.errors(), cell + ": " + r.firstError());
      assertTrue(r.completed() > 0, cell + " completed nothing");
      if (r.workload().equals("wait")) {
        // the round trip over loopback comes on top of the wait, never instead of it
        assertTrue(r.p50Millis() >= waitMillis * 0.999, cell + " p50 " + r.p50Millis());
      }
      if (!r.model().equals("threads/platform")) {
        // the client's loop thread is not the model's
        assertTrue(r.platformThreadsAdded() < 50, cell + " added " + r.platformThreadsAdded());
      }
      boolean onLoop = r.model().startsWith("loop/");
      assertEquals(onLoop, !Double.isNaN(r.loopDelayMaxMillis()), cell + ": loop delay");
    }
    String json = Files.readString(out.resolve("comparison.json"));
    assertTrue(json.contains("\"server mode\""), "the report says the models were served");
    String md = Files.readString(out.resolve("comparison.md"));
    assertTrue(md.contains("Server mode: each model serves the workload"), "and says so in words");
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
