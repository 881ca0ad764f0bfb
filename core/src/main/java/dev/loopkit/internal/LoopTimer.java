package dev.loopkit.internal;

import dev.loopkit.Timer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A timeout or interval: its deadline, its place in the {@link TimerQueue} and its state.
 *
 * <pre>{@code
 * Implementation notes
 *
 * state moves SCHEDULED -> RUNNING -> (DONE | SCHEDULED again for an interval), or SCHEDULED ->
 * CANCELLED; the firing loop and cancel() race by CAS, so a timeout either runs or its cancel
 * returns true, never both. deadline, seq, where, index and refreshRequested are confined to the
 * loop. A timer made off the loop reaches it through the poll queue (TimerPhase.arrived).
 * }</pre>
 */
sealed class LoopTimer extends HandleBase implements Timer, QueueItem
    permits LoopTimer.CancelAware, ScheduledTask {
  static final int SCHEDULED = 0;
  static final int RUNNING = 1;
  static final int DONE = 2;
  static final int CANCELLED = 3;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(LoopTimer.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Runnable callback;
  final long delayNanos;
  final long periodNanos; // 0 for a timeout
  volatile int state;

  // Confined to the loop (deadline is written before the timer is published to it).
  long deadline;
  long seq;
  byte where; // in the loop's TimerQueue: TimerQueue.NONE, READY, BUCKET, FAR or RUN
  int index = -1; // its index there
  boolean refreshRequested;
  boolean internal; // the loop's own (e.g. graceful shutdown's clock): survives shutdown()

  LoopTimer(
      EventLoop loop,
      long id,
      Runnable callback,
      long delayNanos,
      long periodNanos,
      long deadline) {
    super(loop, id);
    this.callback = callback;
    this.delayNanos = delayNanos;
    this.periodNanos = periodNanos;
    this.deadline = deadline;
    this.seq = id;
  }

  @Override
  public String kind() {
    return periodNanos == 0 ? "timeout" : "interval";
  }

  @Override
  public boolean isRepeating() {
    return periodNanos != 0;
  }

  @Override
  public boolean isActive() {
    int s = state;
    return s == SCHEDULED || (s == RUNNING && periodNanos != 0);
  }

  boolean casState(int expect, int update) {
    return STATE.compareAndSet(this, expect, update);
  }

  @Override
  public boolean cancel() {
    for (; ; ) {
      int s = state;
      if (s == SCHEDULED) {
        if (casState(SCHEDULED, CANCELLED)) {
          loop.timers.cancelled(this);
          return true;
        }
      } else if (s == RUNNING && periodNanos != 0) {
        if (casState(RUNNING, CANCELLED)) {
          return true; // the running callback finishes; the loop does not re-arm it
        }
      } else {
        return false;
      }
    }
  }

  @Override
  void onClose() {
    cancel();
  }

  @Override
  public Timer refresh() {
    if (loop.inEventLoop()) {
      loop.timers.refresh(this);
    } else {
      loop.pollQueue.handIn(() -> loop.timers.refresh(this), true);
    }
    return this;
  }

  @Override
  public Timer ref() {
    super.ref();
    return this;
  }

  @Override
  public Timer unref() {
    super.unref();
    return this;
  }

  @Override
  void changeRef(boolean value) {
    loop.timers.changeRef(this, value);
  }

  /** Runs the callback; for the JDK face, a subclass adds its future's bookkeeping. */
  void fire() {
    callback.run();
  }

  /** When a repeating timer that started at {@code start} is next due: Node re-arms from start. */
  long nextDeadline(long start, long previousDeadline) {
    return start + periodNanos;
  }

  /** The loop cancelled this timer (shutdown, termination); a future-bearing subclass says so. */
  void cancelledByLoop() {}

  /** A timer that runs {@code onLoopCancel} when the loop, not the user, cancels it. */
  static final class CancelAware extends LoopTimer {
    private final Runnable onLoopCancel;

    CancelAware(
        EventLoop loop,
        long id,
        Runnable callback,
        long delayNanos,
        long periodNanos,
        long deadline,
        Runnable onLoopCancel) {
      super(loop, id, callback, delayNanos, periodNanos, deadline);
      this.onLoopCancel = onLoopCancel;
    }

    @Override
    void cancelledByLoop() {
      onLoopCancel.run();
    }
  }
}
