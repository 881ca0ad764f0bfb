/**
 * loopkit carriers: {@code single-thread}, {@code manual} (and, later, {@code fork-join} and {@code
 * virtual}), found by name through {@link java.util.ServiceLoader}.
 *
 * <p>Tiers: nothing is exported; carriers are reached only as services of the core's SPI.
 */
module dev.loopkit.adapters {
  requires dev.loopkit.core;

  provides dev.loopkit.spi.CarrierProvider with
      dev.loopkit.adapters.SingleThreadCarrier.Provider,
      dev.loopkit.adapters.ForkJoinCarrier.Provider,
      dev.loopkit.adapters.VirtualCarrier.Provider,
      dev.loopkit.adapters.ManualCarrier.Provider;
}
