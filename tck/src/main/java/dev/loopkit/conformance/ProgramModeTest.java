package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.HandleInfo;
import dev.loopkit.Immediate;
import dev.loopkit.KeepAlive;
import dev.loopkit.Loop;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Program mode: {@code Loop.run(main)} returns once nothing ref'd is left; unref'd handles do not
 * hold it, a {@link KeepAlive} does; {@code activeHandles()} says what holds it.
 */
class ProgramModeTest {

  @CarrierTest
  void runReturnsOnceNothingRefdIsLeft(LoopFixture f) {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Loop> loopRef = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loopRef.set(loop);
          log.add("main");
          loop.setTimeout(
              () -> {
                log.add("timer");
                loop.setImmediate(
                    () -> {
                      log.add("immediate");
                      loop.offload(() -> "offload")
                          .then(
                              v -> {
                                log.add(v);
                                loop.setTimeout(() -> log.add("last timer"), 5);
                                return v;
                              });
                    });
              },
              10);
        });
    assertEquals(List.of("main", "timer", "immediate", "offload", "last timer"), log);
    Loop loop = loopRef.get();
    assertTrue(loop.isTerminated(), "run returned before the loop terminated");
    assertTrue(loop.terminationFuture().isDone());
    assertEquals(List.of(), loop.activeHandles());
  }

  @CarrierTest
  void runReturnsAtOnceWhenMainSchedulesNothing(LoopFixture f) {
    AtomicBoolean ran = new AtomicBoolean();
    f.run(() -> ran.set(true));
    assertTrue(ran.get());
  }

  @CarrierTest
  void anUnrefdTimerDoesNotHoldTheProgramOpen(LoopFixture f) {
    AtomicBoolean ran = new AtomicBoolean();
    AtomicReference<Loop> loopRef = new AtomicReference<>();
    f.run(
        () -> {
          loopRef.set(Loop.current());
          Loop.current().setTimeout(() -> ran.set(true), 50).unref();
          Loop.current().setInterval(() -> ran.set(true), 50).unref();
        });
    assertFalse(ran.get(), "an unref'd timer ran although nothing else held the loop");
    assertTrue(loopRef.get().isTerminated());
  }

  @CarrierTest
  void anUnrefdTimerStillFiresWhileSomethingElseHoldsTheProgram(LoopFixture f) {
    List<String> log = new ArrayList<>();
    AtomicInteger ticks = new AtomicInteger();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setTimeout(() -> log.add("unref'd"), 5).unref();
          loop.setInterval(ticks::incrementAndGet, 5).unref();
          loop.setTimeout(() -> log.add("ref'd"), 23);
        });
    assertEquals(List.of("unref'd", "ref'd"), log);
    assertTrue(
        ticks.get() >= 1 && ticks.get() <= 5,
        "interval runs: " + ticks.get()); // a late pass may add one
    if (f.has(Capability.VIRTUAL_TIME)) {
      assertEquals(4, ticks.get(), "at 5, 10, 15 and 20 ms");
    }
  }

  @CarrierTest
  void aTimerRefdAgainHoldsTheProgram(LoopFixture f) {
    AtomicBoolean ran = new AtomicBoolean();
    f.run(
        () -> {
          Timer t = Loop.current().setTimeout(() -> ran.set(true), 5).unref();
          t.ref();
        });
    assertTrue(ran.get());
  }

  @CarrierTest
  void anUnrefdImmediateAndKeepAliveDoNotHoldTheProgram(LoopFixture f) {
    AtomicReference<Loop> loopRef = new AtomicReference<>();
    f.run(
        () -> {
          loopRef.set(Loop.current());
          Loop.current().keepAlive().unref();
        });
    assertTrue(loopRef.get().isTerminated());
  }

  @CarrierTest
  void aKeepAliveHoldsTheProgramForAProducerOnAnotherThread(LoopFixture f) throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<List<HandleInfo>> seenByProducer = new AtomicReference<>();
    AtomicReference<Throwable> producerFailed = new AtomicReference<>();
    AtomicReference<Thread> producer = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          KeepAlive k = loop.keepAlive();
          Thread t =
              new Thread(
                  () -> {
                    try {
                      // The loop is idle but alive: it answers, listing only the keep-alive.
                      seenByProducer.set(loop.activeHandles());
                      loop.execute(
                          () -> log.add("task from another thread on loop " + loop.inEventLoop()));
                      k.close();
                    } catch (Throwable e) {
                      producerFailed.set(e);
                      k.close();
                    }
                  },
                  "test-producer");
          producer.set(t);
          t.start();
          log.add("main done");
        });
    producer.get().join(LoopFixture.PATIENCE.toMillis());
    assertEquals(null, producerFailed.get());
    assertEquals(List.of("main done", "task from another thread on loop true"), log);
    List<HandleInfo> seen = seenByProducer.get();
    assertEquals(1, seen.size(), () -> "handles: " + seen);
    assertEquals("keepAlive", seen.get(0).kind());
    assertTrue(seen.get(0).ref());
    assertTrue(seen.get(0).dueIn().isEmpty());
  }

  @CarrierTest
  void aKeepAliveClosedOnTheLoopLetsTheProgramEnd(LoopFixture f) {
    List<Boolean> active = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          KeepAlive k = loop.keepAlive();
          active.add(k.isActive());
          loop.setTimeout(
              () -> {
                k.close();
                active.add(k.isActive());
                k.close(); // idempotent
              },
              5);
        });
    assertEquals(List.of(true, false), active);
  }

  @CarrierTest
  void activeHandlesListsKindIdRefAndDueTime(LoopFixture f) {
    AtomicReference<List<HandleInfo>> listed = new AtomicReference<>();
    AtomicReference<List<HandleInfo>> afterCleanUp = new AtomicReference<>();
    List<Long> ids = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Timer timeout = loop.setTimeout(() -> {}, 100);
          Timer interval = loop.setInterval(() -> {}, 50).unref();
          Immediate immediate = loop.setImmediate(() -> {});
          KeepAlive keepAlive = loop.keepAlive();
          loop.offload(() -> 42);
          ids.addAll(List.of(timeout.id(), interval.id(), immediate.id(), keepAlive.id()));
          listed.set(loop.activeHandles());
          timeout.cancel();
          interval.cancel();
          keepAlive.close();
          loop.setTimeout(() -> afterCleanUp.set(loop.activeHandles()), 1);
        });
    List<HandleInfo> h = listed.get();
    assertEquals(
        List.of("timeout", "interval", "immediate", "keepAlive", "offload"),
        h.stream().map(HandleInfo::kind).toList(),
        () -> "handles: " + h);
    assertEquals(List.of(true, false, true, true, true), h.stream().map(HandleInfo::ref).toList());
    assertEquals(ids, h.subList(0, 4).stream().map(HandleInfo::id).toList());
    for (int i = 1; i < h.size(); i++) {
      assertTrue(h.get(i).id() > h.get(i - 1).id(), "ids increase in creation order: " + h);
    }
    Duration timeoutDue = h.get(0).dueIn().orElseThrow();
    Duration intervalDue = h.get(1).dueIn().orElseThrow();
    assertTrue(
        !timeoutDue.isNegative() && timeoutDue.compareTo(Duration.ofMillis(100)) <= 0,
        "timeout due in " + timeoutDue);
    assertTrue(
        !intervalDue.isNegative() && intervalDue.compareTo(Duration.ofMillis(50)) <= 0,
        "interval due in " + intervalDue);
    if (f.has(Capability.VIRTUAL_TIME)) {
      assertEquals(Duration.ofMillis(100), timeoutDue);
      assertEquals(Duration.ofMillis(50), intervalDue);
    }
    assertTrue(h.get(2).dueIn().isEmpty());
    assertTrue(h.get(3).dueIn().isEmpty());
    assertTrue(h.get(4).dueIn().isEmpty());
    List<HandleInfo> left = afterCleanUp.get();
    assertTrue(
        left.stream().noneMatch(x -> ids.contains(x.id())),
        () -> "cancelled or closed handles still listed: " + left);
  }

  @CarrierTest
  void activeHandlesOfAServerLoopOnAndOffTheLoop(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicReference<Timer> t = new AtomicReference<>();
    AtomicReference<List<HandleInfo>> onLoop = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          t.set(loop.setTimeout(() -> {}, 60_000).unref());
          onLoop.set(loop.activeHandles());
        });
    List<List<HandleInfo>> answers = new ArrayList<>(List.of(onLoop.get()));
    if (f.has(Capability.OWN_THREADS)) {
      answers.add(loop.activeHandles()); // off the loop: it waits for the loop to answer
    }
    for (List<HandleInfo> h : answers) {
      assertEquals(1, h.size(), () -> "handles: " + h);
      assertEquals("timeout", h.get(0).kind());
      assertEquals(t.get().id(), h.get(0).id());
      assertFalse(h.get(0).ref());
    }
    assertTrue(t.get().cancel());
  }
}
