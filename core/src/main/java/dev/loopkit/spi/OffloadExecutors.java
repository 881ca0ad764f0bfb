package dev.loopkit.spi;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** Executors that carriers commonly put behind offload pools. */
public final class OffloadExecutors {
  private OffloadExecutors() {}

  /**
   * Up to {@code threads} platform threads named after the loop and the pool, daemon as the loop's
   * configuration says; idle ones exit after 10 s and are made again when needed. The engine hands
   * it at most {@code threads} tasks at once, so a task never waits here for long.
   *
   * <p>A worker that finished a task polls for the next one for {@code loopkit.idle.spinMicros}
   * before it parks (one worker of the pool at a time; the others park at once), and the next task
   * goes to it: the next offload of a busy loop finds a worker awake and costs no unpark. With one
   * offload in flight, a parked worker costs each offload a wake-up (a system call, and tens of
   * microseconds until the worker runs). A worker polls only while the loop's other running
   * offloads and the loop leave a core free ({@link LoopDriver#mayPollWhileIdle}): when they use
   * every core, polling would take CPU from them.
   */
  public static ExecutorService platform(String pool, int threads, LoopDriver driver) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            10,
            TimeUnit.SECONDS,
            new SpinThenPark(
                TimeUnit.MICROSECONDS.toNanos(driver.config().idleSpinMicros()), driver),
            driver.threadFactory(pool));
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  /**
   * The workers' queue. A worker asking for its next task, finding none, polls for a spell first if
   * no other worker of the pool is polling (the spinner), and then waits as a {@link
   * LinkedTransferQueue} waits. A task offered while a worker spins goes to that worker through a
   * slot of its own, ahead of the parked workers (a LinkedTransferQueue hands an offered task to
   * its longest waiting consumer, which is parked, and leaves the spinner spinning).
   *
   * <p>The slot holds null (no spinner), SPINNING, or the task handed to the spinner: a producer
   * swaps SPINNING for its task; the spinner ends its spell by swapping SPINNING back for null, and
   * a failed swap means a task arrived, which it takes. Each side's one CAS decides.
   */
  private static final class SpinThenPark extends LinkedTransferQueue<Runnable> {
    private static final long serialVersionUID = 1L;
    private static final Object SPINNING = new Object();
    private final long spinNanos;
    private final transient LoopDriver driver;
    private final transient AtomicReference<@Nullable Object> slot = new AtomicReference<>();

    SpinThenPark(long spinNanos, LoopDriver driver) {
      this.spinNanos = spinNanos;
      this.driver = driver;
    }

    @Override
    public boolean offer(Runnable task) {
      if (slot.get() == SPINNING && slot.compareAndSet(SPINNING, task)) {
        return true;
      }
      return super.offer(task);
    }

    @Override
    public @Nullable Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
      Runnable task = spin();
      return task != null ? task : super.poll(timeout, unit);
    }

    @Override
    public Runnable take() throws InterruptedException {
      Runnable task = spin();
      return task != null ? task : super.take();
    }

    @Override
    public boolean isEmpty() {
      return !(slot.get() instanceof Runnable) && super.isEmpty();
    }

    /** The next task if one is queued, else polls for up to the spell as the spinner; or null. */
    private @Nullable Runnable spin() {
      Runnable task = super.poll();
      if (task != null
          || spinNanos == 0
          || !driver.mayPollWhileIdle(1) // the loop, busy with this worker's completion
          || !slot.compareAndSet(null, SPINNING)) {
        return task;
      }
      long end = LoopClock.system().nanoTime() + spinNanos;
      for (int i = 1; ; i++) {
        Object s = slot.get();
        if (s != SPINNING) {
          slot.set(null);
          return (Runnable) s; // handed over
        }
        if ((i & 31) == 0
            && (super.peek() != null // queued before this worker became the spinner
                || LoopClock.system().nanoTime() - end >= 0
                || Thread.currentThread().isInterrupted())) {
          if (slot.compareAndSet(SPINNING, null)) {
            return super.poll();
          }
          // a task was handed over meanwhile: taken at the top
        } else {
          Thread.onSpinWait();
        }
      }
    }
  }
}
