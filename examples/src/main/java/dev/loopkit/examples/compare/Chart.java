package dev.loopkit.examples.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A line chart as inline SVG: concurrency levels (or arrival rates) along x (evenly spaced, as they
 * are usually powers; the caller sorts them), one line per model, broken where a figure is missing,
 * a bar over each point from its least to its greatest run where the spread is given, a linear or
 * log-10 y axis with labelled grid lines; every point has a tooltip with its exact value. The SVG
 * has no blank line (Markdown passes it through).
 */
final class Chart {

  private static final int W = 340;
  private static final int H = 230;
  private static final int LEFT = 58;
  private static final int RIGHT = 12;
  private static final int TOP = 26;
  private static final int BOTTOM = 38;

  private Chart() {}

  static String svg(
      String title,
      String unit,
      List<Integer> levels,
      Map<String, double[]> series,
      List<String> order,
      String[] colours,
      boolean log) {
    return svg(
        title, unit, "requests in flight", levels, series, Map.of(), Map.of(), order, colours, log);
  }

  /**
   * As above, with the x axis titled {@code xTitle} and, where {@code lows} and {@code highs} have
   * a series' figures, a bar from its least to its greatest run at each point (the spread).
   */
  static String svg(
      String title,
      String unit,
      String xTitle,
      List<Integer> levels,
      Map<String, double[]> series,
      Map<String, double[]> lows,
      Map<String, double[]> highs,
      List<String> order,
      String[] colours,
      boolean log) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Map<String, double[]> m : List.of(series, lows, highs)) {
      for (double[] ys : m.values()) {
        for (double y : ys) {
          if (!Double.isNaN(y) && (!log || y > 0)) {
            min = Math.min(min, y);
            max = Math.max(max, y);
          }
        }
      }
    }
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
                + " %d\" role=\"img\" aria-label=\"%s\" style=\"font:11px sans-serif\">\n",
            W,
            H,
            W,
            H,
            Report.esc(title)));
    b.append("<text x=\"")
        .append(W / 2)
        .append("\" y=\"15\" text-anchor=\"middle\" style=\"font-weight:bold\">")
        .append(Report.esc(title))
        .append(" (")
        .append(Report.esc(unit))
        .append(log ? ", log scale" : "")
        .append(")</text>\n");
    if (max == Double.NEGATIVE_INFINITY) {
      return b.append("<text x=\"")
          .append(W / 2)
          .append("\" y=\"")
          .append(H / 2)
          .append("\" text-anchor=\"middle\">no data</text>\n</svg>")
          .toString();
    }
    double lo;
    double hi;
    if (log) {
      lo = Math.floor(Math.log10(min));
      hi = Math.ceil(Math.log10(max));
      if (hi <= lo) {
        hi = lo + 1;
      }
    } else {
      lo = 0;
      hi = niceCeiling(max);
    }
    int plotW = W - LEFT - RIGHT;
    int plotH = H - TOP - BOTTOM;
    // grid lines and y labels
    int steps = log ? (int) (hi - lo) : 5;
    for (int i = 0; i <= steps; i++) {
      double v = lo + (hi - lo) * i / steps;
      double y = TOP + plotH - plotH * (double) i / steps;
      b.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
              LEFT,
              y,
              W - RIGHT,
              y,
              LEFT - 4,
              y + 4,
              label(log ? Math.pow(10, v) : v)));
    }
    // x labels
    int n = levels.size();
    for (int i = 0; i < n; i++) {
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
              x(i, n, plotW),
              TOP + plotH + 14,
              levels.get(i)));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
            LEFT + plotW / 2,
            H - 6,
            Report.esc(xTitle)));
    // one line per model
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      String colour = colours[order.indexOf(e.getKey()) % colours.length];
      double[] ys = e.getValue();
      double[] los = lows.get(e.getKey());
      double[] his = highs.get(e.getKey());
      List<StringBuilder> segments = new ArrayList<>(); // a gap (no figure) breaks the line
      StringBuilder points = null;
      StringBuilder dots = new StringBuilder();
      for (int i = 0; i < n; i++) {
        double v = ys[i];
        if (Double.isNaN(v) || (log && v <= 0)) {
          points = null;
          continue;
        }
        if (points == null) {
          points = new StringBuilder();
          segments.add(points);
        }
        double t = log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
        double y = TOP + plotH - plotH * t;
        double x = x(i, n, plotW);
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        String spread = "";
        if (los != null && his != null && !Double.isNaN(los[i]) && !Double.isNaN(his[i])) {
          double y0 = yOf(los[i], log, lo, hi, plotH);
          double y1 = yOf(his[i], log, lo, hi, plotH);
          dots.append(
              String.format(
                  Locale.ROOT,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                      + " stroke-width=\"1.5\" class=\"spread\"/>",
                  x,
                  y0,
                  x,
                  y1,
                  colour));
          spread = " (runs " + Report.fmt(los[i]) + " to " + Report.fmt(his[i]) + ")";
        }
        dots.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, %s %d: %s"
                    + " %s%s</title></circle>",
                x,
                y,
                colour,
                Report.esc(e.getKey()),
                Report.esc(xTitle),
                levels.get(i),
                Report.fmt(v),
                Report.esc(unit),
                spread));
      }
      for (StringBuilder segment : segments) {
        b.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"")
            .append(colour)
            .append("\" points=\"")
            .append(segment.toString().trim())
            .append("\"/>");
      }
      if (!dots.isEmpty()) {
        b.append(dots).append('\n');
      }
    }
    return b.append("</svg>").toString();
  }

  private static double yOf(double v, boolean log, double lo, double hi, int plotH) {
    if (log && v <= 0) {
      return TOP + plotH;
    }
    double t = log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
    return TOP + plotH - plotH * t;
  }

  private static double x(int i, int n, int plotW) {
    return n == 1 ? LEFT + plotW / 2.0 : LEFT + 10 + (plotW - 20) * (double) i / (n - 1);
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten at or above {@code v}. */
  static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String label(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return trim(v / 1e6) + "M";
    }
    if (a >= 1e3) {
      return trim(v / 1e3) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    String s = String.format(Locale.ROOT, v >= 1 || v == 0 ? "%.1f" : "%.3g", v);
    return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }
}
