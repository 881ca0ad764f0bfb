package dev.loopkit.guava;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.base.Ticker;
import dev.loopkit.VirtualClock;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoopTickersTest {

  @Test
  void aTickerReadsAsARealLoopClock() {
    AtomicLong nanos = new AtomicLong(5);
    Ticker ticker =
        new Ticker() {
          @Override
          public long read() {
            return nanos.get();
          }
        };
    LoopClock clock = LoopTickers.asLoopClock(ticker);
    assertEquals(5, clock.nanoTime());
    nanos.addAndGet(1_000);
    assertEquals(1_005, clock.nanoTime());
    assertFalse(clock.isVirtual());
  }

  @Test
  void aVirtualClockReadsAsATicker() {
    VirtualClock clock = new VirtualClock();
    Ticker ticker = LoopTickers.asTicker(clock);
    long start = ticker.read();
    clock.advance(Duration.ofMillis(3));
    assertEquals(Duration.ofMillis(3).toNanos(), ticker.read() - start);
  }

  @Test
  void nullsAreRefused() {
    assertThrows(NullPointerException.class, () -> LoopTickers.asLoopClock(null));
    assertThrows(NullPointerException.class, () -> LoopTickers.asTicker(null));
  }
}
