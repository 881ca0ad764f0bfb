package dev.loopkit.example.carrier;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopDriver;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A carrier written outside loopkit, as a third party would: it runs a loop's turns as tasks on an
 * {@link Executor} it is given, and wakes the loop at a timer's deadline with a {@link
 * ScheduledExecutorService}. It exists to show that a carrier of a page passes the whole
 * conformance suite (loopkit-tck): its provider is registered in this directory's {@code
 * META-INF/services/dev.loopkit.spi.CarrierProvider}, and the suite finds it there.
 *
 * <pre>{@code
 * Implementation notes
 *
 * state: IDLE (no task queued or running), SCHEDULED (a task is queued), RUNNING (a task is in
 * runTurns), WOKEN (woken while running: run again), DONE. wake() moves IDLE -> SCHEDULED and
 * hands the executor one task, or RUNNING -> WOKEN; so at most one task of the loop exists and its
 * turns never overlap, and the executor's hand-off orders one task's turns before the next's.
 * Before going IDLE the task publishes it (a CAS) and then asks the driver once more for pending
 * work, so a wake-up racing the decision is never lost. A loop with network I/O waits in the
 * poller on the executor's thread while idle (wake() then wakes the poller).
 * }</pre>
 */
public final class ExecutorCarrier implements Carrier {
  private static final int IDLE = 0;
  private static final int SCHEDULED = 1;
  private static final int RUNNING = 2;
  private static final int WOKEN = 3;
  private static final int DONE = 4;

  /** Turns per task: then the task ends and another is queued, so other work gets the thread. */
  private static final int TURNS_PER_TASK = 64;

  private final LoopDriver driver;
  private final Executor turns;
  private final ScheduledExecutorService timers;
  private final List<ExecutorService> owned;
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final CountDownLatch finished = new CountDownLatch(1);
  private ScheduledFuture<?> timer; // touched only by the loop's task

  /**
   * A carrier for the loop that {@code driver} runs.
   *
   * @param turns runs the loop's turns, one task at a time
   * @param timers wakes the loop at its next timer's deadline
   * @param owned executors this carrier shuts down (and waits for) when the loop has terminated
   */
  public ExecutorCarrier(
      LoopDriver driver,
      Executor turns,
      ScheduledExecutorService timers,
      List<ExecutorService> owned) {
    this.driver = driver;
    this.turns = turns;
    this.timers = timers;
    this.owned = List.copyOf(owned);
  }

  @Override
  public void start() {
    wake();
  }

  @Override
  public void wake() {
    for (; ; ) {
      int s = state.get();
      if (s == IDLE) {
        if (state.compareAndSet(IDLE, SCHEDULED)) {
          turns.execute(this::runTurns);
          return;
        }
      } else if (s == RUNNING) {
        if (state.compareAndSet(RUNNING, WOKEN)) {
          driver.wakeIo(); // (nothing when the loop has no I/O poller)
          return;
        }
      } else {
        return; // SCHEDULED, WOKEN or DONE: a turn will see the work
      }
    }
  }

  private void runTurns() {
    state.set(RUNNING);
    LoopDriver.Next next;
    try {
      next = driver.runTurns(TURNS_PER_TASK);
    } catch (Throwable t) {
      if (driver.isTerminatedForCarrier()) { // a fatal error ended the loop
        finish();
      }
      throw t;
    }
    switch (next) {
      case TERMINATED -> finish();
      case HANDED_OFF -> {} // only for carriers that suspend callbacks; not this one
      case RUN_AGAIN -> runAgain();
      case AT_DEADLINE, IDLE -> idle(next);
    }
  }

  private void idle(LoopDriver.Next next) {
    long wait =
        next == LoopDriver.Next.AT_DEADLINE && !driver.clock().isVirtual()
            ? Math.max(0, driver.nextDeadline() - driver.clock().nanoTime())
            : -1;
    if (driver.hasIo()) {
      if (wait != 0 && state.get() == RUNNING && !driver.hasPendingWork()) {
        driver.awaitIo(wait); // until I/O, a wake-up or the deadline
      }
      runAgain();
      return;
    }
    if (wait >= 0) {
      cancelTimer();
      timer = timers.schedule(this::wake, wait, TimeUnit.NANOSECONDS);
    }
    if (state.compareAndSet(RUNNING, IDLE)) {
      if (driver.hasPendingWork()) {
        wake(); // work that arrived before IDLE was published, without a wake-up of its own
      }
    } else {
      runAgain(); // woken while running
    }
  }

  private void runAgain() {
    state.set(SCHEDULED);
    turns.execute(this::runTurns);
  }

  private void finish() {
    state.set(DONE);
    cancelTimer();
    owned.forEach(ExecutorService::shutdown);
    finished.countDown();
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  @Override
  public boolean awaitTermination(long nanos) throws InterruptedException {
    long deadline = driver.clock().isVirtual() ? 0 : System.nanoTime() + nanos;
    if (!finished.await(nanos, TimeUnit.NANOSECONDS)) {
      return false;
    }
    for (ExecutorService e : owned) {
      long left = deadline == 0 ? nanos : Math.max(0, deadline - System.nanoTime());
      if (!e.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Finds {@code executor}: each loop gets one thread, named after the loop, that runs its turns
   * and its timer wake-ups (a {@link ScheduledThreadPoolExecutor} is both the executor and the
   * timer service). Offload pools are the default ones: platform threads per pool.
   */
  public static final class Provider implements CarrierProvider {
    @Override
    public String name() {
      return "executor";
    }

    @Override
    public Carrier create(LoopDriver driver) {
      ScheduledThreadPoolExecutor thread =
          new ScheduledThreadPoolExecutor(1, driver.threadFactory("turns"));
      thread.setRemoveOnCancelPolicy(true);
      return new ExecutorCarrier(driver, thread, thread, List.of(thread));
    }

    /**
     * Two set-ups: as configured by default, and with one-thread offload pools (a degenerate
     * offload configuration). Turns run by themselves on real threads, in real time; a loop can
     * wait for network I/O, but this carrier leaves the socket tests to loopkit's own.
     */
    @Override
    public List<TestSetup> testSetups() {
      return List.of(
          new TestSetup(name(), Map.of(), Set.of(TestSetup.OWN_THREADS)),
          new TestSetup(
              name() + "-offload-1",
              Map.of("loopkit.pool.io.size", "1", "loopkit.pool.cpu.size", "1"),
              Set.of(TestSetup.OWN_THREADS)));
    }
  }
}
