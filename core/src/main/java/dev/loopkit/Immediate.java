package dev.loopkit;

/** A callback queued by {@link Loop#setImmediate}: runs in the check phase of the next turn. */
public interface Immediate extends Handle {

  /**
   * Cancels this immediate (Node's {@code clearImmediate}); returns true only if its callback had
   * not started and now never will.
   */
  boolean cancel();

  @Override
  Immediate ref();

  @Override
  Immediate unref();
}
