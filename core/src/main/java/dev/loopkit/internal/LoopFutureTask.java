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
