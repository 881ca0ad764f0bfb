package dev.loopkit.internal;

import dev.loopkit.Immediate;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A {@code setImmediate} callback: runs in a check phase unless cancelled first. Its state moves
 * QUEUED -> RUNNING or QUEUED -> CANCELLED by CAS, so it runs or its cancel returns true, never
 * both.
 */
final class ImmediateTask extends HandleBase implements Immediate, QueueItem {
  static final int QUEUED = 0;
  static final int RUNNING = 1;
  static final int CANCELLED = 2;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(ImmediateTask.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Runnable callback;
  volatile int state;
  boolean counted; // confined to the loop: whether it is in the loop's ref'd-immediates count

  ImmediateTask(EventLoop loop, long id, Runnable callback) {
    super(loop, id);
    this.callback = callback;
  }

  @Override
  public String kind() {
    return "immediate";
  }

  @Override
  public boolean isActive() {
    return state == QUEUED;
  }

  /** Claims the right to run (loop). */
  boolean start() {
    return STATE.compareAndSet(this, QUEUED, RUNNING);
  }

  @Override
  public boolean cancel() {
    if (STATE.compareAndSet(this, QUEUED, CANCELLED)) {
      loop.immediates.cancelled(this);
      return true;
    }
    return false;
  }

  @Override
  void onClose() {
    cancel();
  }

  @Override
  public Immediate ref() {
    super.ref();
    return this;
  }

  @Override
  public Immediate unref() {
    super.unref();
    return this;
  }

  @Override
  void changeRef(boolean value) {
    loop.immediates.changeRef(this, value);
  }
}
