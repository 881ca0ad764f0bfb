package dev.loopkit.internal;

import dev.loopkit.spi.IoPoller;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The I/O part of the poll phase: the loop's {@link IoPoller}, if one is attached, and the ready
 * sources it handed on, which the poll phase runs as callbacks.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop, except poller (volatile: carriers read it to wait and wake) and wakeup.
 * The loop's own checks read active, a plain copy of poller that the loop sets (attached on the
 * loop, or through a hand-in): a loop without I/O pays one plain read per turn for it.
 * While other work is ready, the poll phase polls without waiting by elapsed time, so a chain of
 * immediates does not pay a system call per turn: every CHECK_EVERY turns it reads the clock's
 * recent reading (no system call) and polls if that moved since the last poll (about every half
 * millisecond on a real clock), and polls after POLL_EVERY turns whatever the clock says (a
 * virtual clock stands still). When nothing else is ready it polls at every turn. An idle
 * carrier waits in the poller (await) on the loop's thread, holding the loop as runTurns does, so
 * the poller's own thread checks pass.
 * }</pre>
 */
final class IoPolling {
  /**
   * While other work is ready: how often the recent reading is checked, in turns. A power of two:
   * the check masks the turn count with {@code CHECK_EVERY - 1}.
   */
  static final int CHECK_EVERY = 64;

  /** While other work is ready: a non-blocking poll at least every this many turns. */
  static final int POLL_EVERY = 4096;

  private static final java.lang.invoke.VarHandle POLLER;

  static {
    try {
      POLLER =
          java.lang.invoke.MethodHandles.lookup()
              .findVarHandle(IoPolling.class, "poller", IoPoller.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EventLoop loop;
  private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
  private volatile IoPoller poller;
  private volatile boolean waiting; // a carrier's idle wait in the poller (for the watchdog)
  private IoPoller active; // the loop's copy of poller
  private int turnsSincePoll;
  private long recentAtPoll; // the clock's recent reading at the last poll

  IoPolling(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * Attaches {@code p} (any thread).
   *
   * @throws IllegalStateException if a poller is attached already, or the loop has stopped
   */
  void attach(IoPoller p) {
    if (loop.state() >= Lifecycle.STOP) {
      throw new IllegalStateException("the loop " + loop.name() + " has stopped: no I/O on it");
    }
    if (!POLLER.compareAndSet(this, null, p)) {
      throw new IllegalStateException("the loop " + loop.name() + " has an I/O poller already");
    }
    if (loop.inEventLoop()) {
      active = p;
    } else if (!loop.pollQueue.handIn(() -> active = p, true)) {
      throw new IllegalStateException("the loop " + loop.name() + " has terminated: no I/O on it");
    }
  }

  /** What an attached poller hands the loop its work through (any thread). */
  IoPoller.Host host() {
    return new IoPoller.Host() {
      @Override
      public boolean handIn(Runnable task) {
        return loop.pollQueue.handIn(Objects.requireNonNull(task, "task"), true);
      }

      @Override
      public void runCallback(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        if (!loop.inEventLoop()) {
          throw new IllegalStateException(
              "runCallback is for the loop " + loop.name() + "'s thread");
        }
        loop.driver.runNested(callback);
      }
    };
  }

  /** Whether a poller is attached (any thread). */
  boolean attached() {
    return poller != null;
  }

  /** Whether the loop polls a poller (loop). */
  boolean active() {
    return active != null;
  }

  /**
   * At the poll phase's start (loop): polls without waiting if it is due. Small, so that the turn
   * that inlines it still inlines its other phases; the rest is in {@link #pollSlow}.
   */
  void pollIfDue(boolean otherWorkReady) {
    if (active == null
        || (otherWorkReady && (++turnsSincePoll & (CHECK_EVERY - 1)) != 0)
        || !ready.isEmpty()) {
      return;
    }
    pollSlow(otherWorkReady);
  }

  private void pollSlow(boolean otherWorkReady) {
    if (otherWorkReady) {
      long recent = loop.clock().recentNanoTime();
      if (recent == recentAtPoll && turnsSincePoll < POLL_EVERY) {
        return;
      }
      recentAtPoll = recent;
    }
    turnsSincePoll = 0;
    active.poll(0, ready::add);
  }

  /** The ready sources waiting to run (loop). */
  int readyCount() {
    return ready.size();
  }

  boolean hasReady() {
    return !ready.isEmpty();
  }

  Runnable next() {
    return ready.poll();
  }

  /** Whether what is registered holds the loop open (loop). */
  boolean holdsLoop() {
    IoPoller p = active;
    return p != null && p.holdsLoop();
  }

  /**
   * An idle carrier's wait (its thread, between runTurns calls): holds the loop and waits in the
   * poller for up to {@code timeoutNanos} (negative: until woken).
   */
  void await(long timeoutNanos) {
    IoPoller p = poller;
    if (p == null) {
      return;
    }
    Thread self = Thread.currentThread();
    EventLoop outer = EventLoop.enter(loop);
    loop.runningThread = self;
    active = p; // (it holds the loop now)
    try {
      if (loop.state() < Lifecycle.STOP && ready.isEmpty()) {
        waiting = true;
        p.poll(timeoutNanos, ready::add);
      }
    } finally {
      waiting = false;
      if (loop.runningThread == self) {
        loop.runningThread = null;
      }
      loop.leaving(self);
      EventLoop.leave(outer);
    }
  }

  /** Whether a carrier is waiting in the poller, idle (any thread). */
  boolean waiting() {
    return waiting;
  }

  /** Wakes a carrier waiting in the poller (any thread). */
  void wakeup() {
    IoPoller p = poller;
    if (p != null) {
      p.wakeup();
    }
  }

  /** On termination (loop): the ready sources are dropped, and the poller closes what it holds. */
  void close() {
    ready.clear();
    IoPoller p = poller;
    if (p != null) {
      try {
        p.close();
      } catch (RuntimeException e) {
        System.getLogger("dev.loopkit")
            .log(System.Logger.Level.WARNING, "[" + loop.name() + "] closing I/O failed", e);
      }
    }
  }
}
