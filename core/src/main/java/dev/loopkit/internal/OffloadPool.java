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
   * <p>The runner thread is published so that {@code shutdownNow} can interrupt it.
   */
  static final class Task<T> implements Runnable {
    final EventLoop loop;
    final long id;
    final Callable<T> callable;
    final Promise.Resolvers<T> resolvers;
    volatile Thread runner;
    volatile boolean abandoned;

    Task(EventLoop loop, long id, Callable<T> callable, Promise.Resolvers<T> resolvers) {
      this.loop = loop;
      this.id = id;
      this.callable = callable;
      this.resolvers = resolvers;
    }

    @Override
    public void run() {
      if (abandoned) {
        return;
      }
      runner = Thread.currentThread();
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

    /** Interrupts the worker running this task, if any. */
    void interrupt() {
      abandoned = true;
      Thread t = runner;
      if (t != null) {
        t.interrupt();
      }
    }
  }
}
