package dev.loopkit.internal;

import dev.loopkit.LoopTerminatedException;

/**
 * A queued microtask that owes an outcome (a promise reaction's derived promise, say): when its
 * loop terminates before it runs, the loop calls {@link #abandon} instead, so that nothing it owed
 * stays pending.
 */
public interface Abandonable {
  /** Settles what this microtask owed, with {@code why} as the reason (any thread, once). */
  void abandon(LoopTerminatedException why);
}
