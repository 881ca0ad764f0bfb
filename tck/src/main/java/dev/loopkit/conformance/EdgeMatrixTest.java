package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loopkit.Immediate;
import dev.loopkit.Loop;
import dev.loopkit.LoopLocal;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The edge matrix: every way a loop stops ({@link Stop}) × every kind of work pending when it stops
 * ({@link Item}), each item's outcome checked against the table in Lifecycle's notes
 * (core/.../internal/Lifecycle.java), and nothing left waiting past {@link LoopFixture#PATIENCE}.
 *
 * <p>How the work stays pending while the stop happens. On a carrier with threads of its own, a
 * callback holds the loop (it waits on a latch) while the test thread hands in one item of each
 * kind, so none of them can run before the stop. Outside the fatal stops the holder is a close
 * callback, the last phase of a turn: the close callback it registers goes to the next turn, and a
 * stop that the loop itself carries out at the start of a turn (the graceful timeout) comes before
 * any of it. In the fatal stops the holder is the callback of the stop's kind (a timer, an
 * immediate, a tick, ...): released, it throws an {@link OutOfMemoryError}, which stops the loop.
 * On {@code manual} nothing runs until the test steps the loop, so outside the fatal stops the
 * items are simply not stepped (one turn first registers the close callback for the next); in the
 * fatal stops a helper thread drives the turn that holds, as a carrier's thread would, and the
 * error escapes into that thread.
 *
 * <p>Each run gathers {@link Facts} (how often each item ran, its future's or promise's state, ...)
 * and {@link #assertOutcome} compares them with {@link #expected}, naming the stop and the item of
 * every difference.
 */
class EdgeMatrixTest {

  private static final long PATIENCE_MS = LoopFixture.PATIENCE.toMillis();
  private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
  private static final Duration GRACEFUL_TIMEOUT = Duration.ofMillis(200);

  /** How a fact names the very error a fatal stop threw (rather than its class). */
  private static final String THE_ERROR = "the test's error";

  /** Every way a loop stops. */
  enum Stop {
    SHUTDOWN,
    SHUTDOWN_NOW,
    CLOSE,
    CLOSE_INTERRUPTED,
    GRACEFUL_TIMEOUT,
    FATAL_IN_TASK,
    FATAL_IN_TIMER,
    FATAL_IN_IMMEDIATE,
    FATAL_IN_TICK,
    FATAL_IN_MICROTASK,
    FATAL_IN_SCHEDULED,
    FATAL_IN_SUBMIT;

    boolean fatal() {
      return name().startsWith("FATAL_");
    }

    /** shutdown() and close(): the loop drains. Every other stop is a STOP, as shutdownNow(). */
    boolean drains() {
      return this == SHUTDOWN || this == CLOSE;
    }

    /** A STOP nobody asked a list of: the never-run tasks are kept in unrunTasks(). */
    boolean keepsUnrun() {
      return !drains() && this != SHUTDOWN_NOW;
    }

    /** The stop interrupts the holding callback (a STOP that comes from another thread). */
    boolean interruptsHolder() {
      return this == SHUTDOWN_NOW || this == CLOSE_INTERRUPTED || this == GRACEFUL_TIMEOUT;
    }

    /** The holder is a callable whose future fails with the error. */
    boolean holderHasFuture() {
      return this == FATAL_IN_SCHEDULED || this == FATAL_IN_SUBMIT;
    }
  }

  /**
   * Every kind of pending work; HOLDER and LOOP for the holding callback's and the loop's facts.
   */
  enum Item {
    TASK,
    SUBMIT,
    TIMEOUT,
    INTERVAL,
    SCHEDULE,
    FIXED_RATE,
    IMMEDIATE,
    RUNNING_OFFLOAD,
    QUEUED_OFFLOAD,
    REACTION,
    CLOSE_CALLBACK,
    HOLDER,
    LOOP
  }

  /** Named facts about each item: what a run observed, or what Lifecycle's table expects. */
  static final class Facts {
    private final Map<Item, Map<String, Object>> byItem = new EnumMap<>(Item.class);

    Facts put(Item item, String fact, Object value) {
      byItem.computeIfAbsent(item, i -> new LinkedHashMap<>()).put(fact, value);
      return this;
    }

    Map<String, Object> of(Item item) {
      return byItem.getOrDefault(item, Map.of());
    }

    Facts copy() {
      Facts c = new Facts();
      byItem.forEach((item, facts) -> facts.forEach((k, v) -> c.put(item, k, v)));
      return c;
    }

    @Override
    public String toString() {
      return byItem.toString();
    }
  }

  // ---- the matrix: one test per stop -----------------------------------------------------------

  @CarrierTest
  void shutdownLetsEveryPendingItemFinish(LoopFixture f) throws Exception {
    check(f, Stop.SHUTDOWN);
  }

  @CarrierTest
  void shutdownNowReturnsCancelsRejectsAndDrops(LoopFixture f) throws Exception {
    check(f, Stop.SHUTDOWN_NOW);
  }

  @CarrierTest
  void closeLetsEveryPendingItemFinish(LoopFixture f) throws Exception {
    check(f, Stop.CLOSE);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void closeInterruptedStopsAndKeepsTheUnrunTasks(LoopFixture f) throws Exception {
    check(f, Stop.CLOSE_INTERRUPTED);
  }

  @CarrierTest
  void gracefulTimeoutStopsAndKeepsTheUnrunTasks(LoopFixture f) throws Exception {
    check(f, Stop.GRACEFUL_TIMEOUT);
  }

  @CarrierTest
  void fatalErrorInATaskStops(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_TASK);
  }

  @CarrierTest
  void fatalErrorInATimerStops(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_TIMER);
  }

  @CarrierTest
  void fatalErrorInAnImmediateStops(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_IMMEDIATE);
  }

  @CarrierTest
  void fatalErrorInATickStops(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_TICK);
  }

  @CarrierTest
  void fatalErrorInAMicrotaskStops(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_MICROTASK);
  }

  @CarrierTest
  void fatalErrorInAScheduledCallableStopsAndFailsItsFuture(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_SCHEDULED);
  }

  @CarrierTest
  void fatalErrorInASubmittedCallableStopsAndFailsItsFuture(LoopFixture f) throws Exception {
    check(f, Stop.FATAL_IN_SUBMIT);
  }

  // ---- the matrix again, every item carrying a context and a task decorator's wrapper ---------

  @CarrierTest
  void shutdownLetsEveryPendingItemFinishCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.SHUTDOWN);
  }

  @CarrierTest
  void shutdownNowReturnsCancelsRejectsAndDropsCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.SHUTDOWN_NOW);
  }

  @CarrierTest
  void closeLetsEveryPendingItemFinishCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.CLOSE);
  }

  @CarrierTest
  void gracefulTimeoutStopsAndKeepsTheUnrunTasksCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.GRACEFUL_TIMEOUT);
  }

  @CarrierTest
  void fatalErrorInASubmittedCallableStopsCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.FATAL_IN_SUBMIT);
  }

  @CarrierTest
  void fatalErrorInAMicrotaskStopsCarryingAContext(LoopFixture f) throws Exception {
    carried = true;
    check(f, Stop.FATAL_IN_MICROTASK);
  }

  // ---- a graceful timeout with a callback running past it ---------------------------------------

  /**
   * Lifecycle's table: a graceful timeout is a STOP, and a STOP interrupts the running callback
   * (Loop.shutdownGracefully: past the timeout "it stops as shutdownNow() would"). Here the
   * callback runs past the timeout and only an interrupt ends it before the patience is over.
   */
  @CarrierTest(requires = Capability.OWN_THREADS)
  void gracefulTimeoutInterruptsACallbackRunningPastIt(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch isHeld = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    loop.execute(
        () -> {
          isHeld.countDown();
          try {
            release.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            interrupted.incrementAndGet();
          }
        });
    Runnable task = () -> {};
    boolean stoppedByTheTimeout;
    try {
      awaitLatch(isHeld, "the loop to be held");
      loop.execute(task);
      CompletableFuture<Void> term = loop.shutdownGracefully(GRACEFUL_TIMEOUT, GRACEFUL_TIMEOUT);
      try {
        term.get(PATIENCE_MS, TimeUnit.MILLISECONDS);
        stoppedByTheTimeout = true;
      } catch (TimeoutException e) {
        stoppedByTheTimeout = false;
      }
    } finally {
      release.countDown();
    }
    f.awaitCondition(loop, loop::isTerminated, "termination after the release");
    Facts observed =
        new Facts()
            .put(Item.HOLDER, "interrupted", interrupted.get())
            .put(Item.LOOP, "terminated without the test's release", stoppedByTheTimeout)
            .put(Item.TASK, "listed", containsSame(loop.unrunTasks(), task));
    Facts expected =
        new Facts()
            .put(Item.HOLDER, "interrupted", 1)
            .put(Item.LOOP, "terminated without the test's release", true)
            .put(Item.TASK, "listed", true);
    assertOutcome(
        "GRACEFUL_TIMEOUT with a callback running past it, on " + f.setup(), expected, observed);
  }

  /**
   * Loop.shutdownGracefully: after a quiet period with no task the loop shuts down (and by the
   * timeout at the latest it stops), also when the call comes while a callback runs and the loop
   * has nothing else to do once it returns.
   */
  @CarrierTest(requires = Capability.OWN_THREADS)
  void gracefulShutdownAskedDuringACallbackOfAnOtherwiseIdleLoopTerminates(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch isHeld = new CountDownLatch(1);
    CountDownLatch asked = new CountDownLatch(1);
    loop.execute(
        () -> {
          isHeld.countDown();
          try {
            asked.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    CompletableFuture<Void> term;
    try {
      awaitLatch(isHeld, "the loop to be held");
      term = loop.shutdownGracefully(Duration.ofMillis(50), Duration.ofSeconds(1));
    } finally {
      asked.countDown(); // the callback returns; nothing else is queued
    }
    boolean terminated;
    try {
      term.get(PATIENCE_MS, TimeUnit.MILLISECONDS);
      terminated = true;
    } catch (TimeoutException e) {
      terminated = false;
      loop.shutdownNow(); // (a wake-up of its own, so that the fixture can end it)
    }
    assertTrue(
        terminated,
        "shutdownGracefully(50 ms, 1 s), asked while a callback ran, did not end the loop within "
            + LoopFixture.PATIENCE
            + ": "
            + loop);
  }

  // ---- the checker's own checks ----------------------------------------------------

  // (the race of shutdownNow() with the loop taking a delayed task in is
  // StopAndErrorRegressionTest.shutdownNowReturnsADelayedTaskEvenWhenTheLoopIsAwake)

  @CarrierTest
  void negativeControlTheCheckerCatchesAWrongOutcome(LoopFixture f) throws Exception {
    Stop stop = Stop.SHUTDOWN_NOW;
    Facts observed = run(f, stop);
    Facts right = expected(stop, f);
    assertOutcome(stop + " on " + f.setup(), right, observed);
    // A never-run task claimed as "ran": the checker must refuse it and name the stop and item.
    Facts claimsItRan = right.copy().put(Item.TASK, "ran", 1);
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> assertOutcome(stop + " on " + f.setup(), claimsItRan, observed));
    assertTrue(
        e.getMessage().contains("SHUTDOWN_NOW") && e.getMessage().contains("TASK: ran"),
        e.getMessage());
    // A rejected reaction claimed as fulfilled, and a fact nobody observed.
    Facts claimsFulfilled = right.copy().put(Item.REACTION, "promise", "fulfilled:late");
    assertThrows(AssertionError.class, () -> assertOutcome(stop.name(), claimsFulfilled, observed));
    Facts unobserved = right.copy().put(Item.LOOP, "no such fact", true);
    assertThrows(AssertionError.class, () -> assertOutcome(stop.name(), unobserved, observed));
  }

  @Test
  void everyStopExpectsAnOutcomeForEveryItem() {
    for (Stop stop : Stop.values()) {
      for (boolean manual : new boolean[] {false, true}) {
        Facts e = expected(stop, manual, !manual || stop.fatal());
        for (Item item : Item.values()) {
          boolean optional = item == Item.HOLDER && manual && !stop.fatal();
          assertTrue(
              optional || !e.of(item).isEmpty(),
              stop + (manual ? " on manual" : "") + ": no expected outcome for " + item);
        }
      }
    }
  }

  // ---- expectations: Lifecycle's table ---------------------------------------------------------

  private static Facts expected(Stop stop, LoopFixture f) {
    boolean manual = f.has(Capability.HELD_OFFLOADS);
    return expected(stop, manual, f.has(Capability.OWN_THREADS) || stop.fatal());
  }

  /**
   * What Lifecycle's table says of each item. {@code held}: a callback held the loop during the
   * stop (real carriers; fatal stops everywhere).
   */
  private static Facts expected(Stop stop, boolean manual, boolean held) {
    boolean drains = stop.drains();
    int ran = drains ? 1 : 0;
    Facts e = new Facts();
    // queued task, future: runs | returned by shutdownNow (or kept in unrunTasks), cancelled
    e.put(Item.TASK, "ran", ran).put(Item.TASK, "listed", !drains);
    e.put(Item.SUBMIT, "ran", ran).put(Item.SUBMIT, "listed", !drains);
    e.put(Item.SUBMIT, "future", drains ? "value:submitted" : "cancelled");
    // one-shot timer (ref'd): runs | cancelled (a schedule()d one is returned, as a task)
    e.put(Item.TIMEOUT, "ran", ran).put(Item.TIMEOUT, "active", false);
    e.put(Item.SCHEDULE, "ran", ran).put(Item.SCHEDULE, "listed", !drains);
    e.put(Item.SCHEDULE, "future", drains ? "value:scheduled" : "cancelled");
    // periodic timer: cancelled | cancelled (schedule*: returned)
    e.put(Item.INTERVAL, "active", false);
    e.put(Item.FIXED_RATE, "listed", !drains).put(Item.FIXED_RATE, "future", "cancelled");
    if (!drains) {
      e.put(Item.INTERVAL, "ran", 0).put(Item.FIXED_RATE, "ran", 0);
    }
    // immediate: runs | cancelled
    e.put(Item.IMMEDIATE, "ran", ran).put(Item.IMMEDIATE, "active", false);
    // offload queued/running: runs, delivered | never starts / interrupted; rejected (LTE)
    String lte = "rejected:LoopTerminatedException";
    e.put(Item.RUNNING_OFFLOAD, "promise", drains ? "fulfilled:running offload" : lte);
    e.put(Item.RUNNING_OFFLOAD, "interrupted", drains ? 0 : 1);
    e.put(Item.QUEUED_OFFLOAD, "ran", ran);
    e.put(Item.QUEUED_OFFLOAD, "promise", drains ? "fulfilled:queued offload" : lte);
    // promise reaction: run | its derived promise is rejected with LoopTerminatedException
    e.put(Item.REACTION, "promise", drains ? "fulfilled:resolved" : lte);
    // close callback: runs | dropped
    e.put(Item.CLOSE_CALLBACK, "ran", ran);
    // TERMINATED, every stop: new work refused; a new reaction's derived promise rejected at once;
    // close(cb) throws LoopTerminatedException
    e.put(Item.LOOP, "execute after termination", "threw RejectedExecutionException");
    e.put(Item.REACTION, "added after termination", lte);
    e.put(Item.CLOSE_CALLBACK, "close(cb) after termination", "threw LoopTerminatedException");
    // running callback: finishes | interrupted (a fatal one throws: its future fails with it)
    if (held) {
      e.put(Item.HOLDER, "interrupted", stop.interruptsHolder() ? 1 : 0);
    }
    if (stop.holderHasFuture()) {
      e.put(Item.HOLDER, "future", "failed:" + THE_ERROR);
    }
    // the loop
    e.put(Item.LOOP, "terminated", true).put(Item.LOOP, "awaitTermination", true);
    e.put(Item.LOOP, "termination", stop.fatal() ? "failed:" + THE_ERROR : "completed");
    e.put(Item.LOOP, "unrunTasks", stop.keepsUnrun() ? 4 : 0);
    if (stop == Stop.SHUTDOWN_NOW) {
      e.put(Item.LOOP, "returned", 4);
    }
    e.put(Item.LOOP, "listed but not pending work", List.of());
    e.put(Item.LOOP, "still pending", List.of());
    if (stop.fatal() && manual) {
      e.put(Item.LOOP, "escaped to the driving thread", THE_ERROR);
    }
    if (stop == Stop.CLOSE_INTERRUPTED) {
      e.put(Item.LOOP, "close() returned with the interrupt flag set", true);
    }
    return e;
  }

  /**
   * Compares every expected fact with what was observed; throws an AssertionError naming {@code
   * where} (the stop and set-up) and, for each difference, the item and the fact.
   */
  static void assertOutcome(String where, Facts expected, Facts observed) {
    List<String> wrong = new ArrayList<>();
    for (Item item : Item.values()) {
      Map<String, Object> seen = observed.of(item);
      expected
          .of(item)
          .forEach(
              (fact, value) -> {
                if (!seen.containsKey(fact)) {
                  wrong.add(item + ": " + fact + " expected " + value + " but was not observed");
                } else if (!Objects.equals(value, seen.get(fact))) {
                  wrong.add(
                      item
                          + ": "
                          + fact
                          + " expected "
                          + value
                          + " but was "
                          + seen.get(fact)
                          + " (all of "
                          + item
                          + ": "
                          + seen
                          + ")");
                }
              });
    }
    if (!wrong.isEmpty()) {
      throw new AssertionError(
          where
              + ": "
              + wrong.size()
              + " outcome(s) differ from Lifecycle's table:\n  "
              + String.join("\n  ", wrong));
    }
  }

  /**
   * Whether every item is handed in inside {@link LoopLocal#call} on a loop with a task decorator
   * that wraps each callback: the outcomes must be the same.
   */
  private boolean carried;

  private static final LoopLocal<String> CONTEXT = LoopLocal.create();

  private void check(LoopFixture f, Stop stop) throws Exception {
    String where = stop + (carried ? " carrying a context" : "") + " on " + f.setup();
    Facts observed;
    try {
      observed = carried ? CONTEXT.call("edge", () -> run(f, stop)) : run(f, stop);
    } catch (Exception | AssertionError e) {
      throw new AssertionError(where + ": " + e, e);
    }
    assertOutcome(where, expected(stop, f), observed);
  }

  // ---- one run: pending work of every kind, the stop, what became of each item -----------------

  /**
   * Sets up one item of each kind on a fresh loop, stops it as {@code stop}, observes. Whatever
   * happens, the latches that hold the loop and the offload are opened at the end.
   */
  private Facts run(LoopFixture f, Stop stop) throws Exception {
    List<CountDownLatch> toOpen = new ArrayList<>();
    try {
      return run(f, stop, toOpen);
    } finally {
      toOpen.forEach(CountDownLatch::countDown);
    }
  }

  private Facts run(LoopFixture f, Stop stop, List<CountDownLatch> toOpen) throws Exception {
    boolean manual = f.has(Capability.HELD_OFFLOADS);
    boolean held = f.has(Capability.OWN_THREADS) || stop.fatal();
    boolean drains = stop.drains();
    OutOfMemoryError error = new OutOfMemoryError("test: expected by the test");
    // One cpu worker on every carrier: the second offload waits behind the first.
    Loop loop =
        f.newLoop(
            b ->
                carried
                    ? b.set("loopkit.pool.cpu.size", 1).taskDecorator(t -> () -> t.run())
                    : b.set("loopkit.pool.cpu.size", 1));
    ManualControl m = manual ? ManualControl.of(loop) : null;
    CompletableFuture<Void> termination = loop.terminationFuture();
    Map<Item, AtomicInteger> ran = new EnumMap<>(Item.class);
    for (Item item : Item.values()) {
      ran.put(item, new AtomicInteger());
    }

    // The offloads: one running (blocked until released, interruptible), one queued behind it.
    CountDownLatch offloadStarted = new CountDownLatch(1);
    CountDownLatch offloadRelease = new CountDownLatch(1);
    CountDownLatch offloadExited = new CountDownLatch(1);
    toOpen.add(offloadRelease);
    AtomicInteger offloadInterrupted = new AtomicInteger();
    Promise<String> running =
        loop.offload(
            "cpu",
            () -> {
              try {
                offloadStarted.countDown();
                if (!offloadRelease.await(2 * PATIENCE_MS, TimeUnit.MILLISECONDS)) {
                  return "never released";
                }
                ran.get(Item.RUNNING_OFFLOAD).incrementAndGet();
                return "running offload";
              } catch (InterruptedException e) {
                offloadInterrupted.incrementAndGet();
                throw e;
              } finally {
                offloadExited.countDown();
              }
            });
    Promise<String> queuedOffload =
        loop.offload(
            "cpu",
            () -> {
              ran.get(Item.QUEUED_OFFLOAD).incrementAndGet();
              return "queued offload";
            });
    Thread offloadRunner = null;
    if (manual) {
      offloadRunner = start("edge-matrix-offload-runner", () -> m.runOffload(0));
    }
    awaitLatch(offloadStarted, "the first offload to start");

    // Hold the loop (or, on manual outside the fatal stops, leave it unstepped).
    CountDownLatch isHeld = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holderExited = new CountDownLatch(1);
    toOpen.add(release);
    AtomicInteger holderInterrupted = new AtomicInteger();
    AtomicReference<Throwable> escaped = new AtomicReference<>();
    Runnable registerCloseCallback =
        () ->
            loop.setTimeout(() -> {}, HOUR_MS)
                .close(() -> ran.get(Item.CLOSE_CALLBACK).incrementAndGet());
    Runnable hold =
        () -> {
          try {
            registerCloseCallback.run();
            isHeld.countDown();
            release.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
            if (Thread.currentThread().isInterrupted()) {
              // interrupted before it parked, and released before it looked: the flag stays set
              holderInterrupted.incrementAndGet();
            }
          } catch (InterruptedException e) {
            holderInterrupted.incrementAndGet();
          } finally {
            holderExited.countDown();
          }
          if (stop.fatal()) {
            throw error;
          }
        };
    Future<String> holderFuture = null;
    Thread driver = null;
    if (held) {
      switch (stop) {
        case FATAL_IN_TASK -> loop.execute(hold);
        case FATAL_IN_TIMER -> loop.setTimeout(hold, 1);
        case FATAL_IN_IMMEDIATE -> loop.setImmediate(hold);
        case FATAL_IN_TICK -> loop.nextTick(hold);
        case FATAL_IN_MICROTASK -> loop.queueMicrotask(hold);
        case FATAL_IN_SCHEDULED ->
            holderFuture =
                loop.schedule(
                    () -> {
                      hold.run();
                      return "not thrown";
                    },
                    0,
                    TimeUnit.MILLISECONDS);
        case FATAL_IN_SUBMIT ->
            holderFuture =
                loop.submit(
                    () -> {
                      hold.run();
                      return "not thrown";
                    });
        default -> loop.execute(() -> loop.setTimeout(() -> {}, HOUR_MS).close(hold));
      }
      if (manual) { // a fatal stop: a helper thread drives the turn that holds
        if (stop == Stop.FATAL_IN_TIMER) {
          m.advance(Duration.ofMillis(1)); // the timer is due; nothing runs yet
        }
        driver =
            start(
                "edge-matrix-driver",
                () -> {
                  try {
                    m.runUntilIdle();
                  } catch (Throwable t) {
                    escaped.set(t);
                  }
                });
      }
      awaitLatch(isHeld, "the loop to be held");
    } else {
      // One turn, whose close phase registers the close callback for the next turn.
      loop.execute(() -> loop.setTimeout(() -> {}, HOUR_MS).close(registerCloseCallback));
      m.runOnce();
    }

    // One item of each kind, handed in from the test thread: none can run before the stop.
    Runnable task = () -> ran.get(Item.TASK).incrementAndGet();
    loop.execute(task);
    Future<String> submitted =
        loop.submit(
            () -> {
              ran.get(Item.SUBMIT).incrementAndGet();
              return "submitted";
            });
    // A ref'd one-shot timer runs under shutdown(): there, a short one, or the loop waits for it.
    Timer timeout =
        loop.setTimeout(() -> ran.get(Item.TIMEOUT).incrementAndGet(), drains ? 20 : HOUR_MS);
    Timer interval = loop.setInterval(() -> ran.get(Item.INTERVAL).incrementAndGet(), 10);
    ScheduledFuture<String> scheduled =
        loop.schedule(
            () -> {
              ran.get(Item.SCHEDULE).incrementAndGet();
              return "scheduled";
            },
            drains ? 30 : HOUR_MS,
            TimeUnit.MILLISECONDS);
    ScheduledFuture<?> fixedRate =
        loop.scheduleAtFixedRate(
            () -> ran.get(Item.FIXED_RATE).incrementAndGet(), 10, 10, TimeUnit.MILLISECONDS);
    Immediate immediate = loop.setImmediate(() -> ran.get(Item.IMMEDIATE).incrementAndGet());
    Promise.Resolvers<String> source = Promise.withResolvers(loop);
    Promise<String> reaction =
        source
            .promise()
            .then(
                x -> {
                  ran.get(Item.REACTION).incrementAndGet();
                  return x;
                });

    // The stop.
    List<Runnable> returned = null;
    Boolean closerInterrupted = null;
    switch (stop) {
      case SHUTDOWN -> {
        loop.shutdown();
        source.resolve("resolved"); // the loop is still alive: held, and an offload pending
        release.countDown();
        offloadRelease.countDown();
        if (offloadRunner != null) {
          join(offloadRunner); // manual: its result is queued before the test steps the loop
        }
      }
      case CLOSE -> {
        Thread releaser =
            start(
                "edge-matrix-releaser",
                () -> {
                  try {
                    awaitTrue(loop::isShutdown, "close() to shut the loop down");
                  } finally {
                    source.resolve("resolved");
                    release.countDown();
                    offloadRelease.countDown();
                  }
                });
        loop.close(); // manual: runs the loop to its end here, pending offloads included
        join(releaser);
      }
      case SHUTDOWN_NOW -> {
        returned = loop.shutdownNow();
        release.countDown();
      }
      case CLOSE_INTERRUPTED -> {
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        Thread closer =
            start(
                "edge-matrix-closer",
                () -> {
                  try {
                    loop.close();
                    closed.complete(Thread.currentThread().isInterrupted());
                  } catch (Throwable t) {
                    closed.completeExceptionally(t);
                  }
                });
        awaitTrue(loop::isShutdown, "close() to shut the loop down");
        closer.interrupt();
        holderExited.await(PATIENCE_MS, TimeUnit.MILLISECONDS); // interrupted by the stop
        release.countDown();
        closerInterrupted = closed.get(PATIENCE_MS, TimeUnit.MILLISECONDS);
        join(closer);
      }
      case GRACEFUL_TIMEOUT -> {
        // A quiet period as long as the timeout (it may not be longer): both end together, and
        // the timeout is checked first.
        loop.shutdownGracefully(GRACEFUL_TIMEOUT, GRACEFUL_TIMEOUT);
        if (manual) {
          m.advance(GRACEFUL_TIMEOUT); // virtual time: the timeout has passed
        } else {
          // The holder runs past the timeout: the stop at the timeout interrupts it.
          holderExited.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
          release.countDown();
        }
      }
      default -> release.countDown(); // a fatal stop: the holder throws
    }

    // The end: terminated within the patience, helpers gone.
    if (driver != null) {
      join(driver);
    }
    f.awaitCondition(loop, loop::isTerminated, stop + ": the loop to terminate");
    boolean awaited = loop.awaitTermination(PATIENCE_MS, TimeUnit.MILLISECONDS);
    offloadExited.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
    if (held) {
      holderExited.await(PATIENCE_MS, TimeUnit.MILLISECONDS);
    }
    if (offloadRunner != null) {
      join(offloadRunner);
    }
    if (!drains) {
      source.resolve("late"); // after termination: the reaction can never run
    }

    // What became of each item.
    List<Runnable> listed = stop == Stop.SHUTDOWN_NOW ? returned : loop.unrunTasks();
    Facts o = new Facts();
    o.put(Item.TASK, "ran", ran.get(Item.TASK).get());
    o.put(Item.TASK, "listed", containsSame(listed, task));
    observe(o, Item.SUBMIT, ran, listed, submitted, error);
    o.put(Item.TIMEOUT, "ran", ran.get(Item.TIMEOUT).get());
    o.put(Item.TIMEOUT, "active", timeout.isActive());
    o.put(Item.INTERVAL, "ran", ran.get(Item.INTERVAL).get());
    o.put(Item.INTERVAL, "active", interval.isActive());
    observe(o, Item.SCHEDULE, ran, listed, scheduled, error);
    observe(o, Item.FIXED_RATE, ran, listed, fixedRate, error);
    o.put(Item.IMMEDIATE, "ran", ran.get(Item.IMMEDIATE).get());
    o.put(Item.IMMEDIATE, "active", immediate.isActive());
    o.put(Item.RUNNING_OFFLOAD, "ran", ran.get(Item.RUNNING_OFFLOAD).get());
    o.put(Item.RUNNING_OFFLOAD, "promise", describe(running, error));
    o.put(Item.RUNNING_OFFLOAD, "interrupted", offloadInterrupted.get());
    o.put(Item.QUEUED_OFFLOAD, "ran", ran.get(Item.QUEUED_OFFLOAD).get());
    o.put(Item.QUEUED_OFFLOAD, "promise", describe(queuedOffload, error));
    o.put(Item.REACTION, "ran", ran.get(Item.REACTION).get());
    o.put(Item.REACTION, "promise", describe(reaction, error));
    o.put(Item.CLOSE_CALLBACK, "ran", ran.get(Item.CLOSE_CALLBACK).get());
    o.put(Item.LOOP, "execute after termination", thrownBy(() -> loop.execute(() -> {})));
    o.put(Item.REACTION, "added after termination", describe(source.promise().then(x -> x), error));
    o.put(
        Item.CLOSE_CALLBACK,
        "close(cb) after termination",
        thrownBy(() -> interval.close(() -> {})));
    if (held) {
      o.put(Item.HOLDER, "interrupted", holderInterrupted.get());
    }
    if (holderFuture != null) {
      o.put(Item.HOLDER, "future", describe(holderFuture, error));
    }
    o.put(Item.LOOP, "terminated", loop.isTerminated());
    o.put(Item.LOOP, "awaitTermination", awaited);
    o.put(Item.LOOP, "termination", describe(termination, error));
    o.put(Item.LOOP, "unrunTasks", loop.unrunTasks().size());
    if (returned != null) {
      o.put(Item.LOOP, "returned", returned.size());
    }
    List<String> extra = new ArrayList<>();
    for (Runnable r : listed) {
      if (r != task && r != submitted && r != scheduled && r != fixedRate) {
        extra.add(String.valueOf(r));
      }
    }
    o.put(Item.LOOP, "listed but not pending work", extra);
    Map<String, Future<?>> futures = new LinkedHashMap<>();
    futures.put("submit", submitted);
    futures.put("schedule", scheduled);
    futures.put("scheduleAtFixedRate", fixedRate);
    futures.put("running offload", running.toCompletableFuture());
    futures.put("queued offload", queuedOffload.toCompletableFuture());
    futures.put("source", source.promise().toCompletableFuture());
    futures.put("reaction", reaction.toCompletableFuture());
    futures.put("termination", termination);
    if (holderFuture != null) {
      futures.put("holder", holderFuture);
    }
    List<String> pending = new ArrayList<>();
    futures.forEach(
        (name, fut) -> {
          if (!fut.isDone()) {
            pending.add(name);
          }
        });
    o.put(Item.LOOP, "still pending", pending);
    Throwable esc = escaped.get();
    o.put(Item.LOOP, "escaped to the driving thread", esc == null ? "nothing" : name(esc, error));
    if (closerInterrupted != null) {
      o.put(Item.LOOP, "close() returned with the interrupt flag set", closerInterrupted);
    }
    return o;
  }

  private static void observe(
      Facts o,
      Item item,
      Map<Item, AtomicInteger> ran,
      List<Runnable> listed,
      Future<?> future,
      Throwable error) {
    o.put(item, "ran", ran.get(item).get());
    o.put(item, "listed", containsSame(listed, future));
    o.put(item, "future", describe(future, error));
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static boolean containsSame(List<Runnable> list, Object o) {
    for (Runnable r : list) {
      if (r == o) {
        return true;
      }
    }
    return false;
  }

  private static String thrownBy(Runnable call) {
    try {
      call.run();
      return "nothing";
    } catch (RuntimeException e) {
      return "threw " + e.getClass().getSimpleName();
    }
  }

  private static String name(Throwable t, Throwable error) {
    return t == error ? THE_ERROR : t.getClass().getSimpleName();
  }

  private static String describe(Future<?> future, Throwable error) {
    if (!future.isDone()) {
      return "pending";
    }
    if (future.isCancelled()) {
      return "cancelled";
    }
    try {
      Object v = future.get(0, TimeUnit.SECONDS);
      return future instanceof CompletableFuture<?> ? "completed" : "value:" + v;
    } catch (ExecutionException e) {
      return "failed:" + name(e.getCause(), error);
    } catch (CancellationException e) {
      return "cancelled";
    } catch (InterruptedException | TimeoutException e) {
      return "unreadable: " + e;
    }
  }

  private static String describe(Promise<?> p, Throwable error) {
    if (p.isPending()) {
      return "pending";
    }
    return p.isFulfilled() ? "fulfilled:" + p.value() : "rejected:" + name(p.reason(), error);
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void join(Thread t) throws InterruptedException {
    t.join(PATIENCE_MS);
    if (t.isAlive()) {
      fail(t.getName() + " still running after " + LoopFixture.PATIENCE);
    }
  }

  private static void awaitLatch(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(PATIENCE_MS, TimeUnit.MILLISECONDS), "waited too long for " + what);
  }

  /** Waits (off the loop, on any carrier) until {@code done} holds, up to the patience. */
  private static void awaitTrue(BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + LoopFixture.PATIENCE.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("waited " + LoopFixture.PATIENCE + " for " + what);
      }
      LockSupport.parkNanos(200_000);
    }
  }
}
