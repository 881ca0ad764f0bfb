package dev.loopkit.spi;

import com.google.common.base.Ticker;
import java.util.Objects;

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

  /** A clock that reads a Guava {@link Ticker} (for example Guava's {@code FakeTicker}). */
  static LoopClock of(Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    return ticker::read;
  }
}

/** {@link System#nanoTime()}: the only place the library reads the system clock. */
enum SystemClock implements LoopClock {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }
}
