package dev.loopkit.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link Program} against a {@link LoopUnderTest} and records the log: which callback ran
 * ({@code cb#i}), what cancel and settle calls returned, and the test's own steps.
 *
 * <p>The same runner drives the real loop and the model, so the two logs differ only where the
 * loops do. A top-level action is performed from outside the loop, by calling the loop's method
 * ({@code execute} always, others when {@link Action#outside()}) or by a task handed in with {@code
 * execute} that performs it; a nested one is performed by its parent's callback, each time that
 * runs. ({@link #root} instead performs every top-level action from one callback on the loop.) Once
 * {@link #CALLBACK_BUDGET} callbacks have run, callbacks still log but perform no children, so that
 * nested intervals cannot blow up a run.
 */
final class ProgramRunner {
  /** Callbacks after this many perform no children. */
  static final int CALLBACK_BUDGET = 300;

  /** Flush rounds the model may take to become idle. */
  static final int MAX_FLUSH_ROUNDS = 64;

  /** Turns per flush round. */
  private static final int FLUSH_TURNS = 3;

  /** Time moved per flush round: more than any delay or period. */
  private static final long FLUSH_ADVANCE_MILLIS = 100;

  private final Program program;
  private final LoopUnderTest loop;
  private final List<List<Integer>> children = new ArrayList<>();
  private final Object[] handles;
  private final List<String> log = new ArrayList<>();
  private int callbacks;
  private boolean stopped;

  ProgramRunner(Program program, LoopUnderTest loop) {
    this.program = program;
    this.loop = loop;
    this.handles = new Object[program.size()];
    for (int i = 0; i < program.size(); i++) {
      children.add(program.children(i));
    }
  }

  /** Performs the top-level actions in order. */
  void runTopLevel() {
    for (int i = 0; i < program.size(); i++) {
      if (program.get(i).parent() < 0) {
        performTopLevel(i);
      }
    }
  }

  /**
   * The carrier-neutral way to start a program: one callback, to be run on the loop (as a task or
   * as program mode's main), that performs the top-level actions in order; it has no steps.
   */
  Runnable root() {
    return () -> {
      for (int i = 0; i < program.size(); i++) {
        if (program.get(i).parent() < 0) {
          perform(i);
        }
      }
    };
  }

  /**
   * One flush round: runs every pending offload (oldest first), moves time past any delay, runs a
   * few turns.
   */
  void flushRound() {
    while (loop.pendingOffloads() > 0) {
      runOffload(0);
    }
    advance(FLUSH_ADVANCE_MILLIS);
    for (int t = 0; t < FLUSH_TURNS; t++) {
      runTurn();
    }
  }

  /** The log so far. */
  List<String> log() {
    return log;
  }

  /** From now on callbacks do nothing (the loop is being shut down). */
  void stop() {
    stopped = true;
  }

  private void performTopLevel(int i) {
    Action a = program.get(i);
    switch (a.kind()) {
      case RUN_TURN -> runTurn();
      case ADVANCE -> advance(a.advance());
      case RUN_OFFLOAD -> {
        int pending = loop.pendingOffloads();
        if (pending > 0) {
          runOffload(a.arg() % pending);
        } else {
          log.add("no offload pending");
        }
      }
      default -> {
        if (a.kind() == Action.Kind.EXECUTE || a.outside()) {
          perform(i); // from outside the loop
        } else {
          loop.execute(() -> perform(i));
        }
      }
    }
  }

  private void runTurn() {
    log.add("-- turn");
    loop.runTurn();
  }

  private void advance(long millis) {
    log.add("-- advance " + millis + "ms");
    loop.advance(millis);
  }

  private void runOffload(int index) {
    log.add("-- run offload " + index + " of " + loop.pendingOffloads());
    loop.runOffload(index);
  }

  /** Performs action {@code i}: on the loop, or from outside for a top-level one. */
  private void perform(int i) {
    Action a = program.get(i);
    switch (a.kind()) {
      case EXECUTE -> loop.execute(callback(i));
      case NEXT_TICK -> loop.nextTick(callback(i));
      case MICROTASK -> loop.queueMicrotask(callback(i));
      case THEN -> loop.then(a.promise(), callback(i));
      case RESOLVE -> log.add("p" + a.promise() + ".resolve " + loop.resolve(a.promise()));
      case REJECT -> log.add("p" + a.promise() + ".reject " + loop.reject(a.promise()));
      case SET_IMMEDIATE -> handles[i] = loop.setImmediate(callback(i));
      case SET_TIMEOUT -> handles[i] = loop.setTimeout(callback(i), a.delay());
      case SET_INTERVAL -> {
        Object[] self = new Object[1];
        Runnable body = callback(i);
        int[] runs = {0};
        Runnable each =
            () -> {
              body.run();
              if (++runs[0] == a.runs() && !stopped) {
                loop.cancel(self[0]);
              }
            };
        self[0] = loop.setInterval(each, a.period());
        handles[i] = self[0];
      }
      case CANCEL -> {
        Object h = a.target() < 0 ? null : handles[a.target()];
        log.add("cancel #" + a.target() + (h == null ? " no-handle-yet" : " " + loop.cancel(h)));
      }
      case OFFLOAD -> loop.offload(callback(i));
      case RUN_TURN, ADVANCE, RUN_OFFLOAD ->
          throw new IllegalStateException("a step is never nested: #" + i);
    }
  }

  /** Action {@code i}'s callback: logs, then performs the children (within the budget). */
  private Runnable callback(int i) {
    return () -> {
      if (stopped) {
        return;
      }
      log.add("cb#" + i);
      if (++callbacks <= CALLBACK_BUDGET) {
        for (int child : children.get(i)) {
          perform(child);
        }
      }
    };
  }
}
