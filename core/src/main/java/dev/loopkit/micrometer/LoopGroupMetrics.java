package dev.loopkit.micrometer;

import static java.util.Objects.requireNonNull;

import dev.loopkit.Loop;
import dev.loopkit.LoopGroup;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds every loop of a {@link LoopGroup} to a Micrometer registry: one {@link LoopMetrics} per
 * member, so each member's meters carry its own {@code loop} tag (and {@code carrier}, and the
 * extra tags given here). The same rules as {@link LoopMetrics}: binding again to a registry this
 * binder is bound to does nothing; another binder of a member on the same registry is refused.
 *
 * <pre>{@code
 * try (LoopGroupMetrics metrics = LoopGroupMetrics.monitor(registry, group)) {
 *   ...
 * } // removes every member's meters
 * }</pre>
 */
public final class LoopGroupMetrics implements MeterBinder, AutoCloseable {
  private final List<LoopMetrics> members = new ArrayList<>();

  /** A binder for every loop of {@code group}, with {@code extraTags} on each meter. */
  public LoopGroupMetrics(LoopGroup group, Iterable<Tag> extraTags) {
    requireNonNull(group, "group");
    requireNonNull(extraTags, "extraTags");
    for (Loop loop : group.loops()) {
      members.add(new LoopMetrics(loop, extraTags));
    }
  }

  /** Binds every loop of {@code group} to {@code registry}; close the result to remove them. */
  public static LoopGroupMetrics monitor(
      MeterRegistry registry, LoopGroup group, Tag... extraTags) {
    LoopGroupMetrics m = new LoopGroupMetrics(group, Tags.of(extraTags));
    m.bindTo(registry);
    return m;
  }

  /**
   * Binds every member to {@code registry}; all or none: if one member is refused, the members
   * bound by this call are unbound again before the exception propagates.
   *
   * @throws IllegalStateException if another binder of a member is bound to {@code registry}
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    List<LoopMetrics> bound = new ArrayList<>();
    try {
      for (LoopMetrics m : members) {
        if (!m.isBoundTo(registry)) {
          m.bindTo(registry);
          bound.add(m);
        }
      }
    } catch (RuntimeException | Error e) {
      bound.forEach(m -> m.unbind(registry));
      throw e;
    }
  }

  /** Unbinds every member from every registry (see {@link LoopMetrics#close()}). */
  @Override
  public synchronized void close() {
    members.forEach(LoopMetrics::close);
  }
}
