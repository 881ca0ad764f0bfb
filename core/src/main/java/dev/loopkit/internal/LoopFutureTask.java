package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of a task handed in with {@code submit}: its exception belongs to the future, not to
 * the loop's error handler — except a fatal error, which fails the future and then stops the loop.
 * Waiting for it on the loop's own thread, before it is done, suspends the callback (virtual) or is
 * refused; so is an untimed wait on a manual loop that nobody steps.
 */
final class LoopFutureTask<V> extends FutureTask<V> {
  private static final VarHandle DONE_SIGNAL;

  static {
    try {
      DONE_SIGNAL =
          MethodHandles.lookup()
              .findVarHandle(LoopFutureTask.class, "doneSignal", CompletableFuture.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EventLoop loop;
  private Throwable fatal; // set and read by the thread running the task
  private volatile CompletableFuture<Void> doneSignal; // made by a waiter that suspends

  LoopFutureTask(EventLoop loop, Callable<V> callable) {
    super(callable);
    this.loop = loop;
  }

  /**
   * Runs the task; an interrupt from {@code cancel(true)} is meant for this task only, so it does
   * not outlive it on the loop's thread (as {@code ThreadPoolExecutor} clears it between tasks). A
   * fatal error is rethrown after the future has failed with it: it stops the loop.
   */
  @Override
  public void run() {
    super.run();
    if (isCancelled() && loop.inEventLoop()) {
      Thread.interrupted();
    }
    Throwable f = fatal;
    if (f != null) {
      fatal = null;
      throw (Error) f;
    }
  }

  @Override
  protected void setException(Throwable t) {
    super.setException(t);
    if (Fatal.isFatal(t)) {
      fatal = t;
    }
  }

  @Override
  protected void done() {
    CompletableFuture<Void> d = doneSignal;
    if (d != null) {
      d.complete(null);
    }
  }

  private CompletableFuture<Void> doneSignal() {
    CompletableFuture<Void> d = doneSignal;
    if (d == null) {
      d = new CompletableFuture<>();
      if (!DONE_SIGNAL.compareAndSet(this, null, d)) {
        d = doneSignal;
      }
    }
    if (isDone()) {
      d.complete(null); // done() may have run before the signal existed
    }
    return d;
  }

  @Override
  public V get() throws InterruptedException, ExecutionException {
    if (!isDone()) {
      loop.beforeBlockingWait("Future.get()", this::doneSignal);
    }
    return super.get();
  }

  @Override
  public V get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!isDone() && loop.inEventLoop()) {
      loop.beforeBlockingWait("Future.get(timeout)", this::doneSignal);
    }
    return super.get(timeout, unit);
  }
}
