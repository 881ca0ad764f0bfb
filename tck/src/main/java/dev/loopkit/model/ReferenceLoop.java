package dev.loopkit.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The reference model of a turn, on plain collections and virtual milliseconds, written from the
 * contract and not from the engine.
 *
 * <ol>
 *   <li>timers: one clock reading; the timers due then run in deadline order, equal deadlines in
 *       creation order; one created or re-armed during the phase waits for a later pass. Deadline =
 *       clock at the call + max(1, delay); an interval is next due at the start of its callback
 *       plus the period, re-armed when the callback returns (as Node).
 *   <li>poll: the tasks present when the phase began, in arrival order, at most maxBatch; an
 *       offload's completion arrives as a task when the test runs the offload.
 *   <li>check: the immediates queued before the phase began.
 *   <li>close: nothing to do (programs close no handles).
 * </ol>
 *
 * After every callback, the checkpoint drains the tick queue, then the microtask queue (which
 * promise reactions share), and repeats while ticks remain. A reaction added to a settled promise
 * is queued at once; settling queues the reactions added so far, in order. A cancelled timer or
 * immediate never runs.
 *
 * <p>A call made from outside the loop (between turns) takes effect in the poll phase, as a task in
 * call order (Loop's javadoc). What it returns is decided at the call: a settle call says whether
 * the promise was pending, a timer's deadline is the clock at the call plus its delay and its place
 * among equal deadlines is that of its creation, and a cancel is final at once. Offloads are only
 * started on the loop.
 *
 * <p>A {@link Flaw} makes a deliberately wrong model, to prove that the property can fail.
 */
final class ReferenceLoop implements LoopUnderTest {

  /** A deliberate mistake, for the negative controls. */
  enum Flaw {
    NONE,
    /** The checkpoint drains microtasks before ticks. */
    MICROTASKS_BEFORE_TICKS,
    /** Immediates queued during the check phase run in the same phase. */
    IMMEDIATES_QUEUED_IN_CHECK_RUN_AT_ONCE,
    /** Timers with equal deadlines run newest first. */
    EQUAL_DEADLINES_NEWEST_FIRST,
  }

  private static final class TimerEntry {
    final Runnable callback;
    final long period; // 0 for a timeout
    long deadline;
    long seq;
    boolean cancelled;
    boolean started;

    TimerEntry(Runnable callback, long period) {
      this.callback = callback;
      this.period = period;
    }
  }

  private static final class ImmediateEntry {
    final Runnable callback;
    boolean cancelled;
    boolean started;

    ImmediateEntry(Runnable callback) {
      this.callback = callback;
    }
  }

  private static final class PromiseEntry {
    boolean settled; // by a settle call, from anywhere
    boolean dispatched; // the loop has seen the settlement and queued the reactions
    final List<Runnable> reactions = new ArrayList<>();
  }

  private final Flaw flaw;
  private final int maxBatch;
  private long now;
  private boolean onLoop; // true while a turn runs
  private long nextSeq;
  private final List<TimerEntry> timers = new ArrayList<>();
  private final ArrayDeque<Runnable> pollQueue = new ArrayDeque<>();
  private final ArrayDeque<ImmediateEntry> immediates = new ArrayDeque<>();
  private final ArrayDeque<Runnable> ticks = new ArrayDeque<>();
  private final ArrayDeque<Runnable> microtasks = new ArrayDeque<>();
  private final List<Runnable> heldOffloads = new ArrayList<>();
  private final PromiseEntry[] promises = new PromiseEntry[Action.PROMISES];

  ReferenceLoop(int maxBatch, Flaw flaw) {
    this.maxBatch = maxBatch;
    this.flaw = flaw;
    for (int i = 0; i < promises.length; i++) {
      promises[i] = new PromiseEntry();
    }
  }

  // ---- the turn --------------------------------------------------------------------------------

  @Override
  public void runTurn() {
    onLoop = true;
    timersPhase();
    pollPhase();
    checkPhase();
    onLoop = false;
  }

  private void timersPhase() {
    long clock = now;
    Comparator<TimerEntry> order = Comparator.comparingLong((TimerEntry t) -> t.deadline);
    order =
        flaw == Flaw.EQUAL_DEADLINES_NEWEST_FIRST
            ? order.thenComparing(t -> -t.seq)
            : order.thenComparingLong(t -> t.seq);
    List<TimerEntry> due = new ArrayList<>();
    for (TimerEntry t : timers) {
      if (t.deadline <= clock) {
        due.add(t);
      }
    }
    due.sort(order);
    for (TimerEntry t : due) {
      if (t.cancelled) {
        continue; // cancelled by an earlier callback of this phase
      }
      timers.remove(t);
      if (t.period == 0) {
        t.started = true;
        runCallback(t.callback);
        continue;
      }
      // An interval is due at the start of its callback plus the period, and is re-armed (takes
      // its place among equal deadlines) when the callback returns, before the checkpoint: Node's
      // listOnTimeout inserts it again in the callback's finally block.
      long start = now;
      t.callback.run();
      if (!t.cancelled) {
        arm(t, start + t.period);
      }
      checkpoint();
    }
  }

  private void pollPhase() {
    int n = Math.min(pollQueue.size(), maxBatch);
    for (int i = 0; i < n; i++) {
      runCallback(pollQueue.poll());
    }
  }

  private void checkPhase() {
    int n =
        flaw == Flaw.IMMEDIATES_QUEUED_IN_CHECK_RUN_AT_ONCE ? Integer.MAX_VALUE : immediates.size();
    for (int i = 0; i < n && !immediates.isEmpty(); i++) {
      ImmediateEntry e = immediates.poll();
      if (!e.cancelled) {
        e.started = true;
        runCallback(e.callback);
      }
    }
  }

  private void runCallback(Runnable callback) {
    callback.run();
    checkpoint();
  }

  private void checkpoint() {
    if (flaw == Flaw.MICROTASKS_BEFORE_TICKS) {
      do {
        drain(microtasks);
        drain(ticks);
      } while (!microtasks.isEmpty());
      return;
    }
    do {
      drain(ticks);
      drain(microtasks);
    } while (!ticks.isEmpty());
  }

  private static void drain(ArrayDeque<Runnable> queue) {
    while (!queue.isEmpty()) {
      queue.poll().run();
    }
  }

  /** Whether nothing is left to run: no timer, task, immediate or held offload. */
  boolean isIdle() {
    return timers.isEmpty()
        && pollQueue.isEmpty()
        && immediates.stream().allMatch(e -> e.cancelled)
        && heldOffloads.isEmpty();
  }

  // ---- calls on the loop -----------------------------------------------------------------------

  @Override
  public void execute(Runnable callback) {
    pollQueue.add(callback);
  }

  /** Runs {@code call} now on the loop, or hands it in as a poll-phase task from outside. */
  private void onLoop(Runnable call) {
    if (onLoop) {
      call.run();
    } else {
      pollQueue.add(call);
    }
  }

  @Override
  public void nextTick(Runnable callback) {
    onLoop(() -> ticks.add(callback));
  }

  @Override
  public void queueMicrotask(Runnable callback) {
    onLoop(() -> microtasks.add(callback));
  }

  @Override
  public void then(int p, Runnable callback) {
    onLoop(() -> addReaction(promises[p], callback));
  }

  private void addReaction(PromiseEntry e, Runnable callback) {
    if (e.dispatched) {
      microtasks.add(callback);
    } else {
      e.reactions.add(callback);
    }
  }

  @Override
  public boolean resolve(int p) {
    return settle(p);
  }

  @Override
  public boolean reject(int p) {
    return settle(p);
  }

  private boolean settle(int p) {
    PromiseEntry e = promises[p];
    if (e.settled) {
      return false;
    }
    e.settled = true;
    onLoop(
        () -> {
          e.dispatched = true;
          microtasks.addAll(e.reactions);
          e.reactions.clear();
        });
    return true;
  }

  @Override
  public Object setImmediate(Runnable callback) {
    ImmediateEntry e = new ImmediateEntry(callback);
    onLoop(() -> immediates.add(e));
    return e;
  }

  @Override
  public Object setTimeout(Runnable callback, long delayMillis) {
    TimerEntry t = new TimerEntry(callback, 0);
    create(t, now + Math.max(1, delayMillis));
    return t;
  }

  @Override
  public Object setInterval(Runnable callback, long periodMillis) {
    TimerEntry t = new TimerEntry(callback, Math.max(1, periodMillis));
    create(t, now + t.period);
    return t;
  }

  /** A timer's deadline and place among equal deadlines are fixed by the call that creates it. */
  private void create(TimerEntry t, long deadline) {
    t.deadline = deadline;
    t.seq = nextSeq++;
    onLoop(
        () -> {
          if (!t.cancelled) {
            timers.add(t);
          }
        });
  }

  private void arm(TimerEntry t, long deadline) {
    t.deadline = deadline;
    t.seq = nextSeq++;
    timers.add(t);
  }

  @Override
  public boolean cancel(Object handle) {
    if (handle instanceof TimerEntry t) {
      // A timeout: true if it had not started. An interval: true if it was still armed.
      boolean stopped = !t.cancelled && !t.started;
      t.cancelled = true;
      timers.remove(t);
      return stopped;
    }
    ImmediateEntry e = (ImmediateEntry) handle;
    boolean stopped = !e.cancelled && !e.started;
    e.cancelled = true;
    return stopped;
  }

  @Override
  public void offload(Runnable callback) {
    if (!onLoop) {
      throw new IllegalStateException("programs start offloads on the loop only");
    }
    heldOffloads.add(callback);
  }

  // ---- steps from outside ----------------------------------------------------------------------

  @Override
  public void advance(long millis) {
    now += millis;
  }

  @Override
  public int pendingOffloads() {
    return heldOffloads.size();
  }

  @Override
  public void runOffload(int index) {
    Runnable reaction = heldOffloads.remove(index);
    pollQueue.add(() -> microtasks.add(reaction)); // the completion settles the offload's promise
  }
}
