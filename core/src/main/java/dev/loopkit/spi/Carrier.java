package dev.loopkit.spi;

import java.util.concurrent.ExecutorService;

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
   * The executor behind one offload pool. The default gives {@code io} and {@code cpu} pools fixed
   * platform threads, daemon as the loop's configuration says.
   */
  default ExecutorService offloadExecutor(PoolSpec spec, LoopDriver driver) {
    return OffloadExecutors.platform(spec, driver);
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
