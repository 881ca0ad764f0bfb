package dev.loopkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The timer queue against a sorted set of (deadline, sequence), over random adds, removes, clock
 * moves and polls: the same timer comes out first, with the same earliest deadline, every time —
 * across the wheel's ticks, its wrap-around, the far heap and long jumps of the clock.
 */
class TimerQueueTest {
  private static final Comparator<LoopTimer> ORDER =
      Comparator.<LoopTimer>comparingLong(t -> t.deadline).thenComparingLong(t -> t.seq);

  @Test
  void pollsInExactDeadlineOrderLikeASortedSet() {
    for (long seed = 0; seed < 200; seed++) {
      run(seed);
    }
  }

  private static void run(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    TimerQueue q = new TimerQueue();
    TreeSet<LoopTimer> model = new TreeSet<>(ORDER);
    List<LoopTimer> live = new ArrayList<>();
    long now = random.nextLong(-1L << 40, 1L << 40); // nanoTime has any origin
    long seq = 0;
    for (int step = 0; step < 2_000; step++) {
      int op = random.nextInt(10);
      if (op < 5) {
        long delay =
            switch (random.nextInt(4)) {
              case 0 -> random.nextLong(0, 2_000_000); // within a tick or two
              case 1 -> random.nextLong(0, 300_000_000); // across the wheel
              case 2 -> random.nextLong(0, 10_000_000_000L); // far
              default -> 1_000_000 * random.nextInt(3); // equal deadlines
            };
        LoopTimer t = new LoopTimer(null, seq++, () -> {}, delay, 0, now + delay);
        q.add(t);
        model.add(t);
        live.add(t);
      } else if (op < 7 && !live.isEmpty()) {
        LoopTimer t = live.remove(random.nextInt(live.size()));
        assertTrue(q.remove(t), "seed " + seed);
        assertFalse(q.remove(t), "seed " + seed);
        model.remove(t);
      } else if (op < 9) {
        now +=
            random.nextBoolean()
                ? random.nextLong(0, 3_000_000)
                : random.nextLong(0, 1_000_000_000L);
        for (LoopTimer t; (t = q.pollDue(now, Long.MAX_VALUE)) != null; ) {
          LoopTimer expected = model.pollFirst();
          assertSame(expected, t, "seed " + seed + " step " + step);
          assertTrue(t.deadline - now <= 0);
          live.remove(t);
          assertFalse(q.contains(t));
        }
        LoopTimer first = model.isEmpty() ? null : model.first();
        assertTrue(first == null || first.deadline - now > 0, "a due timer was left");
      } else if (!model.isEmpty()) {
        assertEquals(model.first().deadline, q.peekDeadline(), "seed " + seed + " step " + step);
      }
      assertEquals(model.size(), q.size());
      assertEquals(model.isEmpty(), q.isEmpty());
      assertEquals(model.size(), q.refCount()); // all ref'd
    }
    List<LoopTimer> cleared = new ArrayList<>();
    q.clear(cleared::add);
    assertEquals(model.size(), cleared.size());
    assertTrue(q.isEmpty());
  }

  @Test
  void aTimerArmedDuringThePassWaitsForTheNext() {
    TimerQueue q = new TimerQueue();
    LoopTimer a = new LoopTimer(null, 1, () -> {}, 0, 0, 100);
    LoopTimer b = new LoopTimer(null, 2, () -> {}, 0, 0, 100);
    q.add(a);
    q.add(b);
    assertSame(a, q.pollDue(100, 2));
    assertNull(q.pollDue(100, 2), "b's sequence is not below the pass's");
    assertSame(b, q.pollDue(100, 3));
  }
}
