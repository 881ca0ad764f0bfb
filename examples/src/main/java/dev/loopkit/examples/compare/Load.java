package dev.loopkit.examples.compare;

import dev.loopkit.DelayMonitor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The load a cell puts on its model: a closed loop of chains ({@link #closed}), or an open loop of
 * arrivals at a fixed rate ({@link #open}).
 */
interface Load extends AutoCloseable {
  DelayMonitor loopDelay();

  /** As {@link Model.Run#client()}. */
  Thread client();

  /** Arrivals dropped (open loop: the cap of requests in flight was reached) since the reset. */
  long dropped();

  void resetDropped();

  @Override
  void close();

  /** The closed loop: {@code concurrency} chains, each issuing a request when its last ends. */
  static Load closed(
      Model model, Workload workload, Services services, Cell.Point point, Model.Sink sink) {
    Model.Run run = model.start(workload, services, point.concurrency(), sink);
    return new Load() {
      @Override
      public DelayMonitor loopDelay() {
        return run.loopDelay();
      }

      @Override
      public Thread client() {
        return run.client();
      }

      @Override
      public long dropped() {
        return 0;
      }

      @Override
      public void resetDropped() {}

      @Override
      public void close() {
        run.close();
      }
    };
  }

  /** The open loop of {@code point}: see {@link Arrivals}. */
  static Load open(
      Model model, Workload workload, Services services, Cell.Point point, Model.Sink sink) {
    return Arrivals.start(model, workload, services, point, sink);
  }

  /**
   * The open loop: requests offered at {@code rate} per second on a fixed schedule, whatever the
   * model answers, each request's latency counted from its intended start (so a model that falls
   * behind is charged for the wait: no coordinated omission). An arrival that finds {@code
   * concurrency} requests in flight is dropped and counted. One platform thread keeps the schedule;
   * when it wakes late it issues the requests it owes at once, with their intended times.
   */
  final class Arrivals implements Load {
    private final Cell.Point point;
    private final Model.Sink sink;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;
    private Model.Open open;

    private Arrivals(Cell.Point point, Model.Sink sink) {
      this.point = point;
      this.sink = sink;
      this.thread = Thread.ofPlatform().daemon().name("compare-arrivals").unstarted(this::offer);
    }

    static Arrivals start(
        Model model, Workload workload, Services services, Cell.Point point, Model.Sink sink) {
      Arrivals a = new Arrivals(point, sink);
      a.open = model.open(workload, services, a::completed);
      a.thread.start();
      return a;
    }

    private void completed(long intendedAt, Throwable failure) {
      sink.completed(intendedAt, failure);
      inFlight.decrementAndGet();
    }

    private void offer() {
      double period = 1e9 / point.rate();
      long start = System.nanoTime();
      for (long i = 0; !stopping; i++) {
        long at = start + (long) (i * period);
        for (long wait = at - System.nanoTime(); wait > 0 && !stopping; ) {
          LockSupport.parkNanos(wait);
          wait = at - System.nanoTime();
        }
        if (inFlight.get() >= point.concurrency()) {
          dropped.incrementAndGet();
          continue;
        }
        inFlight.incrementAndGet();
        open.submit(at);
      }
    }

    @Override
    public DelayMonitor loopDelay() {
      return open.loopDelay();
    }

    @Override
    public Thread client() {
      return open.client();
    }

    @Override
    public long dropped() {
      return dropped.get();
    }

    @Override
    public void resetDropped() {
      dropped.set(0);
    }

    @Override
    public void close() {
      stopping = true;
      LockSupport.unpark(thread); // at a low rate it may be waiting for the next arrival
      try {
        thread.join(Model.DRAIN_TIMEOUT.toMillis());
        long deadline = System.nanoTime() + Model.DRAIN_TIMEOUT.toNanos();
        while (inFlight.get() > 0) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                inFlight.get()
                    + " requests still in flight "
                    + Model.DRAIN_TIMEOUT.toSeconds()
                    + " s after the window");
          }
          Thread.sleep(1);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the requests in flight", e);
      } finally {
        open.close();
      }
    }
  }
}
