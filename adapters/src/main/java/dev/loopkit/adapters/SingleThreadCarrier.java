package dev.loopkit.adapters;

import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopDriver;

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
  }
}
