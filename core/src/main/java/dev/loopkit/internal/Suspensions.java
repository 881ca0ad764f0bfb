package dev.loopkit.internal;

import dev.loopkit.LoopTerminatedException;
import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The callbacks suspended in {@code await} (virtual carrier): while one waits, a new turn thread
 * runs the loop; the callback resumes as its promise's reaction, on its own thread, and when it
 * returns, the loop goes back to the thread running the turns.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The loop is held by exactly one thread at a time: the one named by the loop's runningThread
 * (volatile; inEventLoop compares it). runner is the thread running the turns (plain: read only by
 * the thread holding the loop, written before runningThread hands the loop over). A hand-over
 * writes runningThread and unparks the new holder; the old one parks until the loop is its again.
 *
 * suspend: if the caller runs the turns, a new turn thread takes over (owing the caller's
 * checkpoint); otherwise the turn thread, waiting in resume, gets the loop back. resume (a
 * reaction): hands the loop to the suspended thread and waits. When a resumed callback returns on
 * a thread that no longer runs the turns, retireIfResumed hands the loop back and unwinds that
 * thread with Retired (its frames below are stale). On termination every suspended callback is
 * abandoned: its await throws LoopTerminatedException.
 * }</pre>
 */
public final class Suspensions {

  /** A callback waiting in {@code await}: its thread, and whether the loop ended meanwhile. */
  public static final class Suspension {
    final Thread thread = Thread.currentThread();
    final Object callback; // the callback it belongs to, for the watchdog's report
    volatile boolean abandoned;

    Suspension(Object callback) {
      this.callback = callback;
    }
  }

  /** Thrown to unwind a thread that finished a resumed callback: its old frames are stale. */
  static final class Retired extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private Retired() {
      super(null, null, false, false);
    }
  }

  @SuppressWarnings("StaticAssignmentOfThrowable") // stackless and immutable: thrown only to unwind
  private static final Retired RETIRED = new Retired();

  private final EventLoop loop;
  private final ArrayList<Suspension> suspended = new ArrayList<>();
  Thread runner; // the thread running the turns (see the notes)
  boolean owedCheckpoint; // the turn thread before this one suspended inside a callback

  Suspensions(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * A resumed callback has returned on a thread that no longer runs the turns: give the loop back
   * to the turn thread and unwind this one.
   */
  void retireIfResumed() {
    if (runner != Thread.currentThread()) {
      Thread r = runner;
      if (loop.state() != Lifecycle.TERMINATED && loop.runningThread == Thread.currentThread()) {
        loop.runningThread = r;
        LockSupport.unpark(r);
      }
      throw RETIRED;
    }
  }

  /**
   * Starts suspending the running callback.
   *
   * @throws IllegalStateException if the carrier cannot suspend callbacks
   */
  Suspension begin(String call) {
    if (!loop.carrier.canSuspendCallbacks()) {
      throw new IllegalStateException(
          call
              + " on the loop "
              + loop.name()
              + "'s own thread would block the loop ("
              + loop.carrier()
              + " carrier); use then(), or the virtual carrier, where it suspends the callback");
    }
    Suspension s = new Suspension(loop.driver.current);
    suspended.add(s);
    loop.microtasks.lookUpFromNowOn();
    return s;
  }

  /**
   * Suspends the calling callback until {@link #resume} gives it the loop back; meanwhile the loop
   * runs other callbacks.
   *
   * @throws LoopTerminatedException if the loop ended while the callback was suspended
   */
  void suspend(Suspension s) {
    Thread self = Thread.currentThread();
    loop.timers.suspending(); // a timer's suspended callback has returned, as far as it goes
    if (runner == self) {
      loop.driver.stopBusyClock(); // the new turn thread measures from its start
      Thread next = loop.carrier.newTurnThread();
      owedCheckpoint = true;
      runner = next;
      loop.runningThread = next;
      next.start();
    } else {
      Thread r = runner;
      loop.runningThread = r;
      LockSupport.unpark(r);
    }
    while (loop.runningThread != self && !s.abandoned) {
      LockSupport.park(s);
    }
    if (s.abandoned) {
      throw new LoopTerminatedException(
          "the loop " + loop.name() + " ended while the callback awaited");
    }
  }

  /** On the loop (a reaction): hands the loop to the suspended callback until it returns. */
  void resume(Suspension s) {
    if (!suspended.remove(s)) {
      return;
    }
    Thread self = Thread.currentThread();
    TurnDriver driver = loop.driver;
    Object mine = driver.current;
    driver.current = s.callback;
    loop.runningThread = s.thread;
    LockSupport.unpark(s.thread);
    while (loop.runningThread != self) {
      LockSupport.park(this);
    }
    driver.current = mine;
  }

  /** On termination: every suspended callback's await throws. */
  void abandonAll() {
    for (Suspension s : suspended) {
      s.abandoned = true;
      LockSupport.unpark(s.thread);
    }
    suspended.clear();
  }
}
