package dev.loopkit.internal;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;

/**
 * Node's {@code monitorEventLoopDelay}: an unref'd timer due every resolution records how late it
 * ran, into a log-scale histogram (16 sub-buckets per power of two: within 6.25%).
 */
final class LoopDelayMonitor implements DelayMonitor {
  private static final int SUB = 16;
  private static final int BUCKETS = 64 * SUB;

  private final EventLoop loop;
  private final long resolutionNanos;
  private final LongConsumer sink; // or null
  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private volatile long max;
  private volatile long sum;
  private volatile long count;
  private volatile boolean closed;
  private Timer timer; // loop
  private long due; // loop

  LoopDelayMonitor(EventLoop loop, long resolutionNanos, LongConsumer sink) {
    this.loop = loop;
    this.resolutionNanos = resolutionNanos;
    this.sink = sink;
  }

  /** On the loop: arms the first sample. */
  void start() {
    arm();
  }

  private void arm() {
    if (closed || loop.isShutdown()) {
      return;
    }
    due = loop.clock().nanoTime() + resolutionNanos;
    timer = loop.setTimeout(this::sample, Duration.ofNanos(resolutionNanos)).unref();
  }

  private void sample() {
    long delay = Math.max(0, loop.clock().nanoTime() - due);
    record(delay);
    if (sink != null) {
      sink.accept(delay);
    }
    arm();
  }

  @SuppressWarnings(
      "NonAtomicVolatileUpdate") // one writer, the loop; volatile for readers elsewhere
  void record(long nanos) {
    counts.incrementAndGet(bucket(nanos));
    if (nanos > max) {
      max = nanos;
    }
    sum += nanos;
    count++;
  }

  private static int bucket(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exp = 63 - Long.numberOfLeadingZeros(v); // >= 4
    int sub = (int) (v >>> (exp - 4)) & (SUB - 1);
    return (exp - 3) * SUB + sub;
  }

  private static long lowerBound(int bucket) {
    if (bucket < SUB) {
      return bucket;
    }
    int exp = bucket / SUB + 3;
    int sub = bucket % SUB;
    return (1L << exp) | ((long) sub << (exp - 4));
  }

  @Override
  public Duration max() {
    return Duration.ofNanos(max);
  }

  @Override
  public Duration mean() {
    long c = count;
    return c == 0 ? Duration.ZERO : Duration.ofNanos(sum / c);
  }

  @Override
  public Duration percentile(double percentile) {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile: " + percentile + " is not within 0 to 100");
    }
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += counts.get(i);
    }
    if (total == 0) {
      return Duration.ZERO;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return Duration.ofNanos(Math.min(lowerBound(i), max));
      }
    }
    return Duration.ofNanos(max);
  }

  @Override
  public long count() {
    return count;
  }

  @Override
  public void reset() {
    for (int i = 0; i < BUCKETS; i++) {
      counts.set(i, 0);
    }
    max = 0;
    sum = 0;
    count = 0;
  }

  @Override
  public void close() {
    closed = true;
    Runnable cancel =
        () -> {
          if (timer != null) {
            timer.cancel();
          }
        };
    if (loop.inEventLoop()) {
      cancel.run();
    } else {
      loop.pollQueue.handIn(cancel, true);
    }
  }
}
