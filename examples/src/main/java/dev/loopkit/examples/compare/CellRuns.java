package dev.loopkit.examples.compare;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The runs of one cell taken together: each figure's median over the runs, and the spread (least
 * and greatest) of any figure.
 *
 * <p>A cell is clean only if every one of its runs is: a run with an error or a failure makes the
 * whole cell one that is neither charted nor a peer, so a spread never hides a broken run.
 */
record CellRuns(List<Cell.Result> each) {

  CellRuns {
    each = List.copyOf(each);
    if (each.isEmpty()) {
      throw new IllegalArgumentException("a cell has at least one run");
    }
  }

  String workload() {
    return each.get(0).workload();
  }

  String model() {
    return each.get(0).model();
  }

  Cell.Point point() {
    return each.get(0).point();
  }

  int runs() {
    return each.size();
  }

  boolean ok() {
    return each.stream().allMatch(Cell.Result::ok);
  }

  /** The median of a figure over the runs that know it; NaN if none does. */
  double median(ToDoubleFunction<Cell.Result> figure) {
    double[] v = known(figure);
    if (v.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(v);
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  double min(ToDoubleFunction<Cell.Result> figure) {
    return Arrays.stream(known(figure)).min().orElse(Double.NaN);
  }

  double max(ToDoubleFunction<Cell.Result> figure) {
    return Arrays.stream(known(figure)).max().orElse(Double.NaN);
  }

  private double[] known(ToDoubleFunction<Cell.Result> figure) {
    return each.stream().mapToDouble(figure).filter(d -> !Double.isNaN(d)).toArray();
  }

  /**
   * The cell as one result: every figure the median of the runs that know it (counts and bytes
   * rounded; -1 where no run knows them), errors and drops summed over the runs, the first error
   * and the first failure of any run, and no run number.
   */
  Cell.Result median() {
    RecordComponent[] rcs = Cell.Result.class.getRecordComponents();
    Map<String, String> text = new LinkedHashMap<>();
    for (RecordComponent rc : rcs) {
      String name = rc.getName();
      Class<?> type = rc.getType();
      String value;
      if (name.equals("run")) {
        value = null;
      } else if (name.equals("errors") || name.equals("dropped")) {
        value = String.valueOf(each.stream().mapToLong(r -> (long) number(rc, r)).sum());
      } else if (name.equals("failure")) {
        value =
            each.stream()
                .filter(r -> r.failure() != null)
                .map(r -> "run " + r.run() + ": " + r.failure())
                .findFirst()
                .orElse(null);
      } else if (type == String.class) {
        value =
            each.stream()
                .map(r -> (String) Compare.get(rc, r))
                .filter(v -> v != null)
                .findFirst()
                .orElse(null);
      } else {
        double m = median(r -> number(rc, r));
        value =
            Double.isNaN(m)
                ? null
                : type == double.class ? String.valueOf(m) : String.valueOf(Math.round(m));
      }
      text.put(name, value);
    }
    return Cell.Result.parse(text::get);
  }

  /** A figure as a double: NaN where it is not known (-1 for counts and bytes). */
  private static double number(RecordComponent rc, Cell.Result r) {
    Object v = Compare.get(rc, r);
    if (v instanceof Double d) {
      return d;
    }
    long l = ((Number) v).longValue();
    return l == -1 ? Double.NaN : l;
  }

  /**
   * The runs grouped by cell, in the report's order: workloads as {@link Workload} lists them,
   * models as {@link Settings#DEFAULT_MODELS} then by name, closed-loop levels then open-loop
   * rates, each ascending; runs by number. The order of {@code runs} does not matter.
   */
  static List<CellRuns> group(List<Cell.Result> runs) {
    Map<String, List<Cell.Result>> byCell = new LinkedHashMap<>();
    for (Cell.Result r : runs) {
      byCell.computeIfAbsent(r.cellKey(), k -> new ArrayList<>()).add(r);
    }
    List<CellRuns> cells = new ArrayList<>();
    for (List<Cell.Result> each : byCell.values()) {
      each.sort(Comparator.comparingInt(Cell.Result::run));
      cells.add(new CellRuns(each));
    }
    cells.sort(ORDER);
    return cells;
  }

  static int modelRank(String model) {
    int i = Settings.DEFAULT_MODELS.indexOf(model);
    return i < 0 ? Settings.DEFAULT_MODELS.size() : i;
  }

  static final Comparator<CellRuns> ORDER =
      Comparator.comparingInt((CellRuns c) -> Workload.of(c.workload()).ordinal())
          .thenComparing(c -> c.point().open())
          .thenComparingInt(c -> c.point().open() ? 0 : c.point().concurrency())
          .thenComparingDouble(c -> c.point().open() ? c.point().rateFraction() : 0)
          .thenComparingInt(c -> modelRank(c.model()))
          .thenComparing(CellRuns::model);
}
