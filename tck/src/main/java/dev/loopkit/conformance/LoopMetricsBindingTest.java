package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopGroup;
import dev.loopkit.micrometer.LoopGroupMetrics;
import dev.loopkit.micrometer.LoopMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The Micrometer binder bound more than once, on every carrier: several registries on one loop
 * (each with its own utilization windows, which reading does not reset), a binder bound twice, and
 * the binder of a loop group.
 */
class LoopMetricsBindingTest {

  @CarrierTest
  void twoRegistriesBoundToOneLoopReadTheSameUtilizationAndReadingResetsNothing(LoopFixture f) {
    Loop loop = f.newLoop();
    MeterRegistry scraper = new SimpleMeterRegistry();
    MeterRegistry dashboard = new SimpleMeterRegistry();
    try (LoopMetrics a = LoopMetrics.monitor(scraper, loop);
        LoopMetrics b = LoopMetrics.monitor(dashboard, loop)) {
      assertEquals(scraper.getMeters().size(), dashboard.getMeters().size());
      double idle = utilization(scraper, loop);
      assertTrue(idle >= 0 && idle <= 1, () -> "utilization " + idle);
      if (!f.has(Capability.OWN_THREADS)) {
        // virtual time stands still in a turn: the loop is never busy; both read the same
        assertEquals(utilization(scraper, loop), utilization(dashboard, loop));
        return;
      }
      // A callback holds the loop for 100 ms, well inside the first window (1 s) of each.
      double busy0 = busySeconds(scraper, loop);
      f.onLoop(loop, () -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)));
      f.awaitCondition(
          loop, () -> busySeconds(scraper, loop) >= busy0 + 0.1, "100 ms more busy time");
      double first = utilization(scraper, loop);
      double again = utilization(scraper, loop);
      double other = utilization(dashboard, loop);
      // about 0.1 s busy since binding; wide margins for a slow machine (a window may even close)
      assertTrue(first > 0.02 && first <= 1, () -> "utilization " + first);
      assertTrue(
          Math.abs(again - first) < 0.02,
          () -> "a second reading (" + again + ") differs from the first (" + first + ")");
      assertTrue(
          Math.abs(other - first) < 0.02,
          () -> "the other registry reads " + other + ", this one " + first);
    }
  }

  @CarrierTest
  void oneBinderBoundToTwoRegistriesFeedsBothAndClosingRemovesBoth(LoopFixture f) {
    Loop loop = f.newLoop(b -> b.set("loopkit.metrics.sampleEvery", 1));
    MeterRegistry first = new SimpleMeterRegistry();
    MeterRegistry second = new SimpleMeterRegistry();
    LoopMetrics metrics = new LoopMetrics(loop);
    metrics.bindTo(first);
    metrics.bindTo(second);
    metrics.bindTo(first); // again: nothing happens
    assertEquals(first.getMeters().size(), second.getMeters().size());
    // Read on the loop (a callback's duration is recorded after its checkpoint): from then on,
    // sampling every callback, both registries' timers see the same callbacks.
    long[] before = new long[2];
    f.onLoop(loop, () -> before[0] = timed(first, loop) - timed(second, loop));
    for (int i = 0; i < 3; i++) {
      f.onLoop(loop, () -> loop.setImmediate(() -> {}));
    }
    f.onLoop(
        loop,
        () -> {
          before[1] = timed(first, loop) - timed(second, loop);
          assertTrue(timed(second, loop) >= 3, "not vacuous: callbacks were timed");
        });
    assertEquals(before[0], before[1], "both registries timed the callbacks in between");
    metrics.close();
    assertEquals(List.of(), first.getMeters());
    assertEquals(List.of(), second.getMeters());
  }

  @CarrierTest
  void aGroupBinderTagsEachMemberAndClosingRemovesThemAll(LoopFixture f) throws Exception {
    LoopGroup group = LoopGroup.create(f.config().build(), 2);
    try {
      MeterRegistry registry = new SimpleMeterRegistry();
      LoopGroupMetrics metrics = LoopGroupMetrics.monitor(registry, group);
      Set<String> loops =
          registry.get("loopkit.loop.utilization").gauges().stream()
              .map(g -> g.getId().getTag("loop"))
              .collect(Collectors.toSet());
      assertEquals(
          group.loops().stream().map(Loop::name).collect(Collectors.toSet()),
          loops,
          "one utilization gauge per member, tagged with its name");
      int count = registry.getMeters().size();
      metrics.bindTo(registry); // again: nothing happens
      assertEquals(count, registry.getMeters().size());
      // a member already bound to this registry by another binder: refused, all or none
      Loop member = group.loops().get(1);
      MeterRegistry other = new SimpleMeterRegistry();
      LoopMetrics taken = LoopMetrics.monitor(other, member);
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> LoopGroupMetrics.monitor(other, group));
      assertTrue(e.getMessage().contains("'" + member.name() + "'"), e.getMessage());
      taken.close();
      assertEquals(List.of(), other.getMeters(), "the refused group binder left nothing behind");
      metrics.close();
      assertEquals(List.of(), registry.getMeters());
    } finally {
      group.shutdown();
      if (f.has(Capability.VIRTUAL_TIME)) {
        for (Loop loop : group.loops()) {
          dev.loopkit.ManualControl.of(loop).runUntilIdle();
        }
      }
      assertTrue(
          group.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          "the group did not terminate");
    }
  }

  private static double utilization(MeterRegistry registry, Loop loop) {
    return registry.get("loopkit.loop.utilization").tag("loop", loop.name()).gauge().value();
  }

  private static double busySeconds(MeterRegistry registry, Loop loop) {
    return registry.get("loopkit.loop.busy").tag("loop", loop.name()).functionCounter().count();
  }

  private static long timed(MeterRegistry registry, Loop loop) {
    return registry.get("loopkit.loop.callback.duration").tag("loop", loop.name()).timers().stream()
        .mapToLong(io.micrometer.core.instrument.Timer::count)
        .sum();
  }
}
