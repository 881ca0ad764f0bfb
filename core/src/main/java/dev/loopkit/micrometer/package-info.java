/**
 * Loop metrics for Micrometer, an optional dependency: only this package needs {@code
 * micrometer-core} on the class path (or module path).
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();
 * try (Loop loop = Loop.create();
 *     LoopMetrics metrics = LoopMetrics.monitor(registry, loop, Tag.of("service", "orders"))) {
 *   loop.execute(() -> System.out.println("counted"));
 *   // loopkit.loop.delay, loopkit.loop.utilization, loopkit.loop.callbacks{phase}, ...
 * } // closing the binder removes its meters
 * }</pre>
 */
@NullMarked
package dev.loopkit.micrometer;

import org.jspecify.annotations.NullMarked;
