package dev.loopkit.examples.compare;

/** Synthetic runs for the report's and the conclusions' tests: only what a test sets varies. */
final class Cells {

  private Cells() {}

  /** A clean closed-loop run: {@code throughput} req/s, p99 of {@code p99} ms, RSS in MiB. */
  static Cell.Result closed(
      String workload,
      String model,
      int level,
      int run,
      double throughput,
      double p99,
      int rssMib) {
    return result(workload, model, Cell.Point.closed(level), run, throughput, p99, rssMib, 0, 0);
  }

  /** A clean open-loop run at {@code fraction} of a peak of 1,000 req/s, with its drops. */
  static Cell.Result open(
      String workload, String model, double fraction, int run, double p99, long dropped) {
    return result(
        workload,
        model,
        Cell.Point.open(fraction, fraction * 1000, 64),
        run,
        fraction * 1000,
        p99,
        100,
        0,
        dropped);
  }

  static Cell.Result result(
      String workload,
      String model,
      Cell.Point point,
      int run,
      double throughput,
      double p99,
      int rssMib,
      long errors,
      long dropped) {
    return new Cell.Result(
        workload,
        model,
        point.mode(),
        point.concurrency(),
        point.rateFraction(),
        point.rate(),
        run,
        1,
        (long) throughput,
        errors,
        dropped,
        errors == 0 ? null : "boom \"quoted\"\nnext\tline",
        throughput,
        1,
        p99 / 2,
        p99 / 1.5,
        p99,
        p99 * 1.1,
        p99 * 1.2,
        0.5,
        0.05,
        model.equals("threads/platform") ? 200 : 4,
        20,
        -1,
        1 << 20,
        rssMib * 1048576L,
        Double.NaN,
        Double.NaN,
        Double.NaN,
        12,
        0.01,
        0.5,
        null);
  }
}
