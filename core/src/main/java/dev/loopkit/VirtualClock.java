package dev.loopkit;

import static java.util.Objects.requireNonNull;

import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when advanced: for deterministic tests. Any carrier can run on it
 * (through {@link LoopConfig.Builder#clock}); advancing it wakes every loop that reads it.
 */
public final class VirtualClock implements LoopClock {
  private final AtomicLong now = new AtomicLong();
  private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

  @Override
  public long nanoTime() {
    return now.get();
  }

  @Override
  public boolean isVirtual() {
    return true;
  }

  @Override
  public void onAdvance(Runnable listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /**
   * Moves this clock forward by {@code duration} and wakes the loops that read it.
   *
   * @throws IllegalArgumentException if {@code duration} is negative
   */
  public void advance(Duration duration) {
    requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException(
          "duration: " + duration + " is negative; time only moves forward");
    }
    now.addAndGet(duration.toNanos());
    listeners.forEach(Runnable::run);
  }

  /** Moves this clock to {@code nanoTime} if that is later than now, and wakes its loops. */
  public void advanceTo(long nanoTime) {
    now.accumulateAndGet(nanoTime, Math::max);
    listeners.forEach(Runnable::run);
  }

  @Override
  public String toString() {
    return "VirtualClock[" + Duration.ofNanos(now.get()) + "]";
  }
}
