package dev.loopkit.internal;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.loopkit.LoopBlockedWarning;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The blocked-loop watchdog: one daemon thread for every watched loop, which looks at each loop
 * every quarter of its threshold and reports a callback (with its checkpoint) that has held the
 * loop past the threshold, once per incident.
 *
 * <pre>{@code
 * Implementation notes
 *
 * No clock read per callback: the loop bumps a progress counter when it enters runTurns and when
 * it starts a phase's callback (opaque stores). The watchdog reads the counter and the thread
 * running the loop. While the loop is inside runTurns (runningThread set) and the counter has not
 * moved since the watchdog first saw its value, one callback or its checkpoint holds the loop; the
 * time is measured from that first sighting, so a report comes between threshold and threshold +
 * a quarter after the callback began, and blockedFor may be short by up to a quarter. A recursive
 * nextTick or microtask chain starts no phase callback, so it is caught as its callback's
 * checkpoint. The stack is taken, then the counter read again: if it moved, the loop was not
 * blocked after all and nothing is reported. Watch fields are the watchdog thread's alone.
 * }</pre>
 */
final class Watchdog {
  private static final System.Logger LOG = System.getLogger("dev.loopkit");
  private static final Watchdog SHARED = new Watchdog();

  private final ScheduledThreadPoolExecutor timer;

  private Watchdog() {
    timer =
        new ScheduledThreadPoolExecutor(
            1,
            new ThreadFactoryBuilder().setNameFormat("loopkit-watchdog").setDaemon(true).build());
    timer.setRemoveOnCancelPolicy(true);
    timer.setKeepAliveTime(1, TimeUnit.SECONDS); // no thread a second after the last loop ends
    timer.allowCoreThreadTimeOut(true);
  }

  static Watchdog shared() {
    return SHARED;
  }

  void watch(Watch w) {
    long period = Math.max(1, w.thresholdNanos / 4);
    w.task = timer.scheduleAtFixedRate(w::look, period, period, TimeUnit.NANOSECONDS);
  }

  void unwatch(Watch w) {
    ScheduledFuture<?> t = w.task;
    if (t != null) {
      t.cancel(false);
    }
  }

  /** One loop under watch. */
  static final class Watch {
    final EventLoop loop;
    final long thresholdNanos;
    private final Consumer<LoopBlockedWarning> handler;
    volatile ScheduledFuture<?> task;
    // watchdog thread only:
    private long seen = -1;
    private long seenSince;
    private boolean reported;

    Watch(EventLoop loop, long thresholdNanos) {
      this.loop = loop;
      this.thresholdNanos = thresholdNanos;
      this.handler = loop.config().blockedLoopHandler().orElse(Watch::log);
    }

    private static void log(LoopBlockedWarning w) {
      LOG.log(System.Logger.Level.WARNING, w.getMessage(), w);
    }

    /** One look (watchdog thread). */
    void look() {
      long now = LoopClock.system().nanoTime();
      Thread t = loop.watchedThread();
      long p = loop.watchedProgress();
      if (t == null) { // between turns: nothing holds the loop
        seen = -1;
        return;
      }
      if (p != seen) {
        seen = p;
        seenSince = now;
        reported = false;
        return;
      }
      long blocked = now - seenSince;
      if (reported || blocked < thresholdNanos) {
        return;
      }
      Object callback = loop.watchedCallback();
      int phase = loop.watchedPhase();
      StackTraceElement[] stack = t.getStackTrace();
      if (loop.watchedProgress() != p || loop.watchedThread() != t) {
        return; // it moved on while the stack was taken
      }
      reported = true;
      report(t, stack, callback, phase, blocked);
    }

    private void report(
        Thread t, StackTraceElement[] stack, Object callback, int phase, long blockedNanos) {
      loop.stats().blockedIncident();
      LoopBlockedWarning w =
          new LoopBlockedWarning(
              loop.name(),
              loop.carrier(),
              Duration.ofNanos(blockedNanos),
              Duration.ofNanos(thresholdNanos),
              phase >= 0 && phase < 4 ? LoopStats.PHASES[phase] : "unknown",
              String.valueOf(callback),
              inCheckpoint(stack),
              t.getName(),
              stack);
      LoopBlockedEvent event = new LoopBlockedEvent();
      if (event.isEnabled()) {
        event.loop = w.loopName();
        event.carrier = w.carrier();
        event.blockedFor = blockedNanos;
        event.phase = w.phase();
        event.callback = w.callback();
        event.thread = w.threadName();
        event.commit();
      }
      try {
        handler.accept(w);
      } catch (Throwable h) {
        EventLoop.rethrowIfFatal(h);
        LOG.log(
            System.Logger.Level.ERROR, "[" + loop.name() + "] the blocked-loop handler threw", h);
      }
    }

    /** Whether the loop's innermost engine frame is the microtask checkpoint's. */
    private static boolean inCheckpoint(StackTraceElement[] stack) {
      for (StackTraceElement e : stack) {
        if (e.getClassName().equals(EventLoop.class.getName())) {
          return e.getMethodName().equals("runGuarded") || e.getMethodName().equals("checkpoint");
        }
      }
      return false;
    }
  }
}
