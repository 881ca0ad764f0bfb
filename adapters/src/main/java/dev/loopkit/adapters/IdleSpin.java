package dev.loopkit.adapters;

import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import java.util.concurrent.TimeUnit;

/**
 * The idle spell before a carrier lets its thread go (parks it, or ends its pool task): it polls
 * for work for {@code loopkit.idle.spinMicros}, so that a task or an offload completion arriving
 * within that spell costs no park and wake-up (an unpark is a system call for the producer, and
 * waking a parked thread takes microseconds). A spell that spins runs only while the loop's
 * offloads leave a core free ({@link LoopDriver#mayPollWhileIdle}): else it takes CPU they need. A
 * spell that yields (a virtual thread's) lets the offloads run meanwhile, so it always runs.
 */
final class IdleSpin {
  private final LoopDriver driver;
  private final long nanos;
  private final boolean yield;

  /**
   * {@code yield}: pause with {@link Thread#yield} (a virtual thread lets others run meanwhile).
   */
  IdleSpin(LoopDriver driver, boolean yield) {
    this.driver = driver;
    this.nanos = TimeUnit.MICROSECONDS.toNanos(driver.config().idleSpinMicros());
    this.yield = yield;
  }

  /** Polls for work for up to the configured spell; true if some arrived. */
  @SuppressWarnings(
      "ThreadPriorityCheck") // the spin's configured mode: yield instead of onSpinWait
  boolean awaitWork() {
    if (nanos == 0 || (!yield && !driver.mayPollWhileIdle(0))) {
      return false; // no spell, or offloads need every core (a yielding spell gives its core up)
    }
    long end = LoopClock.system().nanoTime() + nanos;
    do {
      for (int i = 0; i < 32; i++) {
        if (driver.hasReadyWork()) {
          return true;
        }
        if (yield) {
          Thread.yield();
        } else {
          Thread.onSpinWait();
        }
      }
    } while (LoopClock.system().nanoTime() - end < 0);
    return false;
  }
}
