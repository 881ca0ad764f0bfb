package dev.loopkit.context;

import static java.util.Objects.requireNonNull;

import dev.loopkit.LoopConfig;
import dev.loopkit.TaskDecorator;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshotFactory;

/**
 * A {@link TaskDecorator} that carries {@code ThreadLocal}s through Micrometer's
 * context-propagation: when a callback is scheduled it captures the values of the registry's {@code
 * ThreadLocalAccessor}s on the scheduling thread (a {@code ContextSnapshot}); when the callback
 * runs — on the loop, or on an offload's worker — it sets them, and afterwards puts back what the
 * thread had. Configure it with {@link LoopConfig.Builder#taskDecorator}; {@link TaskDecorator}
 * lists the callbacks it sees.
 *
 * <p>A value absent when the callback was scheduled is cleared while it runs ({@code
 * clearMissing}), so a callback never sees the {@code ThreadLocal}s of the callback that ran before
 * it on the same thread.
 */
public final class ContextPropagation implements TaskDecorator {
  private final ContextSnapshotFactory snapshots;

  private ContextPropagation(ContextSnapshotFactory snapshots) {
    this.snapshots = snapshots;
  }

  /** The decorator for the global {@code ContextRegistry}'s accessors, clearing missing values. */
  public static TaskDecorator taskDecorator() {
    return taskDecorator(ContextRegistry.getInstance());
  }

  /**
   * The decorator for {@code registry}'s accessors, clearing missing values.
   *
   * @throws NullPointerException if {@code registry} is null
   */
  public static TaskDecorator taskDecorator(ContextRegistry registry) {
    requireNonNull(registry, "registry");
    return taskDecorator(
        ContextSnapshotFactory.builder().contextRegistry(registry).clearMissing(true).build());
  }

  /**
   * The decorator that captures with {@code snapshots} (its registry, its key filter, its clearing
   * of missing values).
   *
   * @throws NullPointerException if {@code snapshots} is null
   */
  public static TaskDecorator taskDecorator(ContextSnapshotFactory snapshots) {
    return new ContextPropagation(requireNonNull(snapshots, "snapshots"));
  }

  /** Captures the registry's values on this thread; the callback runs with them set. */
  @Override
  public Runnable decorate(Runnable task) {
    return snapshots.captureAll().wrap(task);
  }

  @Override
  public String toString() {
    return "ContextPropagation[" + snapshots + "]";
  }
}
