package dev.loopkit;

import java.time.Duration;

/**
 * Drives a loop on the {@code manual} carrier step by step, with virtual time: for deterministic
 * tests of asynchronous code.
 *
 * <p>Turns run on the calling thread (one thread at a time). Offloads do not run until the test
 * says so, in the order the test chooses. Virtual time moves only through {@link #advance} and
 * {@link #advanceAndRun}; in program mode ({@code Loop.run}) the carrier itself moves it to the
 * next timer, and runs pending offloads oldest first, whenever nothing else is runnable.
 */
public interface ManualControl {

  /**
   * The control of {@code loop}.
   *
   * @throws IllegalArgumentException if {@code loop} does not run on the {@code manual} carrier
   */
  static ManualControl of(Loop loop) {
    return dev.loopkit.internal.EventLoop.of(loop).manualControl();
  }

  /** Runs one turn (timers, poll, check, close) on the calling thread. */
  void runOnce();

  /**
   * Runs turns until nothing is runnable now, without moving time; pending offloads are left alone.
   * Returns the number of turns run.
   *
   * @throws IllegalStateException if more than 1,000,000 turns run (a runaway chain)
   */
  int runUntilIdle();

  /**
   * Does what a real loop would do next, as program mode does: runs turns until idle; then, if
   * nothing is runnable, runs the oldest pending offload, or else moves virtual time to the next
   * timer. Returns false when there was nothing to do at all (no work, offload or timer).
   */
  boolean step();

  /** Moves virtual time forward by {@code duration} (timers become due; nothing runs yet). */
  void advance(Duration duration);

  /**
   * Lets {@code duration} of virtual time pass as real time would: moves the clock to each timer
   * deadline within it in turn, running turns until idle at each, then to the end.
   */
  void advanceAndRun(Duration duration);

  /** The current virtual time, from the loop's origin. */
  Duration now();

  /** How many offloads wait for the test to run them. */
  int pendingOffloads();

  /**
   * Runs the pending offload at {@code index} (0 = oldest) on the calling thread; its result
   * reaches the loop's poll phase as usual.
   *
   * @throws IndexOutOfBoundsException if there is no such pending offload
   */
  void runOffload(int index);

  /** Runs every pending offload, oldest first (including ones they offload meanwhile). */
  void runAllOffloads();
}
