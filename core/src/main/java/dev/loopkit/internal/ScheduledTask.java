package dev.loopkit.internal;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A task of the JDK face ({@code schedule}, {@code scheduleAtFixedRate}, {@code
 * scheduleWithFixedDelay}): a timer whose outcome is a {@link java.util.concurrent.Future}.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The timer state (LoopTimer) decides who owns a run: the loop (SCHEDULED -> RUNNING), cancel()
 * or shutdownNow() (SCHEDULED -> CANCELLED). result mirrors the outcome for blocking callers: a
 * one-shot task completes it with its value or exception; a periodic task completes it only by
 * throwing (which stops it, as the JDK says) or by being cancelled. A repeat at a fixed rate is
 * due at the previous deadline plus the period (missed runs come one per timers pass, since a
 * re-armed timer waits for the next pass); with a fixed delay, at the end of the run plus the
 * delay.
 * }</pre>
 */
final class ScheduledTask<V> extends LoopTimer implements RunnableScheduledFuture<V> {
  enum Repeat {
    ONCE,
    FIXED_RATE,
    FIXED_DELAY
  }

  private final Callable<V> callable;
  private final Repeat repeat;
  final CompletableFuture<V> result = new CompletableFuture<>();

  ScheduledTask(
      EventLoop loop,
      long id,
      Callable<V> callable,
      long periodNanos,
      Repeat repeat,
      long deadline) {
    super(loop, id, () -> {}, periodNanos, repeat == Repeat.ONCE ? 0 : periodNanos, deadline);
    this.callable = callable;
    this.repeat = repeat;
  }

  @Override
  public String kind() {
    return repeat == Repeat.ONCE ? "scheduled" : "scheduledPeriodic";
  }

  Repeat repeat() {
    return repeat;
  }

  /** Runs on the loop; a throw completes the future (and stops a periodic task). */
  @Override
  void fire() {
    V value;
    try {
      value = callable.call();
    } catch (Throwable t) {
      casState(RUNNING, CANCELLED);
      result.completeExceptionally(t);
      loop.timers.scheduledDone(this);
      Fatal.rethrowIfFatal(t); // after the future failed with it: it stops the loop too
      return;
    }
    if (repeat == Repeat.ONCE) {
      result.complete(value);
      loop.timers.scheduledDone(this);
    }
  }

  @Override
  long nextDeadline(long start, long previousDeadline) {
    return switch (repeat) {
      case FIXED_RATE -> previousDeadline + periodNanos;
      case FIXED_DELAY -> loop.clock().nanoTime() + periodNanos;
      case ONCE -> start + periodNanos;
    };
  }

  /** Cancelled because its loop stopped or shut down: the future says so too. */
  @Override
  void cancelledByLoop() {
    result.cancel(false);
    loop.timers.scheduledDone(this);
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    return cancel();
  }

  @Override
  public boolean cancel() {
    boolean c = super.cancel();
    if (c && !result.isDone()) {
      result.cancel(false);
      loop.timers.scheduledDone(this);
    }
    return c;
  }

  @Override
  public boolean isCancelled() {
    return result.isCancelled();
  }

  @Override
  public boolean isDone() {
    return result.isDone();
  }

  @Override
  public V get() throws InterruptedException, ExecutionException {
    if (!result.isDone()) {
      loop.beforeBlockingWait("Future.get()", () -> result.handle((v, e) -> null));
    }
    return result.get();
  }

  @Override
  public V get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!result.isDone() && loop.inEventLoop()) {
      loop.beforeBlockingWait("Future.get(timeout)", () -> result.handle((v, e) -> null));
    }
    return result.get(timeout, unit);
  }

  @Override
  public boolean isPeriodic() {
    return repeat != Repeat.ONCE;
  }

  /** Approximate off the loop: the deadline is the loop's, read without synchronization. */
  @Override
  public long getDelay(TimeUnit unit) {
    return unit.convert(deadline - loop.clock().nanoTime(), TimeUnit.NANOSECONDS);
  }

  @Override
  public int compareTo(Delayed other) {
    if (other == this) {
      return 0;
    }
    return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
  }

  /**
   * Runs this task now on the calling thread if it has not started (for tasks handed back by {@code
   * shutdownNow}, whose futures are cancelled: then it does nothing).
   */
  @Override
  public void run() {
    if (casState(SCHEDULED, RUNNING)) {
      fire();
      casState(RUNNING, DONE);
    }
  }
}
