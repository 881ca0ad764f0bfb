package dev.loopkit;

import static java.util.Objects.requireNonNull;

import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N server-mode loops of one carrier, to spread work over cores (Netty's event loop group).
 *
 * <p>{@link #next()} hands out the loops round-robin; as a {@link ScheduledExecutorService} the
 * group gives each task to the next loop. Shutting the group down shuts every loop down; it has
 * terminated when every loop has. A task runs on one loop; two tasks may run at once on two loops.
 */
public final class LoopGroup extends AbstractExecutorService
    implements ScheduledExecutorService, AutoCloseable, Iterable<Loop> {

  private final List<Loop> loops;
  private final AtomicInteger next = new AtomicInteger();

  private LoopGroup(List<Loop> loops) {
    this.loops = List.copyOf(loops);
  }

  /** A group of one loop per available processor, configured as {@link LoopConfig#load()}. */
  public static LoopGroup create() {
    return create(LoopConfig.load(), Runtime.getRuntime().availableProcessors());
  }

  /**
   * A group of {@code size} loops made with {@code config}.
   *
   * @throws IllegalArgumentException if {@code size} is not positive
   */
  public static LoopGroup create(LoopConfig config, int size) {
    requireNonNull(config, "config");
    if (size <= 0) {
      throw new IllegalArgumentException("size: " + size + " is not positive; allowed: 1 or more");
    }
    List<Loop> loops = new ArrayList<>(size);
    try {
      for (int i = 0; i < size; i++) {
        loops.add(Loop.create(config));
      }
    } catch (RuntimeException e) {
      loops.forEach(Loop::shutdownNow);
      throw e;
    }
    return new LoopGroup(loops);
  }

  /** The next loop, round-robin. */
  public Loop next() {
    return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
  }

  /** The group's loops, in order. */
  public List<Loop> loops() {
    return loops;
  }

  @Override
  public Iterator<Loop> iterator() {
    return loops.iterator();
  }

  @Override
  public void execute(Runnable task) {
    requireNonNull(task, "task");
    next().execute(task);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return next().schedule(command, delay, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return next().schedule(callable, delay, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return next().scheduleAtFixedRate(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return next().scheduleWithFixedDelay(command, initialDelay, delay, unit);
  }

  @Override
  public void shutdown() {
    loops.forEach(Loop::shutdown);
  }

  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> never = new ArrayList<>();
    for (Loop loop : loops) {
      never.addAll(loop.shutdownNow());
    }
    return never;
  }

  /** {@link Loop#shutdownGracefully} on every loop; completes when all have terminated. */
  public CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout) {
    return CompletableFuture.allOf(
        loops.stream()
            .map(l -> l.shutdownGracefully(quietPeriod, timeout))
            .toArray(CompletableFuture[]::new));
  }

  @Override
  public boolean isShutdown() {
    return loops.stream().allMatch(Loop::isShutdown);
  }

  @Override
  public boolean isTerminated() {
    return loops.stream().allMatch(Loop::isTerminated);
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = LoopClock.system().nanoTime() + unit.toNanos(timeout);
    for (Loop loop : loops) {
      if (!loop.awaitTermination(
          Math.max(0, deadline - LoopClock.system().nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Shuts every loop down and waits until all have terminated.
   *
   * @throws IllegalStateException if called on the thread of one of the group's loops
   */
  @Override
  public void close() {
    for (Loop loop : loops) {
      if (loop.inEventLoop()) {
        throw new IllegalStateException(
            "close would make the loop " + loop.name() + "'s own thread wait for the loop");
      }
    }
    shutdown();
    loops.forEach(Loop::close);
  }

  @Override
  public String toString() {
    return "LoopGroup" + loops;
  }
}
