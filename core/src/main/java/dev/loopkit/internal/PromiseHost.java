package dev.loopkit.internal;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Promise} needs of the loop that owns it: the microtask queue its reactions run on,
 * the hand-in of a settlement made on another thread, rejection tracking and {@code await} (the
 * host hooks of JavaScript's promise jobs, in ECMAScript's words). The seam between promises and
 * the engine: nothing else of the engine is public for them.
 */
public interface PromiseHost {

  /** The host of {@code loop}'s promises. */
  static PromiseHost of(Loop loop) {
    return EventLoop.of(loop).microtasks;
  }

  /** The host of the loop whose turns this thread last entered, or null. */
  static @Nullable PromiseHost currentOrNull() {
    EventLoop loop = EventLoop.currentOrNull();
    return loop == null ? null : loop.microtasks;
  }

  /**
   * Whether a reaction should ask {@link #capture}: false until a {@code LoopLocal} value is set or
   * a loop with a task decorator is made (a constant to compiled code until then).
   */
  static boolean capturing() {
    return LoopContext.capturing();
  }

  /**
   * {@code reaction} as it will run: decorated, with the context of the thread adding it; {@code
   * reaction} itself if there is nothing to carry.
   */
  Runnable capture(Runnable reaction);

  /** The loop. */
  Loop loop();

  /** Whether the caller runs on the loop now. */
  boolean inEventLoop();

  /** Queues a reaction at the end of the microtask queue (loop only). */
  void queueReaction(Runnable reaction);

  /**
   * Hands {@code action} to the loop from another thread, past shutdown and stop; false if the loop
   * has terminated (it will not run: the caller settles what it owed itself).
   */
  boolean handIn(Runnable action);

  /** On the loop's thread: whether the loop is past TERMINATED, settling what it owed. */
  boolean terminatedHere();

  /** The exception for work that can no longer run on this loop. */
  LoopTerminatedException terminatedException();

  /** Records a rejection with no handler yet; checked at the end of the checkpoint (loop only). */
  void trackRejection(Rejection rejection);

  /** A promise rejected with no handler when it settled. */
  interface Rejection {
    /** Whether it still has none. */
    boolean unhandled();

    /** Why it was rejected. */
    Throwable reason();
  }

  /** A promise of this loop resolved no sooner than {@code delay} from now. */
  Promise<Void> delay(Duration delay);

  /**
   * Starts suspending the running callback ({@code await} on the loop's thread).
   *
   * @throws IllegalStateException if the carrier cannot suspend callbacks
   */
  Suspensions.Suspension beginSuspension(String call);

  /** Suspends the calling callback until {@link #resume} gives it the loop back. */
  void suspend(Suspensions.Suspension s);

  /** On the loop (a reaction): hands the loop to the suspended callback until it returns. */
  void resume(Suspensions.Suspension s);
}
