package dev.loopkit.site;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark charts, drawn as inline SVG from the committed sitting: no script, nothing typed.
 * Each chart is an {@code <svg data-chart=...>} whose marks are {@code rect}s (the browser check
 * counts them).
 */
final class Charts {
  private static final int WIDTH = 760;
  private static final int LABEL = 300; // left column: the subject's name
  private static final int VALUE = 160; // right column: the figure
  private static final int ROW = 22;
  private static final int TOP = 26;

  private Charts() {}

  /** Operations per second of every subject of one shape, with error bars; loopkit in colour. */
  static String scores(SiteData data, String shape) {
    List<SiteData.Score> rows =
        data.scores(shape).stream()
            .sorted(Comparator.comparingDouble(SiteData.Score::ops).reversed())
            .toList();
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("no benchmark scores for shape " + shape);
    }
    double max = rows.stream().mapToDouble(r -> r.ops() + r.err()).max().orElseThrow();
    int plot = WIDTH - LABEL - VALUE;
    int height = TOP + rows.size() * ROW + 10;
    // shape F is an HTTP server under wrk: a figure is the median of the sitting's rounds, its
    // whisker half their spread (none for a sitting of one round)
    boolean http = shape.equals("F");
    boolean rounds = rows.stream().anyMatch(r -> r.err() > 0);
    String unit = http ? "requests per second" : "operations per second";
    StringBuilder svg = open("bench-" + shape, height, "shape " + shape + ": " + unit);
    svg.append(
        text(
            LABEL,
            16,
            "start",
            unit
                + (http
                    ? rounds
                        ? " (longer is faster; median of the rounds, whiskers: half their spread)"
                        : " (longer is faster; one wrk run each: no error bar)"
                    : " (longer is faster; whiskers: 99.9% error)"),
            "axis"));
    int y = TOP;
    for (SiteData.Score r : rows) {
      double w = Math.max(1, r.ops() / max * plot);
      svg.append(text(LABEL - 6, y + 15, "end", label(r), "label"));
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>%s: %s ± %s"
                  + "</title></rect>",
              r.loopkit() ? "bar loopkit" : "bar peer",
              LABEL,
              y + 4,
              w,
              ROW - 8,
              escape(r.subject()),
              SiteData.opsText(r.ops()),
              SiteData.opsText(r.err())));
      double lo = Math.max(0, r.ops() - r.err()) / max * plot;
      double hi = (r.ops() + r.err()) / max * plot;
      svg.append(whisker(LABEL + lo, LABEL + hi, y + ROW / 2.0));
      svg.append(text(WIDTH - VALUE + 6, y + 15, "start", SiteData.opsText(r.ops()), "value"));
      y += ROW;
    }
    return svg.append("</svg>").toString();
  }

  /**
   * Every target as a ratio to its floor on a log scale: the floor is the dashed line at 1; a
   * target is met only when its whole error bar is right of that line.
   */
  static String targets(SiteData data) {
    List<SiteData.Target> rows = data.targets();
    double min = 0.25;
    double max = 64;
    int plot = WIDTH - LABEL - VALUE;
    int height = TOP + rows.size() * ROW + 24;
    StringBuilder svg = open("targets", height, "targets: ratio to floor with error bars");
    double floorX = LABEL + scale(1, min, max, plot);
    for (double tick : new double[] {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64}) {
      double x = LABEL + scale(tick, min, max, plot);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
              x,
              x,
              TOP,
              height - 20));
      svg.append(
          text(
              (int) x,
              height - 6,
              "middle",
              (tick < 1 ? String.valueOf(tick) : String.valueOf((int) tick)) + "×",
              "axis"));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<line class=\"floor\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
            floorX,
            floorX,
            TOP - 6,
            height - 20));
    svg.append(text((int) floorX + 4, 16, "start", "floor (ratio ÷ floor = 1)", "axis"));
    int y = TOP;
    for (SiteData.Target t : rows) {
      SiteData.Ratio r = t.ratio();
      double x = LABEL + scale(r.value() / t.floor(), min, max, plot);
      double lo = LABEL + scale(r.low() / t.floor(), min, max, plot);
      double hi = LABEL + scale(r.high() / t.floor(), min, max, plot);
      String label = t.shape() + " " + pairName(r.of(), r.to());
      svg.append(text(LABEL - 6, y + 15, "end", label, "label"));
      svg.append(whisker(lo, hi, y + ROW / 2.0));
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"8\" height=\"8\"><title>%s ÷ %s ="
                  + " %s; floor %s×: %s</title></rect>",
              t.met() ? "mark met" : "mark unmet",
              x - 4,
              y + ROW / 2 - 4,
              escape(r.of()),
              escape(r.to()),
              r.text(),
              SiteData.fixed(t.floor()),
              t.met() ? "met" : "not met"));
      svg.append(
          text(
              WIDTH - VALUE + 6,
              y + 15,
              "start",
              r.text() + (t.met() ? " met" : " not met"),
              t.met() ? "value" : "value unmet"));
      y += ROW;
    }
    return svg.append("</svg>").toString();
  }

  private static double scale(double v, double min, double max, int plot) {
    double c = Math.min(max, Math.max(min, v));
    return Math.log(c / min) / Math.log(max / min) * plot;
  }

  private static String label(SiteData.Score s) {
    String method = s.key().split(":").length > 2 ? s.key().split(":")[1] + ": " : "";
    return method + s.subject();
  }

  /** "st-execute ÷ netty-nio-event-loop", or "executeChain: st-metrics ÷ st-bare". */
  private static String pairName(String of, String to) {
    String a = of.substring(of.indexOf(':') + 1);
    String b = to.substring(to.indexOf(':') + 1);
    String method = "";
    if (a.contains(":") && b.contains(":") && a.startsWith(b.substring(0, b.indexOf(':') + 1))) {
      method = a.substring(0, a.indexOf(':') + 1) + " ";
      a = a.substring(a.indexOf(':') + 1);
      b = b.substring(b.indexOf(':') + 1);
    }
    return method + shortName(a) + " ÷ " + shortName(b);
  }

  private static String shortName(String name) {
    return name.replace("loopkit-", "").replace("single-thread", "st");
  }

  private static StringBuilder open(String id, int height, String label) {
    return new StringBuilder()
        .append("<svg class=\"chart\" data-chart=\"")
        .append(id)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(height)
        .append("\" role=\"img\" aria-label=\"")
        .append(escape(label))
        .append("\">");
  }

  private static String whisker(double lo, double hi, double y) {
    return String.format(
        Locale.ROOT,
        "<path class=\"err\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\"/>",
        lo,
        y,
        hi,
        lo,
        y - 4,
        y + 4,
        hi,
        y - 4,
        y + 4);
  }

  private static String text(int x, int y, String anchor, String s, String cls) {
    return String.format(
        Locale.ROOT,
        "<text class=\"%s\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>",
        cls,
        x,
        y,
        anchor,
        escape(s));
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
