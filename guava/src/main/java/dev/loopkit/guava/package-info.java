/**
 * Guava interop for loopkit: {@link dev.loopkit.guava.LoopFutures} converts between {@link
 * dev.loopkit.Promise} and Guava's {@link com.google.common.util.concurrent.ListenableFuture};
 * {@link dev.loopkit.guava.LoopTickers} between {@link dev.loopkit.spi.LoopClock} and Guava's
 * {@link com.google.common.base.Ticker}.
 *
 * <pre>{@code
 * Loop.run(() -> {
 *   Loop loop = Loop.current();
 *   ListenableFuture<String> fromGuava = Futures.immediateFuture("hello");
 *   LoopFutures.fromListenableFuture(loop, fromGuava)      // a promise of this loop
 *       .thenAccept(System.out::println);                    // runs on the loop
 *   ListenableFuture<Integer> toGuava =
 *       LoopFutures.toListenableFuture(loop.offload(() -> 42));
 * });
 * }</pre>
 */
@NullMarked
package dev.loopkit.guava;

import org.jspecify.annotations.NullMarked;
