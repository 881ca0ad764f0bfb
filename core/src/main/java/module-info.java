/**
 * loopkit core: a Node.js-style event loop whose carrier thread is pluggable.
 *
 * <p>Tiers: {@code dev.loopkit} is the API users program against; {@code dev.loopkit.spi} is what a
 * carrier implements; {@code dev.loopkit.internal} is the engine, not exported.
 */
module dev.loopkit.core {
  // API: Loop, Promise, Timer, handles, configuration.
  exports dev.loopkit;
  // SPI: carriers (how and on which thread the loop runs) and clocks.
  exports dev.loopkit.spi;

  requires transitive com.google.common; // the API exposes ListenableFuture and Ticker

  uses dev.loopkit.spi.CarrierProvider;
}
