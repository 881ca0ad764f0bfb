package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Regression tests for the ways loops once failed at their edges — a stop racing work, an {@code
 * Error} in a callback, a graceful timeout, calls after termination — each named after what broke,
 * each run on every carrier where it applies.
 */
class StopAndErrorRegressionTest {

  private static final long PATIENCE_MS = LoopFixture.PATIENCE.toMillis();

  private static void awaitLatch(CountDownLatch latch) throws InterruptedException {
    assertTrue(latch.await(PATIENCE_MS, TimeUnit.MILLISECONDS), "latch");
  }

  /** Terminates {@code loop} (stepping it on manual) and waits for it, within the patience. */
  private static void awaitTerminated(LoopFixture f, Loop loop) throws Exception {
    f.awaitCondition(loop, loop::isTerminated, "termination");
    assertTrue(loop.awaitTermination(PATIENCE_MS, TimeUnit.MILLISECONDS));
  }

  /** Runs turns on manual until {@code loop} stops (an Error thrown by a callback escapes here). */
  private static Throwable stepUntilTerminated(LoopFixture f, Loop loop) {
    try {
      f.awaitCondition(loop, loop::isTerminated, "termination");
      return null;
    } catch (OutOfMemoryError | StackOverflowError e) {
      return e; // manual: a fatal error reaches the thread that drives the loop
    }
  }

  // ---- 1: shutdownNow() lost delayed tasks to the loop's own termination -----------------------

  @CarrierTest
  void shutdownNowReturnsADelayedTaskEvenWhenTheLoopIsAwake(LoopFixture f) throws Exception {
    int repetitions = f.has(Capability.OWN_THREADS) ? 200 : 20;
    for (int i = 0; i < repetitions; i++) {
      Loop loop = Loop.create(f.config().build());
      ScheduledFuture<?> future = loop.schedule(() -> {}, 9, TimeUnit.SECONDS);
      List<Runnable> returned = loop.shutdownNow();
      assertEquals(
          List.of(future),
          returned,
          "repetition " + i + ": cancelled=" + future.isCancelled() + ", not returned");
      assertTrue(future.isCancelled());
      awaitTerminated(f, loop);
    }
  }

  // ---- 2: shutdownNow() did not interrupt the running callback ---------------------------------

  @CarrierTest(requires = Capability.OWN_THREADS)
  void shutdownNowInterruptsTheRunningCallback(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch sleeping = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    loop.execute(
        () -> {
          sleeping.countDown();
          try {
            Thread.sleep(20_000);
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        });
    awaitLatch(sleeping);
    long start = System.nanoTime();
    loop.shutdownNow();
    // 20 s of sleep left: terminating in under 4 s means the sleep was cut short (a 5x margin).
    assertTrue(loop.awaitTermination(4, TimeUnit.SECONDS), "still running after shutdownNow");
    assertTrue(interrupted.get(), "the running callback was not interrupted");
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4));
  }

  /** The interrupt reaches only this loop's work: a shared fork-join worker goes back clean. */
  @CarrierTest(requires = Capability.OWN_THREADS)
  void theInterruptOfShutdownNowNeverReachesAnotherLoopsCallback(LoopFixture f) throws Exception {
    // One shared worker (fork-join) or each loop its own thread: either way, the other loop's
    // callbacks must never see an interrupt meant for the stopped one.
    var settings =
        (java.util.function.UnaryOperator<LoopConfig.Builder>)
            b -> b.set("loopkit.forkjoin.pool", "shared").set("loopkit.forkjoin.parallelism", "1");
    Loop other = f.newLoop(settings);
    AtomicInteger sawInterrupt = new AtomicInteger();
    AtomicInteger otherRan = new AtomicInteger();
    for (int i = 0; i < 100; i++) {
      Loop victim = Loop.create(settings.apply(f.config()).build());
      CountDownLatch inside = new CountDownLatch(1);
      victim.execute(
          () -> {
            inside.countDown();
            long end = System.nanoTime() + 1_000_000;
            while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
              Thread.onSpinWait();
            }
          });
      for (int k = 0; k < 20; k++) {
        other.execute(
            () -> {
              otherRan.incrementAndGet();
              if (Thread.currentThread().isInterrupted()) {
                sawInterrupt.incrementAndGet();
              }
            });
      }
      awaitLatch(inside);
      victim.shutdownNow();
      assertTrue(victim.awaitTermination(PATIENCE_MS, TimeUnit.MILLISECONDS));
    }
    CountDownLatch drained = new CountDownLatch(1);
    other.execute(drained::countDown);
    awaitLatch(drained);
    assertEquals(2000, otherRan.get());
    assertEquals(0, sawInterrupt.get(), "another loop's callback saw the interrupt");
  }

  // ---- 3: close() interrupted while waiting still ran the queued tasks -------------------------

  @CarrierTest(requires = Capability.OWN_THREADS)
  void closeInterruptedWhileWaitingStopsAndRunsNoQueuedTask(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch busy = new CountDownLatch(1);
    loop.execute(
        () -> {
          busy.countDown();
          try {
            Thread.sleep(1_500);
          } catch (InterruptedException e) {
            // shutdownNow's interrupt: fine
          }
        });
    awaitLatch(busy);
    AtomicInteger ran = new AtomicInteger();
    List<Runnable> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Runnable r = ran::incrementAndGet;
      queued.add(r);
      loop.execute(r);
    }
    AtomicBoolean interruptReasserted = new AtomicBoolean();
    Thread closer =
        new Thread(
            () -> {
              loop.close();
              interruptReasserted.set(Thread.currentThread().isInterrupted());
            },
            "regression-closer");
    closer.start();
    Thread.sleep(200); // close() is waiting by now (the loop sleeps 1.5 s); timing is not asserted
    closer.interrupt();
    closer.join(PATIENCE_MS);
    assertFalse(closer.isAlive(), "close() did not return");
    assertTrue(loop.isTerminated());
    assertEquals(0, ran.get(), "close() interrupted ran queued tasks");
    assertEquals(queued, loop.unrunTasks(), "the never-run tasks are kept for the owner");
    assertTrue(interruptReasserted.get(), "close() did not re-assert the interrupt");
  }

  // ---- 4: a fatal Error in a callback stranded what was queued behind it -----------------------

  @CarrierTest
  void aFatalErrorInACallbackGivesEveryTaskQueuedBehindItAnOutcome(LoopFixture f) throws Exception {
    List<Supplier<Error>> errors =
        List.of(
            () -> new OutOfMemoryError("test: expected by the test"),
            () -> new StackOverflowError("test: expected by the test"));
    for (Supplier<Error> error : errors) {
      Error thrown = error.get();
      Loop loop = f.newLoop();
      CountDownLatch go = new CountDownLatch(1);
      loop.execute(
          () -> {
            try {
              go.await();
            } catch (InterruptedException e) {
              throw new AssertionError(e);
            }
            throw thrown;
          });
      Future<Integer> behind = loop.submit(() -> 42);
      AtomicInteger ran = new AtomicInteger();
      Runnable executed = ran::incrementAndGet;
      loop.execute(executed);
      go.countDown();
      Throwable escaped = stepUntilTerminated(f, loop);
      assertTrue(escaped == null || escaped == thrown, "escaped: " + escaped);
      assertTrue(loop.awaitTermination(PATIENCE_MS, TimeUnit.MILLISECONDS));
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> loop.terminationFuture().get());
      assertSame(thrown, e.getCause());
      assertTrue(behind.isDone(), "the future queued behind is left pending");
      assertThrows(CancellationException.class, () -> behind.get(0, TimeUnit.SECONDS));
      assertEquals(0, ran.get());
      assertEquals(List.of(behind, executed), loop.unrunTasks());
    }
  }

  // ---- 5: a fatal Error in a schedule()d or submit()ted callable -------------------------------

  @CarrierTest
  void aFatalErrorInAScheduledOrSubmittedCallableFailsItsFutureAndStopsTheLoop(LoopFixture f)
      throws Exception {
    for (boolean scheduled : new boolean[] {true, false}) {
      OutOfMemoryError oom = new OutOfMemoryError("test: expected by the test");
      Loop loop = f.newLoop();
      java.util.concurrent.Callable<Integer> thrower =
          () -> {
            throw oom;
          };
      Future<Integer> future =
          scheduled ? loop.schedule(thrower, 1, TimeUnit.MILLISECONDS) : loop.submit(thrower);
      Throwable escaped = stepUntilTerminated(f, loop);
      assertTrue(escaped == null || escaped == oom, "escaped: " + escaped);
      ExecutionException e =
          assertThrows(
              ExecutionException.class, () -> future.get(PATIENCE_MS, TimeUnit.MILLISECONDS));
      assertSame(oom, e.getCause());
      assertTrue(loop.awaitTermination(PATIENCE_MS, TimeUnit.MILLISECONDS), "the loop goes on");
      ExecutionException t =
          assertThrows(ExecutionException.class, () -> loop.terminationFuture().get());
      assertSame(oom, t.getCause());
    }
  }

  // ---- 6 and 7: the graceful timeout counted from the loop's reaching it, and dropped tasks ----

  /** Spins {@code nanos} on the loop: a task that takes time without sleeping. */
  private static void spin(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() - end < 0) {
      Thread.onSpinWait();
    }
  }

  /**
   * On a carrier with threads of its own, holds the loop in a callback until the latch opens (on
   * manual nothing runs until the test steps the loop anyway).
   */
  private static CountDownLatch holdIfItRunsByItself(LoopFixture f, Loop loop)
      throws InterruptedException {
    CountDownLatch hold = new CountDownLatch(1);
    if (f.has(Capability.OWN_THREADS)) {
      CountDownLatch held = new CountDownLatch(1);
      loop.execute(
          () -> {
            held.countDown();
            try {
              hold.await();
            } catch (InterruptedException e) {
              // a stop
            }
          });
      awaitLatch(held);
    }
    return hold;
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void theGracefulTimeoutCountsFromTheCallNotFromTheQueue(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch hold = holdIfItRunsByItself(f, loop);
    AtomicInteger ran = new AtomicInteger();
    int accepted = 20_000; // 0.1 ms each: 2 s of work queued ahead of the request
    for (int i = 0; i < accepted; i++) {
      loop.execute(
          () -> {
            spin(100_000);
            ran.incrementAndGet();
          });
    }
    long start = System.nanoTime();
    var termination = loop.shutdownGracefully(Duration.ofMillis(10), Duration.ofMillis(200));
    hold.countDown();
    // The timeout is 200 ms from the call; 1 s is a 5x margin, and half of the queued work.
    assertTrue(
        loop.awaitTermination(1, TimeUnit.SECONDS),
        "still running 1 s after shutdownGracefully(10 ms, 200 ms)");
    assertTrue(termination.isDone());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
    assertEquals(accepted, ran.get() + loop.unrunTasks().size(), "tasks were lost");
    assertTrue(ran.get() < accepted, "the timeout stopped nothing");
  }

  @CarrierTest
  void theGracefulTimeoutKeepsTheTasksItDidNotRun(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch hold = holdIfItRunsByItself(f, loop); // so the tasks are still queued
    AtomicInteger ran = new AtomicInteger();
    int accepted = 3_000;
    for (int i = 0; i < accepted; i++) {
      loop.execute(ran::incrementAndGet);
    }
    loop.shutdownGracefully(Duration.ZERO, Duration.ZERO);
    hold.countDown();
    awaitTerminated(f, loop);
    List<Runnable> unrun = loop.unrunTasks();
    assertEquals(accepted, ran.get() + unrun.size(), "tasks vanished at the graceful timeout");
    assertTrue(unrun.size() > 0, "a zero timeout stopped nothing: " + ran.get() + " ran");
    assertThrows(UnsupportedOperationException.class, () -> unrun.add(() -> {}));
  }

  // ---- 8: shutdown() racing shutdownNow() moved the state back ---------------------------------

  @CarrierTest
  void shutdownRacingShutdownNowNeverMovesTheStateBack(LoopFixture f) throws Exception {
    int repetitions = f.has(Capability.OWN_THREADS) ? 200 : 20;
    for (int i = 0; i < repetitions; i++) {
      Loop loop = Loop.create(f.config().build());
      AtomicInteger fired = new AtomicInteger();
      loop.setTimeout(fired::incrementAndGet, 300);
      CountDownLatch start = new CountDownLatch(1);
      Thread other =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                loop.shutdown();
              });
      other.start();
      start.countDown();
      loop.shutdownNow();
      assertTrue(
          loop.toString().contains("stopping") || loop.toString().contains("terminated"),
          "after shutdownNow(): " + loop);
      other.join();
      assertTrue(
          loop.toString().contains("stopping") || loop.toString().contains("terminated"),
          "after shutdown() lost the race to shutdownNow(): " + loop);
      awaitTerminated(f, loop);
      assertEquals(0, fired.get(), "a timer fired after shutdownNow() returned");
    }
  }

  // ---- 9: calls after termination left promises pending and dropped callbacks -----------------

  @CarrierTest
  void afterTerminationReactionsAndCloseCallbacksAnswerAtOnce(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Promise.Resolvers<Integer> late = Promise.withResolvers(loop);
    Promise<Integer> lateDerived = late.promise().then(x -> x + 1);
    AtomicReference<Timer> timer = new AtomicReference<>();
    f.onLoop(loop, () -> timer.set(loop.setTimeout(() -> {}, 1).unref()));
    loop.shutdown();
    awaitTerminated(f, loop);

    Promise<Integer> after = Promise.resolve(loop, 1).then(x -> x + 1);
    assertTrue(after.isRejected(), "a reaction added after termination is pending: " + after);
    assertInstanceOf(LoopTerminatedException.class, after.reason());

    late.resolve(1);
    assertTrue(lateDerived.isRejected(), "a reaction of a late resolve() is pending");
    assertInstanceOf(LoopTerminatedException.class, lateDerived.reason());

    Promise<Object> chain = Promise.resolve(loop, 1).then(x -> x);
    for (int i = 0; i < 100_000; i++) {
      chain = chain.then(x -> x); // a long chain after termination: no stack overflow
    }
    assertTrue(chain.isRejected());

    assertThrows(LoopTerminatedException.class, () -> timer.get().close(() -> {}));
    assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> {}));
  }

  /** A stop rejects every reaction it dropped, and Promise.delay, instead of leaving them. */
  @CarrierTest
  void shutdownNowRejectsTheReactionsAndDelaysItDropped(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicReference<Promise<Object>> derived = new AtomicReference<>();
    AtomicReference<Promise<Void>> delay = new AtomicReference<>();
    loop.execute(
        () -> {
          delay.set(Promise.delay(Duration.ofHours(1)));
          Promise.Resolvers<Object> r = Promise.withResolvers(loop);
          derived.set(r.promise().then(x -> x));
          r.resolve("queued as a microtask, then dropped");
          loop.shutdownNow(); // from the callback: the checkpoint after it does not run
        });
    awaitTerminated(f, loop);
    assertTrue(derived.get().isRejected(), "dropped reaction left pending: " + derived.get());
    assertInstanceOf(LoopTerminatedException.class, derived.get().reason());
    assertTrue(delay.get().isRejected(), "Promise.delay left pending: " + delay.get());
  }

  // ---- 10: on virtual, Future.get() in a callback threw instead of suspending ------------------

  @CarrierTest(requires = Capability.SUSPENDS_CALLBACKS)
  void onVirtualFutureGetInsideACallbackSuspendsIt(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Promise.Resolvers<List<Object>> seen = Promise.withResolvers(loop);
    loop.execute(
        () -> {
          try {
            Object submitted = loop.submit(() -> 42).get();
            Object scheduled = loop.schedule(() -> "later", 5, TimeUnit.MILLISECONDS).get();
            seen.resolve(List.of(submitted, scheduled));
          } catch (Exception e) {
            seen.reject(e);
          }
        });
    assertEquals(List.of(42, "later"), f.await(loop, seen.promise()));
  }

  // ---- 11: the smaller ones --------------------------------------------------------------------

  @CarrierTest
  void aLoopNameWithAPercentSignMakesALoop(LoopFixture f) throws Exception {
    Loop loop = f.newLoop(b -> b.set("loopkit.name", "my%loop"));
    assertTrue(loop.name().startsWith("my%loop"), loop.name());
    assertEquals(3, f.await(loop, loop.offload(() -> 3)));
  }

  @CarrierTest
  void setIntervalWithAZeroOrNegativePeriodRunsEveryMillisecondAsNode(LoopFixture f) {
    Loop loop = f.newLoop();
    for (long period : new long[] {0, -5}) {
      CountDownLatch twice = new CountDownLatch(2);
      AtomicReference<Timer> t = new AtomicReference<>();
      f.onLoop(loop, () -> t.set(loop.setInterval(twice::countDown, period)));
      f.await(loop, twice);
      t.get().cancel();
    }
    CountDownLatch once = new CountDownLatch(1);
    f.onLoop(loop, () -> loop.setInterval(once::countDown, Duration.ZERO).unref());
    f.await(loop, once);
  }

  @CarrierTest
  void aHugeNegativeDurationIsClampedToOneMillisecond(LoopFixture f) {
    Loop loop = f.newLoop();
    CountDownLatch fired = new CountDownLatch(1);
    loop.setTimeout(fired::countDown, Duration.ofSeconds(Long.MIN_VALUE / 2));
    f.await(loop, fired);
  }

  @CarrierTest
  void theBlockPolicyRefusingOnTheLoopSaysItDidNotWait(LoopFixture f) {
    Loop loop =
        f.newLoop(
            b ->
                b.set("loopkit.queue.capacity", "1")
                    .set("loopkit.queue.fullPolicy", "block")
                    .set("loopkit.queue.blockTimeoutMillis", "5000"));
    AtomicReference<RejectedExecutionException> refused = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          try {
            loop.execute(() -> {});
            loop.execute(() -> {});
          } catch (RejectedExecutionException e) {
            refused.set(e);
          }
        });
    assertTrue(refused.get() != null, "the second task fit in a queue of one");
    String m = refused.get().getMessage();
    assertFalse(m.contains("waited"), m);
    assertTrue(m.contains("refused at once"), m);
  }

  @CarrierTest
  void aThrowingUncaughtHandlerKeepsTheOriginalError(LoopFixture f) {
    RuntimeException original = new IllegalStateException("test: expected by the test");
    RuntimeException fromHandler = new IllegalArgumentException("test: the handler threw");
    Loop loop =
        f.newLoop(
            b ->
                b.onUncaughtError(
                    (l, e) -> {
                      throw fromHandler;
                    }));
    CountDownLatch after = new CountDownLatch(1);
    loop.execute(
        () -> {
          throw original;
        });
    loop.execute(after::countDown);
    f.await(loop, after);
    assertEquals(List.of(original), List.of(fromHandler.getSuppressed()));
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void onManualAWaitThatNobodyCanEndFailsAtOnce(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Future<Integer> submitted = loop.submit(() -> 42);
    IllegalStateException e = assertThrows(IllegalStateException.class, submitted::get);
    assertTrue(e.getMessage().contains("would wait forever"), e.getMessage());
    ScheduledFuture<?> scheduled = loop.schedule(() -> {}, 1, TimeUnit.SECONDS);
    assertThrows(IllegalStateException.class, scheduled::get);
    assertThrows(IllegalStateException.class, () -> loop.invokeAll(List.of(() -> 1)), "invokeAll");
    // Stepped, the same wait ends; close() runs the loop to its end on the caller's thread.
    ManualControl.of(loop).runUntilIdle();
    assertEquals(42, submitted.get());
    loop.close();
    assertTrue(loop.isTerminated());
    assertTrue(scheduled.isDone());
  }
}
