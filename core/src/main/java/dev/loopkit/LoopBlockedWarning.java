package dev.loopkit;

import java.time.Duration;

/**
 * The watchdog's report that one callback, with the microtask checkpoint after it, has held a loop
 * past {@code loopkit.watchdog.thresholdMillis}. Never thrown: it is handed to the blocked-loop
 * handler (by default logged as a warning), once per incident, while the loop is still blocked.
 *
 * <p>Its stack trace is the stack of the thread running the loop when the watchdog looked, so a log
 * shows where the loop is stuck, as Vert.x's blocked-thread checker does.
 */
public final class LoopBlockedWarning extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String loopName;
  private final String carrier;
  private final transient Duration blockedFor;
  private final String phase;
  private final String callback;
  private final String threadName;

  /**
   * A report.
   *
   * @param loopName the loop's name
   * @param carrier its carrier
   * @param blockedFor how long the callback had held the loop when the watchdog looked
   * @param threshold the configured threshold
   * @param phase the phase the callback belongs to: {@code timers}, {@code poll}, {@code check} or
   *     {@code close}
   * @param callback what the callback is (its {@code toString()})
   * @param inCheckpoint whether the loop was in the microtask checkpoint after the callback
   * @param thread the thread running the loop
   * @param stack that thread's stack when the watchdog looked
   */
  public LoopBlockedWarning(
      String loopName,
      String carrier,
      Duration blockedFor,
      Duration threshold,
      String phase,
      String callback,
      boolean inCheckpoint,
      String thread,
      StackTraceElement[] stack) {
    super(
        "the loop "
            + loopName
            + " ("
            + carrier
            + ") has been blocked for "
            + blockedFor.toMillis()
            + " ms (threshold "
            + threshold.toMillis()
            + " ms) by a "
            + phase
            + "-phase callback"
            + (inCheckpoint ? ", in the microtask checkpoint after it" : "")
            + ": "
            + callback
            + "; thread "
            + thread,
        null,
        false,
        true);
    this.loopName = loopName;
    this.carrier = carrier;
    this.blockedFor = blockedFor;
    this.phase = phase;
    this.callback = callback;
    this.threadName = thread;
    setStackTrace(stack);
  }

  /** The blocked loop's name. */
  public String loopName() {
    return loopName;
  }

  /** The loop's carrier. */
  public String carrier() {
    return carrier;
  }

  /** How long the callback had held the loop when the watchdog looked. */
  public Duration blockedFor() {
    return blockedFor;
  }

  /** The phase of the callback: {@code timers}, {@code poll}, {@code check} or {@code close}. */
  public String phase() {
    return phase;
  }

  /** What the callback is (its {@code toString()}). */
  public String callback() {
    return callback;
  }

  /** The name of the thread that was running the loop. */
  public String threadName() {
    return threadName;
  }
}
