package dev.loopkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LoopStats's sampling of poll-queue waits by ticket and its one-binder rule (its counts are the
 * loop's: WatchdogTest and LoopMetricsTest check them on every carrier).
 */
class LoopStatsTest {

  /** Records what the loop hands to a binder. */
  private static final class Recorded implements LoopStats.Instruments {
    final List<Long> waits = new ArrayList<>();

    @Override
    public void callbackDuration(int phase, long nanos) {}

    @Override
    public void taskWait(long nanos) {
      waits.add(nanos);
    }
  }

  @Test
  void aSampledTicketsWaitIsTheTimeSinceItsStamp() {
    LoopStats stats = new LoopStats(null, 4);
    Recorded in = new Recorded();
    stats.stamp(8, 1_000);
    stats.taskTaken(in, 8, 1_750);
    assertEquals(List.of(750L), in.waits);
  }

  @Test
  void aTicketWithoutItsOwnStampIsNotSampled() {
    LoopStats stats = new LoopStats(null, 4);
    Recorded in = new Recorded();
    stats.taskTaken(in, 4, 100); // taken before its producer stamped it
    // 256 stamps later the ring slot holds another ticket's stamp
    stats.stamp(4, 10);
    stats.stamp(4 + 256 * 4, 20);
    stats.taskTaken(in, 4, 100);
    assertEquals(List.of(), in.waits);
    stats.taskTaken(in, 4 + 256 * 4, 25);
    assertEquals(List.of(5L), in.waits);
  }

  @Test
  void oneBinderAtATime() {
    LoopStats stats = new LoopStats(null, 1);
    Recorded a = new Recorded();
    stats.attach(a);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> stats.attach(a));
    assertTrue(e.getMessage().contains("already bound"), e.getMessage());
    stats.detach(new Recorded()); // not the attached one: no effect
    assertEquals(a, stats.instruments());
    stats.detach(a);
    assertEquals(null, stats.instruments());
  }
}
