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
 *
 * <p>An abstract class, not an interface: its one subclass (the loop's microtask queue) is then
 * called directly by compiled code, where an interface call costs each promise step a type check.
 */
public abstract class PromiseHost {

  PromiseHost() {} // only the engine's microtask queue

  /** The host of {@code loop}'s promises. */
  public static PromiseHost of(Loop loop) {
    return EventLoop.of(loop).microtasks;
  }

  /** The host of the loop whose turns this thread last entered, or null. */
  public static @Nullable PromiseHost currentOrNull() {
    EventLoop loop = EventLoop.currentOrNull();
    return loop == null ? null : loop.microtasks;
  }

  /**
   * Whether a reaction should ask {@link #capture}: false until a {@code LoopLocal} value is set or
   * a loop with a task decorator is made (a constant to compiled code until then).
   */
  public static boolean capturing() {
    return LoopContext.capturing();
  }

  /**
   * {@code reaction} as it will run: decorated, with the context of the thread adding it; {@code
   * reaction} itself if there is nothing to carry.
   */
  public abstract Runnable capture(Runnable reaction);

  /** The loop. */
  public abstract Loop loop();

  /** Whether the caller runs on the loop now. */
  public abstract boolean inEventLoop();

  /** Queues a reaction at the end of the microtask queue (loop only). */
  public abstract void queueReaction(Runnable reaction);

  /**
   * Hands {@code action} to the loop from another thread, past shutdown and stop; false if the loop
   * has terminated (it will not run: the caller settles what it owed itself).
   */
  public abstract boolean handIn(Runnable action);

  /** On the loop's thread: whether the loop is past TERMINATED, settling what it owed. */
  public abstract boolean terminatedHere();

  /** The exception for work that can no longer run on this loop. */
  public abstract LoopTerminatedException terminatedException();

  /** Records a rejection with no handler yet; checked at the end of the checkpoint (loop only). */
  public abstract void trackRejection(Rejection rejection);

  /** A promise rejected with no handler when it settled. */
  public interface Rejection {
    /** Whether it still has none. */
    boolean unhandled();

    /** Why it was rejected. */
    Throwable reason();
  }

  /** A promise of this loop resolved no sooner than {@code delay} from now. */
  public abstract Promise<Void> delay(Duration delay);

  /**
   * Starts suspending the running callback ({@code await} on the loop's thread).
   *
   * @throws IllegalStateException if the carrier cannot suspend callbacks
   */
  public abstract Suspensions.Suspension beginSuspension(String call);

  /** Suspends the calling callback until {@link #resume} gives it the loop back. */
  public abstract void suspend(Suspensions.Suspension s);

  /** On the loop (a reaction): hands the loop to the suspended callback until it returns. */
  public abstract void resume(Suspensions.Suspension s);
}
