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
  requires static org.jspecify; // nullness annotations of the API: compile time only
}
