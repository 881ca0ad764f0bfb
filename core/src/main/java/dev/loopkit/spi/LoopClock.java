package dev.loopkit.spi;

import dev.loopkit.internal.SuppressForbidden;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The time source a loop reads to decide which timers are due, in nanoseconds from an arbitrary
 * origin (as {@link System#nanoTime()}).
 *
 * <p>A virtual clock ({@link #isVirtual()}) moves only when told to; carriers then wait for its
 * advance listeners instead of for real time to pass.
 */
public interface LoopClock {

  /** The current time in nanoseconds. Never decreases. */
  long nanoTime();

  /**
   * A reading of this clock from a moment ago, cheap to take: never later than {@link #nanoTime()}
   * and at most {@link #recentAgeNanos()} older. A busy loop asks it whether a timer may be due
   * before it reads the clock itself. The default reads {@link #nanoTime()}.
   */
  default long recentNanoTime() {
    return nanoTime();
  }

  /** How much older than {@link #nanoTime()} {@link #recentNanoTime()} may be (0: never). */
  default long recentAgeNanos() {
    return 0;
  }

  /** Whether this clock moves only when advanced (then carriers never sleep on it). */
  default boolean isVirtual() {
    return false;
  }

  /**
   * Registers {@code listener} to run, on the advancing thread, each time a virtual clock moves.
   * Real clocks ignore it.
   */
  default void onAdvance(Runnable listener) {}

  /** The system's monotonic clock. */
  static LoopClock system() {
    return SystemClock.INSTANCE;
  }

  /**
   * A real (not virtual) clock that reads {@code nanoTime}, which must never decrease. A Guava
   * {@code Ticker} (for example {@code FakeTicker}) fits as {@code LoopClock.of(ticker::read)}.
   */
  static LoopClock of(LongSupplier nanoTime) {
    Objects.requireNonNull(nanoTime, "nanoTime");
    return nanoTime::getAsLong;
  }
}

/** {@link System#nanoTime()}: the only place the library reads the system clock. */
enum SystemClock implements LoopClock {
  INSTANCE;

  @Override
  @SuppressForbidden(reason = "the system clock itself")
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long recentNanoTime() {
    return Ticker.recent();
  }

  @Override
  public long recentAgeNanos() {
    return Ticker.MAX_AGE_NANOS;
  }
}
