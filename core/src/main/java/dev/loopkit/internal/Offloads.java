package dev.loopkit.internal;

import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.PoolSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Offload routing: the loop's named pools, and the offloads in flight, from {@code offload} until
 * their completion has run on the loop as a poll-phase callback.
 *
 * <pre>{@code
 * Implementation notes
 *
 * An offload counts as pending (pending, any thread) from before its state check until its
 * completion has run on the loop, so a loop never terminates under an accepted offload (except by
 * STOP, which rejects it: sweep, abandonAll). A completion is a hand-in; if the loop has
 * terminated meanwhile, the worker abandons the offload itself (its promise is rejected).
 *
 * Idle polling (mayPollWhileIdle): a thread about to poll for work counts the threads the pools keep
 * busy (their accepted tasks not yet ended, up to each bound) and the busy threads it names against
 * the cores: with more offloads in flight than cores, workers stay busy and a poll takes their
 * CPU. Two volatile reads per pool, on the idle path only.
 * }</pre>
 */
final class Offloads {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  private final EventLoop loop;
  private final Map<String, OffloadPool> pools = new LinkedHashMap<>();
  private final OffloadPool defaultPool;
  private final OffloadPool[] all;
  private final Set<OffloadPool.Task<?>> pending = ConcurrentHashMap.newKeySet();

  Offloads(EventLoop loop, Carrier carrier) {
    this.loop = loop;
    for (PoolSpec spec : loop.config().pools()) {
      pools.put(
          spec.name(),
          new OffloadPool(spec, carrier.offloadExecutor(spec, loop), carrier.poolBound(spec)));
    }
    this.defaultPool = pools.get(loop.config().defaultPool());
    this.all = pools.values().toArray(new OffloadPool[0]);
  }

  /** {@link dev.loopkit.spi.LoopDriver#mayPollWhileIdle}: a core left free (any thread). */
  boolean mayPollWhileIdle(int othersBusy) {
    int busy = othersBusy;
    for (OffloadPool p : all) {
      busy += p.busy();
    }
    return busy < CORES;
  }

  /** The pool named {@code name}, or the default pool if null. */
  OffloadPool pool(String name) {
    if (name == null) {
      return defaultPool;
    }
    OffloadPool p = pools.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "pool: no offload pool named '"
              + name
              + "'; configured pools: "
              + String.join(", ", pools.keySet()));
    }
    return p;
  }

  /** Runs {@code callable} on {@code pool}; its outcome settles the promise on the loop. */
  <T> Promise<T> offload(OffloadPool pool, Callable<T> callable) {
    Promise.Resolvers<T> r = Promise.withResolvers(loop);
    OffloadPool.Task<T> task =
        new OffloadPool.Task<>(loop, pool, loop.ids.getAndIncrement(), callable, r);
    r.onCancel(mayInterrupt -> cancelled(task, mayInterrupt));
    pending.add(task); // pending before the state check: see the notes
    if (!loop.accepting()) {
      task.cancel(false); // (its pool counted it as queued)
      withdraw(task);
      throw loop.rejected("offload");
    }
    try {
      pool.execute(task);
    } catch (RuntimeException e) {
      withdraw(task);
      throw e;
    }
    return r.promise();
  }

  /**
   * Takes back a refused offload. The loop may have seen it pending and gone idle on that: a
   * shut-down loop looks again whether it may terminate.
   */
  private void withdraw(OffloadPool.Task<?> task) {
    if (pending.remove(task)) {
      loop.pollQueue.recheckLiveness();
    }
  }

  /** A worker finished {@code task}: hand its outcome to the loop (past any queue capacity). */
  <T> void completed(OffloadPool.Task<T> task, T value, Throwable failure) {
    Runnable deliver =
        () -> {
          if (pending.remove(task)) {
            if (failure == null) {
              task.resolvers.resolve(value);
            } else {
              task.resolvers.reject(failure);
            }
          }
        };
    if (!loop.pollQueue.handIn(deliver, true)) {
      abandon(task); // the loop stopped: the promise was or is now rejected
    }
  }

  /** The offload's promise was cancelled: it no longer holds the loop open. */
  private void cancelled(OffloadPool.Task<?> task, boolean mayInterrupt) {
    task.cancel(mayInterrupt);
    withdraw(task);
  }

  private void abandon(OffloadPool.Task<?> task) {
    if (pending.remove(task)) {
      task.cancel(true);
      Throwable failure = loop.termination.failure();
      task.resolvers.reject(
          failure != null
              ? new LoopTerminatedException(
                  "the loop " + loop.name() + " stopped on an error", failure)
              : new LoopTerminatedException(
                  "the loop "
                      + loop.name()
                      + " was stopped before the offload's result came back"));
    }
  }

  /** Whether an offload in flight holds the loop open. */
  boolean holdsLoop() {
    return !pending.isEmpty();
  }

  /** The stop's sweep: no offload that has not started may start; the others are interrupted. */
  void sweep() {
    for (OffloadPool.Task<?> task : pending) {
      task.cancel(false); // first: no offload that has not started may start once a worker is free
    }
    abandonAll();
  }

  /** Every offload still pending is cancelled, interrupted if running, and its promise rejected. */
  void abandonAll() {
    for (OffloadPool.Task<?> task : pending) {
      abandon(task);
    }
  }

  void shutdownPools() {
    for (OffloadPool pool : pools.values()) {
      pool.shutdown();
    }
  }

  /** Waits for every pool's workers to finish, until {@code deadline} (system clock). */
  boolean awaitPools(long deadline) throws InterruptedException {
    for (OffloadPool pool : pools.values()) {
      long left = Math.max(0, deadline - dev.loopkit.spi.LoopClock.system().nanoTime());
      if (!pool.awaitTermination(left)) {
        return false;
      }
    }
    return true;
  }

  List<String> names() {
    return List.copyOf(pools.keySet());
  }

  Map<String, OffloadPool> pools() {
    return Collections.unmodifiableMap(pools);
  }

  void forEachPending(Consumer<OffloadPool.Task<?>> action) {
    pending.forEach(action);
  }
}
