package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import dev.loopkit.micrometer.LoopMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The Micrometer binder on every carrier: callbacks counted per phase, sampled callback durations
 * and task waits, queue depths, busy time and utilization, loop delay, and offload pool figures;
 * all tagged with the loop and its carrier.
 */
class LoopMetricsTest {

  private static final String[] PHASES = {
    "timers", "poll", "check", "close", "nextTick", "microtask"
  };

  @CarrierTest
  void countsCallbacksPerPhaseAndTimesEachOneWhenSamplingEveryOne(LoopFixture f) {
    Loop loop =
        f.newLoop(
            b ->
                b.set("loopkit.metrics.sampleEvery", 1)
                    .set("loopkit.metrics.delayResolutionMillis", 60_000));
    MeterRegistry registry = new SimpleMeterRegistry();
    try (LoopMetrics metrics = LoopMetrics.monitor(registry, loop)) {
      // Read on the loop, inside a poll callback S: S is counted (as it starts), its duration not
      // yet (recorded after its checkpoint), nor its fixture nextTick. The same holds for the
      // snapshot after, so each delta holds exactly one snapshot callback.
      Snapshot before = snapshot(f, registry, loop);

      AtomicInteger ran = new AtomicInteger();
      f.onLoop(
          loop,
          () -> { // 1 poll callback, and the fixture's nextTick
            loop.nextTick(ran::incrementAndGet);
            loop.nextTick(ran::incrementAndGet);
            for (int i = 0; i < 3; i++) {
              loop.queueMicrotask(ran::incrementAndGet);
              loop.execute(ran::incrementAndGet);
            }
            loop.setImmediate(ran::incrementAndGet);
            loop.setImmediate(ran::incrementAndGet);
            loop.setTimeout(ran::incrementAndGet, 1);
            Timer never = loop.setTimeout(() -> ran.addAndGet(1000), 3_600_000);
            never.close(ran::incrementAndGet);
          });
      f.awaitCondition(loop, () -> ran.get() == 12, "12 callbacks");
      Snapshot after = snapshot(f, registry, loop);

      // (manual moves virtual time to the binder's delay timer when the loop is idle: it fired)
      long delays = after.delays() - before.delays();
      Map<String, Double> ranPerPhase = new LinkedHashMap<>();
      for (String p : PHASES) {
        ranPerPhase.put(p, after.callbacks().get(p) - before.callbacks().get(p));
      }
      assertEquals(
          Map.of(
              "timers",
              1.0 + delays,
              "poll",
              5.0,
              "check",
              2.0,
              "close",
              1.0,
              "nextTick",
              4.0,
              "microtask",
              3.0),
          ranPerPhase);
      // sampleEvery=1: every phase callback is timed, with its checkpoint
      // (A, 3 tasks, 2 immediates, the timer, the close callback, and the snapshot S before)
      assertEquals(9.0 + delays, after.timed() - before.timed());
      // The 3 tasks execute'd on the loop are stamped before it can take them; the fixture's own
      // come from the test thread, and the loop may take one before its producer stamps it.
      long waits = after.waits() - before.waits();
      assertTrue(waits >= 3 && waits <= 5, () -> "sampled task waits: " + waits);
    }
  }

  @CarrierTest
  void reportsQueueDepthsDelayBusyTimeAndOffloadPools(LoopFixture f) throws Exception {
    Loop loop =
        f.newLoop(
            b ->
                b.set("loopkit.pool.one.kind", "cpu") // platform threads on every real carrier
                    .set("loopkit.pool.one.size", 1)
                    .set("loopkit.metrics.delayResolutionMillis", 5));
    MeterRegistry registry = new SimpleMeterRegistry();
    try (LoopMetrics metrics = LoopMetrics.monitor(registry, loop)) {
      // Loop delay: the binder's timer samples every 5 ms (on manual, as the fixture moves time).
      CountDownLatch fired = new CountDownLatch(1);
      f.onLoop(loop, () -> loop.setTimeout(fired::countDown, 40));
      f.await(loop, fired);
      f.awaitCondition(
          loop,
          () -> find(registry, "loopkit.loop.delay", loop).timer().count() >= 3,
          "3 loop-delay samples");

      // Timers: 4 armed for an hour, beside the binder's delay timer.
      List<Timer> hour = new ArrayList<>();
      f.onLoop(
          loop,
          () -> {
            for (int i = 0; i < 4; i++) {
              hour.add(loop.setTimeout(() -> {}, 3_600_000));
            }
          });
      f.onLoop(loop, () -> {}); // a turn has ended since
      assertEquals(5.0, depth(registry, loop, "timers"));
      f.onLoop(loop, () -> hour.forEach(Timer::cancel));

      // Tasks: 5 wait while the loop is held (on manual: while the test does not step it).
      CountDownLatch hold = new CountDownLatch(1);
      CountDownLatch holding = new CountDownLatch(1);
      if (!f.has(Capability.VIRTUAL_TIME)) {
        loop.execute(
            () -> {
              holding.countDown();
              awaitQuietly(hold);
            });
        holding.await(LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      }
      AtomicInteger ran = new AtomicInteger();
      for (int i = 0; i < 5; i++) {
        loop.execute(ran::incrementAndGet);
      }
      assertEquals(5.0, depth(registry, loop, "tasks"));
      hold.countDown();
      f.awaitCondition(loop, () -> ran.get() == 5, "the 5 tasks");

      // Offloads on a pool of one thread: one runs, two wait.
      CountDownLatch release = new CountDownLatch(1);
      List<Promise<Integer>> offloads = new ArrayList<>();
      for (int i = 0; i < 3; i++) { // from the test's thread: on manual, nothing runs them yet
        int n = i;
        offloads.add(
            loop.offload(
                "one",
                () -> {
                  if (n == 0) {
                    awaitQuietly(release);
                  }
                  return n;
                }));
      }
      if (f.has(Capability.HELD_OFFLOADS)) {
        assertEquals(3.0, pool(registry, loop, "loopkit.offload.queued").gauge().value());
        release.countDown();
        ManualControl.of(loop).runAllOffloads();
      } else {
        f.awaitCondition(
            loop,
            () ->
                pool(registry, loop, "loopkit.offload.active").gauge().value() == 1
                    && pool(registry, loop, "loopkit.offload.queued").gauge().value() == 2,
            "one offload running and two waiting");
        release.countDown();
      }
      for (Promise<Integer> p : offloads) {
        f.await(loop, p);
      }
      assertEquals(
          3.0, pool(registry, loop, "loopkit.offload.completed").functionCounter().count());
      assertEquals(0.0, pool(registry, loop, "loopkit.offload.active").gauge().value());
      assertEquals(0.0, pool(registry, loop, "loopkit.offload.queued").gauge().value());
      assertEquals(3.0, pool(registry, loop, "loopkit.offload.wait").functionTimer().count());
      assertEquals(3.0, pool(registry, loop, "loopkit.offload.run").functionTimer().count());

      if (f.has(Capability.OWN_THREADS)) { // (virtual time stands still in a turn)
        // Busy time and utilization: a callback holds the loop for 100 ms.
        find(registry, "loopkit.loop.utilization", loop).gauge().value(); // starts a new window
        double busy0 = find(registry, "loopkit.loop.busy", loop).functionCounter().count();
        f.onLoop(loop, () -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)));
        f.awaitCondition(
            loop,
            () ->
                find(registry, "loopkit.loop.busy", loop).functionCounter().count() >= busy0 + 0.1,
            "100 ms more busy time");
        double utilization = find(registry, "loopkit.loop.utilization", loop).gauge().value();
        // 0.1 s busy in a window of about 0.1 to 0.3 s; wide margin for a slow machine
        assertTrue(utilization > 0.05 && utilization <= 1, () -> "utilization " + utilization);
      }
    }
  }

  @CarrierTest
  void oneBinderPerLoopAndRegistryAndClosingRemovesItsMeters(LoopFixture f) {
    Loop loop = f.newLoop();
    MeterRegistry registry = new SimpleMeterRegistry();
    LoopMetrics metrics = LoopMetrics.monitor(registry, loop);
    int count = registry.getMeters().size();
    assertTrue(count > 20, () -> "meters: " + count);
    registry.getMeters().forEach(m -> assertEquals(loop.carrier(), m.getId().getTag("carrier")));
    metrics.bindTo(registry); // the same binder again: nothing happens
    assertEquals(count, registry.getMeters().size());
    IllegalStateException other =
        assertThrows(IllegalStateException.class, () -> LoopMetrics.monitor(registry, loop));
    assertTrue(other.getMessage().contains("'" + loop.name() + "'"), other.getMessage());
    assertTrue(other.getMessage().contains("already bound"), other.getMessage());
    assertEquals(count, registry.getMeters().size(), "a refused binder registers nothing");
    metrics.close();
    assertEquals(List.of(), registry.getMeters());

    LoopMetrics.monitor(registry, loop); // free again; its meters go when the loop terminates
    assertTrue(registry.getMeters().size() > 20);
    loop.shutdown();
    f.awaitCondition(loop, () -> registry.getMeters().isEmpty(), "the meters to go");
  }

  /** Figures read on the loop (see the first test). */
  private record Snapshot(Map<String, Double> callbacks, long delays, double timed, long waits) {}

  private static Snapshot snapshot(LoopFixture f, MeterRegistry registry, Loop loop) {
    AtomicReference<Snapshot> s = new AtomicReference<>();
    f.onLoop(
        loop,
        () ->
            s.set(
                new Snapshot(
                    callbacks(registry, loop),
                    find(registry, "loopkit.loop.delay", loop).timer().count(),
                    timedCallbacks(registry, loop),
                    find(registry, "loopkit.loop.task.wait", loop).timer().count())));
    return s.get();
  }

  private static Map<String, Double> callbacks(MeterRegistry registry, Loop loop) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String p : PHASES) {
      out.put(
          p,
          find(registry, "loopkit.loop.callbacks", loop).tag("phase", p).functionCounter().count());
    }
    return out;
  }

  private static double timedCallbacks(MeterRegistry registry, Loop loop) {
    return find(registry, "loopkit.loop.callback.duration", loop).timers().stream()
        .mapToLong(io.micrometer.core.instrument.Timer::count)
        .sum();
  }

  private static double depth(MeterRegistry registry, Loop loop, String queue) {
    return find(registry, "loopkit.loop.queue.depth", loop).tag("queue", queue).gauge().value();
  }

  private static RequiredSearch pool(MeterRegistry registry, Loop loop, String name) {
    return find(registry, name, loop).tag("pool", "one").tag("kind", "cpu");
  }

  private static RequiredSearch find(MeterRegistry registry, String name, Loop loop) {
    return registry.get(name).tag("loop", loop.name()).tag("carrier", loop.carrier());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
