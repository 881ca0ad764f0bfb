package dev.loopkit.examples.compare;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Writes a comparison's results: {@code comparison.json} (the run's facts and every cell's
 * figures), {@code comparison.csv} (one row a cell), {@code comparison.html} (a page with a chart
 * per figure and workload, and the tables) and {@code comparison.md} (the same charts and tables as
 * the site's page; its HTML has no blank line, so Markdown passes it through).
 *
 * <p>Ratios are against {@code threads/virtual} at the same workload and level, measured in the
 * same run, when that model ran. Only cells that ran without an error are charted or used as the
 * peer; the tables show every cell. A figure that is not known is written as empty (CSV) or null
 * (JSON).
 */
final class Report {

  /** The model every other one is compared with, when it ran. */
  static final String PEER = "threads/virtual";

  private static final String[] COLOURS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"
  };

  private Report() {}

  static void write(Path dir, RunInfo info, Settings settings, List<Cell.Result> results)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("comparison.json"), json(info, results), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("comparison.csv"), csv(results), StandardCharsets.UTF_8);
    String body = fragment(info, settings, results);
    Files.writeString(dir.resolve("comparison.html"), page(body), StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("comparison.md"),
        "# Comparison\n\n" + intro(settings, results) + "\n\n" + body + "\n",
        StandardCharsets.UTF_8);
  }

  /** What the figures are, in words true of this run. */
  static String intro(Settings settings, List<Cell.Result> results) {
    boolean peerRan = results.stream().anyMatch(r -> r.model().equals(PEER));
    return "The event loop against thread-per-request on the same workloads, as measured by the"
        + " comparison CLI (`dev.loopkit.examples.compare.Compare`). Each point is one cell: a"
        + " closed loop of that many requests in flight (each request issued when the one before"
        + " it in its chain completes, so a faster model also sees shorter queues), "
        + (settings.fork() ? "in a JVM of its own, " : "all cells in one JVM, ")
        + String.format(
            Locale.ROOT,
            "%.1f s of warm-up, then a %.1f s window. ",
            settings.warmup().toNanos() / 1e9,
            settings.duration().toNanos() / 1e9)
        + "The services (file, H2, the HTTP service) run in the same process for every model, so"
        + " CPU time includes their share. Cells with errors are left out of the charts. "
        + (peerRan
            ? "Ratios are against `" + PEER + "` at the same workload and level, in the same run."
            : "`" + PEER + "` did not run, so there are no ratios.");
  }

  // ---- JSON and CSV ----

  static String json(RunInfo info, List<Cell.Result> results) {
    StringBuilder b = new StringBuilder("{\n  \"run\": {\n");
    List<Map.Entry<String, String>> fields = new ArrayList<>(info.fields().entrySet());
    fields.add(Map.entry("started", info.started().toString()));
    fields.add(Map.entry("finished", info.finished().toString()));
    for (int i = 0; i < fields.size(); i++) {
      b.append("    ")
          .append(quote(fields.get(i).getKey()))
          .append(": ")
          .append(quote(fields.get(i).getValue()))
          .append(i + 1 < fields.size() ? ",\n" : "\n");
    }
    b.append("  },\n  \"cells\": [\n");
    RecordComponent[] rcs = Cell.Result.class.getRecordComponents();
    for (int i = 0; i < results.size(); i++) {
      b.append("    {");
      for (int j = 0; j < rcs.length; j++) {
        Object v = Compare.get(rcs[j], results.get(i));
        b.append(j == 0 ? "" : ", ").append(quote(rcs[j].getName())).append(": ");
        if (v == null || unknown(v)) {
          b.append("null");
        } else if (v instanceof String s) {
          b.append(quote(s));
        } else if (v instanceof Double d) {
          b.append(number(d));
        } else {
          b.append(v);
        }
      }
      b.append(i + 1 < results.size() ? "},\n" : "}\n");
    }
    return b.append("  ]\n}\n").toString();
  }

  static String csv(List<Cell.Result> results) {
    RecordComponent[] rcs = Cell.Result.class.getRecordComponents();
    StringBuilder b = new StringBuilder();
    for (int j = 0; j < rcs.length; j++) {
      b.append(j == 0 ? "" : ",").append(rcs[j].getName());
    }
    b.append('\n');
    for (Cell.Result r : results) {
      for (int j = 0; j < rcs.length; j++) {
        Object v = Compare.get(rcs[j], r);
        b.append(j == 0 ? "" : ",");
        if (v == null || unknown(v)) {
          // empty: not known
        } else if (v instanceof Double d) {
          b.append(number(d));
        } else {
          String s = String.valueOf(v);
          b.append(s.matches("[A-Za-z0-9/._-]*") ? s : '"' + s.replace("\"", "\"\"") + '"');
        }
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** A figure that is not known: NaN, or -1 for counts and bytes. */
  private static boolean unknown(Object v) {
    return v instanceof Double d
        ? d.isNaN() || d.isInfinite()
        : (v instanceof Integer i && i == -1) || (v instanceof Long l && l == -1);
  }

  /** The cells of a {@link #csv} file, read back (quoted fields may hold commas and newlines). */
  static List<Cell.Result> readCsv(String text) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
      } else if (c == '\n') {
        row.add(field.toString());
        field.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
      } else {
        field.append(c);
      }
    }
    List<String> header =
        java.util.Arrays.stream(Cell.Result.class.getRecordComponents())
            .map(RecordComponent::getName)
            .toList();
    if (rows.isEmpty() || !rows.get(0).equals(header)) {
      throw new IllegalArgumentException(
          "not a comparison.csv of this version: its header differs");
    }
    List<Cell.Result> cells = new ArrayList<>();
    for (List<String> r : rows.subList(1, rows.size())) {
      cells.add(Cell.Result.parse(name -> r.get(header.indexOf(name))));
    }
    return cells;
  }

  private static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15
        ? String.valueOf((long) d)
        : String.format(Locale.ROOT, "%.6g", d);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  // ---- HTML ----

  private record Figure(
      String title, String unit, boolean log, ToDoubleFunction<Cell.Result> value) {}

  private static final List<Figure> FIGURES =
      List.of(
          new Figure("throughput", "requests/s", false, Cell.Result::throughput),
          new Figure("latency p99", "ms", true, Cell.Result::p99Millis),
          new Figure("CPU per request", "ms", true, Cell.Result::cpuMillisPerRequest),
          new Figure(
              "platform threads the model added", "threads", true, r -> r.platformThreadsAdded()),
          new Figure("heap after GC", "MiB", false, r -> mib(r.heapAfterGcBytes())),
          new Figure("peak RSS", "MiB", false, r -> mib(r.peakRssBytes())));

  private static double mib(long bytes) {
    return bytes < 0 ? Double.NaN : bytes / 1048576.0;
  }

  /** The report's body: the run's facts, then per workload a legend, charts and a table. */
  static String fragment(RunInfo info, Settings settings, List<Cell.Result> results) {
    StringBuilder b = new StringBuilder("<div class=\"comparison\">\n");
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
    List<String> models = distinct(results, Cell.Result::model);
    b.append("<p class=\"legend\">");
    for (int i = 0; i < models.size(); i++) {
      b.append("<span style=\"color:")
          .append(COLOURS[i % COLOURS.length])
          .append("\">&#9632;</span>&nbsp;<code>")
          .append(esc(models.get(i)))
          .append("</code> ");
    }
    b.append("</p>\n");
    summary(b, results, models);
    for (String w : distinct(results, Cell.Result::workload)) {
      List<Cell.Result> of = results.stream().filter(r -> r.workload().equals(w)).toList();
      b.append("<h2 id=\"")
          .append(esc(w))
          .append("\">")
          .append(esc(w))
          .append("</h2>\n<p>")
          .append(esc(Workload.of(w).description(settings)))
          .append(".</p>\n<div class=\"charts\">\n");
      List<Integer> levels = of.stream().map(Cell.Result::concurrency).distinct().sorted().toList();
      for (Figure f : FIGURES) {
        Map<String, double[]> series = new LinkedHashMap<>();
        for (String m : models) {
          double[] ys = new double[levels.size()];
          for (int i = 0; i < levels.size(); i++) {
            ys[i] = Double.NaN;
            for (Cell.Result r : of) {
              if (r.model().equals(m) && r.concurrency() == levels.get(i) && r.ok()) {
                ys[i] = f.value().applyAsDouble(r);
              }
            }
          }
          series.put(m, ys);
        }
        b.append(
                Chart.svg(w + ": " + f.title(), f.unit(), levels, series, models, COLOURS, f.log()))
            .append('\n');
      }
      b.append("</div>\n");
      table(
          b,
          of.stream()
              .sorted(
                  Comparator.comparingInt(Cell.Result::concurrency)
                      .thenComparingInt(r -> models.indexOf(r.model())))
              .toList());
    }
    return b.append("</div>").toString();
  }

  /**
   * The run at a glance: per workload and level, each model's throughput as a ratio to the peer's
   * (or its requests/s where the peer has no clean cell), computed from the cells, so always true
   * of the run shown.
   */
  private static void summary(StringBuilder b, List<Cell.Result> results, List<String> models) {
    List<Integer> levels =
        results.stream().map(Cell.Result::concurrency).distinct().sorted().toList();
    b.append("<table class=\"summary\">\n<tr><th>throughput &times; <code>")
        .append(esc(PEER))
        .append("</code></th>");
    for (int level : levels) {
      b.append("<th>").append(level).append(" in flight</th>");
    }
    b.append("</tr>\n");
    for (String w : distinct(results, Cell.Result::workload)) {
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
          Cell.Result r = find(results, w, m, level);
          Cell.Result peer = find(results, w, PEER, level);
          String text;
          if (r == null) {
            text = "";
          } else if (!r.ok()) {
            text = "errors";
          } else if (peer == null || !peer.ok() || peer.throughput() == 0) {
            text = fmt(r.throughput()) + "/s";
          } else {
            text = String.format(Locale.ROOT, "%.2f", r.throughput() / peer.throughput());
          }
          b.append("<td>").append(text).append("</td>");
        }
        b.append("</tr>\n");
      }
    }
    b.append("</table>\n");
  }

  private static Cell.Result find(List<Cell.Result> results, String w, String m, int level) {
    for (Cell.Result r : results) {
      if (r.workload().equals(w) && r.model().equals(m) && r.concurrency() == level) {
        return r;
      }
    }
    return null;
  }

  private static void table(StringBuilder b, List<Cell.Result> of) {
    b.append("<table class=\"cells\">\n<tr><th>level</th><th>model</th><th>req/s</th><th>&times; ")
        .append(esc(PEER))
        .append("</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>CPU ms/req</th>")
        .append("<th>threads added</th><th>heap after GC MiB</th><th>RSS MiB</th>")
        .append("<th>loop delay p99 ms</th>")
        .append("<th>errors</th></tr>\n");
    for (Cell.Result r : of) {
      b.append("<tr><td>")
          .append(r.concurrency())
          .append("</td><td><code>")
          .append(esc(r.model()))
          .append("</code></td>");
      if (r.failure() != null) {
        b.append("<td colspan=\"11\">failed: ").append(esc(r.failure())).append("</td></tr>\n");
        continue;
      }
      Cell.Result peer =
          of.stream()
              .filter(p -> p.model().equals(PEER) && p.concurrency() == r.concurrency() && p.ok())
              .findFirst()
              .orElse(null);
      b.append(td(fmt(r.throughput())))
          .append(
              td(
                  peer == null || peer.throughput() == 0
                      ? ""
                      : String.format(Locale.ROOT, "%.2f", r.throughput() / peer.throughput())))
          .append(td(fmt(r.p50Millis())))
          .append(td(fmt(r.p99Millis())))
          .append(td(fmt(r.maxMillis())))
          .append(td(fmt(r.cpuMillisPerRequest())))
          .append(td(String.valueOf(r.platformThreadsAdded())))
          .append(td(fmt(mib(r.heapAfterGcBytes()))))
          .append(td(fmt(mib(r.peakRssBytes()))))
          .append(td(fmt(r.loopDelayP99Millis())))
          .append(
              td(r.errors() == 0 ? "0" : r.errors() + ": " + esc(String.valueOf(r.firstError()))))
          .append("</tr>\n");
    }
    b.append("</table>\n");
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
      List<Cell.Result> results, java.util.function.Function<Cell.Result, String> key) {
    return new ArrayList<>(new LinkedHashSet<>(results.stream().map(key).toList()));
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
        </style></head><body>
        <h1>loopkit: the event loop against thread-per-request</h1>
        %s
        </body></html>
        """
        .formatted(body);
  }
}
