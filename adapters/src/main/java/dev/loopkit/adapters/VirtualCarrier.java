package dev.loopkit.adapters;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopDriver;
import dev.loopkit.spi.OffloadExecutors;
import dev.loopkit.spi.PoolSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * The loop runs on a virtual thread; each {@code io} offload runs on a virtual thread of its own
 * (at most the pool's size at once when it is configured, the rest waiting in the engine); {@code
 * cpu} pools stay on platform threads, since virtual threads are not time-sliced.
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

  /** {@code io}: a virtual thread per task; {@code cpu}: platform threads. */
  @Override
  public Executor offloadExecutor(PoolSpec spec, LoopDriver driver) {
    if (spec.kind() == PoolSpec.Kind.CPU) {
      return OffloadExecutors.platform(spec.name(), poolBound(spec), driver);
    }
    return Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name(driver.name() + "-" + spec.name() + "-", 1).factory());
  }

  /** An {@code io} pool without a configured size runs every task at once. */
  @Override
  public int poolBound(PoolSpec spec) {
    return spec.kind() == PoolSpec.Kind.IO && spec.size() == 0
        ? Integer.MAX_VALUE
        : super.poolBound(spec);
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

    @Override
    public List<TestSetup> testSetups() {
      return List.of(
          new TestSetup(
              name(),
              Map.of(),
              Set.of(TestSetup.OWN_THREADS, TestSetup.REAL_SOCKETS, TestSetup.SUSPENDS_CALLBACKS)));
    }
  }
}
