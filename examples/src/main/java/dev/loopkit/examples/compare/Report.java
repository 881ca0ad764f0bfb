package dev.loopkit.examples.compare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Writes a comparison's results: {@code comparison.json} (the run's facts, the conclusions, and
 * every cell's figures: the medians over its runs, the spread of throughput and p99, and each run's
 * own figures), {@code comparison.csv} (one row a cell), {@code comparison.html} (a page with the
 * conclusions, a chart per figure and workload, and the tables) and {@code comparison.md} (the same
 * as the site's page; its HTML has no blank line, so Markdown passes it through).
 *
 * <p>JSON and CSV are written (and the JSON read back, by {@link Compare#rewrite}) by {@link
 * ResultFiles}. Ratios are against {@code threads/virtual} at the same workload and point, measured
 * in the same grid, when that model ran. Only clean cells (every run without an error) are charted,
 * weighed in the conclusions or used as the peer; the tables show every cell, and every blank is
 * explained under its table. A figure that is not known is written as empty (CSV) or null (JSON).
 */
final class Report {

  /** The model every other one is compared with, when it ran. */
  static final String PEER = "threads/virtual";

  private static final String[] COLOURS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"
  };

  private Report() {}

  /** Writes the four reports of {@code runs} (every run of every cell) into {@code dir}. */
  static void write(Path dir, RunInfo info, Settings settings, List<Cell.Result> runs)
      throws IOException {
    Files.createDirectories(dir);
    List<CellRuns> cells = CellRuns.group(runs);
    RunInfo facts = withLoad(info, runs);
    List<Conclusions.Conclusion> conclusions = Conclusions.of(cells);
    Files.writeString(
        dir.resolve("comparison.json"),
        ResultFiles.json(facts, conclusions, cells),
        StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("comparison.csv"), ResultFiles.csv(cells), StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("comparison.html"),
        page(fragment(facts, settings, cells, conclusions, true)),
        StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("comparison.md"),
        "# Comparison\n\n"
            + quickNote(settings, "\n\n")
            + whenToChoose(conclusions)
            + "\n"
            + intro(settings, cells)
            + "\n\n"
            + fragment(facts, settings, cells, conclusions, false)
            + "\n",
        StandardCharsets.UTF_8);
  }

  /** The run's facts with the load average during the windows (median and greatest of the runs). */
  private static RunInfo withLoad(RunInfo info, List<Cell.Result> runs) {
    Map<String, String> f = new LinkedHashMap<>(info.fields());
    if (!runs.isEmpty() && !f.containsKey("load average during")) {
      CellRuns all = new CellRuns(runs);
      f.put(
          "load average during",
          String.format(
              Locale.ROOT,
              "%.2f median, %.2f at most (at the end of each run's window; the measured"
                  + " JVM's own runnable threads count, as 200 hashing platform threads do)",
              all.median(Cell.Result::loadAverage),
              all.max(Cell.Result::loadAverage)));
    }
    return new RunInfo(f, info.started(), info.finished());
  }

  /** A quick run says so, first thing, on every page. */
  static String quickNote(Settings settings, String after) {
    return settings.quick()
        ? "**A quick run** (`--quick`): a smoke test of the pipeline, with windows too short and"
            + " runs too few for its figures to be results."
            + after
        : "";
  }

  /** The conclusions as a Markdown section: a heading and one item per workload. */
  static String whenToChoose(List<Conclusions.Conclusion> conclusions) {
    StringBuilder b = new StringBuilder("## When to choose\n\n");
    for (Conclusions.Conclusion c : conclusions) {
      b.append("- ").append(c.text()).append('\n');
    }
    b.append(
        "\nComputed from the cells below: at each workload's highest closed-loop level, the"
            + " highest median throughput wins; a tie when the winner's slowest run is no faster"
            + " than the runner-up's fastest. Costs are medians over the runs. Event loop ÷"
            + " thread per request: the fastest loop model's median over the fastest thread"
            + " model's, at the same level, with its least and greatest over the runs.\n");
    return b.toString();
  }

  /** What the figures are, in words true of this run. */
  static String intro(Settings settings, List<CellRuns> cells) {
    boolean peerRan = cells.stream().anyMatch(c -> c.model().equals(PEER));
    boolean open = cells.stream().anyMatch(c -> c.point().open());
    int runs = cells.stream().mapToInt(CellRuns::runs).min().orElse(0);
    return "The event loop against thread-per-request on the same workloads, as measured by the"
        + " comparison CLI (`dev.loopkit.examples.compare.Compare`). Each point is one cell, run "
        + (runs == cells.stream().mapToInt(CellRuns::runs).max().orElse(0)
            ? runs + " times"
            : "at least " + runs + " times")
        + " ("
        + (settings.fork() ? "a fresh JVM each" : "all in one JVM")
        + "); a point is the median of its runs and the bar through it their spread, least to"
        + " greatest. Closed loop: that many requests in flight, each request issued when the one"
        + " before it in its chain completes (so a faster model also sees shorter queues). "
        + (open
            ? "Open loop: requests offered at a fixed rate, one ladder for every model (fractions"
                + " of the fastest model's closed-loop peak on the workload), at most "
                + settings.openCap()
                + " in flight (an arrival beyond is dropped and counted), latency from each"
                + " request's intended start, so a model that falls behind is charged for it. "
            : "")
        + String.format(
            Locale.ROOT,
            "%.1f s of warm-up, then a %.1f s window. ",
            settings.warmup().toNanos() / 1e9,
            settings.duration().toNanos() / 1e9)
        + (settings.server()
            ? "Server mode: each model serves the workload behind a real HTTP server on loopback"
                + " (loop models on loopkit's server on their loop, `threads/virtual` on Helidon 4"
                + " SE, `threads/platform` on the JDK's HttpServer with its pool), driven by"
                + " loopkit's HTTP client on a loop of its own; a request's latency includes the"
                + " round trip, and the client's thread and its CPU time are not counted. "
            : "")
        + "The file and the embedded H2 database run in the measured process (their work is the"
        + " request's own); the HTTP service runs in a process of its own, so CPU time is the"
        + " model's. Cells with errors are left out of the charts and the conclusions. "
        + (peerRan
            ? "Ratios are against `" + PEER + "` at the same workload and point."
            : "`" + PEER + "` did not run, so there are no ratios.");
  }

  // ---- HTML ----

  private record Figure(
      String title,
      String unit,
      boolean log,
      ToDoubleFunction<Cell.Result> value,
      boolean spread) {}

  private static final List<Figure> FIGURES =
      List.of(
          new Figure("throughput", "requests/s", false, Cell.Result::throughput, true),
          new Figure("latency p99", "ms", true, Cell.Result::p99Millis, true),
          new Figure("CPU per request", "ms", true, Cell.Result::cpuMillisPerRequest, true),
          new Figure(
              "platform threads the model added",
              "threads",
              true,
              r -> r.platformThreadsAdded(),
              false),
          new Figure("heap after GC", "MiB", false, r -> mib(r.heapAfterGcBytes()), false),
          new Figure("peak RSS", "MiB", false, r -> mib(r.peakRssBytes()), false));

  private static final List<Figure> OPEN_FIGURES =
      List.of(
          new Figure("open loop: latency p99", "ms", true, Cell.Result::p99Millis, true),
          new Figure("open loop: throughput", "requests/s", false, Cell.Result::throughput, true));

  private static double mib(long bytes) {
    return bytes < 0 ? Double.NaN : bytes / 1048576.0;
  }

  /**
   * The report's body: a quick run's note and the conclusions (if {@code head}: the Markdown page
   * has its own), the run's facts, then per workload a legend, charts, a table of closed-loop
   * cells, the open loop's charts and table, and what every blank means; for {@code hash}, what the
   * measurements say of the platform pool's collapse.
   */
  static String fragment(
      RunInfo info,
      Settings settings,
      List<CellRuns> cells,
      List<Conclusions.Conclusion> conclusions,
      boolean head) {
    StringBuilder b = new StringBuilder("<div class=\"comparison\">\n");
    if (head) {
      head(b, settings, conclusions);
    }
    b.append("<table class=\"run\">\n");
    info.fields()
        .forEach(
            (k, v) ->
                b.append("<tr><th>")
                    .append(esc(k))
                    .append("</th><td><code>")
                    .append(esc(v))
                    .append("</code></td></tr>\n"));
    b.append("<tr><th>ran</th><td>")
        .append(esc(info.started().toString()))
        .append(" to ")
        .append(esc(info.finished().toString()))
        .append("</td></tr>\n</table>\n");
    List<String> models = distinct(cells, CellRuns::model);
    b.append("<p class=\"legend\">");
    for (int i = 0; i < models.size(); i++) {
      b.append("<span style=\"color:")
          .append(COLOURS[i % COLOURS.length])
          .append("\">&#9632;</span>&nbsp;<code>")
          .append(esc(models.get(i)))
          .append("</code> ");
    }
    b.append("</p>\n");
    List<CellRuns> closed = cells.stream().filter(c -> !c.point().open()).toList();
    summary(b, closed, models);
    for (String w : distinct(cells, CellRuns::workload)) {
      List<CellRuns> of = closed.stream().filter(c -> c.workload().equals(w)).toList();
      b.append("<h2 id=\"")
          .append(esc(w))
          .append("\">")
          .append(esc(w))
          .append("</h2>\n<p>")
          .append(esc(Workload.of(w).description(settings)))
          .append(".</p>\n<div class=\"charts\">\n");
      List<Integer> levels =
          of.stream().map(c -> c.point().concurrency()).distinct().sorted().toList();
      for (Figure f : FIGURES) {
        charts(
            b,
            w + ": " + f.title(),
            f,
            "requests in flight",
            models,
            levels,
            of,
            c -> c.point().concurrency());
      }
      b.append("</div>\n");
      table(b, of, models);
      List<CellRuns> open =
          cells.stream().filter(c -> c.workload().equals(w) && c.point().open()).toList();
      if (open.isEmpty()) {
        b.append("<p class=\"blanks\">No open-loop cells: ")
            .append(
                settings.open().isEmpty()
                    ? "this grid was run with <code>--open none</code>."
                    : "none were run for this workload (no model had a clean closed-loop cell to"
                        + " take the peak from, or the grid stopped before them).")
            .append("</p>\n");
      } else {
        List<Double> fractions =
            open.stream().map(c -> c.point().rateFraction()).distinct().sorted().toList();
        List<Integer> rates =
            fractions.stream()
                .map(
                    f ->
                        (int)
                            Math.round(
                                open.stream()
                                    .filter(c -> c.point().rateFraction() == f)
                                    .mapToDouble(c -> c.median(Cell.Result::rate))
                                    .max()
                                    .orElse(0)))
                .toList();
        b.append("<h3>").append(esc(w)).append(": open loop</h3>\n<p>Offered rates: ");
        for (int i = 0; i < fractions.size(); i++) {
          b.append(i == 0 ? "" : ", ")
              .append(
                  String.format(
                      Locale.ROOT,
                      "%,d req/s (%.0f%% of the peak)",
                      rates.get(i),
                      fractions.get(i) * 100));
        }
        b.append(".</p>\n<div class=\"charts\">\n");
        for (Figure f : OPEN_FIGURES) {
          charts(
              b,
              w + ": " + f.title(),
              f,
              "offered requests/s",
              models,
              rates,
              open,
              c -> rates.get(fractions.indexOf(c.point().rateFraction())));
        }
        b.append("</div>\n");
        table(b, open, models);
      }
      if (w.equals(Workload.HASH.id())) {
        Collapse.explain(b, of, models, COLOURS);
      }
    }
    return b.append("</div>").toString();
  }

  private static void head(
      StringBuilder b, Settings settings, List<Conclusions.Conclusion> conclusions) {
    if (settings.quick()) {
      b.append("<p class=\"quick\"><strong>A quick run</strong> (<code>--quick</code>): a smoke")
          .append(" test of the pipeline; its figures are not results.</p>\n");
    }
    b.append("<h2 id=\"when-to-choose\">When to choose</h2>\n<ul class=\"conclusions\">\n");
    for (Conclusions.Conclusion c : conclusions) {
      b.append("<li>").append(markdownToHtml(c.text())).append("</li>\n");
    }
    b.append("</ul>\n");
  }

  private static void charts(
      StringBuilder b,
      String title,
      Figure f,
      String xTitle,
      List<String> models,
      List<Integer> xs,
      List<CellRuns> of,
      java.util.function.ToIntFunction<CellRuns> x) {
    Map<String, double[]> series = new LinkedHashMap<>();
    Map<String, double[]> lows = new LinkedHashMap<>();
    Map<String, double[]> highs = new LinkedHashMap<>();
    for (String m : models) {
      double[] ys = new double[xs.size()];
      double[] lo = new double[xs.size()];
      double[] hi = new double[xs.size()];
      Arrays.fill(ys, Double.NaN);
      Arrays.fill(lo, Double.NaN);
      Arrays.fill(hi, Double.NaN);
      for (CellRuns c : of) {
        int i = xs.indexOf(x.applyAsInt(c));
        if (c.model().equals(m) && i >= 0 && c.ok()) {
          ys[i] = c.median(f.value());
          lo[i] = c.min(f.value());
          hi[i] = c.max(f.value());
        }
      }
      series.put(m, ys);
      if (f.spread()) {
        lows.put(m, lo);
        highs.put(m, hi);
      }
    }
    b.append(Chart.svg(title, f.unit(), xTitle, xs, series, lows, highs, models, COLOURS, f.log()))
        .append('\n');
  }

  /** The Markdown of a conclusion ({@code **bold**}, {@code `code`}) as HTML. */
  static String markdownToHtml(String md) {
    return esc(md)
        .replaceAll("\\*\\*([^*]+)\\*\\*", "<strong>$1</strong>")
        .replaceAll("`([^`]+)`", "<code>$1</code>");
  }

  /**
   * The grid at a glance: per workload and level, each model's median throughput as a ratio to the
   * peer's (or its requests/s where the peer has no clean cell), computed from the cells.
   */
  private static void summary(StringBuilder b, List<CellRuns> cells, List<String> models) {
    List<Integer> levels =
        cells.stream().map(c -> c.point().concurrency()).distinct().sorted().toList();
    b.append("<table class=\"summary\">\n<tr><th>throughput &times; <code>")
        .append(esc(PEER))
        .append("</code> (closed loop)</th>");
    for (int level : levels) {
      b.append("<th>").append(level).append(" in flight</th>");
    }
    b.append("</tr>\n");
    boolean notRun = false;
    boolean errors = false;
    for (String w : distinct(cells, CellRuns::workload)) {
      for (String m : models) {
        if (m.equals(PEER)) {
          continue;
        }
        b.append("<tr><td><a href=\"#")
            .append(esc(w))
            .append("\">")
            .append(esc(w))
            .append("</a> <code>")
            .append(esc(m))
            .append("</code></td>");
        for (int level : levels) {
          CellRuns r = find(cells, w, m, level);
          CellRuns peer = find(cells, w, PEER, level);
          String text;
          if (r == null) {
            text = "not run";
            notRun = true;
          } else if (!r.ok()) {
            text = "errors";
            errors = true;
          } else if (peer == null || !peer.ok() || peer.median(Cell.Result::throughput) == 0) {
            text = fmt(r.median(Cell.Result::throughput)) + "/s";
          } else {
            text =
                String.format(
                    Locale.ROOT,
                    "%.2f",
                    r.median(Cell.Result::throughput) / peer.median(Cell.Result::throughput));
          }
          b.append("<td>").append(text).append("</td>");
        }
        b.append("</tr>\n");
      }
    }
    b.append("</table>\n<p class=\"blanks\">A ratio is of medians. A figure in requests/s: the")
        .append(" peer has no clean cell there.")
        .append(notRun ? " <em>not run</em>: the cell is not in this grid (yet)." : "")
        .append(errors ? " <em>errors</em>: a run of the cell had errors (see its table)." : "")
        .append("</p>\n");
  }

  private static CellRuns find(List<CellRuns> cells, String w, String m, int level) {
    for (CellRuns c : cells) {
      if (c.workload().equals(w) && c.model().equals(m) && c.point().concurrency() == level) {
        return c;
      }
    }
    return null;
  }

  /** A table of cells (one mode), then a note for each kind of blank it has. */
  private static void table(StringBuilder b, List<CellRuns> of, List<String> models) {
    boolean open = !of.isEmpty() && of.get(0).point().open();
    b.append("<table class=\"cells\">\n<tr><th>")
        .append(open ? "offered req/s" : "level")
        .append("</th><th>model</th><th>runs</th><th>req/s (least&ndash;greatest)</th><th>&times; ")
        .append(esc(PEER))
        .append("</th><th>p50 ms</th><th>p99 ms (least&ndash;greatest)</th><th>max ms</th>")
        .append("<th>CPU ms/req</th><th>threads added</th><th>heap after GC MiB</th>")
        .append("<th>RSS MiB</th><th>loop delay p99 ms</th><th>JIT ms in window</th>")
        .append(open ? "<th>dropped</th>" : "")
        .append("<th>errors</th></tr>\n");
    Set<String> blanks = new LinkedHashSet<>();
    List<CellRuns> sorted =
        of.stream()
            .sorted(
                Comparator.comparingInt((CellRuns c) -> c.point().concurrency())
                    .thenComparingDouble(c -> open ? c.point().rateFraction() : 0)
                    .thenComparingInt(c -> models.indexOf(c.model())))
            .toList();
    for (CellRuns c : sorted) {
      Cell.Result r = c.median();
      b.append("<tr><td>")
          .append(open ? fmt(r.rate()) : String.valueOf(r.concurrency()))
          .append("</td><td><code>")
          .append(esc(r.model()))
          .append("</code></td><td>")
          .append(c.runs())
          .append("</td>");
      if (r.failure() != null) {
        b.append("<td colspan=\"")
            .append(open ? 13 : 12)
            .append("\">failed: ")
            .append(esc(r.failure()))
            .append("</td></tr>\n");
        blanks.add(
            "<em>failed</em>: a run could not be made; the row says why, its log is in"
                + " <code>logs/</code>.");
        continue;
      }
      CellRuns peer =
          of.stream()
              .filter(
                  p -> p.model().equals(PEER) && p.point().key().equals(c.point().key()) && p.ok())
              .findFirst()
              .orElse(null);
      double ratio =
          peer == null || peer.median(Cell.Result::throughput) == 0
              ? Double.NaN
              : r.throughput() / peer.median(Cell.Result::throughput);
      if (Double.isNaN(ratio)) {
        blanks.add("&times; " + esc(PEER) + ": the peer has no clean cell at this point.");
      }
      if (Double.isNaN(r.p99Millis())) {
        blanks.add("latencies: no request completed in the window.");
      }
      if (r.heapAfterGcBytes() < 0) {
        blanks.add("heap after GC: no collection ran in the window.");
      }
      if (r.peakRssBytes() < 0) {
        blanks.add(
            "RSS: the cells ran in one JVM (<code>--fork false</code>), whose RSS is not a"
                + " cell's own.");
      }
      if (Double.isNaN(r.loopDelayP99Millis())) {
        blanks.add("loop delay: a thread-per-request model has no loop.");
      }
      if (Double.isNaN(r.jitMillis())) {
        blanks.add("JIT: the JVM reports no compilation time.");
      }
      b.append(td(fmt(r.throughput()) + spread(c, Cell.Result::throughput)))
          .append(td(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio)))
          .append(td(fmt(r.p50Millis())))
          .append(td(fmt(r.p99Millis()) + spread(c, Cell.Result::p99Millis)))
          .append(td(fmt(r.maxMillis())))
          .append(td(fmt(r.cpuMillisPerRequest())))
          .append(td(r.platformThreadsAdded() < 0 ? "" : String.valueOf(r.platformThreadsAdded())))
          .append(td(fmt(mib(r.heapAfterGcBytes()))))
          .append(td(fmt(mib(r.peakRssBytes()))))
          .append(td(fmt(r.loopDelayP99Millis())))
          .append(td(fmt(r.jitMillis())))
          .append(open ? td(String.valueOf(r.dropped())) : "")
          .append(
              td(r.errors() == 0 ? "0" : r.errors() + ": " + esc(String.valueOf(r.firstError()))))
          .append("</tr>\n");
    }
    b.append("</table>\n");
    if (!blanks.isEmpty()) {
      b.append("<p class=\"blanks\">Blank figures: ")
          .append(String.join(" ", blanks))
          .append(" A gap in a chart's line is a cell with no clean run.</p>\n");
    }
  }

  private static String spread(CellRuns c, ToDoubleFunction<Cell.Result> figure) {
    return c.runs() < 2 ? "" : " (" + fmt(c.min(figure)) + "&ndash;" + fmt(c.max(figure)) + ")";
  }

  private static String td(String s) {
    return "<td>" + s + "</td>";
  }

  /** Three significant digits, no exponent; empty for NaN. */
  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
  }

  private static List<String> distinct(
      List<CellRuns> cells, java.util.function.Function<CellRuns, String> key) {
    return new ArrayList<>(new LinkedHashSet<>(cells.stream().map(key).toList()));
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String page(String body) {
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>loopkit comparison</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
        table{border-collapse:collapse;font-size:13px;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:left}
        .charts{display:flex;flex-wrap:wrap;gap:.5rem}code{background:#f5f5f5}
        .quick{background:#fff3cd;padding:.5rem;border:1px solid #e0c060}.blanks{font-size:13px;color:#555}
        </style></head><body>
        <h1>loopkit: the event loop against thread-per-request</h1>
        %s
        </body></html>
        """
        .formatted(body);
  }
}
