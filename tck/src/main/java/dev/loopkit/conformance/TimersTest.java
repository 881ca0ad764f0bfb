package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Immediate;
import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Timer;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Timer behaviour other than ordering: clamping to 1 ms, never early, cancel's answer, refresh,
 * unref, and an interval that never catches up.
 */
class TimersTest {

  private static final long MS = 1_000_000L;

  /** Elapsed loop-clock time since {@code start}, in nanoseconds. */
  private static long since(Loop loop, long start) {
    return loop.clock().nanoTime() - start;
  }

  /** Holds the loop for {@code millis}: moves virtual time, or spins on a real clock. */
  private static void holdLoop(LoopFixture f, Loop loop, long millis) {
    if (f.has(Capability.VIRTUAL_TIME)) {
      ManualControl.of(loop).advance(Duration.ofMillis(millis));
    } else {
      long end = System.nanoTime() + millis * MS;
      while (System.nanoTime() - end < 0) {
        Thread.onSpinWait();
      }
    }
  }

  // ---- clamping and never early ----------------------------------------------------------------

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void zeroDelayFiresAfterExactlyOneMillisecond(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    List<String> fired = new ArrayList<>();
    loop.setTimeout(() -> fired.add("zero"), 0);
    loop.setTimeout(() -> fired.add("negative"), -25);
    loop.setTimeout(() -> fired.add("nanos"), Duration.ofNanos(1));
    m.runUntilIdle();
    assertEquals(List.of(), fired, "nothing may fire at +0");
    m.advance(Duration.ofNanos(500_000));
    m.runUntilIdle();
    assertEquals(List.of(), fired, "nothing may fire at +0.5 ms");
    m.advance(Duration.ofNanos(499_999));
    m.runUntilIdle();
    assertEquals(List.of(), fired, "nothing may fire at +0.999999 ms");
    m.advance(Duration.ofNanos(1));
    m.runUntilIdle();
    assertEquals(List.of("zero", "negative", "nanos"), fired, "all fire at +1 ms, in order");
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void subMillisecondDurationsNeverFireEarly(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    AtomicBoolean fired = new AtomicBoolean();
    loop.setTimeout(() -> fired.set(true), Duration.ofMillis(2).plusNanos(1));
    m.advance(Duration.ofMillis(2));
    m.runUntilIdle();
    assertFalse(fired.get(), "a 2.000001 ms timer fired at 2 ms");
    m.advance(Duration.ofMillis(1));
    m.runUntilIdle();
    assertTrue(fired.get(), "a 2.000001 ms timer had not fired at 3 ms");
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void intervalBelowOneMillisecondRepeatsEveryMillisecond(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    List<Long> at = new ArrayList<>();
    Timer t = loop.setInterval(() -> at.add(loop.clock().nanoTime()), Duration.ofNanos(300_000));
    m.advanceAndRun(Duration.ofMillis(3));
    t.cancel();
    m.runUntilIdle();
    assertEquals(List.of(1 * MS, 2 * MS, 3 * MS), at);
  }

  @CarrierTest
  void aTimerNeverFiresBeforeItsDelay(LoopFixture f) {
    long[] delays = {0, 1, 2, 5, 10, 25, 50};
    long[] loopElapsed = new long[delays.length];
    long[] wallElapsed = new long[delays.length];
    f.run(
        () -> {
          Loop loop = Loop.current();
          for (int i = 0; i < delays.length; i++) {
            int n = i;
            long start = loop.clock().nanoTime();
            long wall = System.nanoTime();
            loop.setTimeout(
                () -> {
                  loopElapsed[n] = since(loop, start);
                  wallElapsed[n] = System.nanoTime() - wall;
                },
                delays[i]);
          }
        });
    for (int i = 0; i < delays.length; i++) {
      long min = Math.max(1, delays[i]) * MS;
      assertTrue(loopElapsed[i] >= min, "timer " + delays[i] + " ms fired after " + loopElapsed[i]);
      if (f.has(Capability.OWN_THREADS)) {
        assertTrue(
            wallElapsed[i] >= min,
            "timer " + delays[i] + " ms fired after " + wallElapsed[i] + " ns of real time");
      }
    }
  }

  @CarrierTest
  void aTimerMadeFromAnotherThreadNeverFiresBeforeItsDelay(LoopFixture f) {
    Loop loop = f.newLoop();
    long start = loop.clock().nanoTime();
    long wall = System.nanoTime();
    AtomicReference<long[]> elapsed = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    loop.setTimeout(
        () -> {
          elapsed.set(new long[] {since(loop, start), System.nanoTime() - wall});
          done.countDown();
        },
        Duration.ofMillis(30));
    f.await(loop, done);
    assertTrue(elapsed.get()[0] >= 30 * MS, "fired after " + elapsed.get()[0] + " ns");
    if (f.has(Capability.OWN_THREADS)) {
      assertTrue(elapsed.get()[1] >= 30 * MS, "fired after " + elapsed.get()[1] + " ns real");
    }
  }

  // ---- a busy loop reads the clock when a timer may be due -------------------------------------

  @CarrierTest
  void aTimerThatCameDueDuringABusyCallbackRunsInTheNextTurnsTimersPhase(LoopFixture f) {
    List<String> order = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setImmediate(
              () -> {
                loop.setTimeout(() -> order.add("timeout"), 2);
                holdLoop(f, loop, 10); // the timer is due well before this callback returns
                loop.setImmediate(() -> order.add("immediate"));
              });
        });
    // Node: the next turn begins with its timers phase, which reads the clock: the timeout first
    assertEquals(List.of("timeout", "immediate"), order);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aTimerFiresWhileAChainOfImmediatesKeepsTheLoopBusy(LoopFixture f) {
    long[] lateness = {-1};
    long[] hops = {0};
    f.run(
        () -> {
          Loop loop = Loop.current();
          long due = System.nanoTime() + 5 * MS;
          long giveUp = due + 5_000 * MS;
          loop.setTimeout(() -> lateness[0] = System.nanoTime() - due, 5);
          loop.setImmediate(
              new Runnable() {
                @Override
                public void run() {
                  hops[0]++;
                  if (lateness[0] < 0 && ((hops[0] & 1023) != 0 || System.nanoTime() < giveUp)) {
                    loop.setImmediate(this); // a chain that ends only once the timer has fired
                  }
                }
              });
        });
    assertTrue(lateness[0] >= 0, "the timer never fired during " + hops[0] + " turns");
    // the bound a busy loop keeps is about a millisecond; this margin is for slow machines
    assertTrue(lateness[0] < 1_000 * MS, "the timer fired " + lateness[0] / MS + " ms late");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aBusyLoopReadsTheClockItselfWhenTheRecentReadingFallsBehind(LoopFixture f) {
    long frozen = System.nanoTime();
    LoopClock heldUp = // the recent reading of a ticker thread that never gets to run
        new LoopClock() {
          @Override
          public long nanoTime() {
            return System.nanoTime();
          }

          @Override
          public long recentNanoTime() {
            return frozen;
          }

          @Override
          public long recentAgeNanos() {
            return MS;
          }
        };
    int timers = 8; // the first one warms up (a fresh JVM loads classes as it fires)
    List<Long> lateness = new ArrayList<>();
    f.run(
        b -> b.clock(heldUp),
        () -> {
          Loop loop = Loop.current();
          Runnable[] arm = new Runnable[1];
          arm[0] =
              () -> {
                long due = System.nanoTime() + 3 * MS;
                loop.setTimeout(
                    () -> {
                      lateness.add(System.nanoTime() - due);
                      if (lateness.size() < timers) {
                        arm[0].run();
                      }
                    },
                    3);
              };
          arm[0].run();
          loop.setImmediate(
              new Runnable() {
                int turns;

                @Override
                public void run() {
                  long end = System.nanoTime() + 3 * MS / 10; // turns of 0.3 ms each
                  while (System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                  }
                  if (lateness.size() < timers && ++turns < 20_000) {
                    loop.setImmediate(this);
                  }
                }
              });
        });
    assertEquals(timers, lateness.size(), "timers fired while the loop was busy: " + lateness);
    // a read every turn makes them late by a turn at most (0.3 ms); a read every few hundred turns,
    // as many as a chain of short turns allows, by up to 75 ms. The median: a stall of the loop's
    // thread (the JIT, the OS) may make one of them late whatever the loop does.
    long[] measured =
        lateness.subList(1, timers).stream().mapToLong(Long::longValue).sorted().toArray();
    long median = measured[measured.length / 2];
    assertTrue(median < 5 * MS, "timers fired " + median / 1000 + " us late (median): " + lateness);
  }

  // ---- cancel ----------------------------------------------------------------------------------

  @CarrierTest
  void cancelReturnsTrueBeforeFiringAndFalseAfter(LoopFixture f) {
    List<String> log = new ArrayList<>();
    List<Boolean> answers = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Timer cancelled = loop.setTimeout(() -> log.add("cancelled ran"), 10);
          Timer fired = loop.setTimeout(() -> log.add("fired"), 5);
          Immediate im = loop.setImmediate(() -> log.add("immediate"));
          answers.add(cancelled.cancel()); // true
          answers.add(cancelled.cancel()); // false: already cancelled
          answers.add(cancelled.isActive()); // false
          loop.setTimeout(
              () -> {
                answers.add(fired.cancel()); // false: it fired
                answers.add(fired.isActive()); // false
                answers.add(im.cancel()); // false: it ran
              },
              20);
        });
    assertEquals(List.of("immediate", "fired"), log);
    assertEquals(List.of(true, false, false, false, false, false), answers);
  }

  @CarrierTest
  void cancelledImmediateNeverRuns(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Immediate im = loop.setImmediate(() -> log.add("ran"));
          log.add(im.cancel());
          log.add(im.cancel());
        });
    assertEquals(List.of(true, false), log);
  }

  @CarrierTest
  void cancelOfARunningTimeoutFromItsOwnCallbackReturnsFalse(LoopFixture f) {
    AtomicReference<Timer> self = new AtomicReference<>();
    List<Boolean> answers = new ArrayList<>();
    f.run(
        () ->
            self.set(
                Loop.current()
                    .setTimeout(
                        () -> {
                          answers.add(self.get().cancel());
                          answers.add(self.get().isActive());
                        },
                        1)));
    assertEquals(List.of(false, false), answers);
  }

  @CarrierTest
  void intervalCancelledInsideItsCallbackStops(LoopFixture f) {
    AtomicReference<Timer> self = new AtomicReference<>();
    AtomicInteger runs = new AtomicInteger();
    List<Boolean> answers = new ArrayList<>();
    f.run(
        () ->
            self.set(
                Loop.current()
                    .setInterval(
                        () -> {
                          int n = runs.incrementAndGet();
                          if (n == 3) {
                            answers.add(self.get().cancel());
                            answers.add(self.get().isActive());
                            answers.add(self.get().cancel());
                          }
                          if (n > 10) {
                            self.get().close(); // safety: let the program end so the test fails
                          }
                        },
                        2)));
    assertEquals(3, runs.get(), "the interval ran again after cancel()");
    assertEquals(List.of(true, false, false), answers);
  }

  @CarrierTest
  void timerCancelledFromAnotherThreadNeverRuns(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicBoolean ran = new AtomicBoolean();
    Timer t = loop.setTimeout(() -> ran.set(true), 50);
    assertTrue(t.cancel(), "cancel() before firing");
    assertFalse(t.cancel());
    CountDownLatch later = new CountDownLatch(1);
    loop.setTimeout(later::countDown, 100);
    f.await(loop, later);
    assertFalse(ran.get(), "a cancelled timer ran");
  }

  @CarrierTest
  void closeCancelsTheTimerAndRunsOnlyTheFirstCloseCallback(LoopFixture f) {
    List<String> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Timer t = loop.setTimeout(() -> log.add("timer ran"), 5);
          t.close(() -> log.add("closed 1 on loop " + loop.inEventLoop()));
          t.close(() -> log.add("closed 2"));
          log.add("active " + t.isActive());
          log.add("cancel " + t.cancel());
        });
    assertEquals(List.of("active false", "cancel false", "closed 1 on loop true"), log);
  }

  // ---- refresh ---------------------------------------------------------------------------------

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void refreshReArmsFromNowWithTheOriginalDelay(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    List<Long> at = new ArrayList<>();
    Timer t = loop.setTimeout(() -> at.add(loop.clock().nanoTime()), 10);
    m.advanceAndRun(Duration.ofMillis(6));
    assertTrue(t.refresh() == t, "refresh() returns the timer");
    m.runUntilIdle();
    m.advanceAndRun(Duration.ofMillis(9)); // now 15: the original deadline 10 has passed
    assertEquals(List.of(), at, "a refreshed timer fired at its old deadline");
    m.advanceAndRun(Duration.ofMillis(1)); // now 16 = 6 + 10
    assertEquals(List.of(16 * MS), at);
  }

  @CarrierTest
  void refreshPostponesTheTimer(LoopFixture f) {
    long[] elapsed = {-1};
    f.run(
        () -> {
          Loop loop = Loop.current();
          long start = loop.clock().nanoTime();
          Timer t = loop.setTimeout(() -> elapsed[0] = since(loop, start), 30);
          loop.setTimeout(t::refresh, 20);
        });
    assertTrue(elapsed[0] >= 50 * MS, "refreshed at 20 ms, a 30 ms timer fired at " + elapsed[0]);
  }

  @CarrierTest
  void refreshInsideItsOwnCallbackRunsItOnceMore(LoopFixture f) {
    AtomicReference<Timer> self = new AtomicReference<>();
    List<Long> at = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          long start = loop.clock().nanoTime();
          self.set(
              loop.setTimeout(
                  () -> {
                    at.add(since(loop, start));
                    if (at.size() == 1) {
                      self.get().refresh();
                    }
                  },
                  10));
        });
    assertEquals(2, at.size(), "runs: " + at);
    assertTrue(at.get(1) - at.get(0) >= 10 * MS, "re-armed too early: " + at);
  }

  @CarrierTest
  void refreshOfACancelledTimerHasNoEffect(LoopFixture f) {
    AtomicBoolean ran = new AtomicBoolean();
    f.run(
        () -> {
          Timer t = Loop.current().setTimeout(() -> ran.set(true), 5);
          t.cancel();
          t.refresh();
        });
    assertFalse(ran.get());
  }

  // ---- ref and unref ---------------------------------------------------------------------------

  @CarrierTest
  void refAndUnrefChangeHasRef(LoopFixture f) {
    List<Boolean> refs = new ArrayList<>();
    f.run(
        () -> {
          Timer t = Loop.current().setTimeout(() -> {}, 1);
          refs.add(t.hasRef());
          refs.add(t.unref().hasRef());
          refs.add(t.ref().hasRef());
        });
    assertEquals(List.of(true, false, true), refs);
  }

  @CarrierTest
  void unrefdTimerStillFiresInServerMode(LoopFixture f) {
    Loop loop = f.newLoop();
    CountDownLatch fired = new CountDownLatch(1);
    AtomicReference<Timer> t = new AtomicReference<>();
    f.onLoop(loop, () -> t.set(loop.setTimeout(fired::countDown, 5).unref()));
    assertFalse(t.get().hasRef());
    f.await(loop, fired);
    CountDownLatch fromOutside = new CountDownLatch(1);
    loop.setTimeout(fromOutside::countDown, 5).unref();
    f.await(loop, fromOutside);
  }

  @CarrierTest
  void unrefdIntervalKeepsRunningInServerMode(LoopFixture f) {
    Loop loop = f.newLoop();
    CountDownLatch three = new CountDownLatch(3);
    Timer t = loop.setInterval(three::countDown, 2).unref();
    f.await(loop, three);
    assertTrue(t.cancel());
  }

  // ---- intervals -------------------------------------------------------------------------------

  @CarrierTest
  void intervalNeverCatchesUpAfterALongCallback(LoopFixture f) {
    AtomicReference<Timer> self = new AtomicReference<>();
    List<Long> starts = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          long origin = loop.clock().nanoTime();
          self.set(
              loop.setInterval(
                  () -> {
                    starts.add(since(loop, origin));
                    if (starts.size() == 1) {
                      holdLoop(f, loop, 70); // the loop is blocked for 3.5 periods
                    }
                    if (starts.size() == 4) {
                      self.get().cancel();
                    }
                  },
                  20));
        });
    assertEquals(4, starts.size(), "runs: " + starts);
    assertTrue(starts.get(1) - starts.get(0) >= 70 * MS, "runs: " + starts);
    // The next run is due a period after the previous one started, as the loop saw it; the
    // callback reads the clock a moment later (longer on a loaded machine), so a gap may be a
    // little short of a period, while catching up would put runs back to back: half a period.
    for (int i = 2; i < starts.size(); i++) {
      assertTrue(
          starts.get(i) - starts.get(i - 1) >= 10 * MS,
          "run " + i + " came right after the previous (caught up): " + starts);
    }
    if (f.has(Capability.VIRTUAL_TIME)) {
      assertEquals(List.of(20 * MS, 90 * MS, 110 * MS, 130 * MS), starts);
    }
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void intervalReArmsAtTheStartOfItsCallbackPlusThePeriod(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    List<Long> at = new ArrayList<>();
    Timer t =
        loop.setInterval(
            () -> {
              at.add(loop.clock().nanoTime());
              m.advance(Duration.ofMillis(3)); // a callback that takes 3 ms
            },
            10);
    m.advanceAndRun(Duration.ofMillis(35));
    assertTrue(t.cancel());
    assertEquals(List.of(10 * MS, 20 * MS, 30 * MS), at, "re-armed at the end, not the start");
  }

  @CarrierTest
  void largestDelayIsAcceptedAndCancellable(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Timer t = loop.setTimeout(() -> {}, Integer.MAX_VALUE);
    assertTrue(t.isActive());
    assertTrue(t.cancel());
    assertFalse(loop.awaitTermination(0, TimeUnit.MILLISECONDS));
  }
}
