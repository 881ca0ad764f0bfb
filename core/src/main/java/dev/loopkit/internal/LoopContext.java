package dev.loopkit.internal;

import dev.loopkit.TaskDecorator;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.SwitchPoint;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A context: an immutable snapshot of the {@link dev.loopkit.LoopLocal} values set, captured when
 * work is scheduled and put back around that work when it runs.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The current context is per thread (CURRENT): the loop's thread while a callback runs, an offload
 * worker while an offload runs, any other thread inside LoopLocal.run. Per thread rather than per
 * loop so that a callback suspended in await (virtual carrier) keeps its context while parked, and
 * the thread that takes the loop over starts from none.
 *
 * Capture happens at the API's entry points (nextTick, queueMicrotask, setImmediate, setTimeout,
 * setInterval, execute and so submit, schedule*, offload, a promise's then and its kin), on the
 * scheduling thread: capturing() is asked first, so that until a LoopLocal value is set or a loop
 * with a task decorator is made, scheduling costs nothing more — no allocation, no ThreadLocal
 * lookup, not even a read: the answer is a SwitchPoint, which compiled code folds to a constant
 * and which is invalidated (once: compiled code that folded it is recompiled) when either first
 * happens. Invalidation reaches every thread before it returns, so a thread that has something to
 * capture (it set a LoopLocal itself, or received its work or loop after the decorator's loop was
 * made) sees true.
 *
 * Then a callback with nothing to carry (no context on this thread, no decorator) is left as it
 * is; otherwise it is wrapped (ContextTask, ContextCallable): the wrapper runs the decorated
 * callback with the captured context current, and puts back the thread's previous one after it,
 * thrown or not. Between callbacks a loop's thread has no context, since every wrapper restores.
 * shutdownNow() returns what the caller scheduled: the sweep unwraps a ContextTask.
 * }</pre>
 */
public final class LoopContext {
  private static final ThreadLocal<LoopContext> CURRENT = new ThreadLocal<>();
  private static final AtomicInteger SLOTS = new AtomicInteger();
  private static final Object UNSET = new Object();

  /**
   * Valid until anything may need capturing (a LoopLocal value was set, or a decorator configured):
   * compiled code that asks {@link #capturing()} folds the answer to a constant and is recompiled
   * once it is invalidated.
   */
  private static final SwitchPoint NOTHING_TO_CAPTURE = new SwitchPoint();

  private static final MethodHandle CAPTURING =
      NOTHING_TO_CAPTURE.guardWithTest(
          MethodHandles.constant(boolean.class, false),
          MethodHandles.constant(boolean.class, true));

  /** Whether a LoopLocal value was ever set (else no thread has a context). */
  private static boolean localsUsed;

  private final Object[] values; // by LoopLocal slot; UNSET where that local has no value

  private LoopContext(Object[] values) {
    this.values = values;
  }

  // ---- for LoopLocal ----

  /** A slot for a new LoopLocal. */
  public static int newSlot() {
    return SLOTS.getAndIncrement();
  }

  /** The value in {@code slot} of this thread's context, or null if it has none. */
  public static @Nullable Object get(int slot) {
    if (!localsUsed) {
      return null;
    }
    LoopContext c = CURRENT.get();
    if (c == null || slot >= c.values.length) {
      return null;
    }
    Object v = c.values[slot];
    return v == UNSET ? null : v;
  }

  /**
   * Makes this thread's context its current one plus {@code value} in {@code slot}; returns the one
   * it replaces, for {@link #exit} (in a finally block).
   */
  public static @Nullable LoopContext enter(int slot, Object value) {
    localsUsed = true;
    startCapturing();
    LoopContext outer = CURRENT.get();
    Object[] values;
    if (outer == null) {
      values = new Object[slot + 1];
      Arrays.fill(values, UNSET);
    } else {
      values = Arrays.copyOf(outer.values, Math.max(outer.values.length, slot + 1));
      Arrays.fill(values, outer.values.length, values.length, UNSET);
    }
    values[slot] = value;
    CURRENT.set(new LoopContext(values));
    return outer;
  }

  /** Puts back the context {@link #enter(int, Object)} replaced. */
  public static void exit(@Nullable LoopContext outer) {
    restore(outer);
  }

  // ---- for the engine ----

  /** Whether anything may need capturing (false until a LoopLocal value or a decorator is used). */
  static boolean capturing() {
    try {
      return (boolean) CAPTURING.invokeExact();
    } catch (Throwable t) {
      throw new AssertionError(t); // constants: cannot throw
    }
  }

  private static void startCapturing() {
    if (!NOTHING_TO_CAPTURE.hasBeenInvalidated()) {
      SwitchPoint.invalidateAll(new SwitchPoint[] {NOTHING_TO_CAPTURE});
    }
  }

  /** A loop with a task decorator was made: from now on, scheduling asks whether to capture. */
  static void decoratorConfigured() {
    startCapturing();
  }

  /**
   * {@code task} as it will run: decorated, with the scheduling thread's context; {@code task}
   * itself if there is nothing to carry. Call only when {@link #capturing()}.
   *
   * @throws NullPointerException if the decorator returns null
   */
  static Runnable capture(Runnable task, @Nullable TaskDecorator decorator) {
    LoopContext context = localsUsed ? CURRENT.get() : null;
    if (decorator == null) {
      return context == null ? task : new ContextTask(task, task, context);
    }
    return new ContextTask(task, decorate(decorator, task), context);
  }

  /** As {@link #capture(Runnable, TaskDecorator)}, for a task with a result. */
  static <V extends @Nullable Object> Callable<V> capture(
      Callable<V> task, @Nullable TaskDecorator decorator) {
    LoopContext context = localsUsed ? CURRENT.get() : null;
    if (context == null && decorator == null) {
      return task;
    }
    return new ContextCallable<>(task, decorator, context);
  }

  /** What the caller scheduled, if {@code task} is a wrapper of ours. */
  static Object unwrap(Object task) {
    return task instanceof ContextTask c ? c.task : task;
  }

  private static Runnable decorate(TaskDecorator decorator, Runnable task) {
    Runnable d = decorator.decorate(task);
    if (d == null) {
      throw new NullPointerException("the loop's taskDecorator returned null for " + task);
    }
    return d;
  }

  /** Makes {@code context} this thread's; returns the one it replaces. */
  private static @Nullable LoopContext swap(@Nullable LoopContext context) {
    LoopContext outer = CURRENT.get();
    if (context != outer) {
      CURRENT.set(context);
    }
    return outer;
  }

  private static void restore(@Nullable LoopContext outer) {
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
  }

  /** A scheduled callback, decorated, that runs with the context captured when it was scheduled. */
  static final class ContextTask implements Runnable {
    final Runnable task; // what the caller scheduled
    private final Runnable body; // task, decorated
    private final @Nullable LoopContext context;

    ContextTask(Runnable task, Runnable body, @Nullable LoopContext context) {
      this.task = task;
      this.body = body;
      this.context = context;
    }

    @Override
    public void run() {
      if (!localsUsed) { // no thread has a context: nothing to put back
        body.run();
        return;
      }
      LoopContext outer = swap(context);
      try {
        body.run();
      } finally {
        restore(outer);
      }
    }

    @Override
    public String toString() {
      return task.toString();
    }
  }

  /**
   * A task with a result (an offload, a scheduled callable), decorated, that runs with the context
   * captured when it was scheduled. The decorator sees a Runnable that calls the task; what the
   * task returns or throws passes through it unchanged.
   */
  private static final class ContextCallable<V extends @Nullable Object>
      implements Callable<V>, Runnable {
    private final Callable<V> task;
    private final @Nullable Runnable body; // this, decorated; null without a decorator
    private final @Nullable LoopContext context;
    // one call at a time (a scheduled task's runs are the loop's; an offload runs once)
    private @Nullable V result;
    private @Nullable Throwable thrown;

    ContextCallable(Callable<V> task, @Nullable TaskDecorator decorator, @Nullable LoopContext c) {
      this.task = task;
      this.context = c;
      this.body = decorator == null ? null : decorate(decorator, this);
    }

    @Override
    public V call() throws Exception {
      LoopContext outer = swap(context);
      try {
        if (body == null) {
          return task.call();
        }
        body.run();
        Throwable t = thrown;
        V r = result;
        thrown = null;
        result = null;
        if (t instanceof Exception e) {
          throw e;
        }
        if (t != null) {
          throw (Error) t;
        }
        return r;
      } finally {
        restore(outer);
      }
    }

    /** The decorated body's inside: calls the task, keeping its outcome for call(). */
    @Override
    public void run() {
      try {
        result = task.call();
      } catch (Throwable t) {
        thrown = t;
      }
    }

    @Override
    public String toString() {
      return task.toString();
    }
  }
}
