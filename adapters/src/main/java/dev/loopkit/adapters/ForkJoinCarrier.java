package dev.loopkit.adapters;

import dev.loopkit.LoopConfig;
import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import dev.loopkit.spi.OffloadExecutors;
import dev.loopkit.spi.PoolSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns run as tasks on a {@link ForkJoinPool}: a task runs a loop's turns in slices of {@code
 * loopkit.forkjoin.sliceMicros} (and at most {@code turnsPerTask} turns) while work remains, and
 * after a slice gives its worker to the loop that waited longest, if any; an idle loop holds no
 * worker. Many loops can share few threads, and a busy loop cannot keep the others from them.
 *
 * <pre>{@code
 * Implementation notes
 *
 * state: IDLE (no task queued or running), SCHEDULED (queued to run), RUNNING (a worker is in
 * runTurns), RUNNING_WOKEN (woken while running: run again). wake() moves IDLE -> SCHEDULED and
 * schedules the loop, or RUNNING -> RUNNING_WOKEN; so each loop is queued or running at most once
 * and turns of one loop never overlap. The pool's queues and the CAS on state order one task's
 * turns before the next's (happens-before), whichever worker runs them.
 * Fairness: a loop is scheduled by joining the pool's ready queue (FIFO, every loop of the pool)
 * and handing the pool one task that runs the loop at the head. A task the worker forked, or
 * handed to the pool from the worker, would run next on the same worker (ForkJoinPool drains the
 * queue it took a task from), ahead of every other loop; through the ready queue the loop that
 * waited longest runs next. After a slice the task goes on with the same loop only when nothing
 * else waits for the pool (no loop ready, no task queued), so one busy loop pays no hand-off.
 * A loop waiting for a timer holds no worker: a one-thread timer service of the pool wakes it at
 * the deadline. A loop with network I/O (an IoPoller) is the exception: idle, it holds one worker
 * waiting in the poller (IO_WAIT, inside managedBlock), woken through the poller.
 * io offloads run on the same pool inside ForkJoinPool.managedBlock, so a blocking call makes the
 * pool add a worker instead of starving the loops; the engine runs at most the io pool's size at
 * once, so the workers added are bounded too.
 * }</pre>
 */
public final class ForkJoinCarrier implements Carrier {
  private static final int IDLE = 0;
  private static final int SCHEDULED = 1;
  private static final int RUNNING = 2;
  private static final int RUNNING_WOKEN = 3;
  private static final int DONE = 4;
  private static final int IO_WAIT = 5; // idle with network I/O: a worker waits in the poller

  private final LoopDriver driver;
  private final SharedPool pool;
  private final int turnsPerTask;
  private final long sliceNanos;
  private final IdleSpin idleSpin;
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final java.util.concurrent.CountDownLatch released =
      new java.util.concurrent.CountDownLatch(1);
  private ScheduledFuture<?> timer; // guarded by the task's exclusivity

  ForkJoinCarrier(LoopDriver driver) {
    this.driver = driver;
    this.idleSpin = new IdleSpin(driver, false);
    LoopConfig config = driver.config();
    this.turnsPerTask = config.forkJoinTurnsPerTask();
    this.sliceNanos = TimeUnit.MICROSECONDS.toNanos(config.forkJoinSliceMicros());
    this.pool = SharedPool.acquire(config, driver);
  }

  @Override
  public void start() {
    wake();
  }

  @Override
  public void wake() {
    for (; ; ) {
      int s = state.get();
      if (s == IDLE) {
        if (state.compareAndSet(IDLE, SCHEDULED)) {
          pool.schedule(this);
          return;
        }
      } else if (s == RUNNING) {
        if (state.compareAndSet(RUNNING, RUNNING_WOKEN)) {
          return;
        }
      } else if (s == IO_WAIT) {
        if (state.compareAndSet(IO_WAIT, RUNNING_WOKEN)) {
          driver.wakeIo();
          return;
        }
      } else {
        return; // SCHEDULED, RUNNING_WOKEN or DONE: a turn will see the work
      }
    }
  }

  @Override
  public boolean awaitTermination(long nanos) throws InterruptedException {
    long deadline = LoopClock.system().nanoTime() + nanos;
    if (!released.await(nanos, TimeUnit.NANOSECONDS)) {
      return false;
    }
    return pool.awaitTermination(Math.max(0, deadline - LoopClock.system().nanoTime()));
  }

  /** Lets the pool go (once), after the loop's last turn. */
  private void finish() {
    state.set(DONE);
    cancelTimer();
    pool.release();
    released.countDown();
  }

  /** The pool's task: slices of turns, while nothing else waits for the pool. */
  private void run() {
    state.set(RUNNING);
    LoopDriver.Next next;
    try {
      do {
        next = driver.runTurns(turnsPerTask, sliceNanos);
      } while (next == LoopDriver.Next.RUN_AGAIN && !pool.othersWaiting());
    } catch (Throwable t) {
      if (driver.isTerminatedForCarrier()) { // a fatal error ended the loop: let the pool go
        finish();
      }
      throw t;
    }
    switch (next) {
      case TERMINATED -> finish();
      case HANDED_OFF -> {} // another thread runs the turns: leave the loop alone (unused here)
      case RUN_AGAIN -> {
        state.set(SCHEDULED);
        resubmit();
      }
      case AT_DEADLINE, IDLE -> {
        if (idleSpin.awaitWork()) { // cheaper than ending the task and being scheduled again
          state.set(SCHEDULED);
          resubmit();
          return;
        }
        if (driver.hasIo()) {
          awaitIo(next);
          return;
        }
        if (next == LoopDriver.Next.AT_DEADLINE && !driver.clock().isVirtual()) {
          armTimer(driver.nextDeadline() - driver.clock().nanoTime());
        }
        if (state.compareAndSet(RUNNING, IDLE)) {
          if (driver.hasPendingWork()) {
            wake(); // work that arrived before IDLE was published, without a wake-up of its own
          }
        } else {
          state.set(SCHEDULED); // woken while running
          resubmit();
        }
      }
    }
  }

  /**
   * Idle with network I/O: this worker waits in the poller (inside managedBlock, so the pool may
   * add a worker meanwhile), until I/O, a wake-up or the next deadline; then the loop runs again.
   */
  private void awaitIo(LoopDriver.Next next) {
    long wait =
        next == LoopDriver.Next.AT_DEADLINE && !driver.clock().isVirtual()
            ? Math.max(0, driver.nextDeadline() - driver.clock().nanoTime())
            : -1;
    if (wait != 0 && state.compareAndSet(RUNNING, IO_WAIT) && !driver.hasPendingWork()) {
      runManaged(() -> driver.awaitIo(wait), () -> state.get() != IO_WAIT);
    }
    state.set(SCHEDULED);
    resubmit();
  }

  /** Queues the loop's next task behind every loop already waiting for the pool. */
  private void resubmit() {
    pool.schedule(this);
  }

  private void armTimer(long delayNanos) {
    cancelTimer();
    timer = pool.timers.schedule(this::wake, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  /**
   * {@code io}: each task on the loop's pool, inside {@link ForkJoinPool#managedBlock} when
   * compensating (so a blocked task makes the pool add a worker instead of starving the loops; the
   * engine runs at most the pool's size at once, so the workers added are bounded too); {@code
   * cpu}: platform threads.
   */
  @Override
  // pool.fj::execute, not the pool itself: an ExecutorService is shut down with its offload pool
  @SuppressWarnings("UnnecessaryMethodReference")
  public Executor offloadExecutor(PoolSpec spec, LoopDriver driver) {
    if (spec.kind() == PoolSpec.Kind.CPU) {
      return OffloadExecutors.platform(spec.name(), poolBound(spec), driver);
    }
    if (!driver.config().forkJoinCompensates()) {
      return pool.fj::execute;
    }
    return task -> pool.fj.execute(() -> runManaged(task, () -> false));
  }

  /** Runs a blocking {@code task} inside managedBlock; {@code woken}: it may stop blocking. */
  private static void runManaged(Runnable task, java.util.function.BooleanSupplier woken) {
    try {
      ForkJoinPool.managedBlock(
          new ForkJoinPool.ManagedBlocker() {
            boolean done;

            @Override
            public boolean block() {
              task.run();
              done = true;
              return true;
            }

            @Override
            public boolean isReleasable() {
              return done || woken.getAsBoolean();
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // (managedBlock's own; the task cleared its interrupts)
    }
  }

  /**
   * A ForkJoinPool and its timer thread, owned by one loop ({@code own}) or shared by every loop of
   * the same parallelism ({@code shared}); shut down when its last loop terminates.
   */
  static final class SharedPool {
    private static final Map<Integer, SharedPool> SHARED = new HashMap<>(); // guarded by class

    final ForkJoinPool fj;
    final ScheduledThreadPoolExecutor timers;
    private final ConcurrentLinkedQueue<ForkJoinCarrier> ready = new ConcurrentLinkedQueue<>();
    private final Runnable runNext = this::runNext;
    private final Integer sharedKey;
    private int users; // guarded by SharedPool.class

    private SharedPool(int parallelism, LoopDriver driver, Integer sharedKey) {
      String prefix = sharedKey == null ? driver.name() + "-fj" : "loopkit-shared-fj" + parallelism;
      boolean daemon = driver.config().daemonThreads();
      AtomicInteger n = new AtomicInteger();
      this.fj =
          new ForkJoinPool(
              parallelism,
              p -> {
                ForkJoinWorkerThread t =
                    ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                t.setName(prefix + "-" + n.incrementAndGet());
                t.setDaemon(daemon);
                return t;
              },
              null,
              true);
      this.timers =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, prefix + "-timer");
                t.setDaemon(daemon);
                return t;
              });
      this.timers.setRemoveOnCancelPolicy(true);
      this.sharedKey = sharedKey;
    }

    /** Queues {@code c}'s turns behind the loops already waiting, with a task to run one. */
    void schedule(ForkJoinCarrier c) {
      ready.add(c);
      fj.execute(runNext);
    }

    /** A pool task: runs the loop that waited longest (there is one per task scheduled). */
    private void runNext() {
      ForkJoinCarrier c = ready.poll();
      if (c != null) {
        c.run();
      }
    }

    /** Whether a loop or a task waits for this pool (asked by a worker, between two slices). */
    boolean othersWaiting() {
      return !ready.isEmpty() || ForkJoinTask.getQueuedTaskCount() > 0 || fj.hasQueuedSubmissions();
    }

    static SharedPool acquire(LoopConfig config, LoopDriver driver) {
      int parallelism = config.forkJoinParallelism();
      if (!config.forkJoinSharedPool()) {
        SharedPool own = new SharedPool(parallelism, driver, null);
        own.users = 1;
        return own;
      }
      synchronized (SharedPool.class) {
        SharedPool p = SHARED.computeIfAbsent(parallelism, k -> new SharedPool(k, driver, k));
        p.users++;
        return p;
      }
    }

    /** Waits for the pool's threads to end, once its last loop released it. */
    boolean awaitTermination(long nanos) throws InterruptedException {
      boolean released;
      synchronized (SharedPool.class) {
        released = users == 0;
      }
      if (!released) {
        return true; // a shared pool still serves other loops: its threads are not this loop's
      }
      long deadline = LoopClock.system().nanoTime() + nanos;
      return fj.awaitTermination(nanos, TimeUnit.NANOSECONDS)
          && timers.awaitTermination(
              Math.max(0, deadline - LoopClock.system().nanoTime()), TimeUnit.NANOSECONDS);
    }

    void release() {
      boolean last;
      synchronized (SharedPool.class) {
        last = --users == 0;
        if (last && sharedKey != null) {
          SHARED.remove(sharedKey);
        }
      }
      if (last) {
        timers.shutdownNow();
        fj.shutdown();
      }
    }
  }

  /** Finds {@code fork-join}. */
  public static final class Provider implements CarrierProvider {
    @Override
    public String name() {
      return "fork-join";
    }

    @Override
    public Carrier create(LoopDriver driver) {
      return new ForkJoinCarrier(driver);
    }

    /** The shared pool, and a pool of one worker (every loop and offload on one thread). */
    @Override
    public List<TestSetup> testSetups() {
      Set<String> can = Set.of(TestSetup.OWN_THREADS, TestSetup.REAL_SOCKETS);
      return List.of(
          new TestSetup(name(), Map.of(), can),
          new TestSetup(name() + "-1", Map.of("loopkit.forkjoin.parallelism", "1"), can));
    }
  }
}
