package dev.loopkit;

/**
 * Something that can keep a loop alive: a timer, an immediate, a {@link KeepAlive}, a pending
 * offload.
 *
 * <p>A ref'd handle keeps a program-mode loop ({@link Loop#run}) running; an unref'd one does not
 * (Node's {@code ref}/{@code unref}). Every method may be called from any thread; calls from
 * another thread take effect on the loop, in order, before its next turn.
 */
public interface Handle {

  /** What this handle is, e.g. {@code "timeout"}, {@code "interval"}, {@code "keepAlive"}. */
  String kind();

  /** An id unique within its loop, increasing in creation order. */
  long id();

  /** Makes this handle hold its loop open (the default). Returns this handle. */
  Handle ref();

  /** Lets its loop end while this handle is still active. Returns this handle. */
  Handle unref();

  /** Whether this handle holds its loop open. */
  boolean hasRef();

  /** Whether this handle is still active (not fired for good, cancelled or closed). */
  boolean isActive();

  /**
   * Closes this handle (a timer is cancelled, a keep-alive released) and runs {@code callback} in
   * the close phase of the turn in which the close takes effect. Closing twice runs only the first
   * callback.
   *
   * @throws NullPointerException if {@code callback} is null
   */
  void close(Runnable callback);

  /** Closes this handle without a callback. */
  default void close() {
    close(() -> {});
  }
}
