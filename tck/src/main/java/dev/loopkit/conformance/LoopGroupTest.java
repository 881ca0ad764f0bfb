package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link LoopGroup}: N loops of one carrier; {@code next()} and the executor methods hand work out
 * round-robin; shutting the group down shuts every loop down, and after {@code close()} no thread
 * that any loop of the group started is alive.
 */
class LoopGroupTest {

  private static LoopGroup group(LoopFixture f, int size) {
    return LoopGroup.create(f.config().build(), size);
  }

  /** Waits for every loop of the group to terminate (driving them on manual). */
  private static void awaitTerminated(LoopFixture f, LoopGroup group) {
    for (Loop loop : group) {
      f.awaitCondition(loop, loop::isTerminated, loop.name() + " to terminate");
    }
  }

  /** Stops the group whatever happened in the test, so no loop outlives it. */
  private static void stop(LoopFixture f, LoopGroup group) {
    group.shutdownNow();
    awaitTerminated(f, group);
    group.close();
  }

  @Test
  void createRejectsANonPositiveSize() {
    LoopConfig config = LoopConfig.builder().isolated().build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LoopGroup.create(config, 0));
    assertTrue(e.getMessage().contains("size: 0"), e.getMessage());
  }

  @CarrierTest
  void nextHandsOutTheLoopsRoundRobin(LoopFixture f) {
    LoopGroup group = group(f, 3);
    try {
      List<Loop> loops = group.loops();
      assertEquals(3, loops.size());
      assertEquals(3, loops.stream().map(Loop::name).distinct().count(), loops::toString);
      for (Loop loop : loops) {
        assertEquals(f.setup().carrier(), loop.carrier());
      }
      List<Loop> handedOut = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        handedOut.add(group.next());
      }
      Loop a = loops.get(0);
      Loop b = loops.get(1);
      Loop c = loops.get(2);
      assertEquals(List.of(a, b, c, a, b, c, a), handedOut);
      List<Loop> iterated = new ArrayList<>();
      group.forEach(iterated::add);
      assertEquals(loops, iterated);
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void executeSpreadsTasksOverTheLoopsOnePerLoopInTurn(LoopFixture f) {
    LoopGroup group = group(f, 3);
    try {
      Map<String, AtomicInteger> ranOn = new ConcurrentHashMap<>();
      AtomicInteger offLoop = new AtomicInteger();
      for (int i = 0; i < 9; i++) {
        group.execute(
            () -> {
              Loop current = Loop.current();
              if (!current.inEventLoop() || !group.loops().contains(current)) {
                offLoop.incrementAndGet();
              }
              ranOn.computeIfAbsent(current.name(), k -> new AtomicInteger()).incrementAndGet();
            });
      }
      for (Loop loop : group) {
        f.awaitCondition(
            loop,
            () -> ranOn.containsKey(loop.name()) && ranOn.get(loop.name()).get() == 3,
            "3 tasks on " + loop.name() + " (so far " + ranOn + ")");
      }
      assertEquals(3, ranOn.size(), ranOn::toString);
      assertEquals(0, offLoop.get(), "tasks that ran off the group's loops");
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void scheduleGoesToTheNextLoop(LoopFixture f) throws Exception {
    LoopGroup group = group(f, 2);
    try {
      ScheduledFuture<String> first =
          group.schedule(() -> Loop.current().name(), 10, TimeUnit.MILLISECONDS);
      ScheduledFuture<String> second =
          group.schedule(() -> Loop.current().name(), 10, TimeUnit.MILLISECONDS);
      Loop a = group.loops().get(0);
      Loop b = group.loops().get(1);
      f.awaitCondition(a, first::isDone, "the first scheduled task");
      f.awaitCondition(b, second::isDone, "the second scheduled task");
      assertEquals(a.name(), first.get(0, TimeUnit.SECONDS));
      assertEquals(b.name(), second.get(0, TimeUnit.SECONDS));
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void shutdownShutsEveryLoopDownAndTheGroupTerminatesWhenAllHave(LoopFixture f) throws Exception {
    LoopGroup group = group(f, 3);
    try {
      AtomicInteger ran = new AtomicInteger();
      for (int i = 0; i < 3; i++) {
        group.execute(ran::incrementAndGet);
      }
      assertFalse(group.isShutdown());
      group.shutdown();
      assertTrue(group.isShutdown());
      for (Loop loop : group) {
        assertTrue(loop.isShutdown(), loop::toString);
      }
      assertThrows(RejectedExecutionException.class, () -> group.execute(() -> {}));
      awaitTerminated(f, group);
      assertTrue(group.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertTrue(group.isTerminated());
      assertEquals(3, ran.get(), "tasks accepted before shutdown() run (a graceful shutdown)");
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void awaitTerminationWaitsForTheLastLoop(LoopFixture f) throws Exception {
    LoopGroup group = group(f, 2);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocking = new CountDownLatch(1);
    try {
      Loop busy = group.loops().get(1);
      busy.execute(
          () -> {
            blocking.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      assertTrue(blocking.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
      group.shutdown();
      Loop idle = group.loops().get(0);
      assertTrue(idle.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertFalse(group.awaitTermination(50, TimeUnit.MILLISECONDS), "one loop is still busy");
      assertFalse(group.isTerminated());
      release.countDown();
      assertTrue(group.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertTrue(group.isTerminated());
    } finally {
      release.countDown();
      stop(f, group);
    }
  }

  @CarrierTest(requires = Capability.HELD_OFFLOADS)
  void shutdownNowReturnsTheTasksNoLoopRan(LoopFixture f) {
    // manual: nothing runs until the test steps a loop, so every task is still queued.
    LoopGroup group = group(f, 2);
    try {
      List<Runnable> tasks = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Runnable task = () -> {};
        tasks.add(task);
        group.execute(task);
      }
      List<Runnable> never = group.shutdownNow();
      assertEquals(4, never.size(), never::toString);
      assertTrue(group.isShutdown());
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void shutdownGracefullyTerminatesEveryLoop(LoopFixture f) throws Exception {
    LoopGroup group = group(f, 2);
    try {
      CompletableFuture<Void> done =
          group.shutdownGracefully(Duration.ofMillis(10), Duration.ofSeconds(5));
      for (Loop loop : group) {
        f.awaitCondition(loop, loop::isTerminated, loop.name() + " to terminate gracefully");
      }
      done.get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertTrue(group.isTerminated());
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void closeOnALoopOfTheGroupRefusesAndLeavesTheGroupRunning(LoopFixture f) {
    LoopGroup group = group(f, 2);
    try {
      AtomicReference<Throwable> refused = new AtomicReference<>();
      Loop loop = group.loops().get(1);
      f.onLoop(loop, () -> refused.set(assertThrows(IllegalStateException.class, group::close)));
      assertTrue(refused.get().getMessage().contains(loop.name()), refused.get()::getMessage);
      assertFalse(group.isShutdown(), "a refused close() must not shut the group down");
    } finally {
      stop(f, group);
    }
  }

  @CarrierTest
  void afterCloseNoThreadThatAnyLoopStartedIsAlive(LoopFixture f) throws Exception {
    LoopGroup group = group(f, 2);
    Set<Thread> loopThreads = new LinkedHashSet<>();
    Set<Thread> started = new LinkedHashSet<>();
    Set<Thread> before = ThreadLeaks.live();
    try {
      for (Loop loop : group) {
        // The loop's own thread (a platform, pool or virtual thread), an io and a cpu worker.
        f.onLoop(loop, () -> loopThreads.add(Thread.currentThread()));
        started.add(f.await(loop, loop.offload("io", Thread::currentThread)));
        started.add(f.await(loop, loop.offload("cpu", Thread::currentThread)));
      }
      started.addAll(loopThreads);
      started.remove(Thread.currentThread()); // manual runs turns and offloads on the test thread
      if (f.has(Capability.OWN_THREADS)) {
        // Not vacuous: each loop runs on a live thread of its own and started a cpu worker.
        assertEquals(group.loops().size(), loopThreads.size(), loopThreads::toString);
        assertTrue(loopThreads.stream().allMatch(Thread::isAlive), loopThreads::toString);
        assertTrue(started.size() >= 2 * group.loops().size(), started::toString);
      }
      if (!f.has(Capability.OWN_THREADS)) {
        group.shutdown(); // manual: drive the loops to termination first; close() only waits
        awaitTerminated(f, group);
      }
      group.close();
      assertTrue(group.isTerminated());
    } finally {
      stop(f, group);
    }
    List<String> alive = new ArrayList<>(ThreadLeaks.survivors(started));
    alive.addAll(ThreadLeaks.survivorsOf(group.loops(), before));
    assertEquals(List.of(), alive, "threads of the group alive after close()");
  }
}
