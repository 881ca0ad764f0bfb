package dev.loopkit.spi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The system clock's recent reading: never ahead of the clock, moving while read, no thread idle.
 */
class TickerTest {

  private static boolean tickerAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().equals("loopkit-ticker"));
  }

  @Test
  void theRecentReadingIsNeverAheadOfTheClockMovesWhileReadAndItsThreadEndsWhenNotRead()
      throws InterruptedException {
    LoopClock clock = LoopClock.system();
    long first = clock.recentNanoTime();
    long end = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    long last = first;
    while (clock.nanoTime() - end < 0) {
      long recent = clock.recentNanoTime();
      long now = clock.nanoTime();
      assertTrue(recent - now <= 0, "the recent reading " + recent + " is ahead of " + now);
      last = recent;
    }
    assertTrue(last - first > 0, "the recent reading never moved in 200 ms of reads");
    assertTrue(tickerAlive(), "no ticker thread while the reading is read");
    // Not read any more: the thread ends after a second idle (the bound here is wide)
    long deadline = clock.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (tickerAlive() && clock.nanoTime() - deadline < 0) {
      Thread.sleep(50);
    }
    assertTrue(!tickerAlive(), "the ticker thread is still alive 20 s after its last reader");
    // and a reader brings it back
    long again = clock.recentNanoTime();
    assertTrue(again - clock.nanoTime() <= 0);
    deadline = clock.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (clock.recentNanoTime() == again && clock.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
    assertTrue(clock.recentNanoTime() != again, "the reading did not move again once read");
  }
}
