package dev.loopkit.examples.compare;

import static dev.loopkit.examples.compare.Cells.closed;
import static dev.loopkit.examples.compare.Cells.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * "When to choose" is computed from the cells: synthetic grids with known winners (a clear one, a
 * tie within the spread, a model with no clean cell) give those winners, and the same grid with the
 * figures swapped gives the other one, so no typed conclusion could pass.
 */
class ConclusionsTest {

  private static final String LOOP = "loop/single-thread";
  private static final String VIRTUAL = "threads/virtual";
  private static final String POOL = "threads/platform";

  /** Three runs of each model at levels 1 and 64; at 64, the given throughputs. */
  private static List<Cell.Result> grid(double[] loop, double[] virtual, double[] pool) {
    List<Cell.Result> runs = new ArrayList<>();
    for (int run = 1; run <= 3; run++) {
      runs.add(closed("db", LOOP, 1, run, 50, 1, 300));
      runs.add(closed("db", VIRTUAL, 1, run, 60, 1, 400));
      runs.add(closed("db", POOL, 1, run, 70, 1, 500));
      runs.add(closed("db", LOOP, 64, run, loop[run - 1], 5, 300 + run));
      runs.add(closed("db", VIRTUAL, 64, run, virtual[run - 1], 5, 400 + run));
      runs.add(closed("db", POOL, 64, run, pool[run - 1], 5, 500 + run));
    }
    return runs;
  }

  private static Conclusions.Conclusion only(List<Cell.Result> runs) {
    List<Conclusions.Conclusion> all = Conclusions.of(CellRuns.group(runs));
    assertEquals(1, all.size());
    return all.get(0);
  }

  @Test
  void aClearWinnerAtTheHighestLevelWithItsMarginSpreadAndCost() {
    Conclusions.Conclusion c =
        only(
            grid(
                new double[] {200, 210, 190},
                new double[] {100, 95, 105},
                new double[] {20, 25, 30}));
    assertEquals(64, c.level(), "the highest level, not level 1 where the pool is fastest");
    assertEquals(LOOP, c.winner());
    assertEquals(VIRTUAL, c.runnerUp());
    assertFalse(c.tie());
    assertEquals(2.0, c.ratio(), 1e-9, "medians 200 over 100");
    assertEquals(190 / 105.0, c.ratioLow(), 1e-9, "the winner's least over the runner-up's most");
    assertEquals(210 / 95.0, c.ratioHigh(), 1e-9);
    assertEquals(302, c.winnerMemoryMib(), 1e-9, "the median of 301, 302, 303 MiB peak RSS");
    assertEquals(402, c.runnerUpMemoryMib(), 1e-9);
    assertEquals(4, c.winnerThreads(), 1e-9);
    assertEquals("peak RSS", c.memoryKind());
    assertEquals(List.of(), c.missing());
    assertEquals(
        "**db** (64 in flight): choose `loop/single-thread`: 2.00× the throughput of"
            + " `threads/virtual` (1.81–2.21× over 3 runs); 302 MiB peak RSS, 4 threads added,"
            + " against 402 MiB peak RSS, 4 threads added. Event loop ÷ thread per request:"
            + " 2.00× (1.81–2.21×), the best loop `loop/single-thread` ÷ the best thread model"
            + " `threads/virtual`.",
        c.text());
  }

  @Test
  void theSameGridWithTheFiguresSwappedChoosesTheOtherModel() {
    Conclusions.Conclusion c =
        only(
            grid(
                new double[] {100, 95, 105},
                new double[] {200, 210, 190},
                new double[] {20, 25, 30}));
    assertEquals(VIRTUAL, c.winner());
    assertEquals(LOOP, c.runnerUp());
    assertTrue(c.text().contains("choose `threads/virtual`"), c.text());
  }

  @Test
  void overlappingSpreadsAreATieEvenWithAHigherMedian() {
    // loop's median 110 beats virtual's 100, but loop's slowest run (90) is below virtual's
    // fastest (120): the runs cannot tell them apart.
    Conclusions.Conclusion c =
        only(
            grid(
                new double[] {110, 90, 130},
                new double[] {100, 120, 80},
                new double[] {20, 25, 30}));
    assertEquals(LOOP, c.winner());
    assertEquals(VIRTUAL, c.runnerUp());
    assertTrue(c.tie());
    assertEquals(1.1, c.ratio(), 1e-9);
    assertEquals(90 / 120.0, c.ratioLow(), 1e-9, "below 1: the spreads overlap");
    assertTrue(
        c.text().contains("a tie between `loop/single-thread` and `threads/virtual`"), c.text());
    assertTrue(c.text().contains("choose by cost"), c.text());
  }

  @Test
  void touchingSpreadsAreATie() {
    Conclusions.Conclusion c =
        only(
            grid(
                new double[] {120, 130, 140},
                new double[] {100, 110, 120},
                new double[] {20, 25, 30}));
    assertTrue(c.tie(), "the winner's least (120) equals the runner-up's most (120)");
    Conclusions.Conclusion apart =
        only(
            grid(
                new double[] {121, 130, 140},
                new double[] {100, 110, 120},
                new double[] {20, 25, 30}));
    assertFalse(apart.tie(), "one request/s apart: a winner (the negative control)");
  }

  @Test
  void aModelWithoutACleanCellIsNamedNotWeighed() {
    List<Cell.Result> runs =
        new ArrayList<>(
            grid(
                new double[] {100, 100, 100},
                new double[] {90, 90, 90},
                new double[] {500, 500, 500}));
    // One run of the pool's fastest cell had errors: the whole cell is out.
    runs.removeIf(r -> r.model().equals(POOL) && r.concurrency() == 64 && r.run() == 2);
    runs.add(Cells.result("db", POOL, Cell.Point.closed(64), 2, 500, 5, 500, 3, 0));
    Conclusions.Conclusion c = only(runs);
    assertEquals(LOOP, c.winner(), "the pool's errors do not make it the winner");
    assertEquals(List.of(POOL), c.missing());
    assertTrue(
        c.text().endsWith("No clean cell, so not weighed: `threads/platform` (a run had errors)."),
        c.text());
  }

  @Test
  void aModelThatDidNotRunAtTheLevelIsMissing() {
    List<Cell.Result> runs =
        new ArrayList<>(
            grid(
                new double[] {100, 100, 100},
                new double[] {90, 90, 90},
                new double[] {50, 50, 50}));
    runs.removeIf(r -> r.model().equals(VIRTUAL) && r.concurrency() == 64);
    Conclusions.Conclusion c = only(runs);
    assertEquals(LOOP, c.winner());
    assertEquals(POOL, c.runnerUp());
    assertEquals(List.of(VIRTUAL), c.missing());
    assertTrue(c.text().contains("`threads/virtual` (not run at this level)"), c.text());
  }

  @Test
  void theBestLoopAgainstTheBestThreadModelWhicheverWins() {
    // the pool is fastest, the loop last: the loop family's best against the thread family's best
    Conclusions.Conclusion c =
        only(
            grid(
                new double[] {50, 40, 60},
                new double[] {100, 95, 105},
                new double[] {200, 210, 190}));
    assertEquals(POOL, c.winner());
    assertEquals(LOOP, c.bestLoop());
    assertEquals(POOL, c.bestThreads(), "the fastest thread model, not threads/virtual");
    assertEquals(0.25, c.loopRatio(), 1e-9, "medians 50 over 200");
    assertEquals(40 / 210.0, c.loopRatioLow(), 1e-9);
    assertEquals(60 / 190.0, c.loopRatioHigh(), 1e-9);
    assertTrue(c.text().contains("Event loop ÷ thread per request: 0.25× (0.19–0.32×)"), c.text());
    List<Cell.Result> noThreads =
        grid(new double[] {1, 1, 1}, new double[] {1, 1, 1}, new double[] {1, 1, 1});
    noThreads.removeIf(r -> r.model().startsWith("threads/"));
    Conclusions.Conclusion alone = only(noThreads);
    assertNull(alone.bestThreads());
    assertFalse(alone.text().contains("Event loop ÷"), alone.text());
  }

  @Test
  void oneThreadIsSingular() {
    assertEquals("1 thread added", Conclusions.threadsAdded(1));
    assertEquals("0 threads added", Conclusions.threadsAdded(0));
    assertEquals("1,024 threads added", Conclusions.threadsAdded(1024));
  }

  @Test
  void aLoneCleanModelAndNoneAtAll() {
    List<Cell.Result> alone = new ArrayList<>();
    for (int run = 1; run <= 3; run++) {
      alone.add(closed("file", LOOP, 8, run, 10, 1, 100));
    }
    Conclusions.Conclusion c = only(alone);
    assertEquals(LOOP, c.winner());
    assertNull(c.runnerUp());
    assertTrue(c.text().contains("only `loop/single-thread` ran clean"), c.text());
    Conclusions.Conclusion none =
        only(List.of(Cell.Result.failed(Workload.FILE, LOOP, Cell.Point.closed(8), 1, "no JVM")));
    assertNull(none.winner());
    assertTrue(none.text().contains("no model ran clean"), none.text());
  }

  @Test
  void theOpenLoopsLowestP99WithoutDropsAtTheHighestRate() {
    List<Cell.Result> runs =
        new ArrayList<>(
            grid(
                new double[] {100, 100, 100},
                new double[] {90, 90, 90},
                new double[] {50, 50, 50}));
    for (int run = 1; run <= 3; run++) {
      runs.add(open("db", LOOP, 0.5, run, 1, 0));
      runs.add(open("db", LOOP, 0.8, run, 9 + run, 0));
      runs.add(open("db", VIRTUAL, 0.8, run, 20, 0));
      runs.add(open("db", POOL, 0.8, run, 2, 5)); // lowest p99, but it dropped arrivals
    }
    Conclusions.Conclusion c = only(runs);
    assertEquals(LOOP, c.openWinner());
    assertEquals(0.8, c.openFraction(), 1e-9);
    assertEquals(11, c.openP99(), 1e-9);
    assertTrue(
        c.text()
            .contains(
                "Offered 800 req/s (80% of the peak), the lowest p99 is"
                    + " `loop/single-thread`'s: 11.0 ms (10.0–12.0)."),
        c.text());
  }
}
