package dev.loopkit.internal;

import dev.loopkit.Promise;
import dev.loopkit.spi.PoolSpec;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A named, isolated pool that runs blocking work off the loop; each result comes back to the loop
 * as a poll-phase completion that settles the offload's promise.
 *
 * <p>The executor comes from the carrier ({@link dev.loopkit.spi.Carrier#offloadExecutor}); the
 * pool belongs to its loop and is shut down when the loop terminates.
 */
final class OffloadPool {
  final PoolSpec spec;
  private final ExecutorService executor;

  OffloadPool(PoolSpec spec, ExecutorService executor) {
    this.spec = spec;
    this.executor = executor;
  }

  /** Hands {@code task} to a worker. */
  void execute(Task<?> task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      throw new RejectedExecutionException(
          "offload pool '"
              + spec.name()
              + "' refused the task: its queue is full (queueCapacity="
              + spec.queueCapacity()
              + ") or it is shut down",
          e);
    }
  }

  void shutdown() {
    executor.shutdown();
  }

  void shutdownNow() {
    executor.shutdownNow();
  }

  boolean awaitTermination(long nanos) throws InterruptedException {
    return executor.awaitTermination(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * One offloaded call: runs on a worker, then hands its outcome to the loop.
   *
   * <p>state moves NEW -> RUNNING (the worker) or NEW -> CANCELLED (cancel, shutdownNow): a task
   * either runs or is cancelled before it ran, never both. The runner thread is published so that a
   * cancel can interrupt it.
   */
  static final class Task<T> implements Runnable {
    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;
    private static final java.lang.invoke.VarHandle STATE;

    static {
      try {
        STATE =
            java.lang.invoke.MethodHandles.lookup().findVarHandle(Task.class, "state", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final EventLoop loop;
    final long id;
    final Callable<T> callable;
    final Promise.Resolvers<T> resolvers;
    private volatile Thread runner;
    private volatile int state;

    Task(EventLoop loop, long id, Callable<T> callable, Promise.Resolvers<T> resolvers) {
      this.loop = loop;
      this.id = id;
      this.callable = callable;
      this.resolvers = resolvers;
    }

    @Override
    public void run() {
      runner = Thread.currentThread();
      if (!STATE.compareAndSet(this, NEW, RUNNING)) {
        runner = null;
        return; // cancelled before it ran
      }
      T value = null;
      Throwable failure = null;
      try {
        value = callable.call();
      } catch (Throwable t) {
        failure = t;
      } finally {
        runner = null;
        Thread.interrupted(); // an interrupt meant for this task must not leak into the next
      }
      loop.offloadCompleted(this, value, failure);
      if (failure != null && EventLoop.isFatal(failure)) {
        throw (Error) failure;
      }
    }

    /**
     * Stops this task: if it has not started it never will (true); if it is running, interrupts its
     * worker when {@code interrupt} (false).
     */
    boolean cancel(boolean interrupt) {
      if (STATE.compareAndSet(this, NEW, CANCELLED)) {
        return true;
      }
      if (interrupt) {
        Thread t = runner;
        if (t != null && state == RUNNING) {
          t.interrupt();
        }
      }
      return false;
    }
  }
}
