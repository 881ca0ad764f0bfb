package dev.loopkit.spi;

import dev.loopkit.LoopConfig;
import java.util.concurrent.ThreadFactory;

/**
 * The engine as a carrier sees it: one call runs turns; the answer says when to run again.
 *
 * <p>Only one thread may be inside {@link #runTurns} at a time; the carrier guarantees it, and a
 * happens-before edge between two calls from different threads (a queue hand-off, an atomic state).
 * The other methods may be called from any thread.
 */
public interface LoopDriver {

  /** When the loop next needs to run. */
  enum Next {
    /** Now: immediates, ready tasks or close callbacks are waiting. */
    RUN_AGAIN,
    /** At {@link #nextDeadline()}, unless woken before. */
    AT_DEADLINE,
    /** Not until {@link Carrier#wake()}. */
    IDLE,
    /** Never: the loop has terminated; the carrier lets its threads go. */
    TERMINATED,
    /**
     * Not on this thread: another thread, from {@link Carrier#newTurnThread()}, runs the turns now
     * (a callback was suspended); this one must return without touching the loop.
     */
    HANDED_OFF
  }

  /**
   * Runs at most {@code maxTurns} turns, stopping early when there is nothing to run now. Never
   * blocks (except inside user callbacks).
   */
  default Next runTurns(int maxTurns) {
    return runTurns(maxTurns, Long.MAX_VALUE);
  }

  /**
   * Runs turns as {@link #runTurns(int)} does, and also stops once {@code sliceNanos} of real time
   * (whatever the loop's clock) have passed since the call, checked between batches of at most 64
   * turns: a carrier that shares its threads gives one back after about that long, whether the
   * turns are short or long. {@link Long#MAX_VALUE}: no limit.
   *
   * @throws IllegalArgumentException if {@code sliceNanos} is not positive
   */
  Next runTurns(int maxTurns, long sliceNanos);

  /** The deadline, in {@link #clock()} time, that {@link Next#AT_DEADLINE} referred to. */
  long nextDeadline();

  /** Whether work is waiting that the last answer did not account for (checked before parking). */
  boolean hasPendingWork();

  /**
   * A cheaper {@link #hasPendingWork()} for polling while idle: may miss work for a moment (a task
   * being handed in), never reports work that is not there. Check {@link #hasPendingWork()} before
   * parking.
   */
  default boolean hasReadyWork() {
    return hasPendingWork();
  }

  /**
   * Whether a thread that ran out of work may poll for more before it parks (the loop's idle spell,
   * an offload worker's) when {@code othersBusy} more threads of the loop are busy: only while the
   * threads the loop's offloads keep busy (running, or waiting for a worker) and those leave a core
   * free. A poll on a core that offloads need slows them by the CPU it takes (any thread; a
   * moment's figure).
   */
  default boolean mayPollWhileIdle(int othersBusy) {
    return true;
  }

  /**
   * Whether an {@link IoPoller} is attached: an idle carrier with a thread of its own then waits in
   * {@link #awaitIo} instead of parking, and its {@link Carrier#wake()} calls {@link #wakeIo()}.
   */
  default boolean hasIo() {
    return false;
  }

  /**
   * An idle carrier's wait when {@link #hasIo()}: waits for I/O, a {@link #wakeIo()} or {@code
   * timeoutNanos} (negative: no limit), on the thread that runs the turns, between two calls of
   * {@link #runTurns}. Like parking, it may return early; check what to do next by running turns.
   */
  default void awaitIo(long timeoutNanos) {}

  /** Makes a waiting {@link #awaitIo} return (any thread; cheap when none waits). */
  default void wakeIo() {}

  /** The loop's clock. */
  LoopClock clock();

  /** The loop's configuration. */
  LoopConfig config();

  /** The loop's name. */
  String name();

  /** A factory for threads of the given role ({@code loop}, a pool name), named after the loop. */
  ThreadFactory threadFactory(String role);

  /** Whether the loop has run its last turn (its threads may still be finishing). */
  boolean isTerminatedForCarrier();

  /** Waits until the loop has terminated, ignoring interrupts (restoring the flag after). */
  void awaitTerminationUninterruptibly();
}
