package dev.loopkit.internal;

import static java.util.Objects.requireNonNull;

import dev.loopkit.Handle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What every handle shares: its loop, id, ref flag and close-once rule.
 *
 * <p>{@code ref}/{@code unref} and {@code close} may be called from any thread; off the loop they
 * are handed to the loop, which alone changes what keeps it alive.
 */
abstract class HandleBase implements Handle {
  private static final VarHandle CLOSED;

  static {
    try {
      CLOSED = MethodHandles.lookup().findVarHandle(HandleBase.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final EventLoop loop;
  final long id;
  // Inverted, so that a new handle (ref'd) needs no volatile write: that fence is a cost per
  // setImmediate/setTimeout. Written on the loop only; read from any thread.
  private volatile boolean unrefd;

  @SuppressWarnings("unused") // through CLOSED
  private volatile boolean closed;

  HandleBase(EventLoop loop, long id) {
    this.loop = loop;
    this.id = id;
  }

  @Override
  public final long id() {
    return id;
  }

  @Override
  public final boolean hasRef() {
    return !unrefd;
  }

  /** Sets what {@link #hasRef()} answers (loop only). */
  final void setRefFlag(boolean value) {
    unrefd = !value;
  }

  @Override
  public Handle ref() {
    setRef(true);
    return this;
  }

  @Override
  public Handle unref() {
    setRef(false);
    return this;
  }

  private void setRef(boolean value) {
    if (loop.inEventLoop()) {
      changeRef(value);
    } else {
      loop.pollQueue.handIn(() -> changeRef(value), true);
    }
  }

  /** On the loop: sets the flag and adjusts what keeps the loop alive. */
  abstract void changeRef(boolean value);

  @Override
  public final void close(Runnable callback) {
    requireNonNull(callback, "callback");
    if (!CLOSED.compareAndSet(this, false, true)) {
      return;
    }
    try {
      loop.closing.add(callback); // first: a pending close callback holds the loop open
    } finally {
      onClose();
    }
  }

  /** Stops this handle (any thread); its close callback runs after, in the close phase. */
  abstract void onClose();

  @Override
  public String toString() {
    return kind() + "#" + id + (unrefd ? " (unref'd)" : "");
  }
}
