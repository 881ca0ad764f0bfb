package dev.loopkit.adapters;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopDriver;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The classic Node model: one dedicated platform thread runs every turn and parks in between;
 * offload pools are fixed platform threads (the {@code io} pool has 4, as libuv).
 */
public final class SingleThreadCarrier extends ThreadCarrier {

  SingleThreadCarrier(LoopDriver driver) {
    super(driver, driver.threadFactory("loop"));
  }

  /** Finds {@code single-thread}. */
  public static final class Provider implements CarrierProvider {
    @Override
    public String name() {
      return "single-thread";
    }

    @Override
    public Carrier create(LoopDriver driver) {
      return new SingleThreadCarrier(driver);
    }

    @Override
    public List<TestSetup> testSetups() {
      return List.of(
          new TestSetup(name(), Map.of(), Set.of(TestSetup.OWN_THREADS, TestSetup.REAL_SOCKETS)));
    }
  }
}
