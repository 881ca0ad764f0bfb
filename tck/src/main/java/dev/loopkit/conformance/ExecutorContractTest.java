package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;

/**
 * The loop as a {@link java.util.concurrent.ScheduledExecutorService}: null tasks, delays and
 * periods, fixed-rate catch-up, fixed-delay spacing, exceptions that belong to a future,
 * invokeAll/Any, and the calls that would make the loop's own thread wait for itself.
 */
class ExecutorContractTest {

  private static final long MS = 1_000_000L;

  /** Holds the loop for {@code millis}: moves virtual time, or sleeps on a real clock. */
  private static void lag(LoopFixture f, Loop loop, long millis) {
    if (f.has(Capability.VIRTUAL_TIME)) {
      ManualControl.of(loop).advance(Duration.ofMillis(millis));
    } else {
      long end = System.nanoTime() + millis * MS;
      while (System.nanoTime() - end < 0) {
        Thread.onSpinWait();
      }
    }
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      assertTrue(latch.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS), "latch");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // ---- null tasks, bad periods -----------------------------------------------------------------

  @CarrierTest
  void nullTasksThrowNullPointerException(LoopFixture f) {
    Loop loop = f.newLoop();
    Runnable nullRunnable = null;
    Callable<String> nullCallable = null;
    List<Executable> calls =
        List.of(
            () -> loop.execute(null),
            () -> loop.submit(nullRunnable),
            () -> loop.submit(nullRunnable, "v"),
            () -> loop.submit(nullCallable),
            () -> loop.schedule(nullRunnable, 1, TimeUnit.MILLISECONDS),
            () -> loop.schedule(nullCallable, 1, TimeUnit.MILLISECONDS),
            () -> loop.scheduleAtFixedRate(null, 1, 1, TimeUnit.MILLISECONDS),
            () -> loop.scheduleWithFixedDelay(null, 1, 1, TimeUnit.MILLISECONDS),
            () -> loop.schedule(() -> {}, 1, null),
            () -> loop.scheduleAtFixedRate(() -> {}, 1, 1, null),
            () -> loop.invokeAll(null),
            () -> loop.invokeAll(Arrays.asList(() -> "a", null)),
            () -> loop.invokeAll(null, 1, TimeUnit.SECONDS),
            () -> loop.invokeAny(null),
            () -> loop.invokeAny(Arrays.asList(() -> "a", null)),
            () -> loop.invokeAny(null, 1, TimeUnit.SECONDS),
            () -> loop.offload(null),
            () -> loop.offload("io", null),
            () -> loop.setTimeout(null, 1),
            () -> loop.setInterval(null, 1),
            () -> loop.setImmediate(null));
    for (int i = 0; i < calls.size(); i++) {
      assertThrows(NullPointerException.class, calls.get(i), "call #" + i);
    }
    // Nothing half-submitted: the loop is still empty and running.
    f.onLoop(loop, () -> {});
    assertFalse(loop.isShutdown());
  }

  @CarrierTest
  void nonPositivePeriodThrowsIllegalArgumentException(LoopFixture f) {
    Loop loop = f.newLoop();
    for (long p : new long[] {0, -1, Long.MIN_VALUE}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> loop.scheduleAtFixedRate(() -> {}, 1, p, TimeUnit.MILLISECONDS),
          "fixed rate " + p);
      assertThrows(
          IllegalArgumentException.class,
          () -> loop.scheduleWithFixedDelay(() -> {}, 1, p, TimeUnit.MILLISECONDS),
          "fixed delay " + p);
    }
  }

  // ---- execute / submit ------------------------------------------------------------------------

  @CarrierTest
  void submitRunsOnTheLoopAndItsExceptionBelongsToTheFuture(LoopFixture f) throws Exception {
    List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    Loop loop = f.newLoop(b -> b.onUncaughtError((l, e) -> uncaught.add(e)));
    Future<Boolean> onLoop = loop.submit(loop::inEventLoop);
    Future<String> withValue = loop.submit(() -> {}, "given");
    Future<?> plain = loop.submit(() -> {});
    Future<Object> throwing =
        loop.submit(
            () -> {
              throw new IllegalStateException("in the future");
            });
    f.awaitCondition(
        loop,
        () -> onLoop.isDone() && withValue.isDone() && plain.isDone() && throwing.isDone(),
        "the submitted tasks");
    assertTrue(onLoop.get());
    assertEquals("given", withValue.get());
    assertEquals(null, plain.get());
    ExecutionException e = assertThrows(ExecutionException.class, throwing::get);
    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertEquals("in the future", e.getCause().getMessage());
    // A schedule()d callable's exception too; an execute()d task's goes to the handler.
    ScheduledFuture<Object> scheduled =
        loop.schedule(
            () -> {
              throw new IllegalArgumentException("scheduled");
            },
            0,
            TimeUnit.MILLISECONDS);
    f.awaitCondition(loop, scheduled::isDone, "the scheduled task");
    assertEquals(
        "scheduled",
        assertThrows(ExecutionException.class, scheduled::get).getCause().getMessage());
    assertEquals(List.of(), uncaught, "a future's exception reached the uncaught handler");
    f.onLoop(
        loop,
        () ->
            loop.execute(
                () -> {
                  throw new IllegalStateException("executed");
                }));
    f.onLoop(loop, () -> {});
    assertEquals(1, uncaught.size(), "an execute()d task's exception goes to the handler");
    assertEquals("executed", uncaught.get(0).getMessage());
  }

  // ---- delays ----------------------------------------------------------------------------------

  @CarrierTest
  void scheduledDelaysAreHonouredAtOrAbove(LoopFixture f) {
    Loop loop = f.newLoop();
    long[] delays = {1, 7, 30};
    List<Promise<Long>> late = new ArrayList<>();
    for (long d : delays) {
      Promise.Resolvers<Long> r = Promise.withResolvers(loop);
      long start = loop.clock().nanoTime();
      loop.schedule(() -> r.resolve(loop.clock().nanoTime() - start), d, TimeUnit.MILLISECONDS);
      late.add(r.promise());
    }
    // The same in microseconds, from a callback on the loop.
    Promise.Resolvers<Long> micros = Promise.withResolvers(loop);
    f.onLoop(
        loop,
        () -> {
          long start = loop.clock().nanoTime();
          loop.schedule(
              () -> micros.resolve(loop.clock().nanoTime() - start), 2500, TimeUnit.MICROSECONDS);
        });
    for (int i = 0; i < delays.length; i++) {
      long elapsed = f.await(loop, late.get(i));
      assertTrue(
          elapsed >= delays[i] * MS, "delay " + delays[i] + " ms ran after " + elapsed + " ns");
    }
    long elapsed = f.await(loop, micros.promise());
    assertTrue(elapsed >= 2_500_000, "2500 µs ran after " + elapsed + " ns");
  }

  @CarrierTest
  void delayOfZeroOrLessIsDueAtTheNextTimersPass(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> log = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    f.onLoop(
        loop,
        () -> {
          // From the poll phase: the check phase of this turn, then next turn's timers, then poll.
          loop.schedule(() -> log.add("zero"), 0, TimeUnit.MILLISECONDS);
          loop.schedule(() -> log.add("negative"), -5, TimeUnit.SECONDS);
          loop.schedule(() -> log.add("min"), Long.MIN_VALUE, TimeUnit.NANOSECONDS);
          loop.execute(() -> log.add("next poll"));
          loop.setImmediate(() -> log.add("immediate"));
          // From the timers phase: a zero delay waits for a later pass; the immediate goes first.
          loop.schedule(
              () -> {
                log.add("timer");
                loop.schedule(
                    () -> {
                      log.add("timer's zero");
                      done.countDown();
                    },
                    0,
                    TimeUnit.NANOSECONDS);
                loop.setImmediate(() -> log.add("timer's immediate"));
              },
              -1,
              TimeUnit.MILLISECONDS);
        });
    f.await(loop, done);
    assertEquals(
        List.of(
            "immediate",
            "zero",
            "negative",
            "min",
            "timer",
            "next poll",
            "timer's immediate",
            "timer's zero"),
        log);
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void delayOfZeroRunsWithoutTimeMoving(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    AtomicInteger ran = new AtomicInteger();
    Duration before = m.now();
    loop.schedule(ran::incrementAndGet, 0, TimeUnit.MILLISECONDS);
    loop.schedule(ran::incrementAndGet, -1, TimeUnit.DAYS);
    m.runUntilIdle();
    assertEquals(2, ran.get());
    assertEquals(before, m.now());
  }

  @CarrierTest
  void hugeDelayNeitherOverflowsNorBlocksOtherTasks(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger hugeRan = new AtomicInteger();
    List<ScheduledFuture<?>> huge =
        List.of(
            loop.schedule(hugeRan::incrementAndGet, Long.MAX_VALUE, TimeUnit.NANOSECONDS),
            loop.schedule(hugeRan::incrementAndGet, Long.MAX_VALUE, TimeUnit.DAYS),
            loop.schedule(() -> hugeRan.incrementAndGet(), Long.MAX_VALUE, TimeUnit.MILLISECONDS),
            loop.scheduleAtFixedRate(
                hugeRan::incrementAndGet, Long.MAX_VALUE, Long.MAX_VALUE, TimeUnit.NANOSECONDS),
            loop.scheduleWithFixedDelay(
                hugeRan::incrementAndGet, Long.MAX_VALUE, Long.MAX_VALUE, TimeUnit.DAYS),
            loop.scheduleAtFixedRate(hugeRan::incrementAndGet, 0, Long.MAX_VALUE, TimeUnit.DAYS));
    ScheduledFuture<String> soon = loop.schedule(() -> "soon", 5, TimeUnit.MILLISECONDS);
    if (f.has(Capability.VIRTUAL_TIME)) {
      // Not f.await: a step after the condition holds would move virtual time to the next timer.
      ManualControl.of(loop).advanceAndRun(Duration.ofMillis(10));
    } else {
      f.awaitCondition(loop, soon::isDone, "a 5 ms task behind huge ones");
      f.onLoop(loop, () -> {});
    }
    assertEquals("soon", soon.get(0, TimeUnit.SECONDS));
    // The last one (initial delay 0) ran once; the huge period keeps it from running again.
    assertEquals(1, hugeRan.get(), "only the one with initial delay 0 may have run");
    for (int i = 0; i < 5; i++) {
      ScheduledFuture<?> h = huge.get(i);
      assertFalse(h.isDone(), "huge #" + i);
      long days = h.getDelay(TimeUnit.DAYS);
      assertTrue(days > 365 * 10, "huge #" + i + " is due in " + days + " days (overflow?)");
    }
    assertTrue(huge.get(5).getDelay(TimeUnit.DAYS) > 365 * 10);
    // One-shot ref'd timers would hold a shut-down loop for years: cancel them.
    for (ScheduledFuture<?> h : huge) {
      assertTrue(h.cancel(false));
      assertTrue(h.isCancelled());
    }
  }

  // ---- fixed rate and fixed delay --------------------------------------------------------------

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void fixedRateCatchesUpOneMissedRunPerTurn(LoopFixture f) {
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    List<Long> runsAt = new ArrayList<>();
    ScheduledFuture<?> rate =
        loop.scheduleAtFixedRate(
            () -> runsAt.add(loop.clock().nanoTime()), 10, 10, TimeUnit.MILLISECONDS);
    m.runUntilIdle();
    m.advance(Duration.ofMillis(35)); // runs due at 10, 20 and 30 ms are all late now
    List<Integer> perTurn = new ArrayList<>();
    for (int turn = 0; turn < 4; turn++) {
      int before = runsAt.size();
      m.runOnce();
      perTurn.add(runsAt.size() - before);
    }
    assertEquals(List.of(1, 1, 1, 0), perTurn, "missed runs come one per turn");
    m.advance(Duration.ofMillis(5)); // 40 ms: back on the original schedule
    m.runUntilIdle();
    assertEquals(4, runsAt.size());
    m.advance(Duration.ofMillis(9));
    m.runUntilIdle();
    assertEquals(4, runsAt.size(), "the 50 ms run came early");
    assertTrue(rate.cancel(false));
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void runUntilIdleRunsEveryMissedFixedRateRun(LoopFixture f) {
    // Regression: ManualControl.runUntilIdle stopped while a timer was already due.
    Loop loop = f.newLoop();
    ManualControl m = ManualControl.of(loop);
    AtomicInteger runs = new AtomicInteger();
    ScheduledFuture<?> rate =
        loop.scheduleAtFixedRate(runs::incrementAndGet, 10, 10, TimeUnit.MILLISECONDS);
    m.runUntilIdle();
    m.advance(Duration.ofMillis(35));
    int turns = m.runUntilIdle();
    assertEquals(3, runs.get(), "runs due at 10, 20 and 30 ms");
    assertTrue(turns >= 3, "one missed run per turn, yet only " + turns + " turns");
    assertTrue(rate.cancel(false));
  }

  @CarrierTest
  void fixedRateCatchesUpAfterALagInSuccessiveTurns(LoopFixture f) {
    Loop loop = f.newLoop();
    int[] turn = {0};
    boolean[] counting = {false};
    List<Integer> runTurns = new ArrayList<>();
    List<Long> runClock = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<ScheduledFuture<?>> rate = new AtomicReference<>();
    long[] start = new long[1];
    Runnable turnCounter =
        new Runnable() {
          @Override
          public void run() {
            turn[0]++;
            if (counting[0]) {
              loop.setImmediate(this); // an immediate queued in the check phase: next turn
            }
          }
        };
    f.onLoop(
        loop,
        () -> {
          start[0] = loop.clock().nanoTime();
          rate.set(
              loop.scheduleAtFixedRate(
                  () -> {
                    runTurns.add(turn[0]);
                    runClock.add(loop.clock().nanoTime() - start[0]);
                    if (runTurns.size() == 1) {
                      lag(f, loop, 45); // runs due at 20, 30, 40 and 50 ms are missed
                      counting[0] = true;
                      loop.setImmediate(turnCounter);
                    } else if (runTurns.size() == 5) {
                      counting[0] = false;
                      rate.get().cancel(false);
                      done.countDown();
                    }
                  },
                  10,
                  10,
                  TimeUnit.MILLISECONDS));
        });
    f.await(loop, done);
    for (int i = 1; i < 5; i++) {
      assertTrue(
          runClock.get(i) >= (10 + 10L * i) * MS,
          "run " + i + " came before its slot: " + runClock);
    }
    for (int i = 1; i < 4; i++) {
      assertEquals(
          runTurns.get(i) + 1,
          (int) runTurns.get(i + 1),
          "missed runs must come in successive turns, one per turn: " + runTurns);
    }
    assertTrue(rate.get().isCancelled());
  }

  @CarrierTest
  void fixedRateStopsAfterAThrowAndTheFutureHoldsIt(LoopFixture f) throws Exception {
    List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    Loop loop = f.newLoop(b -> b.onUncaughtError((l, e) -> uncaught.add(e)));
    AtomicInteger rateRuns = new AtomicInteger();
    AtomicInteger delayRuns = new AtomicInteger();
    ScheduledFuture<?> rate =
        loop.scheduleAtFixedRate(
            () -> {
              if (rateRuns.incrementAndGet() == 3) {
                throw new IllegalStateException("rate third");
              }
            },
            1,
            2,
            TimeUnit.MILLISECONDS);
    ScheduledFuture<?> delay =
        loop.scheduleWithFixedDelay(
            () -> {
              if (delayRuns.incrementAndGet() == 2) {
                throw new UnsupportedOperationException("delay second");
              }
            },
            1,
            2,
            TimeUnit.MILLISECONDS);
    f.awaitCondition(loop, () -> rate.isDone() && delay.isDone(), "both periodic tasks to throw");
    ExecutionException e = assertThrows(ExecutionException.class, rate::get);
    assertEquals("rate third", e.getCause().getMessage());
    e = assertThrows(ExecutionException.class, () -> delay.get(1, TimeUnit.SECONDS));
    assertInstanceOf(UnsupportedOperationException.class, e.getCause());
    assertFalse(rate.isCancelled());
    assertFalse(rate.cancel(false), "a task that stopped on a throw cannot be cancelled");
    // Let 30 ms more pass: neither runs again.
    ScheduledFuture<?> later = loop.schedule(() -> {}, 30, TimeUnit.MILLISECONDS);
    f.awaitCondition(loop, later::isDone, "30 ms more");
    assertEquals(3, rateRuns.get());
    assertEquals(2, delayRuns.get());
    assertEquals(List.of(), uncaught, "a periodic task's exception belongs to its future");
  }

  @CarrierTest
  void fixedDelaySpacingIsAtLeastDelayPlusRunTime(LoopFixture f) {
    Loop loop = f.newLoop();
    List<long[]> runs = new ArrayList<>(); // {start, end}
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
    f.onLoop(
        loop,
        () ->
            task.set(
                loop.scheduleWithFixedDelay(
                    () -> {
                      long s = loop.clock().nanoTime();
                      lag(f, loop, 6); // each run takes 6 ms
                      runs.add(new long[] {s, loop.clock().nanoTime()});
                      if (runs.size() == 4) {
                        task.get().cancel(false);
                        done.countDown();
                      }
                    },
                    0,
                    10,
                    TimeUnit.MILLISECONDS)));
    f.await(loop, done);
    for (int i = 1; i < runs.size(); i++) {
      long gap = runs.get(i)[0] - runs.get(i - 1)[1];
      long spacing = runs.get(i)[0] - runs.get(i - 1)[0];
      assertTrue(gap >= 10 * MS, "run " + i + " began " + gap + " ns after the previous ended");
      assertTrue(spacing >= 16 * MS, "run " + i + " began " + spacing + " ns after the previous");
    }
    assertTrue(task.get().isCancelled());
  }

  @CarrierTest
  void cancellingAPeriodicTaskFromItsOwnRunStopsIt(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicInteger runs = new AtomicInteger();
    AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    f.onLoop(
        loop,
        () ->
            task.set(
                loop.scheduleAtFixedRate(
                    () -> {
                      runs.incrementAndGet();
                      assertTrue(task.get().cancel(false));
                      started.countDown();
                    },
                    1,
                    1,
                    TimeUnit.MILLISECONDS)));
    f.await(loop, started);
    ScheduledFuture<?> later = loop.schedule(() -> {}, 20, TimeUnit.MILLISECONDS);
    f.awaitCondition(loop, later::isDone, "20 ms more");
    assertEquals(1, runs.get());
    assertTrue(task.get().isCancelled());
    assertThrows(CancellationException.class, () -> task.get().get());
  }

  // ---- invokeAll / invokeAny (they block the caller: the loop must run by itself) ------------

  @CarrierTest(requires = Capability.OWN_THREADS)
  void invokeAllReturnsEveryFutureDoneInTaskOrder(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<Callable<String>> tasks = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      tasks.add(
          () -> {
            assertTrue(loop.inEventLoop());
            if (n == 7) {
              throw new IllegalStateException("task 7");
            }
            return "r" + n;
          });
    }
    List<Future<String>> out = loop.invokeAll(tasks);
    assertEquals(20, out.size());
    for (int i = 0; i < 20; i++) {
      assertTrue(out.get(i).isDone(), "future " + i);
      if (i == 7) {
        int n = i;
        assertEquals(
            "task 7",
            assertThrows(ExecutionException.class, () -> out.get(n).get()).getCause().getMessage());
      } else {
        assertEquals("r" + i, out.get(i).get());
      }
    }
    List<Future<String>> timed = loop.invokeAll(tasks.subList(0, 3), 20, TimeUnit.SECONDS);
    assertEquals(List.of("r0", "r1", "r2"), List.of(get(timed, 0), get(timed, 1), get(timed, 2)));
  }

  private static String get(List<Future<String>> fs, int i) throws Exception {
    return fs.get(i).get(0, TimeUnit.SECONDS);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void invokeAnyReturnsOneSuccessOrThrowsWhenAllFail(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<Callable<String>> mixed =
        List.of(
            () -> {
              throw new IllegalStateException("first fails");
            },
            () -> "second",
            () -> "third");
    String r = loop.invokeAny(mixed);
    assertTrue(Set.of("second", "third").contains(r), r);
    r = loop.invokeAny(mixed, 20, TimeUnit.SECONDS);
    assertTrue(Set.of("second", "third").contains(r), r);
    List<Callable<String>> failing = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int n = i;
      failing.add(
          () -> {
            throw new IllegalStateException("fail " + n);
          });
    }
    ExecutionException e = assertThrows(ExecutionException.class, () -> loop.invokeAny(failing));
    assertInstanceOf(IllegalStateException.class, e.getCause());
    e = assertThrows(ExecutionException.class, () -> loop.invokeAny(failing, 20, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().startsWith("fail "));
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void invokeAnyCancelsTheRestOnceOneSucceeds(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger laterRan = new AtomicInteger();
    List<Callable<String>> tasks = new ArrayList<>();
    tasks.add(
        () -> {
          // Done; then hold the loop (a tick runs after this task, before the next) until the
          // caller has its answer and has cancelled the rest.
          loop.nextTick(() -> awaitLatch(gate));
          return "first";
        });
    for (int i = 0; i < 5; i++) {
      tasks.add(
          () -> {
            laterRan.incrementAndGet();
            return "later";
          });
    }
    assertEquals("first", loop.invokeAny(tasks));
    gate.countDown();
    loop.submit(() -> {}).get(20, TimeUnit.SECONDS); // everything queued before has had its turn
    assertEquals(0, laterRan.get(), "invokeAny did not cancel the tasks still queued");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void timedInvokeAllAndAnyCancelWhatHasNotFinishedByTheDeadline(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger laterRan = new AtomicInteger();
    Callable<String> first =
        () -> {
          loop.nextTick(() -> awaitLatch(gate)); // holds the loop past the deadline
          return "first";
        };
    Callable<String> later =
        () -> {
          laterRan.incrementAndGet();
          return "later";
        };
    List<Future<String>> out =
        loop.invokeAll(List.of(first, later, later), 100, TimeUnit.MILLISECONDS);
    assertEquals(3, out.size());
    assertEquals("first", out.get(0).get(0, TimeUnit.SECONDS));
    for (int i = 1; i < 3; i++) {
      assertTrue(out.get(i).isDone(), "future " + i);
      assertTrue(out.get(i).isCancelled(), "future " + i);
    }
    gate.countDown();
    loop.submit(() -> {}).get(20, TimeUnit.SECONDS);
    assertEquals(0, laterRan.get(), "a task cancelled at the deadline ran");

    CountDownLatch gate2 = new CountDownLatch(1);
    Callable<String> failing =
        () -> {
          loop.nextTick(() -> awaitLatch(gate2));
          throw new IllegalStateException("fails");
        };
    assertThrows(
        TimeoutException.class,
        () -> loop.invokeAny(List.of(failing, later, later), 100, TimeUnit.MILLISECONDS));
    gate2.countDown();
    loop.submit(() -> {}).get(20, TimeUnit.SECONDS);
    assertEquals(0, laterRan.get(), "invokeAny's deadline did not cancel the rest");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void cancellingARunningSubmittedTaskLeavesNoInterruptOnTheLoop(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    AtomicReference<Boolean> sawInterrupt = new AtomicReference<>();
    Future<?> running =
        loop.submit(
            () -> {
              started.countDown();
              awaitLatchIgnoringInterrupts(cancelled); // a task that ignores interrupts
              sawInterrupt.set(Thread.currentThread().isInterrupted());
            });
    awaitLatch(started);
    assertTrue(running.cancel(true));
    cancelled.countDown();
    Future<Boolean> next = loop.submit(() -> Thread.currentThread().isInterrupted());
    assertFalse(next.get(20, TimeUnit.SECONDS), "the interrupt leaked into the next callback");
    assertEquals(true, sawInterrupt.get(), "cancel(true) did not interrupt the running task");
    // The loop still parks and wakes properly: a timer 20 ms away fires.
    assertEquals(
        "ok", loop.schedule(() -> "ok", 20, TimeUnit.MILLISECONDS).get(20, TimeUnit.SECONDS));
  }

  private static void awaitLatchIgnoringInterrupts(CountDownLatch latch) {
    boolean interrupted = false;
    long end = System.nanoTime() + LoopFixture.PATIENCE.toNanos();
    while (latch.getCount() > 0 && System.nanoTime() - end < 0) {
      try {
        latch.await(1, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- calls that would make the loop wait for itself -------------------------------------------

  @CarrierTest
  void blockingCallsFromTheLoopThreadThrowIllegalStateNamingTheCall(LoopFixture f) {
    Loop loop = f.newLoop();
    List<Callable<String>> tasks = List.of(() -> "x");
    LoopThreadCheck expected = new LoopThreadCheck();
    Future<String> pendingFuture = loop.schedule(() -> "later", 1, TimeUnit.HOURS);
    Promise<String> pendingPromise = Promise.<String>withResolvers(loop).promise();
    List<String> failures = new ArrayList<>();
    f.onLoop(
        loop,
        () -> {
          Future<String> pendingSubmit = loop.submit(() -> "queued");
          expected.check(failures, "invokeAll", () -> loop.invokeAll(tasks));
          expected.check(failures, "invokeAll", () -> loop.invokeAll(tasks, 1, TimeUnit.SECONDS));
          expected.check(failures, "invokeAny", () -> loop.invokeAny(tasks));
          expected.check(failures, "invokeAny", () -> loop.invokeAny(tasks, 1, TimeUnit.SECONDS));
          expected.check(
              failures, "awaitTermination", () -> loop.awaitTermination(1, TimeUnit.SECONDS));
          expected.check(
              failures,
              "close",
              () -> {
                loop.close();
                return null;
              });
          if (!f.has(Capability.SUSPENDS_CALLBACKS)) { // there they suspend the callback
            expected.check(failures, "get", pendingSubmit::get);
            expected.check(failures, "get", () -> pendingSubmit.get(1, TimeUnit.SECONDS));
            expected.check(failures, "get", pendingFuture::get);
            expected.check(failures, "get", () -> pendingFuture.get(1, TimeUnit.SECONDS));
            expected.check(failures, "get", pendingPromise::get);
            expected.check(failures, "get", () -> pendingPromise.get(1, TimeUnit.SECONDS));
            expected.check(failures, "join", pendingPromise::join);
          }
          expected.check(
              failures, "get", () -> pendingPromise.toCompletableFuture().getNow("not blocking"));
        });
    // The last check is a negative control: getNow does not block, so it must not throw.
    assertEquals(
        List.of("get: threw nothing"), failures.subList(failures.size() - 1, failures.size()));
    assertEquals(List.of(), failures.subList(0, failures.size() - 1));
    assertFalse(loop.isShutdown(), "close() on the loop thread must not shut the loop down");
    assertTrue(pendingFuture.cancel(false));
    // A done future or promise may be read on the loop.
    Future<String> done = loop.submit(() -> "done");
    f.awaitCondition(loop, done::isDone, "a submitted task");
    Promise<String> settled = Promise.resolve(loop, "settled");
    AtomicReference<String> read = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          try {
            read.set(done.get() + " " + settled.get() + " " + settled.join());
          } catch (Exception e) {
            read.set(e.toString());
          }
        });
    assertEquals("done settled settled", read.get());
  }

  /** Calls a blocking method on the loop and records what went wrong, if anything. */
  private static final class LoopThreadCheck {
    void check(List<String> failures, String name, Callable<?> call) {
      try {
        call.call();
        failures.add(name + ": threw nothing");
      } catch (IllegalStateException e) {
        if (e.getMessage() == null || !e.getMessage().contains(name)) {
          failures.add(name + ": message does not name the call: " + e.getMessage());
        }
      } catch (Throwable t) {
        failures.add(name + ": threw " + t);
      }
    }
  }

  @CarrierTest
  void theFuturesOfSubmitAndScheduleAreRunnableTasks(LoopFixture f) throws Exception {
    // The JDK contract that shutdownNow relies on: what it returns are these very objects.
    Loop loop = f.newLoop();
    Future<String> fut = loop.submit(() -> "x");
    assertInstanceOf(Runnable.class, fut);
    f.awaitCondition(loop, fut::isDone, "the task");
    assertEquals("x", fut.get());
    ScheduledFuture<?> s = loop.schedule(() -> {}, 1, TimeUnit.HOURS);
    assertInstanceOf(Runnable.class, s);
    assertFalse(s.isDone());
    assertTrue(s.cancel(false));
  }
}
