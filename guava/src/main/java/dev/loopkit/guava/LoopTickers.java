package dev.loopkit.guava;

import static java.util.Objects.requireNonNull;

import com.google.common.base.Ticker;
import dev.loopkit.spi.LoopClock;

/** Converts between {@link LoopClock} and Guava's {@link Ticker}. */
public final class LoopTickers {
  private LoopTickers() {}

  /**
   * A real (not virtual) loop clock that reads {@code ticker}, for example Guava's {@code
   * FakeTicker}; the same as {@code LoopClock.of(ticker::read)}.
   */
  public static LoopClock asLoopClock(Ticker ticker) {
    requireNonNull(ticker, "ticker");
    return LoopClock.of(ticker::read);
  }

  /**
   * A ticker that reads {@code clock}: for example a {@link dev.loopkit.VirtualClock} driving a
   * Guava cache's expiry in a test.
   */
  public static Ticker asTicker(LoopClock clock) {
    requireNonNull(clock, "clock");
    return new Ticker() {
      @Override
      public long read() {
        return clock.nanoTime();
      }
    };
  }
}
