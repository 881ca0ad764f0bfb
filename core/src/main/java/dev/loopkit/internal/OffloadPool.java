package dev.loopkit.internal;

import dev.loopkit.Promise;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.PoolSpec;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A named, isolated pool that runs blocking work off the loop; each result comes back to the loop
 * as a poll-phase completion that settles the offload's promise.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The seam (the offload seam): the carrier supplies an Executor that runs each task it is
 * given at once, on a thread of its choosing (platform threads, a virtual thread per task, a
 * fork-join pool inside managedBlock, or a test's hand). This class owns everything else, once,
 * for every carrier: at most `bound` tasks run at once (permits); the others wait here in arrival
 * order (waiting), at most queueCapacity of them, beyond which execute refuses; a shut-down pool
 * refuses; interrupts belong to Task's handshake; termination is the last running task ending
 * after shutdown (idle), then the carrier's executor, if it is an ExecutorService, shut down too.
 *
 * Whoever changes what may start (a task queued, a task ended and gave its permit back) calls
 * drain(), so a waiting task never waits for a permit that is free. Tasks cancelled while waiting
 * (a promise cancelled, shutdownNow) stay in the queue and end at once when they are reached.
 * }</pre>
 */
public final class OffloadPool {
  final PoolSpec spec;
  private final Executor executor;
  private final ConcurrentLinkedQueue<Task<?>> waiting = new ConcurrentLinkedQueue<>();
  private final int bound;
  private final AtomicInteger permits;
  private final AtomicInteger waitingCount = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger(); // on an executor's thread now
  private final CountDownLatch idle = new CountDownLatch(1); // shut down and nothing running
  private volatile boolean shutdown;
  // Figures for metrics (any thread): a task is queued from its creation until it leaves NEW (it
  // starts, or is cancelled or refused: one CAS, so one decrement); active while it runs. Times
  // only while a metrics binder is bound (three clock reads per task), with their own counts.
  private static final long UNTIMED = Long.MIN_VALUE;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder completed = new LongAdder();
  private final LongAdder waited = new LongAdder();
  private final LongAdder waitNanos = new LongAdder();
  private final LongAdder ran = new LongAdder();
  private final LongAdder runNanos = new LongAdder();

  /** A pool of {@code spec}, whose tasks run on {@code executor}, at most {@code bound} at once. */
  OffloadPool(PoolSpec spec, Executor executor, int bound) {
    if (bound < 1) {
      throw new IllegalArgumentException("bound < 1: " + bound);
    }
    this.spec = spec;
    this.executor = executor;
    this.bound = bound;
    this.permits = new AtomicInteger(bound);
  }

  /** The pool's name. */
  public String name() {
    return spec.name();
  }

  /** The pool's kind: {@code io} or {@code cpu}. */
  public String kind() {
    return spec.kind() == PoolSpec.Kind.IO ? "io" : "cpu";
  }

  /** Offloads waiting for a worker. */
  public int queued() {
    return queued.get();
  }

  /** Offloads running now. */
  public int active() {
    return active.get();
  }

  /** Offloads that ran to the end (returned or threw). */
  public long completed() {
    return completed.sum();
  }

  /** Offloads whose wait for a worker was timed (those handed in while a binder was bound). */
  public long waited() {
    return waited.sum();
  }

  /** The total wait of the {@link #waited} offloads, in nanoseconds. */
  public long waitNanos() {
    return waitNanos.sum();
  }

  /** Offloads whose run was timed (those handed in while a binder was bound). */
  public long ran() {
    return ran.sum();
  }

  /** The total run time of the {@link #ran} offloads, in nanoseconds. */
  public long runNanos() {
    return runNanos.sum();
  }

  /**
   * Queues {@code task}; it starts when a permit is free.
   *
   * @throws RejectedExecutionException if the pool is shut down or its queue is full
   */
  void execute(Task<?> task) {
    task.queuedAt =
        task.loop.stats().instruments() != null ? task.loop.clock().nanoTime() : UNTIMED;
    if (shutdown || waitingCount.incrementAndGet() > spec.queueCapacity()) {
      if (!shutdown) {
        waitingCount.decrementAndGet();
      }
      if (Task.STATE.compareAndSet(task, Task.NEW, Task.CANCELLED)) {
        queued.decrementAndGet(); // (else a cancel took it off already)
      }
      throw new RejectedExecutionException(
          "offload pool '"
              + spec.name()
              + "' refused the task: "
              + (shutdown
                  ? "it is shut down"
                  : "its queue is full (queueCapacity=" + spec.queueCapacity() + ")"));
    }
    waiting.add(task);
    drain();
  }

  /** Starts waiting tasks while permits remain. */
  private void drain() {
    while (!waiting.isEmpty()) {
      int p = permits.get();
      if (p == 0) {
        return; // a running task drains when it gives its permit back
      }
      if (!permits.compareAndSet(p, p - 1)) {
        continue;
      }
      Task<?> next = waiting.poll();
      if (next == null) {
        permits.incrementAndGet(); // another drain took it; look again
        continue;
      }
      waitingCount.decrementAndGet();
      try {
        executor.execute(() -> runAndRelease(next));
      } catch (RuntimeException | Error e) {
        // The carrier's executor refused (its threads are gone: the loop has stopped). The task
        // ends as cancelled; its promise belongs to the loop's stop, which rejects it.
        next.cancel(false);
        permits.incrementAndGet();
        if (!shutdown) {
          throw e;
        }
      }
    }
  }

  /**
   * Runs a task on the executor's thread and gives its permit back. A task counts as running only
   * from here: one handed to an executor that never runs it (a test's held offload, cancelled by a
   * stop) does not keep the pool from terminating.
   */
  private void runAndRelease(Task<?> task) {
    running.incrementAndGet();
    try {
      task.run();
    } finally {
      permits.incrementAndGet();
      if (running.decrementAndGet() == 0 && shutdown) {
        idle.countDown();
      }
      drain();
    }
  }

  /**
   * Threads this pool keeps busy now and soon: its tasks accepted and not yet ended, running or
   * waiting for a worker, at most its bound (any thread; a moment's figure).
   */
  int busy() {
    return Math.min(bound, running.get() + queued.get());
  }

  /** Refuses new tasks; the carrier's executor is shut down once nothing runs (any thread). */
  void shutdown() {
    shutdown = true;
    if (running.get() == 0) {
      idle.countDown();
    }
    if (executor instanceof ExecutorService es) {
      es.shutdown(); // refuses only new tasks: the ones running finish
    }
  }

  /**
   * Waits up to {@code nanos} for the tasks running to end, and for the carrier's executor to
   * terminate if it is an ExecutorService. True when both have.
   */
  boolean awaitTermination(long nanos) throws InterruptedException {
    long deadline = LoopClock.system().nanoTime() + nanos;
    if (!idle.await(nanos, TimeUnit.NANOSECONDS)) {
      return false;
    }
    return !(executor instanceof ExecutorService es)
        || es.awaitTermination(
            Math.max(0, deadline - LoopClock.system().nanoTime()), TimeUnit.NANOSECONDS);
  }

  /**
   * One offloaded call: runs on a worker, then hands its outcome to the loop.
   *
   * <p>state moves NEW -> RUNNING (the worker) or NEW -> CANCELLED (cancel, shutdownNow): a task
   * either runs or is cancelled before it ran, never both. A running task ends RUNNING -> DONE, or
   * is interrupted RUNNING -> INTERRUPTING -> INTERRUPTED (FutureTask's handshake): the canceller
   * interrupts the runner only while the task holds it, and the runner, finding its CAS to DONE
   * lost, waits out INTERRUPTING and clears the flag, so an interrupt never reaches the worker's
   * next task.
   */
  static final class Task<T> implements Runnable {
    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;
    private static final int DONE = 3;
    private static final int INTERRUPTING = 4;
    private static final int INTERRUPTED = 5;
    static final java.lang.invoke.VarHandle STATE;

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
    final OffloadPool pool;
    long queuedAt; // or UNTIMED; written before the hand-over to the executor
    private volatile Thread runner;
    private volatile int state;

    Task(
        EventLoop loop,
        OffloadPool pool,
        long id,
        Callable<T> callable,
        Promise.Resolvers<T> resolvers) {
      this.loop = loop;
      this.pool = pool;
      pool.queued.incrementAndGet(); // until it leaves NEW
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
      OffloadPool p = pool;
      p.queued.decrementAndGet();
      p.active.incrementAndGet();
      long start = queuedAt != UNTIMED ? loop.clock().nanoTime() : UNTIMED;
      if (start != UNTIMED) {
        p.waitNanos.add(Math.max(0, start - queuedAt));
        p.waited.increment();
      }
      T value = null;
      Throwable failure = null;
      try {
        value = callable.call();
      } catch (Throwable t) {
        failure = t;
      } finally {
        if (!STATE.compareAndSet(this, RUNNING, DONE)) { // a cancel is interrupting this task
          while (state == INTERRUPTING) {
            Thread.onSpinWait();
          }
          Thread.interrupted(); // meant for this task only: not for the worker's next one
        }
        runner = null;
        if (start != UNTIMED) {
          p.runNanos.add(Math.max(0, loop.clock().nanoTime() - start));
          p.ran.increment();
        }
        p.completed.increment();
        p.active.decrementAndGet();
      }
      loop.offloads.completed(this, value, failure);
      if (failure != null && Fatal.isFatal(failure)) {
        throw (Error) failure;
      }
    }

    /**
     * Stops this task: if it has not started it never will (true); if it is running, interrupts its
     * worker when {@code interrupt} (false).
     */
    boolean cancel(boolean interrupt) {
      if (STATE.compareAndSet(this, NEW, CANCELLED)) {
        pool.queued.decrementAndGet();
        return true;
      }
      if (interrupt && STATE.compareAndSet(this, RUNNING, INTERRUPTING)) {
        try {
          runner.interrupt(); // published before NEW -> RUNNING, cleared after the handshake
        } finally {
          STATE.setVolatile(this, INTERRUPTED);
        }
      }
      return false;
    }
  }
}
