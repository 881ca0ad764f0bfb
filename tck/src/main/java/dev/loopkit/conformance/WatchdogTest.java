package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopBlockedWarning;
import dev.loopkit.micrometer.LoopMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * The blocked-loop watchdog: a callback, or the microtask checkpoint after it, that holds the loop
 * past {@code loopkit.watchdog.thresholdMillis} gets one warning per incident, with the loop
 * thread's stack and the callback, a count in the metrics and a JFR event; a busy loop of short
 * callbacks gets none. On every real carrier (manual runs its turns inside the test's calls, in
 * virtual time, and has no watchdog).
 */
class WatchdogTest {

  // Wide enough that a stall of this noisy machine (GC, JIT, scheduling) is rarely one; reports of
  // other callbacks are left out of the counts in any case.
  private static final long THRESHOLD_MS = 250;

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aBlockingCallbackIsReportedOncePerIncidentWithItsStackMetricAndJfrEvent(LoopFixture f)
      throws Exception {
    List<LoopBlockedWarning> all = new CopyOnWriteArrayList<>();
    List<LoopBlockedWarning> reports = new CopyOnWriteArrayList<>(); // of the two blockers
    CountDownLatch first = new CountDownLatch(1);
    CountDownLatch second = new CountDownLatch(2);
    Loop loop =
        watchedLoop(
            f,
            THRESHOLD_MS,
            w -> {
              all.add(w);
              if (w.callback().endsWith("blocker")) {
                reports.add(w);
                first.countDown();
                second.countDown();
              }
            });
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Recording jfr = new Recording();
        LoopMetrics metrics = LoopMetrics.monitor(registry, loop)) {
      jfr.enable("dev.loopkit.LoopBlocked");
      jfr.start();
      loop.execute(
          named(
              "the blocker",
              () -> {
                holdTheLoopUntilReported(first);
                // Still blocked for 8 more looks of the watchdog: the same incident, no new report.
                parkMillis(2 * THRESHOLD_MS);
              }));
      f.await(loop, first);
      f.onLoop(loop, () -> {}); // the blocker has returned
      assertEquals(1, reports.size(), () -> "one incident, reports: " + reports);

      LoopBlockedWarning w = reports.get(0);
      assertEquals(loop.name(), w.loopName());
      assertEquals(loop.carrier(), w.carrier());
      assertEquals("poll", w.phase());
      assertEquals("the blocker", w.callback());
      assertTrue(w.blockedFor().toMillis() >= THRESHOLD_MS, () -> "blocked for " + w.blockedFor());
      assertTrue(
          Arrays.stream(w.getStackTrace())
              .anyMatch(e -> e.getMethodName().equals("holdTheLoopUntilReported")),
          () ->
              "the loop thread's stack, not the watchdog's: " + Arrays.toString(w.getStackTrace()));
      assertFalse(w.getMessage().contains("checkpoint"), w.getMessage());

      // A second incident is a second report.
      loop.execute(named("the second blocker", () -> holdTheLoopUntilReported(second)));
      f.await(loop, second);
      f.onLoop(loop, () -> {});
      assertEquals(2, reports.size(), () -> "two incidents, reports: " + reports);
      assertEquals("the second blocker", reports.get(1).callback());
      assertEquals(
          all.size(),
          registry.get("loopkit.loop.blocked").tag("loop", loop.name()).functionCounter().count());

      jfr.stop();
      Path dump = Files.createTempFile("loopkit-watchdog", ".jfr");
      try {
        jfr.dump(dump);
        List<RecordedEvent> events =
            RecordingFile.readAllEvents(dump).stream()
                .filter(e -> e.getEventType().getName().equals("dev.loopkit.LoopBlocked"))
                .filter(e -> loop.name().equals(e.getString("loop")))
                .filter(e -> e.getString("callback").endsWith("blocker"))
                .toList();
        assertEquals(2, events.size(), () -> "JFR events: " + events);
        assertEquals("the blocker", events.get(0).getString("callback"));
        assertTrue(events.get(0).getDuration("blockedFor").toMillis() >= THRESHOLD_MS);
      } finally {
        Files.deleteIfExists(dump);
      }
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aRecursiveNextTickChainIsReportedAsItsCallbacksCheckpoint(LoopFixture f) {
    List<LoopBlockedWarning> reports = new CopyOnWriteArrayList<>();
    AtomicBoolean reported = new AtomicBoolean();
    Loop loop =
        watchedLoop(
            f,
            THRESHOLD_MS,
            w -> {
              if (w.callback().equals("the chain's start")) {
                reports.add(w);
                reported.set(true);
              }
            });
    AtomicInteger links = new AtomicInteger();
    CountDownLatch chainEnded = new CountDownLatch(1);
    // Starves the loop as Node's would until the watchdog reports it.
    Runnable step =
        new Runnable() {
          @Override
          public void run() {
            links.incrementAndGet();
            if (reported.get()) {
              chainEnded.countDown();
            } else {
              loop.nextTick(this);
            }
          }
        };
    loop.execute(named("the chain's start", () -> loop.nextTick(step)));
    f.await(loop, chainEnded);
    f.onLoop(loop, () -> {});
    assertEquals(1, reports.size(), () -> "reports: " + reports);
    LoopBlockedWarning w = reports.get(0);
    assertEquals("the chain's start", w.callback());
    assertTrue(
        w.getMessage().contains("in the microtask checkpoint after it"),
        () -> "names the checkpoint: " + w.getMessage());
    assertTrue(links.get() > 1, "a chain ran");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aBusyLoopOfShortCallbacksAndAnIdleLoopAreNotReported(LoopFixture f) {
    // A wide margin: a chain of immediates for 5 thresholds of 500 ms, each callback microseconds.
    long threshold = 500;
    List<LoopBlockedWarning> reports = new CopyOnWriteArrayList<>();
    Loop loop = watchedLoop(f, threshold, reports::add);
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger immediates = new AtomicInteger();
    f.onLoop(
        loop,
        () -> {
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 * threshold);
          Runnable next =
              new Runnable() {
                @Override
                public void run() {
                  immediates.incrementAndGet();
                  if (System.nanoTime() - end < 0) {
                    loop.setImmediate(this);
                  } else {
                    done.countDown();
                  }
                }
              };
          loop.setImmediate(next);
        });
    f.await(loop, done);
    // Idle for 3 thresholds: between turns nothing holds the loop.
    parkMillis(3 * threshold);
    assertTrue(immediates.get() > 100, "the loop was busy: " + immediates.get() + " immediates");
    assertEquals(List.of(), reports);
  }

  private static Runnable named(String name, Runnable r) {
    return new Runnable() {
      @Override
      public void run() {
        r.run();
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  private static Loop watchedLoop(
      LoopFixture f, long thresholdMillis, Consumer<LoopBlockedWarning> handler) {
    return f.newLoop(
        b -> b.set("loopkit.watchdog.thresholdMillis", thresholdMillis).onBlockedLoop(handler));
  }

  /** Blocks the calling callback until the watchdog's report opens {@code reported}. */
  private static void holdTheLoopUntilReported(CountDownLatch reported) {
    try {
      if (!reported.await(LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("no report within " + LoopFixture.PATIENCE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void parkMillis(long millis) {
    long end = System.nanoTime() + Duration.ofMillis(millis).toNanos();
    for (long left; (left = end - System.nanoTime()) > 0; ) {
      java.util.concurrent.locks.LockSupport.parkNanos(left);
    }
  }
}
