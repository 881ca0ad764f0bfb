package dev.loopkit.spi;

import java.util.concurrent.Executor;

/**
 * Decides when, and on which thread, a loop's turns run; and where its offloaded work runs.
 *
 * <p>All semantics live in the engine ({@link LoopDriver}); a carrier only runs turns: call {@link
 * LoopDriver#runTurns} until it answers {@link LoopDriver.Next#TERMINATED}, and between calls wait
 * as the answer says — not at all ({@code RUN_AGAIN}), until {@link LoopDriver#nextDeadline()}
 * ({@code AT_DEADLINE}) or until {@link #wake()} ({@code IDLE}). Before waiting, publish that you
 * are about to wait and then check {@link LoopDriver#hasPendingWork()} once more, so a wake-up
 * racing the decision is never lost.
 */
public interface Carrier {

  /** Starts running turns. Called once, by the thread that made the loop. */
  void start();

  /**
   * Work arrived from another thread (a task, a completion, a changed timer): make sure a turn runs
   * soon. Called often and from any thread: must be cheap, never block, and coalesce.
   */
  void wake();

  /**
   * Where one offload pool's tasks run: an executor that runs each task it is given at once, on a
   * thread of its choosing. The engine owns the rest, for every carrier: it hands the executor at
   * most the pool's size of tasks at once and keeps the others waiting in order, refuses past the
   * pool's queue capacity, interrupts on cancel and stop, and ends the pool with the loop —
   * shutting the executor down (and waiting for it) if it is an {@link
   * java.util.concurrent.ExecutorService}. The default: platform threads, as many as the pool may
   * run at once, daemon as the loop's configuration says.
   */
  default Executor offloadExecutor(PoolSpec spec, LoopDriver driver) {
    return OffloadExecutors.platform(spec.name(), poolBound(spec), driver);
  }

  /**
   * The most tasks of a pool that run at once ({@link Integer#MAX_VALUE}: no bound): the configured
   * size, or for an {@code io} pool without one ({@code spec.size()} is 0) 4, as libuv's thread
   * pool.
   */
  default int poolBound(PoolSpec spec) {
    return spec.size() > 0 ? spec.size() : 4;
  }

  /**
   * Called by {@code Loop.run} on the caller's thread after {@link #start()}: returns when the loop
   * has terminated. A carrier that runs turns on the caller's thread drives them here.
   */
  default void runToCompletion(LoopDriver driver) {
    driver.awaitTerminationUninterruptibly();
  }

  /**
   * After the loop's last turn: waits up to {@code nanos} for the threads this carrier started to
   * end (a thread or pool it shares with other live loops excepted). True when they have.
   */
  default boolean awaitTermination(long nanos) throws InterruptedException {
    return true;
  }

  /**
   * Whether the blocked-loop watchdog ({@code loopkit.watchdog.thresholdMillis}) watches loops of
   * this carrier. A carrier whose turns run inside a test's calls, in virtual time, says no.
   */
  default boolean supportsWatchdog() {
    return true;
  }

  /**
   * Whether the loop's turns run without help from a thread that waits for them: true for every
   * carrier with threads of its own. A carrier whose turns run only inside a test's calls ({@code
   * manual}) answers false unless a thread is driving it now ({@link #runToCompletion}): a blocking
   * wait from another thread would then never end, so the engine refuses it at once, and {@code
   * close()} runs the loop to its end on the caller's thread instead.
   */
  default boolean turnsRunUnattended() {
    return true;
  }

  /** Whether a blocking wait inside a callback may suspend it instead of blocking the loop. */
  default boolean canSuspendCallbacks() {
    return false;
  }

  /**
   * For a carrier that can suspend callbacks: a new, unstarted thread that runs this carrier's
   * turns, taking over from the turn thread whose callback was suspended (that thread's {@code
   * runTurns} later answers {@link LoopDriver.Next#HANDED_OFF}). The engine starts it.
   */
  default Thread newTurnThread() {
    throw new UnsupportedOperationException("this carrier cannot suspend callbacks");
  }
}
