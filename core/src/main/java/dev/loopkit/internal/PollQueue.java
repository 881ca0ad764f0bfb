package dev.loopkit.internal;

import dev.loopkit.spi.LoopClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The poll queue: what other threads hand to the loop, in arrival order — the tasks of {@code
 * execute} and {@code submit}, the timers and immediates made off the loop, the loop's own hand-ins
 * (an offload's completion, a promise settled elsewhere, a cancel's clean-up) — and the ledger that
 * decides, for each task, whether it runs, is returned by {@code shutdownNow}, or is refused. The
 * poll phase ({@link PollPhase}) takes its items.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Any thread. Only final fields and the TaskQueue: the loop writes nothing here per item, so the
 * producers' reads share no cache line with the loop's writes (the poll phase's place is in
 * PollPhase).
 *
 * The ledger. A producer checks the state, enqueues, then checks again; if the loop is no longer
 * RUNNING it tries to take its item back (TaskQueue.reclaim). The loop and the STOP winner's sweep
 * take items through one claim counter, and a producer taking its item back settles with them on
 * the item's slot, so exactly one of them owns it: it runs, is returned by shutdownNow, or its
 * submit throws. After SHUTDOWN the loop keeps
 * draining; it terminates only when, after SHUTDOWN was published, it finds no queued slot: a
 * producer that enqueued before seeing SHUTDOWN is then either seen by the loop or takes its item
 * back. The loop's own hand-ins are accepted until TERMINATED, and those still queued then run as
 * the loop terminates (Termination.settleWhatWasOwed); one handed in later is taken back by its
 * producer, who is told so (handIn answers false).
 *
 * A bounded queue (loopkit.queue.capacity) counts user items in queued: reserved before the
 * offer, released when the loop or the sweep takes the item. Hand-ins are never counted.
 * }</pre>
 */
final class PollQueue {
  /**
   * A loop-side action handed in from another thread: not a user task, not in the ledger. {@code
   * inBatch}: whether it takes a place in the poll phase's batch (a completion or a settlement
   * does; bookkeeping such as a cancel's clean-up does not).
   */
  record HandIn(Runnable action, boolean inBatch) implements QueueItem {}

  private final EventLoop loop;
  final TaskQueue queue = new TaskQueue();
  private final int capacity;
  private final AtomicInteger queued; // user items queued; only when the queue is bounded
  private final long sampleMask; // sampleEvery - 1
  private final LoopStats stats;

  PollQueue(EventLoop loop, LoopStats stats) {
    this.loop = loop;
    this.stats = stats;
    this.capacity = loop.config().queueCapacity();
    this.queued = capacity == Integer.MAX_VALUE ? null : new AtomicInteger();
    this.sampleMask = loop.config().metricsSampleEvery() - 1L;
  }

  /** A user item left the queue (the loop took it, or the sweep). */
  void release() {
    if (queued != null) {
      queued.decrementAndGet();
    }
  }

  /** Leaves a stamp for an item whose wait is sampled (see LoopStats's notes). */
  private void stampIfSampled(long ticket) {
    if ((ticket & sampleMask) == 0 && stats.instruments() != null) {
      stats.stamp(ticket, loop.clock().nanoTime());
    }
  }

  // ---- handing work in (any thread) ----

  /**
   * Enqueues a user item ({@code execute}, a timer or an immediate made off the loop, a scheduled
   * task); refused with RejectedExecutionException once the loop is shutting down (the ledger).
   */
  void submit(Object item, String call) {
    if (!loop.accepting()) {
      if (withdraw(item)) {
        throw loop.rejected(call); // a scheduled task leaves the registry, or shutdownNow has it
      }
      return; // shutdownNow took it from the registry first: it is in shutdownNow's list
    }
    boolean onLoop = loop.inEventLoop();
    if (queued != null) {
      try {
        reserveCapacity(onLoop, call);
      } catch (RejectedExecutionException e) {
        if (withdraw(item)) {
          throw e;
        }
        return;
      }
    }
    long ticket = queue.offer(item);
    if (!loop.accepting() && queue.reclaim(ticket)) {
      release();
      if (withdraw(item)) {
        throw loop.rejected(call);
      }
      return; // shutdownNow took it first: it is in shutdownNow's list
    }
    stampIfSampled(ticket); // before the wake-up: the loop may take it at once
    if (!onLoop) {
      loop.carrier.wake();
    }
  }

  /**
   * Something that held the loop open was dropped from another thread (an offload refused, a
   * keep-alive closed): makes the loop look again whether anything still does (any thread; nothing
   * once it has terminated). A bookkeeping hand-in, not a bare wake-up: the loop may be between
   * that look and parking (its idle spell), where a wake-up is lost, while its carrier's last check
   * before parking does see the queue.
   */
  void recheckLiveness() {
    if (!loop.inEventLoop()) {
      handIn(() -> {}, false);
    }
  }

  /**
   * Hands a loop-side action in from any thread, past shutdown, stop and capacity; {@code inBatch}
   * false for bookkeeping that runs no user code (it takes no place in the batch). False if the
   * loop has terminated: the action will not run, and the caller settles what it owed.
   */
  boolean handIn(Runnable action, boolean inBatch) {
    if (loop.state() == Lifecycle.TERMINATED) {
      return false;
    }
    long ticket = queue.offer(new HandIn(action, inBatch));
    if (loop.state() == Lifecycle.TERMINATED && queue.reclaim(ticket)) {
      return false; // else the loop took it, after TERMINATED too (settleWhatWasOwed)
    }
    stampIfSampled(ticket);
    if (!loop.inEventLoop()) {
      loop.carrier.wake();
    }
    return true;
  }

  /**
   * After taking back a refused item: whether this caller owns its outcome (true), or shutdownNow
   * already returned it (a scheduled task it found in the registry).
   */
  private boolean withdraw(Object item) {
    return !(item instanceof ScheduledTask<?> t) || loop.timers.withdraw(t);
  }

  private void reserveCapacity(boolean onLoop, String call) {
    if (queued.incrementAndGet() <= capacity) {
      return;
    }
    boolean blocks = loop.config().queueBlocks();
    long waitMillis = loop.config().queueBlockTimeoutMillis();
    if (blocks && !onLoop) {
      // real time, whatever the loop's clock: a producer's own thread waits here
      long deadline = LoopClock.system().nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
      long pause = 1_000;
      while (queued.get() > capacity
          && loop.accepting()
          && LoopClock.system().nanoTime() - deadline < 0) {
        LockSupport.parkNanos(this, pause);
        pause = Math.min(pause * 2, 1_000_000);
      }
      if (queued.get() <= capacity && loop.accepting()) {
        return;
      }
    }
    queued.decrementAndGet();
    throw new RejectedExecutionException(
        call
            + ": the loop "
            + loop.name()
            + "'s task queue is full (loopkit.queue.capacity="
            + capacity
            + ", fullPolicy="
            + (!blocks
                ? "reject"
                : onLoop
                    ? "block, but the loop's own thread never blocks: refused at once"
                    : "block: waited " + waitMillis + " ms")
            + ")");
  }

  // ---- what the carrier and the turn driver ask (any thread unless said) ----

  /** Whether an item is written at the head: work for a turn now (loop). */
  boolean hasReady() {
    return queue.nextWritten();
  }

  /** Whether any slot is reserved past the head, written or not (a hand-in in flight too). */
  boolean hasItems() {
    return queue.hasNodes();
  }

  /** Items waiting (a moment's figure). */
  long depth() {
    return queue.depth();
  }

  // ---- the lifecycle ----

  /**
   * The STOP winner's sweep: takes every queued item. User tasks go to {@code never} with their
   * futures cancelled; timers and immediates handed in are cancelled; scheduled tasks are left to
   * the registry's sweep; the loop's own hand-ins are returned, to run as the loop terminates.
   */
  List<HandIn> sweep(List<Runnable> never) {
    List<HandIn> handIns = new ArrayList<>();
    for (Object item : queue.sweep()) {
      if (!(item instanceof HandIn)) {
        release();
      }
      switch (item) {
        case HandIn h -> handIns.add(h);
        case ScheduledTask<?> t -> {} // returned from the registry's sweep
        case LoopTimer t -> {
          if (t.casState(LoopTimer.SCHEDULED, LoopTimer.CANCELLED)) {
            t.cancelledByLoop();
          }
        }
        case ImmediateTask im -> im.cancel();
        default -> {
          Object task = LoopContext.unwrap(item); // what the caller scheduled
          if (task instanceof Future<?> f) {
            f.cancel(false);
          }
          never.add((Runnable) task);
        }
      }
    }
    return handIns;
  }

  /** After TERMINATED (loop): takes the hand-ins still queued; user tasks stay for producers. */
  List<HandIn> takeHandIns() {
    List<HandIn> out = new ArrayList<>();
    for (Object item : queue.takeWhere(HandIn.class::isInstance)) {
      out.add((HandIn) item);
    }
    return out;
  }
}
