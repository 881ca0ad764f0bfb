package dev.loopkit.adapters;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopDriver;
import dev.loopkit.spi.OffloadExecutors;
import dev.loopkit.spi.PoolSpec;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The loop runs on a virtual thread; each {@code io} offload runs on a virtual thread of its own
 * (at most {@code loopkit.pool.<pool>.size} at once when that key is set, the rest queueing);
 * {@code cpu} pools stay on platform threads, since virtual threads are not time-sliced.
 *
 * <p>A callback may {@code await} a promise (or block in its {@code get()}/{@code join()}): it is
 * suspended, a new virtual thread takes over the turns, and the callback resumes as the promise's
 * reaction — a microtask, as JavaScript's {@code await} — while that turn thread waits; never two
 * callbacks at once. The engine keeps the hand-over; this class only supplies the threads.
 */
public final class VirtualCarrier extends ThreadCarrier {

  VirtualCarrier(LoopDriver driver) {
    super(driver, Thread.ofVirtual().name(driver.name() + "-loop").factory());
  }

  /** The idle spin yields the carrier thread, so that offloads' virtual threads run meanwhile. */
  @Override
  boolean yieldsWhileIdle() {
    return true;
  }

  /** A callback that awaits is suspended; another virtual thread takes over the turns. */
  @Override
  public boolean canSuspendCallbacks() {
    return true;
  }

  @Override
  public Thread newTurnThread() {
    return factory.newThread(this);
  }

  @Override
  public ExecutorService offloadExecutor(PoolSpec spec, LoopDriver driver) {
    if (spec.kind() == PoolSpec.Kind.CPU) {
      return OffloadExecutors.platform(spec, driver);
    }
    ThreadFactory virtual =
        Thread.ofVirtual().name(driver.name() + "-" + spec.name() + "-", 1).factory();
    boolean bounded = driver.config().get("loopkit.pool." + spec.name() + ".size").isPresent();
    if (!bounded) {
      return Executors.newThreadPerTaskExecutor(virtual);
    }
    return new ThreadPoolExecutor(
        spec.size(),
        spec.size(),
        0,
        TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(spec.queueCapacity()),
        virtual);
  }

  /** Finds {@code virtual}. */
  public static final class Provider implements CarrierProvider {
    @Override
    public String name() {
      return "virtual";
    }

    @Override
    public Carrier create(LoopDriver driver) {
      return new VirtualCarrier(driver);
    }
  }
}
