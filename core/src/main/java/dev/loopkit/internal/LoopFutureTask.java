package dev.loopkit.internal;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of a task handed in with {@code submit}: its exception belongs to the future, not to
 * the loop's error handler; waiting for it on the loop's own thread, before it is done, is refused.
 */
final class LoopFutureTask<V> extends FutureTask<V> {
  private final EventLoop loop;

  LoopFutureTask(EventLoop loop, Callable<V> callable) {
    super(callable);
    this.loop = loop;
  }

  /**
   * Runs the task; an interrupt from {@code cancel(true)} is meant for this task only, so it does
   * not outlive it on the loop's thread (as {@code ThreadPoolExecutor} clears it between tasks).
   */
  @Override
  public void run() {
    super.run();
    if (isCancelled() && loop.inEventLoop()) {
      Thread.interrupted();
    }
  }

  @Override
  public V get() throws InterruptedException, ExecutionException {
    if (!isDone()) {
      loop.checkNotOnLoop("Future.get()");
    }
    return super.get();
  }

  @Override
  public V get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!isDone()) {
      loop.checkNotOnLoop("Future.get(timeout)");
    }
    return super.get(timeout, unit);
  }
}
