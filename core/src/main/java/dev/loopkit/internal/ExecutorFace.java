package dev.loopkit.internal;

import static java.util.Objects.requireNonNull;

import dev.loopkit.Promise;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The JDK face of the loop ({@code ScheduledExecutorService}): {@code schedule*} as timers whose
 * outcome is a future, {@code submit} and {@code invoke*} as poll-phase tasks, and the guards that
 * refuse a wait that could never end — the loop's own thread waiting for the loop, or a wait for a
 * manual loop that nobody steps.
 */
abstract class ExecutorFace extends Lifecycle implements ScheduledExecutorService {

  /** The timers phase, which holds the scheduled tasks. */
  abstract TimerPhase timers();

  /** Whether this thread runs the loop now. */
  public abstract boolean inEventLoop();

  /** The carrier's name, for messages. */
  public abstract String carrier();

  /** Whether the carrier can suspend a callback in a wait (virtual). */
  abstract boolean carrierSuspends();

  /** Whether the loop's turns run without the caller stepping them (all but manual). */
  abstract boolean turnsRunUnattended();

  /** {@code callback} as it will run: decorated, with the caller's context (see LoopContext). */
  abstract Runnable capture(Runnable callback);

  /** As {@link #capture(Runnable)}, for a task with a result. */
  abstract <V extends @Nullable Object> Callable<V> capture(Callable<V> task);

  // ---- invoke* : blocking calls from the loop are refused ----

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
      throws InterruptedException {
    checkBeforeInvoke(tasks, "invokeAll");
    checkTurnsRun("invokeAll");
    return super.invokeAll(tasks);
  }

  @Override
  public <T> List<Future<T>> invokeAll(
      Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException {
    checkBeforeInvoke(tasks, "invokeAll");
    return super.invokeAll(tasks, timeout, unit);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
      throws InterruptedException, ExecutionException {
    checkBeforeInvoke(tasks, "invokeAny");
    checkTurnsRun("invokeAny");
    return super.invokeAny(tasks);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    checkBeforeInvoke(tasks, "invokeAny");
    return super.invokeAny(tasks, timeout, unit);
  }

  /**
   * The JDK's contract: a null collection or element throws NPE before any task is submitted; a
   * loop that accepts no work refuses at once (so it would not wait: REE before ISE); the loop's
   * own thread may not wait for the loop.
   */
  private void checkBeforeInvoke(Collection<? extends Callable<?>> tasks, String call) {
    requireNonNull(tasks, "tasks");
    int i = 0;
    for (Callable<?> t : tasks) {
      requireNonNull(t, "tasks[" + i++ + "]");
    }
    checkAccepting(call);
    checkNotOnLoop(call);
  }

  // ---- schedule* ----

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    return timers()
        .schedule(
            Executors.callable(capture(command)),
            delay,
            unit,
            0,
            ScheduledTask.Repeat.ONCE,
            "schedule");
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    requireNonNull(callable, "callable");
    return timers()
        .schedule(capture(callable), delay, unit, 0, ScheduledTask.Repeat.ONCE, "schedule");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return scheduleRepeating(
        command, initialDelay, period, unit, ScheduledTask.Repeat.FIXED_RATE, "period");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return scheduleRepeating(
        command, initialDelay, delay, unit, ScheduledTask.Repeat.FIXED_DELAY, "delay");
  }

  private ScheduledFuture<?> scheduleRepeating(
      Runnable command,
      long initialDelay,
      long every,
      TimeUnit unit,
      ScheduledTask.Repeat repeat,
      String what) {
    String call =
        repeat == ScheduledTask.Repeat.FIXED_RATE
            ? "scheduleAtFixedRate"
            : "scheduleWithFixedDelay";
    requireNonNull(command, "command");
    requireNonNull(unit, "unit");
    if (every <= 0) {
      throw new IllegalArgumentException(
          call + ": " + what + " " + every + " " + unit + " is not positive");
    }
    return timers()
        .schedule(
            Executors.callable(capture(command)),
            initialDelay,
            unit,
            TimerPhase.clampDelay(unit.toNanos(every)),
            repeat,
            call);
  }

  // ---- submit ----

  @Override
  protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
    return new LoopFutureTask<>((EventLoop) this, callable);
  }

  @Override
  protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
    return new LoopFutureTask<>((EventLoop) this, Executors.callable(runnable, value));
  }

  // ---- waits that could never end ----

  /**
   * Before an untimed wait for a future of this loop that is not done. On the loop's own thread:
   * suspends the calling callback until {@code done} completes (a carrier that can suspend), or
   * throws IllegalStateException. Off the loop: throws IllegalStateException at once if nothing
   * runs the loop's turns meanwhile (a manual loop nobody steps), rather than wait forever.
   */
  final void beforeBlockingWait(String call, Supplier<? extends CompletionStage<?>> done) {
    if (inEventLoop()) {
      if (!carrierSuspends()) {
        checkNotOnLoop(call);
      }
      Promise.from((EventLoop) this, done.get()).await();
    } else {
      checkTurnsRun(call);
    }
  }

  /** Off the loop, before an untimed wait: refused if nothing runs the loop's turns meanwhile. */
  final void checkTurnsRun(String call) {
    if (!turnsRunUnattended() && state() != TERMINATED) {
      throw new IllegalStateException(
          call
              + " would wait forever: the loop "
              + name()
              + " runs on the "
              + carrier()
              + " carrier, whose turns run only inside ManualControl's calls, and no thread is"
              + " stepping it; step it (runUntilIdle, step) until the future is done");
    }
  }

  /** Throws if the caller is this loop's own thread, which would wait for itself. */
  final void checkNotOnLoop(String call) {
    if (inEventLoop()) {
      throw new IllegalStateException(
          call
              + " would make the loop "
              + name()
              + "'s own thread wait for the loop; use then() on the loop instead");
    }
  }
}
