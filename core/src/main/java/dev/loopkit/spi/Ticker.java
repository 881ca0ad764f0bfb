package dev.loopkit.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A recent reading of the system clock, cheap to read: a busy loop asks it whether a timer may be
 * due instead of reading the clock on every turn (a clock read costs more than a whole turn of a
 * chain of immediates).
 *
 * <pre>{@code
 * Implementation notes
 *
 * One daemon thread (loopkit-ticker) for the whole JVM publishes the clock about every TICK while
 * someone reads it. A reader marks that it read (an opaque store, only when the mark is clear: one
 * store per tick at most); a tick clears the mark. After IDLE_TICKS ticks without a reader the
 * thread publishes STALE and ends, so an idle JVM pays nothing and keeps no thread; a reader that
 * finds STALE starts a new one. A reader that finds STALE
 * reads the clock itself: recent() is never later than the clock, and, while the thread keeps up,
 * never older than MAX_AGE.
 * }</pre>
 */
final class Ticker {
  /** How often the thread publishes, while read. */
  static final long TICK_NANOS = 500_000;

  /**
   * How old a reading may be: a tick, and as much again for the thread's wake-up to come late (a
   * loop that reads the clock at least every few hundred turns bounds what a later one costs).
   */
  static final long MAX_AGE_NANOS = 2 * TICK_NANOS;

  private static final int IDLE_TICKS = 2000; // a second without readers: stop
  private static final long STALE = Long.MIN_VALUE;
  private static final VarHandle ASKED;
  private static final VarHandle STARTED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      ASKED = l.findStaticVarHandle(Ticker.class, "asked", boolean.class);
      STARTED = l.findStaticVarHandle(Ticker.class, "started", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static volatile long published = STALE;

  @SuppressWarnings("unused") // through ASKED
  private static volatile boolean asked;

  @SuppressWarnings("unused") // through STARTED
  private static volatile @Nullable Thread started;

  private Ticker() {}

  /** A reading of the system clock at most about {@link #MAX_AGE_NANOS} old (any thread). */
  static long recent() {
    long t = published;
    if (t == STALE) {
      wake();
      return LoopClock.system().nanoTime();
    }
    if (!(boolean) ASKED.getOpaque()) {
      ASKED.setOpaque(true);
    }
    return t;
  }

  private static void wake() {
    if ((boolean) ASKED.getOpaque()) {
      return; // another reader woke it; it publishes shortly
    }
    ASKED.setVolatile(true);
    Thread t = started; // (after asked: a ticker that ends reads asked after clearing started)
    if (t != null) {
      LockSupport.unpark(t);
      return;
    }
    Thread fresh =
        Thread.ofPlatform().name("loopkit-ticker").daemon(true).unstarted(Ticker::publishLoop);
    if (STARTED.compareAndSet((Thread) null, fresh)) {
      fresh.start();
    }
  }

  private static void publishLoop() {
    Thread self = Thread.currentThread();
    int idle = 0;
    for (; ; ) {
      published = LoopClock.system().nanoTime();
      LockSupport.parkNanos(TICK_NANOS);
      if ((boolean) ASKED.getOpaque()) {
        ASKED.setOpaque(false);
        idle = 0;
      } else if (++idle >= IDLE_TICKS) {
        published = STALE;
        started = null; // a reader that finds STALE from now on starts a new ticker
        if (!(boolean) ASKED.getVolatile() || !STARTED.compareAndSet((Thread) null, self)) {
          return; // no reader asked meanwhile, or one started a new ticker: this one ends
        }
        idle = 0; // a reader asked while it was ending, and may only have unparked it: go on
      }
    }
  }
}
