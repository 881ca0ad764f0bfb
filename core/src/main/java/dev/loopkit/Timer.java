package dev.loopkit;

/**
 * A timer made by {@link Loop#setTimeout} or {@link Loop#setInterval}.
 *
 * <p>A timer runs no sooner than its deadline (the clock at the call plus its delay); timers with
 * equal deadlines run in creation order; a cancelled timer never runs again.
 */
public interface Timer extends Handle {

  /**
   * Cancels this timer (Node's {@code clearTimeout}). For a timeout, returns true only if its
   * callback had not started and now never will. For an interval, returns true if this call stopped
   * further runs (a run already in progress finishes). Returns false when the timer had already
   * fired, was cancelled, or its loop has stopped.
   */
  boolean cancel();

  /**
   * Re-arms this timer with its original delay, counted from now, keeping its callback (Node's
   * {@code timeout.refresh()}): a timeout that already fired is armed again, as in Node; called
   * inside the timer's own callback, it re-arms from then. Has no effect on a cancelled timer.
   * Returns this timer.
   */
  Timer refresh();

  @Override
  Timer ref();

  @Override
  Timer unref();

  /** Whether this is a repeating timer made by {@link Loop#setInterval}. */
  boolean isRepeating();
}
