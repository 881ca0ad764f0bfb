/**
 * Micrometer context-propagation for loopkit: {@link dev.loopkit.context.ContextPropagation} is a
 * {@link dev.loopkit.TaskDecorator} that captures the {@code ThreadLocal}s registered with
 * context-propagation's {@code ContextRegistry} when a callback is scheduled, and sets them around
 * the callback when it runs, on the loop or on an offload's worker.
 *
 * <pre>{@code
 * ContextRegistry.getInstance()
 *     .registerThreadLocalAccessor(
 *         "requestId",
 *         () -> MDC.get("requestId"),
 *         id -> MDC.put("requestId", id),
 *         () -> MDC.remove("requestId"));
 * Loop loop = Loop.create(
 *     LoopConfig.builder().taskDecorator(ContextPropagation.taskDecorator()).build());
 * loop.execute(() -> {
 *   MDC.put("requestId", "r-42");
 *   try {
 *     loop.offload(() -> query())                              // the worker logs with r-42
 *         .thenAccept(rows -> log.info("{} rows", rows.size())); // and so does the reaction
 *   } finally {
 *     MDC.remove("requestId");
 *   }
 * });
 * }</pre>
 */
@NullMarked
package dev.loopkit.context;

import org.jspecify.annotations.NullMarked;
