package dev.loopkit.examples.compare;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * "When to choose": per workload, the model to choose, computed from the cells, never typed.
 *
 * <p>The rule: at the workload's highest closed-loop level that has a clean cell, the model with
 * the highest median throughput wins; the runner-up is the next. The margin is the ratio of their
 * medians, with its range over the runs (the winner's least over the runner-up's greatest, to the
 * winner's greatest over the runner-up's least). When the winner's least throughput is no higher
 * than the runner-up's greatest, their spreads overlap and the runs cannot tell them apart: a tie,
 * and the choice goes by memory and threads. A model of the workload with no clean cell at that
 * level is named as missing, never silently left out. At the highest open-loop rate, the model with
 * the lowest median p99 (and no drops) is named too, and at the closed-loop level, the question the
 * comparison asks: the fastest {@code loop/} model against the fastest {@code threads/} model, with
 * the range of that ratio over the runs.
 */
final class Conclusions {

  private Conclusions() {}

  /** One workload's conclusion; {@code runnerUp} and the figures after it are absent if alone. */
  record Conclusion(
      String workload,
      int level,
      String winner,
      String runnerUp,
      boolean tie,
      double ratio,
      double ratioLow,
      double ratioHigh,
      int runs,
      double winnerMemoryMib,
      double winnerThreads,
      double runnerUpMemoryMib,
      double runnerUpThreads,
      String memoryKind,
      List<String> missing,
      List<String> missingWhy,
      String openWinner,
      double openRate,
      double openFraction,
      double openP99,
      double openP99Low,
      double openP99High,
      String bestLoop,
      String bestThreads,
      double loopRatio,
      double loopRatioLow,
      double loopRatioHigh) {

    /** The conclusion in one Markdown line (also valid inside the HTML report as text). */
    String text() {
      StringBuilder b = new StringBuilder("**").append(workload).append("**");
      if (winner == null) {
        b.append(": no model ran clean at any closed-loop level");
      } else {
        b.append(String.format(Locale.ROOT, " (%,d in flight): ", level));
        if (runnerUp == null) {
          b.append("only `").append(winner).append("` ran clean; ").append(cost(true)).append('.');
        } else if (tie) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "a tie between `%s` and `%s`: %.2f× (%.2f–%.2f× over %s), within the"
                      + " spread; choose by cost: `%s` %s, `%s` %s.",
                  winner,
                  runnerUp,
                  ratio,
                  ratioLow,
                  ratioHigh,
                  runs == 1 ? "1 run" : runs + " runs",
                  winner,
                  cost(true),
                  runnerUp,
                  cost(false)));
        } else {
          b.append(
              String.format(
                  Locale.ROOT,
                  "choose `%s`: %.2f× the throughput of `%s` (%.2f–%.2f× over %s); %s,"
                      + " against %s.",
                  winner,
                  ratio,
                  runnerUp,
                  ratioLow,
                  ratioHigh,
                  runs == 1 ? "1 run" : runs + " runs",
                  cost(true),
                  cost(false)));
        }
      }
      if (bestLoop != null && bestThreads != null) {
        b.append(
            String.format(
                Locale.ROOT,
                " Event loop ÷ thread per request: %.2f× (%.2f–%.2f×), the best loop `%s` ÷"
                    + " the best thread model `%s`.",
                loopRatio,
                loopRatioLow,
                loopRatioHigh,
                bestLoop,
                bestThreads));
      }
      if (openWinner == null && !Double.isNaN(openFraction)) {
        b.append(
            String.format(
                Locale.ROOT,
                " Offered %s req/s (%.0f%% of the peak), every model dropped arrivals.",
                Report.fmt(openRate),
                openFraction * 100));
      } else if (openWinner != null) {
        b.append(
            String.format(
                Locale.ROOT,
                " Offered %s req/s (%.0f%% of the peak), the lowest p99 is `%s`'s: %s ms (%s–%s).",
                Report.fmt(openRate),
                openFraction * 100,
                openWinner,
                Report.fmt(openP99),
                Report.fmt(openP99Low),
                Report.fmt(openP99High)));
      }
      if (!missing.isEmpty()) {
        List<String> named = new ArrayList<>();
        for (int i = 0; i < missing.size(); i++) {
          named.add("`" + missing.get(i) + "` (" + missingWhy.get(i) + ")");
        }
        b.append(" No clean cell, so not weighed: ").append(String.join(", ", named)).append('.');
      }
      return b.toString();
    }

    private String cost(boolean ofWinner) {
      double mem = ofWinner ? winnerMemoryMib : runnerUpMemoryMib;
      double threads = ofWinner ? winnerThreads : runnerUpThreads;
      return (Double.isNaN(mem) ? "memory not known" : Report.fmt(mem) + " MiB " + memoryKind)
          + ", "
          + (Double.isNaN(threads) ? "threads not known" : threadsAdded(Math.round(threads)));
    }
  }

  /** "1 thread added", "4 threads added". */
  static String threadsAdded(long n) {
    return String.format(Locale.ROOT, "%,d %s added", n, n == 1 ? "thread" : "threads");
  }

  /** The conclusions of every workload of {@code cells}, in the report's order. */
  static List<Conclusion> of(List<CellRuns> cells) {
    List<Conclusion> out = new ArrayList<>();
    for (String w : new LinkedHashSet<>(cells.stream().map(CellRuns::workload).toList())) {
      out.add(of(w, cells.stream().filter(c -> c.workload().equals(w)).toList()));
    }
    return out;
  }

  private static Conclusion of(String workload, List<CellRuns> cells) {
    Set<String> models = new LinkedHashSet<>(cells.stream().map(CellRuns::model).toList());
    List<CellRuns> closed = cells.stream().filter(c -> !c.point().open()).toList();
    int level =
        closed.stream()
            .filter(CellRuns::ok)
            .mapToInt(c -> c.point().concurrency())
            .max()
            .orElse(-1);
    List<CellRuns> ranked =
        closed.stream()
            .filter(c -> c.ok() && c.point().concurrency() == level)
            .sorted(
                Comparator.comparingDouble((CellRuns c) -> -c.median(Cell.Result::throughput))
                    .thenComparing(CellRuns::model))
            .toList();
    List<String> missing = new ArrayList<>(models);
    ranked.forEach(c -> missing.remove(c.model()));
    List<String> missingWhy = new ArrayList<>();
    for (String m : missing) {
      CellRuns c =
          closed.stream()
              .filter(x -> x.model().equals(m) && x.point().concurrency() == level)
              .findFirst()
              .orElse(null);
      missingWhy.add(
          c == null
              ? "not run at this level"
              : c.each().stream().anyMatch(r -> r.failure() != null)
                  ? "a run failed"
                  : c.each().stream().anyMatch(r -> r.errors() > 0)
                      ? "a run had errors"
                      : "a run completed nothing in its window");
    }
    CellRuns first = ranked.isEmpty() ? null : ranked.get(0);
    CellRuns second = ranked.size() < 2 ? null : ranked.get(1);
    boolean rss = ranked.stream().allMatch(c -> !Double.isNaN(rssMib(c)));
    String memoryKind = rss ? "peak RSS" : "peak heap";
    double nan = Double.NaN;
    double ratio = nan;
    double low = nan;
    double high = nan;
    boolean tie = false;
    if (second != null) {
      ToDoubleFunction<Cell.Result> t = Cell.Result::throughput;
      ratio = first.median(t) / second.median(t);
      low = first.min(t) / second.max(t);
      high = first.max(t) / second.min(t);
      tie = first.min(t) <= second.max(t);
    }
    // The question the comparison asks: the best loop model against the best thread model.
    CellRuns bestLoop = firstOf(ranked, "loop/");
    CellRuns bestThreads = firstOf(ranked, "threads/");
    double loopRatio = nan;
    double loopLow = nan;
    double loopHigh = nan;
    if (bestLoop != null && bestThreads != null) {
      ToDoubleFunction<Cell.Result> t = Cell.Result::throughput;
      loopRatio = bestLoop.median(t) / bestThreads.median(t);
      loopLow = bestLoop.min(t) / bestThreads.max(t);
      loopHigh = bestLoop.max(t) / bestThreads.min(t);
    }
    // The open loop: the highest rate that has clean cells; the lowest median p99 without drops.
    List<CellRuns> open = cells.stream().filter(c -> c.point().open() && c.ok()).toList();
    double fraction =
        open.stream().mapToDouble(c -> c.point().rateFraction()).max().orElse(Double.NaN);
    CellRuns openBest =
        open.stream()
            .filter(c -> c.point().rateFraction() == fraction)
            .filter(c -> c.median(r -> r.dropped()) == 0)
            .min(
                Comparator.comparingDouble((CellRuns c) -> c.median(Cell.Result::p99Millis))
                    .thenComparing(CellRuns::model))
            .orElse(null);
    return new Conclusion(
        workload,
        level,
        first == null ? null : first.model(),
        second == null ? null : second.model(),
        tie,
        ratio,
        low,
        high,
        first == null ? 0 : Math.min(first.runs(), second == null ? first.runs() : second.runs()),
        first == null ? nan : memoryMib(first, rss),
        first == null ? nan : first.median(r -> known(r.platformThreadsAdded())),
        second == null ? nan : memoryMib(second, rss),
        second == null ? nan : second.median(r -> known(r.platformThreadsAdded())),
        memoryKind,
        List.copyOf(missing),
        List.copyOf(missingWhy),
        openBest == null ? null : openBest.model(),
        openRate(open, fraction),
        fraction,
        openBest == null ? nan : openBest.median(Cell.Result::p99Millis),
        openBest == null ? nan : openBest.min(Cell.Result::p99Millis),
        openBest == null ? nan : openBest.max(Cell.Result::p99Millis),
        bestLoop == null ? null : bestLoop.model(),
        bestThreads == null ? null : bestThreads.model(),
        loopRatio,
        loopLow,
        loopHigh);
  }

  /** The fastest of {@code ranked} (fastest first) whose model's name starts with {@code kind}. */
  private static CellRuns firstOf(List<CellRuns> ranked, String kind) {
    return ranked.stream().filter(c -> c.model().startsWith(kind)).findFirst().orElse(null);
  }

  /** The rate offered at {@code fraction}: the greatest median of its cells (one ladder). */
  private static double openRate(List<CellRuns> open, double fraction) {
    return open.stream()
        .filter(c -> c.point().rateFraction() == fraction)
        .mapToDouble(c -> c.median(Cell.Result::rate))
        .max()
        .orElse(Double.NaN);
  }

  private static double memoryMib(CellRuns c, boolean rss) {
    return rss ? rssMib(c) : c.median(r -> known(r.peakHeapBytes())) / 1048576.0;
  }

  private static double rssMib(CellRuns c) {
    return c.median(r -> known(r.peakRssBytes())) / 1048576.0;
  }

  private static double known(long v) {
    return v < 0 ? Double.NaN : v;
  }
}
