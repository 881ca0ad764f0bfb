package dev.loopkit.internal;

import dev.loopkit.LoopBlockedWarning;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The blocked-loop watchdog: one daemon thread for every watched loop, which sweeps them every
 * quarter of the smallest threshold and reports a callback (with its checkpoint) that has held a
 * loop past its threshold, once per incident.
 *
 * <pre>{@code
 * Implementation notes
 *
 * No clock read per callback: the loop counts each turn and each phase callback it starts (opaque
 * stores; LoopStats.progress). A sweep reads the count and the thread running the loop. While the
 * loop is inside runTurns (runningThread set) and the count has not moved since a sweep first saw
 * its value, one callback or its checkpoint holds the loop; the time is measured from that first
 * sighting, so a report comes about threshold + one or two sweep periods after the callback
 * began, and blockedFor may be short by up to a period. A recursive nextTick or microtask chain
 * starts no phase callback, so it is caught as its callback's checkpoint. The stack is taken, then
 * the count read again: if it moved, the loop was not blocked after all and nothing is reported.
 * A sweep that comes more than two periods late (a JVM-wide pause: GC, safepoint) forgets when
 * what it saw began rather than blame the callback running after the pause; an incident already
 * reported stays reported (Sightings). Watch fields are the watchdog
 * thread's alone; a throw while looking at one loop is logged and the sweep goes on.
 * }</pre>
 */
final class Watchdog {
  private static final System.Logger LOG = System.getLogger("dev.loopkit");
  private static final Watchdog SHARED = new Watchdog();
  private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final ScheduledThreadPoolExecutor timer;
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
  private ScheduledFuture<?> sweep; // guarded by this
  private long periodNanos; // guarded by this
  private volatile long lastSweep; // the watchdog thread, and watch() when it reschedules

  private Watchdog() {
    timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("loopkit-watchdog").daemon(true).factory());
    timer.setRemoveOnCancelPolicy(true);
    timer.setKeepAliveTime(1, TimeUnit.SECONDS); // no thread a second after the last loop ends
    timer.allowCoreThreadTimeOut(true);
  }

  static Watchdog shared() {
    return SHARED;
  }

  synchronized void watch(Watch w) {
    watches.add(w);
    long period = Math.max(MIN_PERIOD_NANOS, w.thresholdNanos / 4);
    if (sweep == null || period < periodNanos) {
      if (sweep != null) {
        sweep.cancel(false);
      }
      periodNanos = period;
      lastSweep = LoopClock.system().nanoTime();
      long p = period;
      sweep = timer.scheduleAtFixedRate(() -> sweep(p), p, p, TimeUnit.NANOSECONDS);
    }
  }

  synchronized void unwatch(Watch w) {
    watches.remove(w);
    if (watches.isEmpty() && sweep != null) {
      sweep.cancel(false);
      sweep = null;
    }
  }

  /** One look at every watched loop (watchdog thread). */
  private void sweep(long period) {
    long now = LoopClock.system().nanoTime();
    boolean late = now - lastSweep > 2 * period;
    lastSweep = now;
    for (Watch w : watches) {
      try {
        if (late) {
          w.forget();
        } else {
          w.look(now);
        }
      } catch (Throwable t) {
        Fatal.rethrowIfFatal(t);
        LOG.log(System.Logger.Level.ERROR, "[" + w.loop.name() + "] the watchdog failed", t);
      }
    }
  }

  /**
   * What the sweeps saw of one loop: an incident is its progress count held while it runs, and it
   * is reported once, past the threshold. A late sweep forgets when the incident began (its time is
   * not to be trusted), not that it was reported: the same incident is not reported again.
   */
  static final class Sightings {
    private final long thresholdNanos;
    private long seen = -1; // the progress count seen held, or -1
    private long seenSince; // when it was first seen
    private long reported = -1; // the progress count of the last incident reported

    Sightings(long thresholdNanos) {
      this.thresholdNanos = thresholdNanos;
    }

    /**
     * One look: {@code running} whether a thread is inside the loop's turns, {@code progress} its
     * count. Returns for how long it has been held if that is past the threshold and the incident
     * was not reported yet (it counts as reported from now on); otherwise -1.
     */
    long look(boolean running, long progress, long now) {
      if (!running) {
        seen = -1;
        return -1;
      }
      if (progress != seen) {
        seen = progress;
        seenSince = now;
        return -1;
      }
      long held = now - seenSince;
      if (progress == reported || held < thresholdNanos) {
        return -1;
      }
      reported = progress;
      return held;
    }

    /** A sweep came late (a JVM-wide pause): when the incident began is forgotten. */
    void forget() {
      seen = -1;
    }
  }

  /** One loop under watch. */
  static final class Watch {
    final EventLoop loop;
    final long thresholdNanos;
    private final Consumer<LoopBlockedWarning> handler;
    private final Sightings sightings; // watchdog thread only

    Watch(EventLoop loop, long thresholdNanos) {
      this.loop = loop;
      this.thresholdNanos = thresholdNanos;
      this.handler = loop.config().blockedLoopHandler().orElse(Watch::log);
      this.sightings = new Sightings(thresholdNanos);
    }

    private static void log(LoopBlockedWarning w) {
      LOG.log(System.Logger.Level.WARNING, w.getMessage(), w);
    }

    void forget() {
      sightings.forget();
    }

    /** One look (watchdog thread). */
    void look(long now) {
      Thread t = loop.watchedThread(); // null between turns: nothing holds the loop
      long p = loop.watchedProgress();
      long blocked = sightings.look(t != null, p, now);
      if (blocked < 0) {
        return;
      }
      Object callback = loop.watchedCallback();
      int phase = loop.watchedPhase();
      StackTraceElement[] stack = t.getStackTrace();
      if (loop.watchedProgress() != p || loop.watchedThread() != t) {
        return; // it moved on while the stack was taken (and that incident is over)
      }
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
        Fatal.rethrowIfFatal(h);
        LOG.log(
            System.Logger.Level.ERROR, "[" + loop.name() + "] the blocked-loop handler threw", h);
      }
    }

    /**
     * Whether the innermost of the engine's callback frames is the checkpoint's (MicrotaskQueue's
     * runGuarded, checkpoint) rather than a phase callback's (TurnDriver.runCallback,
     * TimerPhase.fire); other engine frames, such as a nextTick call inside a tick, are skipped.
     */
    private static boolean inCheckpoint(StackTraceElement[] stack) {
      for (StackTraceElement e : stack) {
        String c = e.getClassName();
        String m = e.getMethodName();
        if (c.equals(MicrotaskQueue.class.getName())
            && (m.equals("runGuarded") || m.equals("checkpoint"))) {
          return true;
        }
        if ((c.equals(TurnDriver.class.getName()) && m.equals("runCallback"))
            || (c.equals(TimerPhase.class.getName()) && m.equals("fire"))) {
          return false;
        }
      }
      return false;
    }
  }
}
