/**
 * The API: {@link dev.loopkit.Loop}, {@link dev.loopkit.Promise}, timers and handles, and {@link
 * dev.loopkit.LoopConfig}.
 *
 * <p>A program-mode loop runs its first callback and returns once nothing is left to do; callbacks
 * run one at a time, and blocking work is offloaded to a pool and comes back as a callback on the
 * loop:
 *
 * <pre>{@code
 * Loop.run(() -> {
 *   Loop loop = Loop.current();
 *   loop.setTimeout(() -> System.out.println("timeout"), 10);
 *   loop.setImmediate(() -> System.out.println("immediate"));
 *   loop.offload(() -> Files.readString(Path.of("notes.txt"))) // on the io pool
 *       .thenAccept(text -> System.out.println(text.length() + " chars")); // back on the loop
 *   loop.nextTick(() -> System.out.println("tick"));
 *   System.out.println("main"); // main, tick, immediate, then the others
 * });
 * }</pre>
 *
 * <p>A server-mode loop lives until it is shut down, and is a {@link
 * java.util.concurrent.ScheduledExecutorService}:
 *
 * <pre>{@code
 * try (Loop loop = Loop.create(LoopConfig.builder().carrier("virtual").build())) {
 *   loop.execute(() -> System.out.println("on " + loop.name()));
 * } // close(): shuts down and waits for the loop to end
 * }</pre>
 *
 * <p>This package and {@link dev.loopkit.spi} are loopkit's API, versioned by semantic versioning;
 * {@code dev.loopkit.internal} is not.
 */
@NullMarked
package dev.loopkit;

import org.jspecify.annotations.NullMarked;
