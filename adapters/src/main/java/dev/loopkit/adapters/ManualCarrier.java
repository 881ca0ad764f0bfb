package dev.loopkit.adapters;

import static java.util.Objects.requireNonNull;

import dev.loopkit.ManualControl;
import dev.loopkit.VirtualClock;
import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import dev.loopkit.spi.PoolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Deterministic: turns run on the caller's thread when the test says ({@link ManualControl}), time
 * is virtual, and offloads wait until the test runs them, in the order it chooses.
 *
 * <p>In program mode ({@code Loop.run}) the caller's thread drives the loop to completion: when
 * nothing is runnable it runs the oldest pending offload, else moves virtual time to the next
 * timer, else waits for a wake-up from another thread (a {@code KeepAlive}'s producer).
 */
public final class ManualCarrier implements Carrier, ManualControl {
  private static final int MAX_TURNS = 1_000_000;

  private final LoopDriver driver;
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Runnable> pending = new ArrayList<>(); // guarded by lock
  private volatile Thread driving;
  private volatile boolean woken;

  ManualCarrier(LoopDriver driver) {
    this.driver = driver;
  }

  @Override
  public void start() {}

  @Override
  public void wake() {
    woken = true;
    Thread t = driving;
    if (t != null) {
      LockSupport.unpark(t);
      driver.wakeIo(); // a driving thread may wait in the I/O poller
    }
  }

  /** Every offload waits in the carrier's list until the test runs it. */
  @Override
  public Executor offloadExecutor(PoolSpec spec, LoopDriver driver) {
    return task -> {
      lock.lock();
      try {
        pending.add(task);
      } finally {
        lock.unlock();
      }
    };
  }

  /** The test decides what runs when: no pool holds an offload back from it. */
  @Override
  public int poolBound(PoolSpec spec) {
    return Integer.MAX_VALUE;
  }

  /** Only while a thread drives the loop to its end ({@code Loop.run}, {@code close()}). */
  @Override
  public boolean turnsRunUnattended() {
    return driving != null;
  }

  /** Turns run inside the test's own calls, in virtual time: nothing for a watchdog to watch. */
  @Override
  public boolean supportsWatchdog() {
    return false;
  }

  @Override
  public void runToCompletion(LoopDriver driver) {
    driving = Thread.currentThread();
    try {
      while (!driver.isTerminatedForCarrier()) {
        woken = false;
        if (!step() && !woken && !driver.isTerminatedForCarrier()) {
          // idle, not terminated (step() is false then too): only another thread, or I/O, can
          // give it work
          if (driver.hasIo()) {
            driver.awaitIo(-1);
          } else {
            LockSupport.park(this);
          }
        }
      }
    } finally {
      driving = null;
    }
  }

  @Override
  public boolean step() {
    LoopDriver.Next next = untilIdle(new int[1]);
    if (next == LoopDriver.Next.TERMINATED) {
      return false;
    }
    if (driver.hasIo()) { // I/O that became ready meanwhile, without waiting for it
      driver.awaitIo(0);
      if (driver.hasPendingWork()) {
        return true;
      }
    }
    if (pendingOffloads() > 0) {
      runOffload(0);
      return true;
    }
    if (next == LoopDriver.Next.AT_DEADLINE) {
      VirtualClock clock = clock();
      if (clock != null) {
        clock.advanceTo(driver.nextDeadline());
      } else {
        long wait = driver.nextDeadline() - driver.clock().nanoTime();
        if (wait > 0 && !woken) {
          LockSupport.parkNanos(this, wait);
        }
      }
      return true;
    }
    return false;
  }

  // ---- ManualControl ---------------------------------------------------------------------------

  @Override
  public void runOnce() {
    driver.runTurns(1);
  }

  @Override
  public int runUntilIdle() {
    int[] turns = {0};
    untilIdle(turns);
    return turns[0];
  }

  /** Runs turns until nothing is runnable now; returns what the loop needs next. */
  private LoopDriver.Next untilIdle(int[] turns) {
    for (; ; ) {
      LoopDriver.Next next = driver.runTurns(1);
      turns[0]++;
      boolean timerDue =
          next == LoopDriver.Next.AT_DEADLINE
              && driver.nextDeadline() - driver.clock().nanoTime() <= 0;
      if (next == LoopDriver.Next.TERMINATED
          || (next != LoopDriver.Next.RUN_AGAIN && !timerDue && !driver.hasPendingWork())) {
        return next;
      }
      if (turns[0] >= MAX_TURNS) {
        throw new IllegalStateException(
            "runUntilIdle: still busy after " + MAX_TURNS + " turns (a runaway chain?)");
      }
    }
  }

  @Override
  public void advance(Duration duration) {
    requireNonNull(duration, "duration");
    virtualClock("advance").advance(duration);
  }

  @Override
  public void advanceAndRun(Duration duration) {
    requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration: " + duration + " is negative");
    }
    VirtualClock clock = virtualClock("advanceAndRun");
    long target = clock.nanoTime() + duration.toNanos();
    for (; ; ) {
      LoopDriver.Next next = untilIdle(new int[1]);
      if (next == LoopDriver.Next.AT_DEADLINE && driver.nextDeadline() - target <= 0) {
        clock.advanceTo(driver.nextDeadline());
      } else {
        break;
      }
    }
    clock.advanceTo(target);
    runUntilIdle();
  }

  @Override
  public Duration now() {
    return Duration.ofNanos(driver.clock().nanoTime());
  }

  @Override
  public int pendingOffloads() {
    lock.lock();
    try {
      return pending.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void runOffload(int index) {
    Runnable r;
    lock.lock();
    try {
      if (index < 0 || index >= pending.size()) {
        throw new IndexOutOfBoundsException(
            "index: " + index + " is not a pending offload; pending: " + pending.size());
      }
      r = pending.remove(index);
    } finally {
      lock.unlock();
    }
    r.run();
  }

  @Override
  public void runAllOffloads() {
    while (pendingOffloads() > 0) {
      runOffload(0);
    }
  }

  private VirtualClock clock() {
    LoopClock c = driver.clock();
    return c instanceof VirtualClock v ? v : null;
  }

  private VirtualClock virtualClock(String call) {
    VirtualClock v = clock();
    if (v == null) {
      throw new IllegalStateException(
          call + ": the loop's clock is not a VirtualClock but " + driver.clock());
    }
    return v;
  }

  /** Finds {@code manual}; its loops read a fresh {@link VirtualClock} unless configured. */
  public static final class Provider implements CarrierProvider {
    @Override
    public String name() {
      return "manual";
    }

    @Override
    public LoopClock defaultClock() {
      return new VirtualClock();
    }

    @Override
    public Carrier create(LoopDriver driver) {
      return new ManualCarrier(driver);
    }

    @Override
    public List<TestSetup> testSetups() {
      return List.of(
          new TestSetup(name(), Map.of(), Set.of(TestSetup.VIRTUAL_TIME, TestSetup.HELD_OFFLOADS)));
    }
  }
}
