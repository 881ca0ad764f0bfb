package dev.loopkit;

import java.time.Duration;

/**
 * Measures how late a loop runs a timer due every resolution (Node's {@code
 * monitorEventLoopDelay}). Readable from any thread; figures may lag by one sample.
 */
public interface DelayMonitor extends AutoCloseable {

  /** The largest delay seen since the last {@link #reset()}. */
  Duration max();

  /** The mean delay since the last {@link #reset()}, zero if no sample yet. */
  Duration mean();

  /** The delay at {@code percentile} (0–100), from a log-scale histogram (within 10%). */
  Duration percentile(double percentile);

  /** The number of samples since the last {@link #reset()}. */
  long count();

  /** Forgets the samples so far. */
  void reset();

  /** Stops sampling. */
  @Override
  void close();
}
