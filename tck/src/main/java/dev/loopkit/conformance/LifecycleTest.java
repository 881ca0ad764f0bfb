package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;

/**
 * The lifecycle of the loop's contract: shutdown refuses new work from any thread but lets queued
 * work, ref'd one-shot timers and accepted offloads finish; shutdownNow interrupts, returns and
 * cancels; close releases every thread.
 */
class LifecycleTest {

  private static void awaitLatch(CountDownLatch latch) {
    try {
      assertTrue(latch.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS), "latch");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Every way to hand the loop new work, by name. */
  private static Map<String, Executable> submissions(Loop loop) {
    Runnable r = () -> {};
    Callable<String> c = () -> "c";
    List<Callable<String>> cs = List.of(c);
    Map<String, Executable> m = new LinkedHashMap<>();
    m.put("execute", () -> loop.execute(r));
    m.put("submit(Runnable)", () -> loop.submit(r));
    m.put("submit(Runnable, T)", () -> loop.submit(r, "v"));
    m.put("submit(Callable)", () -> loop.submit(c));
    m.put("schedule(Runnable)", () -> loop.schedule(r, 1, TimeUnit.MILLISECONDS));
    m.put("schedule(Callable)", () -> loop.schedule(c, 0, TimeUnit.MILLISECONDS));
    m.put("scheduleAtFixedRate", () -> loop.scheduleAtFixedRate(r, 1, 1, TimeUnit.MILLISECONDS));
    m.put(
        "scheduleWithFixedDelay",
        () -> loop.scheduleWithFixedDelay(r, 1, 1, TimeUnit.MILLISECONDS));
    m.put("invokeAll", () -> loop.invokeAll(cs));
    m.put("invokeAll(timed)", () -> loop.invokeAll(cs, 1, TimeUnit.SECONDS));
    m.put("invokeAny", () -> loop.invokeAny(cs));
    m.put("invokeAny(timed)", () -> loop.invokeAny(cs, 1, TimeUnit.SECONDS));
    m.put("offload", () -> loop.offload(c));
    m.put("offload(io)", () -> loop.offload("io", c));
    m.put("offload(cpu)", () -> loop.offload("cpu", c));
    m.put("setTimeout", () -> loop.setTimeout(r, 1));
    m.put("setTimeout(Duration)", () -> loop.setTimeout(r, Duration.ofMillis(1)));
    m.put("setInterval", () -> loop.setInterval(r, 1));
    m.put("setInterval(Duration)", () -> loop.setInterval(r, Duration.ofMillis(1)));
    m.put("setImmediate", () -> loop.setImmediate(r));
    return m;
  }

  /** Tries every submission; returns a description of each one that was not refused properly. */
  private static List<String> notRejected(Loop loop) {
    List<String> wrong = new ArrayList<>();
    submissions(loop)
        .forEach(
            (name, call) -> {
              try {
                call.execute();
                wrong.add(name + ": accepted");
              } catch (RejectedExecutionException e) {
                if (e.getMessage() == null || !e.getMessage().contains("shutting down")) {
                  wrong.add(name + ": message does not say the loop is shutting down: " + e);
                }
              } catch (Throwable t) {
                wrong.add(name + ": threw " + t);
              }
            });
    return wrong;
  }

  private static void awaitTerminated(LoopFixture f, Loop loop) throws Exception {
    f.awaitCondition(loop, loop::isTerminated, "termination");
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertTrue(loop.terminationFuture().isDone(), "awaitTermination returned before the future");
  }

  // ---- shutdown() ------------------------------------------------------------------------------

  @CarrierTest
  void afterShutdownEverySubmissionIsRejectedFromTheTestThread(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    assertEquals(20, submissions(loop).size());
    loop.shutdown();
    assertTrue(loop.isShutdown());
    assertEquals(List.of(), notRejected(loop));
    awaitTerminated(f, loop);
    assertTrue(loop.isTerminated());
    assertEquals(List.of(), notRejected(loop), "after termination");
  }

  @CarrierTest
  void negativeControlEverySubmissionIsAcceptedBeforeShutdown(LoopFixture f) throws Exception {
    // notRejected must be able to see an accepted call: before shutdown, each non-blocking one is.
    Loop loop = f.newLoop();
    List<String> wrong = new ArrayList<>();
    f.onLoop(
        loop,
        () -> {
          Map<String, Executable> calls = submissions(loop);
          calls.keySet().removeIf(n -> n.startsWith("invoke"));
          calls.forEach(
              (name, call) -> {
                try {
                  call.execute();
                } catch (Throwable t) {
                  wrong.add(name + ": " + t);
                }
              });
          loop.shutdown(); // so the intervals and periodic tasks are cancelled
        });
    assertEquals(List.of(), wrong);
    awaitTerminated(f, loop);
  }

  @CarrierTest
  void afterShutdownInACallbackSubmissionsAreRejectedButTicksMicrotasksAndReactionsRun(
      LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<String> wrong = new ArrayList<>();
    List<String> log = new CopyOnWriteArrayList<>();
    f.onLoop(
        loop,
        () -> {
          loop.shutdown();
          assertTrue(loop.isShutdown());
          wrong.addAll(notRejected(loop));
          loop.nextTick(() -> log.add("tick"));
          loop.queueMicrotask(() -> log.add("microtask"));
          Promise.resolve(loop, 1)
              .then(v -> log.add("reaction " + v))
              .thenRun(() -> loop.nextTick(() -> log.add("tick from a reaction")));
          log.add("callback end");
        });
    assertEquals(List.of(), wrong);
    awaitTerminated(f, loop);
    assertEquals(
        List.of("callback end", "tick", "microtask", "reaction 1", "tick from a reaction"), log);
  }

  @CarrierTest
  void aCallbackQueuedBeforeShutdownRunsAfterItAndIsRefused(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    CountDownLatch shutDown = new CountDownLatch(1);
    List<String> wrong = new CopyOnWriteArrayList<>();
    AtomicInteger ran = new AtomicInteger();
    loop.execute(() -> awaitLatch(shutDown)); // holds a real loop until shutdown() was called
    loop.execute(
        () -> {
          ran.incrementAndGet();
          wrong.addAll(notRejected(loop));
        });
    loop.shutdown();
    shutDown.countDown();
    awaitTerminated(f, loop);
    assertEquals(1, ran.get(), "a task queued before shutdown() must still run");
    assertEquals(List.of(), wrong);
  }

  @CarrierTest
  void afterShutdownQueuedWorkOneShotTimersAndOffloadsFinishRepeatingAndUnrefdAreCancelled(
      LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<String> log = new CopyOnWriteArrayList<>();
    AtomicReference<Timer> interval = new AtomicReference<>();
    AtomicReference<Timer> unrefd = new AtomicReference<>();
    AtomicReference<Timer> timeout = new AtomicReference<>();
    List<ScheduledFuture<?>> periodic = new ArrayList<>();
    AtomicReference<ScheduledFuture<String>> oneShot = new AtomicReference<>();
    AtomicReference<Future<String>> submitted = new AtomicReference<>();
    AtomicReference<Promise<String>> offloaded = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          interval.set(loop.setInterval(() -> log.add("interval"), 1));
          unrefd.set(loop.setTimeout(() -> log.add("unref'd timeout"), 1).unref());
          periodic.add(
              loop.scheduleAtFixedRate(() -> log.add("fixed rate"), 1, 1, TimeUnit.MILLISECONDS));
          periodic.add(
              loop.scheduleWithFixedDelay(
                  () -> log.add("fixed delay"), 1, 1, TimeUnit.MILLISECONDS));
          timeout.set(loop.setTimeout(() -> log.add("timeout"), 20));
          oneShot.set(
              loop.schedule(
                  () -> {
                    log.add("schedule");
                    return "scheduled";
                  },
                  30,
                  TimeUnit.MILLISECONDS));
          loop.execute(() -> log.add("queued"));
          submitted.set(loop.submit(() -> "submitted"));
          loop.setImmediate(() -> log.add("immediate"));
          offloaded.set(
              loop.offload(() -> "offloaded")
                  .then(
                      v -> {
                        log.add(v);
                        return v;
                      }));
          loop.shutdown();
        });
    awaitTerminated(f, loop);
    assertEquals(
        Set.of("queued", "immediate", "timeout", "schedule", "offloaded"),
        Set.copyOf(log),
        "log: " + log);
    assertEquals(5, log.size(), "log: " + log);
    assertEquals("scheduled", oneShot.get().get(0, TimeUnit.SECONDS));
    assertEquals("submitted", submitted.get().get(0, TimeUnit.SECONDS));
    assertEquals("offloaded", offloaded.get().value());
    for (ScheduledFuture<?> p : periodic) {
      assertTrue(p.isCancelled(), "a periodic task must be cancelled by shutdown()");
    }
    assertFalse(interval.get().isActive());
    assertFalse(unrefd.get().isActive());
    assertFalse(timeout.get().isActive());
  }

  @CarrierTest
  void shutdownIsIdempotentAndAnEmptyLoopTerminates(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    assertFalse(loop.isShutdown());
    assertFalse(loop.isTerminated());
    assertFalse(loop.awaitTermination(0, TimeUnit.SECONDS), "running loop reports terminated");
    loop.shutdown();
    loop.shutdown();
    awaitTerminated(f, loop);
    loop.shutdown();
    assertEquals(List.of(), loop.shutdownNow(), "nothing was left for shutdownNow");
    assertTrue(loop.isTerminated());
  }

  // ---- shutdownNow() ---------------------------------------------------------------------------

  @CarrierTest
  void shutdownNowInterruptsReturnsNeverStartedTasksAndRejectsPendingOffloads(LoopFixture f)
      throws Exception {
    // A cpu pool of one platform thread on every carrier (an io pool may grow, as on fork-join):
    // the second offload waits behind the first and never starts.
    Loop loop = f.newLoop(b -> b.set("loopkit.pool.cpu.size", 1));
    CountDownLatch offloadStarted = new CountDownLatch(1);
    CountDownLatch offloadInterrupted = new CountDownLatch(1);
    AtomicInteger secondOffloadRan = new AtomicInteger();
    Promise<String> running =
        loop.offload(
            "cpu",
            () -> {
              offloadStarted.countDown();
              try {
                Thread.sleep(LoopFixture.PATIENCE.toMillis() * 2);
              } catch (InterruptedException e) {
                offloadInterrupted.countDown();
                throw e;
              }
              return "not interrupted";
            });
    Promise<String> queuedOffload =
        loop.offload(
            "cpu",
            () -> {
              secondOffloadRan.incrementAndGet();
              return "second";
            });
    Thread helper = null;
    if (f.has(Capability.HELD_OFFLOADS)) {
      ManualControl m = ManualControl.of(loop);
      helper = new Thread(() -> m.runOffload(0), "lifecycle-test-offload-runner");
      helper.start();
    }
    awaitLatch(offloadStarted);

    // Hold a real loop in a callback so that the tasks below stay queued (manual: not driven).
    CountDownLatch loopHeld = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    if (f.has(Capability.OWN_THREADS)) {
      loop.execute(
          () -> {
            loopHeld.countDown();
            awaitLatch(release);
          });
      awaitLatch(loopHeld);
    }
    AtomicInteger ran = new AtomicInteger();
    Runnable executed = ran::incrementAndGet;
    Future<?> submitted = loop.submit(ran::incrementAndGet);
    Future<String> submittedValue = loop.submit(ran::incrementAndGet, "v");
    ScheduledFuture<?> soon = loop.schedule(ran::incrementAndGet, 0, TimeUnit.MILLISECONDS);
    ScheduledFuture<Integer> delayed = loop.schedule(ran::incrementAndGet, 1, TimeUnit.HOURS);
    ScheduledFuture<?> rate = loop.scheduleAtFixedRate(ran::incrementAndGet, 2, 2, TimeUnit.HOURS);
    ScheduledFuture<?> delay =
        loop.scheduleWithFixedDelay(ran::incrementAndGet, 3, 3, TimeUnit.HOURS);
    loop.execute(executed);
    Timer timer = loop.setTimeout(ran::incrementAndGet, 1);

    List<Runnable> returned = loop.shutdownNow();
    release.countDown();
    assertTrue(loop.isShutdown());

    Set<Object> byIdentity = Collections.newSetFromMap(new IdentityHashMap<>());
    byIdentity.addAll(returned);
    assertEquals(returned.size(), byIdentity.size(), "a task was returned twice: " + returned);
    List<Object> expected =
        List.of(submitted, submittedValue, soon, delayed, rate, delay, executed);
    for (Object o : expected) {
      assertTrue(byIdentity.contains(o), "shutdownNow() did not return " + o + ": " + returned);
    }
    assertEquals(expected.size(), returned.size(), "returned more than expected: " + returned);
    for (Object o : expected) {
      if (o instanceof Future<?> fut) {
        assertTrue(fut.isCancelled(), "the future of a returned task is not cancelled: " + fut);
      }
    }

    awaitLatch(offloadInterrupted);
    assertTrue(running.isRejected(), "the running offload's promise: " + running);
    assertInstanceOf(LoopTerminatedException.class, running.reason());
    assertTrue(queuedOffload.isRejected(), "the queued offload's promise: " + queuedOffload);
    assertInstanceOf(LoopTerminatedException.class, queuedOffload.reason());

    awaitTerminated(f, loop);
    if (helper != null) {
      helper.join(LoopFixture.PATIENCE.toMillis());
    }
    assertEquals(0, ran.get(), "a task returned by shutdownNow() ran");
    assertEquals(0, secondOffloadRan.get(), "an offload that never started ran after shutdownNow");
    assertFalse(timer.isActive());
    // Running a returned task whose future was cancelled does nothing.
    for (Runnable r : returned) {
      if (r instanceof Future<?>) {
        r.run();
      }
    }
    assertEquals(0, ran.get());
  }

  @CarrierTest
  void shutdownNowFromACallbackStopsTheRestOfTheTurn(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger ran = new AtomicInteger();
    AtomicReference<List<Runnable>> returned = new AtomicReference<>();
    Runnable later = ran::incrementAndGet;
    loop.execute(
        () -> {
          loop.execute(later);
          loop.setImmediate(ran::incrementAndGet);
          returned.set(loop.shutdownNow());
          assertTrue(loop.isShutdown());
        });
    awaitTerminated(f, loop);
    assertEquals(List.of(later), returned.get());
    assertEquals(0, ran.get(), "nothing may run after shutdownNow()");
  }

  // ---- close() and threads ---------------------------------------------------------------------

  @CarrierTest
  void closeAfterOffloadsOnIoAndCpuPoolsLeavesNoThreadAlive(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Set<Thread> workers = Collections.newSetFromMap(new java.util.concurrent.ConcurrentHashMap<>());
    List<Promise<String>> all = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      for (String pool : List.of("io", "cpu")) {
        all.add(
            loop.offload(
                pool,
                () -> {
                  workers.add(Thread.currentThread());
                  return pool;
                }));
      }
    }
    Set<Thread> loopThreads =
        Collections.newSetFromMap(new java.util.concurrent.ConcurrentHashMap<>());
    f.onLoop(loop, () -> loopThreads.add(Thread.currentThread()));
    for (Promise<String> p : all) {
      f.await(loop, p);
    }
    Thread test = Thread.currentThread();
    workers.remove(test); // manual runs offloads on the caller
    loopThreads.remove(test);
    if (!f.has(Capability.HELD_OFFLOADS)) {
      assertTrue(
          workers.stream().anyMatch(t -> t.getName().startsWith(loop.name() + "-")),
          "the cpu pool's threads should carry the loop's name: " + workers);
    }
    CompletableFuture<Void> closed = new CompletableFuture<>();
    Thread closer =
        new Thread(
            () -> {
              try {
                loop.close();
                closed.complete(null);
              } catch (Throwable t) {
                closed.completeExceptionally(t);
              }
            },
            "lifecycle-test-closer");
    closer.start(); // (manual: close() runs the loop to its end on the closer's thread)
    closed.get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertTrue(loop.isTerminated(), "close() returned before termination");
    Set<Thread> started = new java.util.HashSet<>(workers);
    started.addAll(loopThreads);
    started.addAll(ThreadLeaks.live());
    started.removeIf(t -> !ThreadLeaks.isOf(t, List.of(loop)));
    List<String> alive = ThreadLeaks.survivors(started);
    assertEquals(List.of(), alive, "threads the loop started are still alive");
    closer.join(LoopFixture.PATIENCE.toMillis());
  }
}
