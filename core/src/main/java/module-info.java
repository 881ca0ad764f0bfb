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
  // Metrics: a Micrometer binder (Micrometer is optional: only this package needs it).
  exports dev.loopkit.micrometer;

  requires static micrometer.core; // optional: dev.loopkit.micrometer
  requires jdk.jfr; // the watchdog's LoopBlocked event
  // the API's nullness annotations: for compilers and tools, not needed at run time (not
  // transitive: a module that requires this one would then need JSpecify to compile)
  requires static org.jspecify;

  uses dev.loopkit.spi.CarrierProvider;
}
