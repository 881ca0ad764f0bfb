/**
 * loopkit's Guava interop: {@link dev.loopkit.Promise} to and from Guava's {@code
 * ListenableFuture}, and a Guava {@code Ticker} as a {@link dev.loopkit.spi.LoopClock} (and back).
 *
 * <p>The core needs no Guava; this module is for users who have it already.
 */
module dev.loopkit.guava {
  exports dev.loopkit.guava;

  requires transitive dev.loopkit.core; // the API takes and returns Loop, Promise, LoopClock
  requires transitive com.google.common; // ... and ListenableFuture, Ticker
  // the API's nullness annotations: for compilers and tools, not needed at run time (not
  // transitive: a module that requires this one would then need JSpecify to compile)
  requires static org.jspecify;
}
