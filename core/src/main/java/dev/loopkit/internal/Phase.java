package dev.loopkit.internal;

/**
 * A phase of the turn (timers, poll, check, close): runs its callbacks, each followed by the
 * microtask checkpoint, and keeps its own place so that the turn can be resumed.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. A phase fixes its pass when it begins (which timers are due, which tasks
 * and immediates were there) and keeps that pass, and how far it got, in its own fields: when a
 * callback is suspended in await (virtual carrier), the thread that takes the loop over calls
 * run() again and the phase goes on where it was. started counts the callbacks it started: a
 * plain increment, read opaque by LoopStats (metrics, the watchdog's progress).
 * }</pre>
 */
abstract class Phase {
  final TurnDriver driver;

  /** Callbacks this phase started (loop; read opaque by LoopStats). */
  long started;

  /** Whether the pass in progress has been fixed (loop). */
  boolean begun;

  Phase(TurnDriver driver) {
    this.driver = driver;
  }

  /** Runs, or goes on with, this phase's pass; on return the pass is over. */
  abstract void run();

  /** Runs one callback of this phase, then the microtask checkpoint. */
  final void runCallback(Runnable callback) {
    driver.runCallback(callback, ++started);
  }
}
