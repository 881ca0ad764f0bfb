package dev.loopkit.examples.compare;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code hash} workload's figures of the platform pool's collapse, and what was measured of its
 * cause: the pool's CPU time per request and throughput against the best other model's, and the CPU
 * time the JIT's compiler threads got in each cell's window; then what a diagnostic run measured
 * with {@code -Xlog:safepoint}, JFR and {@code -XX:+PrintCompilation}.
 */
final class Collapse {

  static final String MODEL = "threads/platform";

  private Collapse() {}

  /** Appends the section when {@code hash}'s closed-loop cells include the platform pool. */
  static void explain(StringBuilder b, List<CellRuns> hash, List<String> models, String[] colours) {
    List<CellRuns> pool = hash.stream().filter(c -> c.model().equals(MODEL) && c.ok()).toList();
    if (pool.isEmpty()) {
      return;
    }
    List<Integer> levels =
        hash.stream().map(c -> c.point().concurrency()).distinct().sorted().toList();
    // Per level: the pool's CPU per request over the best other model's, as a figure.
    Map<String, double[]> series = new LinkedHashMap<>();
    double[] cpuRatio = new double[levels.size()];
    double[] tputRatio = new double[levels.size()];
    Arrays.fill(cpuRatio, Double.NaN);
    Arrays.fill(tputRatio, Double.NaN);
    double worst = Double.NaN;
    int worstLevel = -1;
    for (int i = 0; i < levels.size(); i++) {
      int level = levels.get(i);
      CellRuns p = at(pool, level);
      CellRuns best =
          hash.stream()
              .filter(c -> c.ok() && !c.model().equals(MODEL) && c.point().concurrency() == level)
              .max(java.util.Comparator.comparingDouble(c -> c.median(Cell.Result::throughput)))
              .orElse(null);
      if (p == null || best == null) {
        continue;
      }
      cpuRatio[i] =
          p.median(Cell.Result::cpuMillisPerRequest)
              / best.median(Cell.Result::cpuMillisPerRequest);
      tputRatio[i] = best.median(Cell.Result::throughput) / p.median(Cell.Result::throughput);
      if (Double.isNaN(worst) || tputRatio[i] > worst) {
        worst = tputRatio[i];
        worstLevel = level;
      }
    }
    series.put("CPU per request, pool / best other model", cpuRatio);
    series.put("throughput, best other model / pool", tputRatio);
    b.append(
            "<h3 id=\"hash-collapse\">hash: the platform pool's collapse</h3>\n<div class=\"charts\">\n")
        .append(
            Chart.svg(
                "hash: " + MODEL + " against the best other model",
                "ratio",
                levels,
                series,
                List.copyOf(series.keySet()),
                new String[] {"#d62728", "#1f77b4"},
                true))
        .append('\n');
    Map<String, double[]> jit = new LinkedHashMap<>();
    for (String m : models) {
      double[] ys = new double[levels.size()];
      Arrays.fill(ys, Double.NaN);
      for (CellRuns c : hash) {
        if (c.model().equals(m) && c.ok()) {
          ys[levels.indexOf(c.point().concurrency())] = c.median(Cell.Result::jitCpuSeconds);
        }
      }
      jit.put(m, ys);
    }
    b.append(
            Chart.svg(
                "hash: CPU the JIT's compiler threads got in the window",
                "s",
                levels,
                jit,
                models,
                colours,
                false))
        .append('\n');
    b.append("</div>\n<p>");
    if (Double.isNaN(worst) || worst < 2) {
      b.append(
          String.format(
              Locale.ROOT,
              "In this grid the pool did not collapse: at worst the best other model hashed %.2f×"
                  + " as many passwords (at %d in flight).",
              worst,
              worstLevel));
    } else {
      b.append(
          String.format(
              Locale.ROOT,
              "In this grid the best other model hashed %.1f× as many passwords as the pool at %d"
                  + " in flight, and each of the pool's hashes cost %.1f× the CPU time: the same"
                  + " work, done far less efficiently.",
              worst,
              worstLevel,
              cpuRatio[levels.indexOf(worstLevel)]));
      int level = worstLevel;
      CellRuns p = at(pool, level);
      double others =
          hash.stream()
              .filter(c -> c.ok() && !c.model().equals(MODEL) && c.point().concurrency() == level)
              .mapToDouble(c -> c.median(Cell.Result::jitCpuSeconds))
              .filter(v -> !Double.isNaN(v))
              .max()
              .orElse(Double.NaN);
      if (p != null
          && !Double.isNaN(p.median(Cell.Result::jitCpuSeconds))
          && !Double.isNaN(others)) {
        b.append(
            String.format(
                Locale.ROOT,
                " In the pool's window the JIT's compiler threads got %.2f s of CPU; in the other"
                    + " models' windows at the same level, up to %.2f s.",
                p.median(Cell.Result::jitCpuSeconds),
                others));
      }
    }
    b.append("</p>\n").append(Diagnosis.TEXT).append('\n');
  }

  private static CellRuns at(List<CellRuns> cells, int level) {
    return cells.stream().filter(c -> c.point().concurrency() == level).findFirst().orElse(null);
  }

  /** What a diagnostic run measured of the cause, and how to measure it again. */
  static final class Diagnosis {
    private Diagnosis() {}

    static final String TEXT =
        "<p><strong>Why.</strong> Diagnostic runs on a 2-core machine shared with other builds"
            + " (2026-12-03, JDK 25, this workload at 10,000 rounds, 16 and 128 in flight, the pool"
            + " against <code>threads/virtual</code>, a fresh JVM each, 2 s warm-up and a 5 s"
            + " window, about twenty runs) measured the following. <em>Not safepoints</em>:"
            + " <code>-Xlog:safepoint</code> logged 2 to 18 safepoints per run, 20 to 340 ms in all"
            + " of a 7 s run, for both models alike. <em>Hardly a lock convoy</em>: JFR's contended"
            + " monitor enters (20 ms and longer) were none in most runs; two of the pool's runs had 6"
            + " and 44, all on the JDK's list of cleaners (each PBKDF2 key registers one), up to 230"
            + " ms each: a small convoy beside a collapse in which each hash cost more CPU, not more"
            + " waiting, and the request threads' samples were in SHA-256's own code. <em>The"
            + " scheduler starves the JIT</em>: the pool's threads are all runnable at once, and the"
            + " JIT's compiler threads are ordinary threads among them, so the kernel gives them a"
            + " small share of the two cores. With 128 in flight the compiler threads got 0.12 to"
            + " 0.19 s of CPU in the pool's 5 s window, against 0.18 to 1.32 s under"
            + " <code>threads/virtual</code> (whose two carrier threads are all that compete);"
            + " <code>-XX:+PrintCompilation</code> showed the SHA-256 compression's optimised code"
            + " thrown out 0.4 s after start (an uncommon trap) and compiled again only 7.7 s later,"
            + " after the window. Meanwhile the hash runs in the interpreter and the profiling tiers,"
            + " without the SHA-256 intrinsic: with <code>-Xint</code> a hash costs about 1,000 ms of"
            + " CPU, against about 2.5 ms compiled, and the pool's collapsed runs cost 13 to 200 ms."
            + " It is a race: a run whose compilations finish before the pool fills does not"
            + " collapse (one run at 128 in flight hashed 689/s at 2.9 ms of CPU each), which is why"
            + " the runs of a collapsed cell spread widely. Not pinned down: why a priority boost"
            + " for the compiler threads (<code>-XX:ThreadPriorityPolicy=1"
            + " -XX:CompilerThreadPriority=10</code>) made one run worse, not better. To measure"
            + " again: <code>examples/compare --workloads hash --models"
            + " threads/platform,threads/virtual --concurrency 16,128 --open none --jvm-options"
            + " -Xlog:safepoint:file=sp-%p.log,-XX:StartFlightRecording=filename=hash-%p.jfr,"
            + "-XX:+PrintCompilation --out /tmp/hash-diagnosis</code> (each run's compilations go"
            + " to its log in <code>logs/</code>).</p>";
  }
}
