package dev.loopkit.internal;

import dev.loopkit.LoopTerminatedException;
import dev.loopkit.spi.LoopDriver.Next;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * How a loop ends: the stop (its sweep of the work that never started), and termination (what the
 * loop still owed is settled, what is left cancelled, the pools stopped, the termination future
 * completed). Lifecycle's overview has the table of what each state does to every kind of work.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The STOP winner, and only it, sweeps (any thread): the queued tasks (returned by shutdownNow, or
 * kept for unrunTasks), the scheduled tasks and the timers handed in, the offloads; then it
 * interrupts the loop's running callback (Lifecycle's handshake). The loop waits for the sweep
 * before it moves to TERMINATED, so whoever sees TERMINATED sees every future cancelled.
 *
 * finish runs on the loop. Past TERMINATED (MicrotaskQueue.terminatedHere, a plain flag of the
 * loop's thread that every promise settled or reacted to reads) it runs the hand-ins still queued
 * or set aside by the sweep and settles with LoopTerminatedException the promises the dropped
 * microtasks owed, until none is left. User tasks are never taken then: their producers, seeing
 * the state, take them back. failure is the error that stopped the loop.
 * }</pre>
 */
final class Termination {
  private static final System.Logger LOG = System.getLogger("dev.loopkit");
  private static final java.lang.invoke.VarHandle GRACEFUL;

  static {
    try {
      GRACEFUL =
          java.lang.invoke.MethodHandles.lookup()
              .findVarHandle(Termination.class, "graceful", GracefulShutdown.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EventLoop loop;
  private final CompletableFuture<Void> future = new CompletableFuture<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile Throwable failure;
  // The hand-ins a stop's sweep took from the queue: written by the STOP winner before
  // Lifecycle.swept, read by the loop after awaitSweep.
  private List<PollQueue.HandIn> sweptHandIns;
  private volatile GracefulShutdown graceful; // set once, by the first shutdownGracefully

  Termination(EventLoop loop) {
    this.loop = loop;
  }

  // ---- the stop (any thread) ----

  /**
   * Stops the loop as shutdownNow() would, keeping the never-started tasks for unrunTasks(): a
   * fatal error, the stop policy, a graceful timeout, an interrupted close.
   */
  void stop(Throwable cause, String why) {
    if (cause != null) {
      recordFailure(cause);
    }
    List<Runnable> kept = moveToStop(true);
    if (kept != null && !kept.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "["
              + loop.name()
              + "] stopped by "
              + why
              + " with "
              + kept.size()
              + " task(s) never run; Loop.unrunTasks() returns them");
    }
  }

  /**
   * Moves to STOP. The winner of that move (only it) sweeps what never started and returns it (the
   * owner reads it in unrunTasks() when {@code keep}); null if another stop won.
   */
  List<Runnable> moveToStop(boolean keep) {
    if (!loop.advance(Lifecycle.STOP)) {
      return null;
    }
    loop.microtasks.lookUpFromNowOn();
    List<Runnable> never = new ArrayList<>();
    try {
      sweptHandIns = loop.pollQueue.sweep(never); // published by swept, read after awaitSweep
      loop.timers.sweepScheduled(never);
      loop.offloads.sweep();
      loop.interruptRunning(loop.runningThread, () -> loop.runningThread);
    } finally {
      loop.swept(keep ? never : List.of());
      if (!loop.inEventLoop()) {
        loop.carrier.wake();
      }
    }
    return never;
  }

  void recordFailure(Throwable t) {
    if (failure == null) {
      failure = t;
    }
  }

  /** The exception for work that can no longer run on this loop. */
  LoopTerminatedException terminatedException() {
    Throwable f = failure;
    return f != null
        ? new LoopTerminatedException("the loop " + loop.name() + " stopped on an error", f)
        : new LoopTerminatedException("the loop " + loop.name() + " has terminated");
  }

  /** The error that stopped the loop, or null. */
  Throwable failure() {
    return failure;
  }

  // ---- graceful shutdown ----

  /** {@code shutdownGracefully}: the first call counts; the loop starts it at its next turn. */
  void requestGraceful(Duration quietPeriod, Duration timeout) {
    GracefulShutdown g =
        new GracefulShutdown(
            loop, saturatedNanos(quietPeriod), saturatedNanos(timeout), loop.clock().nanoTime());
    if (GRACEFUL.compareAndSet(this, null, g)) {
      if (!loop.clock().isVirtual()) {
        g.watchTimeout();
      }
      if (loop.inEventLoop()) {
        g.start();
      } else {
        loop.carrier.wake(); // the loop starts it at its next turn, or before it parks
      }
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return TimerPhase.MAX_SCHEDULE_NANOS;
    }
  }

  /** At a turn's start (loop): a graceful shutdown asked from another thread starts here. */
  void startGracefulIfAsked() {
    GracefulShutdown g = graceful;
    if (g != null && !g.started) {
      g.start(); // asked from another thread: its clock runs from the call, not from here
    }
  }

  /** Whether a graceful shutdown was asked that the loop has not started yet (any thread). */
  boolean gracefulRequested() {
    GracefulShutdown g = graceful;
    return g != null && !g.started;
  }

  // ---- termination (loop) ----

  /**
   * Ends the loop: after a stop, waits for its sweep; moves to TERMINATED; settles what the loop
   * still owed; cancels what is left, stops the pools and completes termination.
   */
  Next finish() {
    if (loop.state() == Lifecycle.TERMINATED) {
      return Next.TERMINATED;
    }
    for (; ; ) { // a stop may race the end of a shut-down loop: then its sweep is waited for
      int s = loop.state();
      if (s >= Lifecycle.STOP) {
        loop.awaitSweep();
      }
      if (loop.terminate(s)) {
        break;
      }
    }
    loop.microtasks.pastTerminated();
    loop.unwatch();
    loop.suspensions.abandonAll();
    loop.timers.cancelAll();
    loop.immediates.cancelAll();
    loop.closing.clear();
    loop.io.close();
    settleWhatWasOwed();
    loop.offloads.abandonAll();
    loop.offloads.shutdownPools(); // after a stop, every offload was cancelled or interrupted
    GracefulShutdown g = graceful;
    if (g != null) {
      g.terminated();
    }
    Throwable f = failure;
    if (f == null) {
      future.complete(null);
    } else {
      future.completeExceptionally(f);
    }
    terminated.countDown();
    return Next.TERMINATED;
  }

  /**
   * After TERMINATED: runs the loop's own hand-ins still queued or set aside by a stop's sweep (a
   * settlement, a reaction added from another thread, an answer), and rejects the promises that the
   * dropped microtasks owed, until none is left.
   */
  private void settleWhatWasOwed() {
    List<PollQueue.HandIn> owed = sweptHandIns;
    sweptHandIns = null;
    LoopTerminatedException why = terminatedException();
    for (boolean more = true; more; ) {
      more = false;
      if (owed != null) {
        for (PollQueue.HandIn h : owed) {
          runOwed(h.action());
        }
        owed = null;
      }
      for (PollQueue.HandIn h : loop.pollQueue.takeHandIns()) {
        runOwed(h.action());
        more = true;
      }
      more |= loop.microtasks.settle(why);
    }
  }

  /** Runs what the loop owed after TERMINATED; only a fatal error is kept (as the failure). */
  void runOwed(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      if (Fatal.isFatal(t)) {
        recordFailure(t);
      } else {
        LOG.log(System.Logger.Level.DEBUG, "[" + loop.name() + "] after termination", t);
      }
    }
  }

  // ---- waiting for the end (any thread) ----

  CompletableFuture<Void> future() {
    return future;
  }

  /** Whether the loop has run its last turn. */
  boolean isDone() {
    return terminated.getCount() == 0;
  }

  boolean await(long nanos) throws InterruptedException {
    return terminated.await(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  void awaitUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        terminated.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
