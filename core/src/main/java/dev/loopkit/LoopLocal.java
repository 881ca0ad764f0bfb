package dev.loopkit;

import static java.util.Objects.requireNonNull;

import dev.loopkit.internal.LoopContext;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * A value that follows the work: Node's {@code AsyncLocalStorage}. {@link #run run(value,
 * callback)} makes {@code value} this local's value while {@code callback} runs — and while
 * everything it schedules runs, and everything that schedules, and so on — as {@code
 * asyncLocalStorage.run(store, fn)} does.
 *
 * <p>The contract, on every carrier:
 *
 * <ul>
 *   <li>The context of a callback is captured when it is scheduled, on the scheduling thread, and
 *       is current while it runs: {@code nextTick}, {@code queueMicrotask}, {@code setImmediate},
 *       {@code setTimeout}, {@code setInterval} (every run of an interval sees the context of the
 *       {@code setInterval} call), {@code execute}, {@code submit}, {@code schedule*}, a promise's
 *       reactions ({@code then} and its kin: the context of the code that added the reaction, as in
 *       JavaScript, not that of the code that settled the promise), and {@code offload}: on the
 *       pool's worker, {@link #get} returns the offloading callback's value.
 *   <li>A callback suspended in {@link Promise#await} (virtual carrier) resumes with the context it
 *       had.
 *   <li>Work scheduled from a thread that is not the loop's takes that thread's context: the value
 *       of the {@code run} it is inside, if any.
 *   <li>After each callback the previous context is back, whether the callback returned or threw: a
 *       value never leaks into another callback on the same thread. Callbacks scheduled with no
 *       context see none, and so do the callbacks that are not captured: I/O events, close
 *       callbacks ({@link Handle#close(Runnable)}), the uncaught-error and rejection handlers. (On
 *       {@code manual}, turns run on the thread that steps them: stepping inside a {@code run}
 *       lends its value to those callbacks.)
 * </ul>
 *
 * <p>Values are set only by {@code run} and {@code call}, for the extent of their callback; there
 * is no {@code set} (Node's {@code enterWith}), whose value would outlive its callback on a loop's
 * thread. The captured context is a snapshot: a nested {@code run} does not change what was already
 * scheduled. Until the first {@code run} of any {@code LoopLocal}, scheduling costs nothing more.
 *
 * <p>For {@code ThreadLocal}s that other libraries own (a logging MDC, a trace), see {@link
 * LoopConfig.Builder#taskDecorator}.
 *
 * @param <T> the type of the value
 */
@SuppressWarnings("exports") // JSpecify's annotations: compile time only (module-info)
public final class LoopLocal<T extends @Nullable Object> {
  private final int slot = LoopContext.newSlot();
  private final T defaultValue;

  private LoopLocal(T defaultValue) {
    this.defaultValue = defaultValue;
  }

  /** A local whose value, where none was set, is null. */
  public static <T> LoopLocal<@Nullable T> create() {
    return new LoopLocal<>(null);
  }

  /** A local whose value, where none was set, is {@code defaultValue}. */
  public static <T> LoopLocal<T> withDefault(T defaultValue) {
    return new LoopLocal<>(requireNonNull(defaultValue, "defaultValue"));
  }

  /**
   * This local's value in the current context: that of the innermost {@code run} or {@code call} on
   * this thread, or of the callback that runs now; the default if none was set.
   */
  @SuppressWarnings("unchecked") // the slot holds only this local's values
  public T get() {
    Object v = LoopContext.get(slot);
    return v == null ? defaultValue : (T) v;
  }

  /**
   * Runs {@code callback} with this local's value {@code value}, and returns when it returns; what
   * it schedules sees {@code value} too. The other locals keep their values. On any thread.
   *
   * @throws NullPointerException if {@code value} or {@code callback} is null
   */
  public void run(T value, Runnable callback) {
    requireNonNull(value, "value");
    requireNonNull(callback, "callback");
    LoopContext outer = LoopContext.enter(slot, value);
    try {
      callback.run();
    } finally {
      LoopContext.exit(outer);
    }
  }

  /**
   * As {@link #run}, for a callback with a result; what it throws passes through unchanged.
   *
   * @throws NullPointerException if {@code value} or {@code callback} is null
   */
  public <R extends @Nullable Object> R call(T value, Callable<R> callback) throws Exception {
    requireNonNull(value, "value");
    requireNonNull(callback, "callback");
    LoopContext outer = LoopContext.enter(slot, value);
    try {
      return callback.call();
    } finally {
      LoopContext.exit(outer);
    }
  }

  @Override
  public String toString() {
    return "LoopLocal[" + slot + "]";
  }
}
