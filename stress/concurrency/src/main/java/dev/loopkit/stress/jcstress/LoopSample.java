package dev.loopkit.stress.jcstress;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.ManualControl;

/**
 * One JCStress sample's loop, of one carrier: made with the sample's state, closed by the arbiter.
 *
 * <p>{@link #finish()} is the arbiter's first step: on {@code manual} it runs, on the arbiter's
 * thread, every turn the actors made runnable; then it closes the loop. Once it returns, every
 * callback the loop ran happened-before it (termination), so the arbiter may read what they wrote
 * in plain fields.
 */
abstract class LoopSample {
  static final String SINGLE_THREAD = "single-thread";
  static final String FORK_JOIN = "fork-join";
  static final String VIRTUAL = "virtual";
  static final String MANUAL = "manual";

  final Loop loop;
  private final ManualControl manual;

  LoopSample(String carrier) {
    loop =
        Loop.create(
            LoopConfig.builder()
                .isolated()
                .carrier(carrier)
                .name("jcstress")
                // a sample's error is its outcome; the log would only slow the run down
                .onUncaughtError((l, e) -> {})
                .onUnhandledRejection((l, e) -> {})
                .build());
    manual = carrier.equals(MANUAL) ? ManualControl.of(loop) : null;
  }

  /** Runs what is left (manual: on this thread) and closes the loop. */
  final void finish() {
    if (manual != null) {
      manual.runUntilIdle();
      loop.shutdown();
      manual.runUntilIdle();
    }
    loop.close();
  }
}
