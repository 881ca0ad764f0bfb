package dev.loopkit.context;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loopkit.Loop;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshotFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * A logging MDC value carried by {@link ContextPropagation}, on every carrier set-up: it follows an
 * offload to its worker and back to its completion, and the other kinds of scheduled work; a
 * callback scheduled without it never sees it, though it ran on the same thread.
 */
class ContextPropagationTest {
  private static final String KEY = "requestId";

  @BeforeAll
  static void registerTheMdcKey() {
    ContextRegistry.getInstance()
        .registerThreadLocalAccessor(
            KEY, () -> MDC.get(KEY), v -> MDC.put(KEY, v), () -> MDC.remove(KEY));
  }

  @AfterAll
  static void unregisterTheMdcKey() {
    ContextRegistry.getInstance().removeThreadLocalAccessor(KEY);
  }

  /** What each callback saw of the MDC key, by name. */
  private static final class Seen {
    final Map<String, String> byName = new ConcurrentHashMap<>();
    final CountDownLatch done;

    Seen(int expected) {
      done = new CountDownLatch(expected);
    }

    Object record(String name) {
      byName.put(name, String.valueOf(MDC.get(KEY)));
      done.countDown();
      return null;
    }
  }

  private static Loop newLoop(LoopFixture f) {
    return f.newLoop(
        b ->
            b.taskDecorator(ContextPropagation.taskDecorator())
                .set("loopkit.pool.one.kind", "io")
                .set("loopkit.pool.one.size", 1));
  }

  @CarrierTest
  void anMdcValueFollowsAnOffloadToItsWorkerAndBackToItsCompletion(LoopFixture f) {
    Loop loop = newLoop(f);
    Seen seen = new Seen(6);
    f.onLoop(
        loop,
        () -> {
          MDC.put(KEY, "r-42");
          try {
            loop.offload("one", () -> seen.record("worker"))
                .then(v -> seen.record("completion"))
                .then(v -> seen.record("the completion's reaction"));
          } finally {
            MDC.remove(KEY);
          }
          // the same worker next, and the same loop thread: nothing of r-42 left there
          loop.offload("one", () -> seen.record("the next offload's worker"))
              .then(v -> seen.record("its completion"));
          loop.setImmediate(() -> seen.record("an immediate scheduled without it"));
        });
    f.await(loop, seen.done);
    assertEquals(
        Map.of(
            "worker", "r-42",
            "completion", "r-42",
            "the completion's reaction", "r-42",
            "the next offload's worker", "null",
            "its completion", "null",
            "an immediate scheduled without it", "null"),
        seen.byName);
  }

  /** Scheduled from a thread that is not the loop's: each kind runs with that thread's MDC. */
  @CarrierTest
  void anMdcValueOfTheSchedulingThreadFollowsEachKindOfWork(LoopFixture f) {
    Loop loop = newLoop(f);
    Seen seen = new Seen(6);
    MDC.put(KEY, "r-7");
    try {
      loop.execute(() -> seen.record("execute"));
      loop.nextTick(() -> seen.record("nextTick"));
      loop.setImmediate(() -> seen.record("setImmediate"));
      loop.setTimeout(() -> seen.record("setTimeout"), 1);
      var unused = loop.schedule(() -> seen.record("schedule"), 1, TimeUnit.MILLISECONDS);
      loop.offload("one", () -> 1).then(v -> seen.record("offload.then"));
    } finally {
      MDC.remove(KEY);
    }
    f.await(loop, seen.done);
    assertEquals(
        Map.of(
            "execute", "r-7",
            "nextTick", "r-7",
            "setImmediate", "r-7",
            "setTimeout", "r-7",
            "schedule", "r-7",
            "offload.then", "r-7"),
        seen.byName);
    assertNull(MDC.get(KEY));
  }

  @Test
  void nullArgumentsAreRefusedNamingThem() {
    assertEquals(
        "registry",
        assertThrows(
                NullPointerException.class,
                () -> ContextPropagation.taskDecorator((ContextRegistry) null))
            .getMessage());
    assertEquals(
        "snapshots",
        assertThrows(
                NullPointerException.class,
                () -> ContextPropagation.taskDecorator((ContextSnapshotFactory) null))
            .getMessage());
  }
}
