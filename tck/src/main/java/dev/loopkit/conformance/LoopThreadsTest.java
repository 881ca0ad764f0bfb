package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The threads a loop starts: gone once it has terminated; daemon unless configured otherwise; the
 * loop's own thread may not wait for the loop.
 */
class LoopThreadsTest {

  /** The live threads whose names say they belong to {@code loop}. */
  private static List<Thread> threadsOf(Loop loop) {
    return List.copyOf(ThreadLeaks.threadsOf(List.of(loop), Set.of()));
  }

  /** Joins every thread of {@code loop} with a wide timeout; returns the names still alive. */
  private static List<String> survivors(Loop loop) throws InterruptedException {
    return ThreadLeaks.survivorsOf(List.of(loop), Set.of());
  }

  @CarrierTest
  void aClosedLoopLeavesNoThreadAlive(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    String io = f.await(loop, loop.offload("io", () -> Thread.currentThread().getName()));
    String cpu = f.await(loop, loop.offload("cpu", () -> Thread.currentThread().getName()));
    if (f.has(Capability.OWN_THREADS)) {
      // Not vacuous: the loop and its pools did start threads that carry its name (io may run
      // on the carrier's own threads, or on virtual threads, which are not enumerable; cpu pools
      // are platform threads on every carrier).
      assertTrue(io.startsWith(loop.name() + "-"), io);
      assertTrue(cpu.startsWith(loop.name() + "-cpu"), cpu);
      List<String> names = threadsOf(loop).stream().map(Thread::getName).toList();
      assertTrue(names.contains(cpu), () -> "threads: " + names);
    }
    if (f.has(Capability.VIRTUAL_TIME)) {
      // manual: nothing runs turns but the test's thread, so drive the loop to termination first.
      loop.shutdown();
      ManualControl.of(loop).runUntilIdle();
    }
    loop.close();
    assertTrue(loop.isTerminated());
    assertEquals(List.of(), survivors(loop), "threads alive after close()");
  }

  @CarrierTest
  void aProgramLeavesNoThreadAliveWhenRunReturns(LoopFixture f) throws Exception {
    AtomicReference<Loop> loopRef = new AtomicReference<>();
    List<String> workers = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loopRef.set(loop);
          loop.offload("io", () -> Thread.currentThread().getName()).then(workers::add);
          loop.offload("cpu", () -> Thread.currentThread().getName()).then(workers::add);
        });
    assertEquals(2, workers.size());
    assertTrue(loopRef.get().isTerminated());
    assertEquals(List.of(), survivors(loopRef.get()), "threads alive after Loop.run returned");
  }

  @CarrierTest
  void aLoopStoppedWithShutdownNowLeavesNoThreadAlive(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    f.await(loop, loop.offload(() -> 1));
    loop.shutdownNow();
    f.awaitCondition(loop, loop::isTerminated, "the loop to terminate");
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertEquals(List.of(), survivors(loop));
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void loopThreadsAreDaemonThreadsUnlessConfiguredOtherwise(LoopFixture f) {
    Loop daemons = f.newLoop();
    String io = f.await(daemons, daemons.offload("cpu", () -> Thread.currentThread().getName()));
    List<Thread> threads = threadsOf(daemons);
    assertTrue(threads.stream().anyMatch(t -> t.getName().equals(io)), threads::toString);
    assertTrue(threads.stream().allMatch(Thread::isDaemon), threads::toString);

    Loop users = f.newLoop(b -> b.set("loopkit.threads.daemon", "false"));
    f.await(users, users.offload("cpu", () -> 1)); // cpu pools are platform threads everywhere
    List<Thread> userThreads = threadsOf(users);
    assertFalse(userThreads.isEmpty());
    assertTrue(userThreads.stream().noneMatch(Thread::isDaemon), userThreads::toString);
  }

  @CarrierTest
  void theLoopsOwnThreadMayNotWaitForTheLoop(LoopFixture f) {
    List<String> messages = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          messages.add(assertThrows(IllegalStateException.class, loop::close).getMessage());
          messages.add(
              assertThrows(
                      IllegalStateException.class,
                      () -> loop.awaitTermination(1, TimeUnit.MILLISECONDS))
                  .getMessage());
          messages.add(
              assertThrows(IllegalStateException.class, () -> loop.invokeAll(List.of(() -> 1)))
                  .getMessage());
          messages.add(
              assertThrows(IllegalStateException.class, () -> loop.invokeAny(List.of(() -> 1)))
                  .getMessage());
          messages.add(String.valueOf(loop.isShutdown()));
        });
    assertEquals(5, messages.size(), messages::toString);
    assertTrue(messages.get(0).contains("close"), messages.get(0));
    assertTrue(messages.get(1).contains("awaitTermination"), messages.get(1));
    assertTrue(messages.get(2).contains("invokeAll"), messages.get(2));
    assertTrue(messages.get(3).contains("invokeAny"), messages.get(3));
    assertEquals("false", messages.get(4), "a refused close() must not shut the loop down");
  }
}
