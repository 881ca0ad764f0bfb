package dev.loopkit.internal;

import dev.loopkit.Promise;
import dev.loopkit.Timer;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The timers phase: the timers due at one clock reading, in deadline order, none armed during the
 * pass; and the making, re-arming and cancelling of timers ({@code setTimeout}, {@code
 * setInterval}, the JDK face's {@code schedule}).
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop, except the scheduled-task registry (any thread: the JDK face's ledger, so
 * that shutdownNow returns the scheduled tasks that never ran). A timer made off the loop, or a
 * cancel from another thread, reaches the loop through the poll queue (arrived, cancelled).
 *
 * The pass: one clock reading (passNow) decides which timers are due, and a sequence number
 * (passSeq) keeps out the timers armed during the pass, even with a zero delay. A turn reads the
 * clock only when a timer may be due (mayBeDue): earliest, a bound on the first deadline, within
 * the age of the clock's recent reading; so a chain of callbacks with a timer armed far ahead pays
 * no clock read per turn, and a timer that may be due is decided by a fresh reading, as Node's.
 * The recent reading comes from another thread, which may fall behind (its core taken, the VM
 * descheduled): so a busy loop also reads the clock itself every readEvery turns, as many turns as
 * the last stretch between two reads says fit in UNREAD_NANOS (at most twice as many as before, at
 * most MAX_TURNS_UNREAD): a chain of short turns reads it every few hundred turns, a loop whose turns
 * are long every turn, as Node's does, so timers are late by about a turn at most. firing is the
 * timer whose callback runs: if that callback is suspended (await, virtual carrier), the timer is
 * re-armed or retired at once (suspended) and the pass goes on on the next turn thread.
 * }</pre>
 */
final class TimerPhase extends Phase {
  static final long MAX_DELAY_MILLIS = Integer.MAX_VALUE;
  static final long MAX_SCHEDULE_NANOS = Long.MAX_VALUE >> 2; // ~36 years: no overflow

  private final EventLoop loop;
  private final TimerQueue queue = new TimerQueue();
  private final Set<ScheduledTask<?>> scheduled = ConcurrentHashMap.newKeySet();

  /** Turns after which a busy loop reads the clock whatever its recent reading says, at most. */
  static final int MAX_TURNS_UNREAD = 256;

  /** How long a busy loop goes without reading the clock, judged by its last turns' length. */
  static final long UNREAD_NANOS = 200_000;

  /** Near the first deadline: turns between two clock reads while the recent reading stands. */
  static final int NEAR_EVERY = 32;

  private static final long NO_READING = Long.MIN_VALUE;

  private long passNow;
  private long passSeq;
  private long earliest; // no later than the first deadline, while the queue is not empty
  private int turnsUnread; // turns whose timers phase did not read the clock
  private int readEvery = 1; // turns between two reads of the clock, at most (see the notes)
  private long lastRead = NO_READING; // when it last read the clock, unless it waited since
  private long recentAtRead = NO_READING; // the recent reading when the clock was last read
  private LoopTimer firing;
  private long firingStart;
  private long firingDeadline;

  TimerPhase(EventLoop loop, TurnDriver driver) {
    super(driver);
    this.loop = loop;
  }

  // ---- the phase ----

  @Override
  void run() {
    if (!begun) {
      if (queue.isEmpty() || !mayBeDue()) {
        return;
      }
      begun = true;
      passNow = loop.clock().nanoTime();
      passSeq = loop.ids.get();
      paceReads(passNow);
    }
    runPass();
  }

  private void runPass() {
    LoopTimer t;
    boolean fired = false;
    while (loop.state() < Lifecycle.STOP && (t = queue.pollDue(passNow, passSeq)) != null) {
      fired = true;
      fire(t);
    }
    if (fired && !queue.isEmpty()) {
      earliest = queue.peekDeadline(); // (one ran: the earliest may be later now)
    }
    begun = false;
  }

  /**
   * Whether to read the clock, asked without reading it: the clock went unread for readEvery turns
   * (about {@link #UNREAD_NANOS} of them: a bound on lateness should the recent reading fall
   * behind; see {@link #paceReads}) or since the carrier woke the loop; or the first deadline has
   * passed by the clock's recent reading (no later than now: a timer is due, and runs as Node's
   * would); or it is within that reading's age, where one may be due (see {@link #nearTurn}).
   * Further from it, no timer can be due.
   */
  private boolean mayBeDue() {
    if (++turnsUnread >= readEvery) {
      recentAtRead = NO_READING;
      return true;
    }
    LoopClock c = loop.clock();
    long recent = c.recentNanoTime();
    long gap = earliest - recent;
    if (gap <= 0 || (gap <= c.recentAgeNanos() && (recent != recentAtRead || nearTurn()))) {
      recentAtRead = recent;
      return true;
    }
    return false;
  }

  /**
   * Within the recent reading's age of the first deadline, where a timer may be due or not: the
   * clock is read each time the recent reading moves, and every {@link #NEAR_EVERY} turns between.
   */
  private boolean nearTurn() {
    return (turnsUnread & (NEAR_EVERY - 1)) == 0;
  }

  /**
   * The carrier is about to run turns, perhaps after a wait: the next pass reads the clock (so an
   * idle loop's wake-ups never ask for a recent reading, and never keep the ticker running).
   */
  void clockMayHaveMoved() {
    turnsUnread = MAX_TURNS_UNREAD - 1; // (the next mayBeDue counts to the bound)
    lastRead = NO_READING; // (a stretch with a wait in it says nothing of the turns' length)
  }

  /**
   * The clock was read at {@code now}: sets how many turns may pass before the next read, from how
   * long the turns since the last read took.
   */
  private void paceReads(long now) {
    if (lastRead != NO_READING && turnsUnread > 0) {
      long perTurn = Math.max(1, (now - lastRead) / turnsUnread);
      long fit = Math.max(1, UNREAD_NANOS / perTurn);
      readEvery = (int) Math.min(fit, Math.min(2L * readEvery, MAX_TURNS_UNREAD));
    }
    lastRead = now;
    turnsUnread = 0;
  }

  /** Adds {@code t}, armed, to the queue; keeps {@link #earliest} a bound on the first deadline. */
  private void enqueue(LoopTimer t) {
    if (queue.isEmpty() || t.deadline - earliest < 0) {
      earliest = t.deadline;
    }
    queue.add(t);
  }

  private void fire(LoopTimer t) {
    if (!t.casState(LoopTimer.SCHEDULED, LoopTimer.RUNNING)) {
      return; // cancelled meanwhile
    }
    firing = t;
    firingStart = t.periodNanos != 0 ? loop.clock().nanoTime() : 0;
    firingDeadline = t.deadline;
    long sampledFrom = driver.enterCallback(t, ++started);
    try {
      t.fire();
    } catch (Throwable e) {
      driver.uncaught(e);
    }
    driver.retireIfResumed();
    firingReturned();
    driver.checkpoint();
    driver.sampleEnd(sampledFrom);
  }

  /** After the firing timer's callback and before its checkpoint (unless it was suspended). */
  private void firingReturned() {
    LoopTimer t = firing;
    if (t != null) {
      firing = null;
      afterTimer(t, firingStart, firingDeadline);
    }
  }

  /** A timer's callback is being suspended: as far as the timer goes, it returned. */
  void suspending() {
    firingReturned();
  }

  /** After a timer's callback returned (or was suspended): re-arm it, or mark it done. */
  private void afterTimer(LoopTimer t, long start, long previousDeadline) {
    boolean refresh = t.refreshRequested;
    t.refreshRequested = false;
    if (t.periodNanos == 0 && !refresh) {
      t.casState(LoopTimer.RUNNING, LoopTimer.DONE);
    } else if ((loop.accepting() || t.internal)
        && t.casState(LoopTimer.RUNNING, LoopTimer.SCHEDULED)) {
      arm(
          t,
          refresh
              ? loop.clock().nanoTime() + t.delayNanos
              : t.nextDeadline(start, previousDeadline));
    } else if (t.casState(LoopTimer.RUNNING, LoopTimer.CANCELLED)) {
      t.cancelledByLoop();
    }
  }

  private void arm(LoopTimer t, long deadline) {
    t.deadline = deadline;
    t.seq = loop.ids.getAndIncrement();
    enqueue(t);
  }

  // ---- making timers (any thread) ----

  /**
   * A timeout or interval; {@code onLoopCancel}, if not null, runs when the loop (not the user)
   * cancels it: a stop, or termination.
   */
  LoopTimer setTimer(
      Runnable callback, long millis, boolean repeating, String call, Runnable onLoopCancel) {
    java.util.Objects.requireNonNull(callback, "callback");
    if (millis > MAX_DELAY_MILLIS) {
      throw new IllegalArgumentException(
          call
              + ": "
              + (repeating ? "period" : "delay")
              + " "
              + millis
              + " ms is above the largest allowed, 2147483647 ms (2³¹−1)");
    }
    long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis)); // below 1 ms: 1 ms, as Node
    long deadline = loop.clock().nanoTime() + nanos;
    long id = loop.ids.getAndIncrement();
    long period = repeating ? nanos : 0;
    LoopTimer t =
        onLoopCancel == null
            ? new LoopTimer(loop, id, callback, nanos, period, deadline)
            : new LoopTimer.CancelAware(loop, id, callback, nanos, period, deadline, onLoopCancel);
    if (loop.inEventLoop()) {
      loop.checkAccepting(call);
      enqueue(t);
    } else {
      loop.pollQueue.submit(t, call);
    }
    return t;
  }

  static long millisOf(Duration d, String what) {
    if (d.isNegative()) {
      return 0; // clamped to 1 ms, as Node does with a negative delay
    }
    try {
      long ms = d.toMillis();
      return d.toNanos() % 1_000_000 == 0 ? ms : ms + 1; // round up: never early
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          what + ": " + d + " is above the largest allowed, 2147483647 ms", e);
    }
  }

  /**
   * {@code Promise.delay}: a promise resolved by a timeout, or rejected with
   * LoopTerminatedException if the loop cancels that timeout (a stop).
   */
  Promise<Void> delay(Duration delay) {
    java.util.Objects.requireNonNull(delay, "delay");
    Promise.Resolvers<Void> r = Promise.withResolvers(loop);
    setTimer(
        () -> r.resolve(null),
        millisOf(delay, "delay"),
        false,
        "Promise.delay",
        () -> r.reject(loop.termination.terminatedException()));
    return r.promise();
  }

  /** The JDK face's {@code schedule*}: a timer whose outcome is a future. */
  <V> ScheduledTask<V> schedule(
      Callable<V> callable,
      long delay,
      TimeUnit unit,
      long periodNanos,
      ScheduledTask.Repeat repeat,
      String call) {
    java.util.Objects.requireNonNull(unit, "unit");
    long deadline = loop.clock().nanoTime() + clampDelay(unit.toNanos(delay));
    ScheduledTask<V> t =
        new ScheduledTask<>(
            loop, loop.ids.getAndIncrement(), callable, periodNanos, repeat, deadline);
    scheduled.add(t);
    if (loop.inEventLoop()) {
      if (!loop.accepting()) {
        if (withdraw(t)) {
          throw loop.rejected(call);
        }
        return t;
      }
      enqueue(t);
    } else {
      loop.pollQueue.submit(t, call);
    }
    return t;
  }

  /** Delays at or below zero are due at the next timers pass; huge ones are capped. */
  static long clampDelay(long nanos) {
    return Math.min(Math.max(0, nanos), MAX_SCHEDULE_NANOS);
  }

  /** The loop's own repeating timer (unref'd; it survives shutdown()), armed now (loop). */
  void addInternal(Runnable callback, long stepNanos) {
    LoopTimer t =
        new LoopTimer(
            loop,
            loop.ids.getAndIncrement(),
            callback,
            stepNanos,
            stepNanos,
            loop.clock().nanoTime() + stepNanos);
    t.internal = true;
    t.setRefFlag(false);
    enqueue(t);
  }

  /**
   * A refused scheduled task leaves the registry: true if this caller owns its outcome, false if
   * shutdownNow already took it (and returns it).
   */
  boolean withdraw(ScheduledTask<?> t) {
    if (!t.casState(LoopTimer.SCHEDULED, LoopTimer.CANCELLED)) {
      return false;
    }
    scheduled.remove(t);
    return true;
  }

  /** A scheduled task finished for good (ran once, threw, or was cancelled). */
  void scheduledDone(ScheduledTask<?> t) {
    scheduled.remove(t);
  }

  // ---- timers handed in, cancelled, refreshed (loop) ----

  /** A timer made off the loop arrived through the poll queue. */
  void arrived(LoopTimer t) {
    if (t.state == LoopTimer.SCHEDULED && !queue.contains(t)) {
      enqueue(t);
    }
  }

  /** {@code t} was cancelled (any thread): it leaves the queue. */
  void cancelled(LoopTimer t) {
    if (loop.inEventLoop()) {
      queue.remove(t);
    } else {
      loop.pollQueue.handIn(() -> queue.remove(t), false);
    }
  }

  /** {@link Timer#refresh()}: re-armed from now with its delay. */
  void refresh(LoopTimer t) {
    int s = t.state;
    if (s == LoopTimer.RUNNING) {
      t.refreshRequested = true;
    } else if (s == LoopTimer.SCHEDULED
        || (s == LoopTimer.DONE && t.casState(s, LoopTimer.SCHEDULED))) {
      queue.remove(t);
      arm(t, loop.clock().nanoTime() + t.delayNanos);
    }
  }

  void changeRef(LoopTimer t, boolean value) {
    if (t.hasRef() != value) {
      t.setRefFlag(value);
      queue.refChanged(t, value);
    }
  }

  // ---- liveness, the lifecycle, introspection ----

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }

  /** Whether a ref'd timer holds the loop open. */
  boolean holdsLoop() {
    return queue.refCount() > 0;
  }

  long nextDeadline() {
    return queue.peekDeadline();
  }

  /** On SHUTDOWN: repeating and unref'd timers are cancelled; ref'd timeouts still run. */
  void cancelOnShutdown() {
    List<LoopTimer> drop = new ArrayList<>();
    queue.forEach(
        t -> {
          if (!t.internal && (t.periodNanos != 0 || !t.hasRef())) {
            drop.add(t);
          }
        });
    for (LoopTimer t : drop) {
      if (t.casState(LoopTimer.SCHEDULED, LoopTimer.CANCELLED)) {
        queue.remove(t);
        t.cancelledByLoop();
      }
    }
  }

  /**
   * The stop's sweep (any thread): cancels the scheduled tasks that never ran and adds them to
   * {@code never}.
   */
  @SuppressWarnings(
      "ModifyCollectionInEnhancedForLoop") // a concurrent set: removal while iterating is safe
  void sweepScheduled(List<Runnable> never) {
    for (ScheduledTask<?> t : scheduled) {
      if (t.casState(LoopTimer.SCHEDULED, LoopTimer.CANCELLED)) {
        t.result.cancel(false);
        scheduled.remove(t);
        never.add(t);
      }
    }
  }

  /** On termination: every timer left is cancelled. */
  void cancelAll() {
    queue.clear(
        t -> {
          if (t.casState(LoopTimer.SCHEDULED, LoopTimer.CANCELLED)) {
            t.cancelledByLoop();
          }
        });
  }

  void forEach(java.util.function.Consumer<LoopTimer> action) {
    queue.forEach(action);
  }
}
