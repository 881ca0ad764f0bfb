package dev.loopkit.adapters;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * A loop on a thread of its own, which runs every turn and parks in between: the base of the {@code
 * single-thread} (platform thread) and {@code virtual} (virtual thread) carriers.
 *
 * <pre>{@code
 * Implementation notes
 *
 * parkState is RUNNING while the thread works and PARKED while it waits. Before parking the thread
 * publishes PARKED, then asks the driver once more for pending work (a Dekker pair with a
 * producer's enqueue-then-wake), so a wake-up racing the decision is never lost. wake() unparks
 * only when it wins PARKED -> RUNNING, so a burst of producers unparks at most once.
 * On a virtual clock the thread never sleeps on real time: it parks until the clock advances.
 * A loop with network I/O (an IoPoller) waits in the poller instead of parking, and wake() wakes
 * the poller too.
 * Before parking, an idle thread polls for work for a moment (IdleSpin).
 * }</pre>
 */
abstract class ThreadCarrier implements Carrier, Runnable {
  private static final int RUNNING = 0;
  private static final int PARKED = 1;
  private static final VarHandle PARK_STATE;

  static {
    try {
      PARK_STATE =
          MethodHandles.lookup().findVarHandle(ThreadCarrier.class, "parkState", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final LoopDriver driver;
  final ThreadFactory factory;
  private final IdleSpin idleSpin;
  private volatile Thread thread; // the thread running turns now

  @SuppressWarnings("unused") // through PARK_STATE
  private volatile int parkState;

  ThreadCarrier(LoopDriver driver, ThreadFactory factory) {
    this.driver = driver;
    this.factory = factory;
    this.idleSpin = new IdleSpin(driver, yieldsWhileIdle());
    this.thread = factory.newThread(this);
  }

  /** Whether the idle spin yields the thread rather than spinning on the CPU. */
  boolean yieldsWhileIdle() {
    return false;
  }

  @Override
  public void start() {
    thread.start();
  }

  @Override
  public boolean awaitTermination(long nanos) throws InterruptedException {
    long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos);
    thread.join(Math.max(1, millis));
    return !thread.isAlive();
  }

  @Override
  public void wake() {
    if ((int) PARK_STATE.getVolatile(this) == PARKED
        && PARK_STATE.compareAndSet(this, PARKED, RUNNING)) {
      LockSupport.unpark(thread);
      driver.wakeIo(); // (nothing when the loop has no I/O poller)
    }
  }

  @Override
  public final void run() {
    thread = Thread.currentThread(); // a thread that takes over after a suspension, too
    LoopClock clock = driver.clock();
    for (; ; ) {
      LoopDriver.Next next = driver.runTurns(Integer.MAX_VALUE);
      switch (next) {
        case RUN_AGAIN -> {}
        case TERMINATED, HANDED_OFF -> {
          return;
        }
        case AT_DEADLINE, IDLE -> {
          if (idleSpin.awaitWork()) {
            continue;
          }
          PARK_STATE.setVolatile(this, PARKED);
          if (driver.hasPendingWork()) {
            PARK_STATE.setVolatile(this, RUNNING);
            continue;
          }
          long wait =
              next == LoopDriver.Next.AT_DEADLINE && !clock.isVirtual()
                  ? Math.max(0, driver.nextDeadline() - clock.nanoTime())
                  : -1; // -1: until woken
          if (wait == 0) {
            // due already: run the turn
          } else if (driver.hasIo()) {
            driver.awaitIo(wait); // network I/O: wait in its poller, woken through it
          } else if (wait > 0) {
            LockSupport.parkNanos(this, wait);
          } else {
            LockSupport.park(this);
          }
          PARK_STATE.setVolatile(this, RUNNING);
        }
      }
    }
  }
}
