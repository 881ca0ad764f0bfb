package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * A loop's lifecycle: one state that only moves forward, RUNNING → SHUTDOWN → STOP → TERMINATED,
 * each step a compare-and-set, and the interrupt handshake that lets {@code shutdownNow} interrupt
 * the loop's running callback and nothing else.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The engine's topmost class (EventLoop extends it through its padding classes), so that the state
 * is a field of the loop itself: a submission and a turn read it with no extra indirection. It
 * holds nothing else of the engine's; the engine calls the final methods below.
 *
 * What each state means for every kind of pending work (the engine applies it; the docs repeat it):
 *
 *                        | RUNNING | SHUTDOWN (shutdown(),     | STOP (shutdownNow(), a fatal  | TERMINATED
 *                        |         |  program end, graceful    |  error, the stop policy, a    |
 *                        |         |  quiet period over)       |  graceful timeout)            |
 * -----------------------+---------+---------------------------+-------------------------------+-----------
 * new execute/submit/    | queued  | RejectedExecutionException| RejectedExecutionException    | same
 *  schedule/offload/     |         |                           |                               |
 *  setTimeout/Interval/  |         |                           |                               |
 *  setImmediate          |         |                           |                               |
 * queued task, future    | runs    | runs                      | returned by shutdownNow (or   | -
 *                        |         |                           |  kept in unrunTasks), future  |
 *                        |         |                           |  cancelled                    |
 * one-shot timer (ref'd) | runs    | runs                      | cancelled (a schedule()d one  | -
 *                        |         |                           |  is returned, as a task)      |
 * periodic or unref'd    | runs    | cancelled                 | cancelled (schedule*: returned)| -
 *  timer                 |         |                           |                               |
 * immediate              | runs    | runs                      | cancelled                     | -
 * tick, microtask,       | run     | run                       | dropped; a reaction's derived | a new one:
 *  promise reaction      |         |                           |  promise is rejected with     |  derived promise
 *                        |         |                           |  LoopTerminatedException      |  rejected at once
 * offload queued/running | runs,   | runs, delivered           | never starts / interrupted;   | -
 *                        | deliv.  |                           |  promise rejected (LTE)       |
 * running callback       | -       | finishes                  | interrupted (handshake below) | -
 * callback in await      | -       | resumes when settled      | resumes with LTE              | -
 * close callback         | runs    | runs                      | dropped                       | close(cb)
 *                        |         |                           |                               |  throws LTE
 *
 * Moves. advance(target) CASes any earlier state to target, so two racing stops never move the
 * state back (shutdown() racing shutdownNow() cannot return to SHUTDOWN). Only the loop moves to
 * TERMINATED (terminate: a CAS from the state it saw, so a stop racing the end of a shut-down loop
 * is either refused or waited for). The thread whose CAS moves the state to STOP (and only it)
 * sweeps the never-started work; it publishes the sweep's end (swept), and the loop waits for it
 * before it terminates, so that whoever sees TERMINATED sees every future of the sweep cancelled.
 *
 * Interrupt handshake (as FutureTask's RUNNING -> INTERRUPTING -> INTERRUPTED). The STOP winner,
 * off the loop, reads the thread inside runTurns; it CASes interrupt NONE -> INTERRUPTING,
 * re-reads that the same thread is still inside, interrupts it, and sets INTERRUPTED. A thread
 * leaving runTurns first clears runningThread, then reads interrupt: if it is not NONE it waits out
 * INTERRUPTING and clears its own interrupt flag, if it was the one interrupted. So an interrupt
 * lands only while the loop holds the thread, and never outlives that hold: a shared fork-join
 * worker goes back to its pool clean, and no other loop's callback sees it. It is taken once per
 * loop (STOP happens once), costing nothing per callback: one volatile read per carrier entry.
 * }</pre>
 */
abstract class Lifecycle extends java.util.concurrent.AbstractExecutorService {
  static final int RUNNING = 0;
  static final int SHUTDOWN = 1;
  static final int STOP = 2;
  static final int TERMINATED = 3;

  private static final int NONE = 0;
  private static final int INTERRUPTING = 1;
  private static final int INTERRUPTED = 2;

  private static final VarHandle STATE;
  private static final VarHandle INTERRUPT;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      STATE = l.findVarHandle(Lifecycle.class, "state", int.class);
      INTERRUPT = l.findVarHandle(Lifecycle.class, "interrupt", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final String[] NAMES = {"running", "shutting down", "stopping", "terminated"};

  @SuppressWarnings("unused") // through STATE
  private volatile int state;

  @SuppressWarnings("unused") // through INTERRUPT
  private volatile int interrupt;

  private volatile Thread interrupted; // the thread the handshake interrupted, until it clears
  private volatile boolean swept; // the STOP winner has swept the never-started work
  private volatile List<Runnable> unrun = List.of(); // what a stop kept for the owner

  /** The state now (a volatile read). */
  final int state() {
    return (int) STATE.getVolatile(this);
  }

  /** Whether new work is accepted. */
  final boolean accepting() {
    return state() == RUNNING;
  }

  /**
   * Moves the state forward to {@code target} if it is earlier; true if this call made the move
   * (the caller then owns what the move asks: the STOP winner sweeps).
   */
  final boolean advance(int target) {
    for (; ; ) {
      int s = state();
      if (s >= target) {
        return false;
      }
      if (STATE.compareAndSet(this, s, target)) {
        return true;
      }
    }
  }

  /**
   * The loop's last move, from the state {@code from} it saw (and, after a stop, whose sweep it
   * waited for); false if a stop came in meanwhile: look again.
   */
  final boolean terminate(int from) {
    return STATE.compareAndSet(this, from, TERMINATED);
  }

  /** The STOP winner has swept; {@code kept}: what the owner reads in {@code unrunTasks()}. */
  final void swept(List<Runnable> kept) {
    unrun = List.copyOf(kept);
    swept = true;
  }

  /** Waits (on the loop, about to terminate) until the STOP winner has swept: a bounded wait. */
  @SuppressWarnings("ThreadPriorityCheck") // a bounded spin: yield lets the sweeping thread run
  final void awaitSweep() {
    while (!swept) {
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  /** What a fatal stop, the stop policy or a graceful timeout did not run. */
  final List<Runnable> unrun() {
    return unrun;
  }

  /**
   * The STOP winner's half of the handshake: interrupts {@code inside}, the thread inside runTurns
   * (read by the caller), if it is still there. At most once per loop.
   */
  final void interruptRunning(Thread inside, java.util.function.Supplier<Thread> stillInside) {
    if (inside == null
        || inside == Thread.currentThread()
        || !INTERRUPT.compareAndSet(this, NONE, INTERRUPTING)) {
      return;
    }
    try {
      if (stillInside.get() == inside) {
        interrupted = inside;
        inside.interrupt();
      }
    } finally {
      INTERRUPT.setVolatile(this, INTERRUPTED);
    }
  }

  /**
   * The loop's half, as a thread leaves runTurns (after it cleared the loop's running thread):
   * waits out an interrupt in flight and clears the flag if it was meant for this thread.
   */
  final void leaving(Thread self) {
    if ((int) INTERRUPT.getVolatile(this) == NONE) {
      return;
    }
    while ((int) INTERRUPT.getVolatile(this) == INTERRUPTING) {
      Thread.onSpinWait();
    }
    if (interrupted == self) {
      interrupted = null;
      Thread.interrupted();
    }
  }

  /** The loop's name, for messages. */
  public abstract String name();

  /**
   * Refuses new work once the loop is shutting down.
   *
   * @throws java.util.concurrent.RejectedExecutionException if it accepts no new work
   */
  final void checkAccepting(String call) {
    if (!accepting()) {
      throw rejected(call);
    }
  }

  /** The refusal of {@code call}: the loop is shutting down. */
  final java.util.concurrent.RejectedExecutionException rejected(String call) {
    return new java.util.concurrent.RejectedExecutionException(
        call + ": the loop " + name() + " is shutting down and accepts no new work");
  }

  /** The state's name, for messages. */
  final String stateName() {
    return NAMES[state()];
  }
}
