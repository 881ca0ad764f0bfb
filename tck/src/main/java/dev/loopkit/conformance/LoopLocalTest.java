package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopLocal;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import dev.loopkit.TaskDecorator;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link LoopLocal}, Node's {@code AsyncLocalStorage}: a value set while a callback runs follows
 * every kind of work it schedules and is restored around each of them; and the task decorator,
 * which sees each kind when it is scheduled. The pending work of a stopping loop that carries a
 * context keeps its outcomes: {@code EdgeMatrixTest} runs its matrix with a context and a decorator
 * too.
 */
class LoopLocalTest {

  private static final LoopLocal<String> REQUEST = LoopLocal.create();
  private static final LoopLocal<String> USER = LoopLocal.withDefault("nobody");

  /** What each kind of callback saw of REQUEST (and USER), by kind, in the order they ran. */
  private static class Seen {
    final Map<String, List<String>> byKind = new ConcurrentHashMap<>();
    final CountDownLatch done;

    Seen(int expected) {
      done = new CountDownLatch(expected);
    }

    /** Records what this callback sees (null: usable as a reaction's result). */
    Object record(String kind) {
      byKind
          .computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>())
          .add(REQUEST.get() + "/" + USER.get());
      done.countDown();
      return null;
    }

    /** Each kind and what it saw, sorted by kind (for a readable failure). */
    Map<String, List<String>> sorted() {
      return new TreeMap<>(byKind);
    }
  }

  /** Schedules one callback of every kind; returns how many records they will make. */
  private static int scheduleEveryKind(Loop loop, Seen seen, String pool) {
    loop.nextTick(() -> seen.record("nextTick"));
    loop.queueMicrotask(() -> seen.record("queueMicrotask"));
    Promise<Integer> resolved = Promise.resolve(loop, 1);
    resolved.then(v -> seen.record("then"));
    resolved.thenApply(v -> v).thenAccept(v -> seen.record("thenApply.thenAccept"));
    Promise.Resolvers<Object> rejected = Promise.withResolvers(loop);
    rejected.promise().catchError(e -> seen.record("catchError")); // handled before it rejects
    rejected.reject(new IllegalStateException("test: expected"));
    resolved.andFinally(() -> seen.record("andFinally"));
    loop.setImmediate(() -> seen.record("setImmediate"));
    loop.setTimeout(
        () -> {
          seen.record("setTimeout");
          loop.nextTick(() -> seen.record("setTimeout.nextTick")); // and so on
        },
        1);
    AtomicInteger intervals = new AtomicInteger();
    AtomicReference<Timer> interval = new AtomicReference<>();
    interval.set(
        loop.setInterval(
            () -> {
              seen.record("setInterval");
              if (intervals.incrementAndGet() == 2) {
                interval.get().cancel();
              }
            },
            1));
    loop.execute(() -> seen.record("execute"));
    var unused = loop.submit(() -> seen.record("submit"));
    unused = loop.schedule(() -> seen.record("schedule(Runnable)"), 1, TimeUnit.MILLISECONDS);
    unused =
        loop.schedule(
            () -> {
              seen.record("schedule(Callable)");
              return 1;
            },
            1,
            TimeUnit.MILLISECONDS);
    AtomicInteger rates = new AtomicInteger();
    AtomicReference<ScheduledFuture<?>> rate = new AtomicReference<>();
    rate.set(
        loop.scheduleAtFixedRate(
            () -> {
              seen.record("scheduleAtFixedRate");
              if (rates.incrementAndGet() == 2) {
                rate.get().cancel(false);
              }
            },
            1,
            1,
            TimeUnit.MILLISECONDS));
    AtomicInteger delays = new AtomicInteger();
    AtomicReference<ScheduledFuture<?>> delay = new AtomicReference<>();
    delay.set(
        loop.scheduleWithFixedDelay(
            () -> {
              seen.record("scheduleWithFixedDelay");
              if (delays.incrementAndGet() == 2) {
                delay.get().cancel(false);
              }
            },
            1,
            1,
            TimeUnit.MILLISECONDS));
    loop.offload(
            pool,
            () -> {
              seen.record("offload (worker)");
              return 1;
            })
        .then(v -> seen.record("offload.then (completion)"));
    return RECORDS;
  }

  /** The kinds that run twice (then cancel themselves). */
  private static final Set<String> REPEATING =
      Set.of("setInterval", "scheduleAtFixedRate", "scheduleWithFixedDelay");

  /** How many records {@link #scheduleEveryKind} makes. */
  private static final int RECORDS = 21;

  private static final List<String> KINDS =
      List.of(
          "andFinally",
          "catchError",
          "execute",
          "nextTick",
          "offload (worker)",
          "offload.then (completion)",
          "queueMicrotask",
          "schedule(Callable)",
          "schedule(Runnable)",
          "scheduleAtFixedRate",
          "scheduleWithFixedDelay",
          "setImmediate",
          "setInterval",
          "setTimeout",
          "setTimeout.nextTick",
          "submit",
          "then",
          "thenApply.thenAccept");

  /** Every kind and how often it runs, each seeing {@code value}. */
  private static Map<String, List<String>> everyKindSaw(String value) {
    Map<String, List<String>> m = new TreeMap<>();
    for (String k : KINDS) {
      int runs = REPEATING.contains(k) ? 2 : 1;
      m.put(k, Collections.nCopies(runs, value));
    }
    return m;
  }

  private static Loop loopWithOnePool(LoopFixture f) {
    return f.newLoop(b -> b.set("loopkit.pool.one.kind", "io").set("loopkit.pool.one.size", 1));
  }

  // ---- the value follows every kind of work ----------------------------------------------------

  @CarrierTest
  void aValueSetInACallbackFollowsEveryKindOfWorkItSchedules(LoopFixture f) {
    Loop loop = loopWithOnePool(f);
    Seen seen = new Seen(RECORDS);
    AtomicReference<String> after = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          REQUEST.run("a", () -> USER.run("ann", () -> scheduleEveryKind(loop, seen, "one")));
          after.set(REQUEST.get() + "/" + USER.get());
        });
    f.await(loop, seen.done);
    assertEquals(everyKindSaw("a/ann"), seen.sorted());
    assertEquals("null/nobody", after.get(), "the callback itself, after run() returned");
  }

  @CarrierTest
  void workScheduledFromAnotherThreadTakesThatThreadsValue(LoopFixture f) throws Exception {
    Loop loop = loopWithOnePool(f);
    Seen seen = new Seen(RECORDS);
    REQUEST.run("off", () -> scheduleEveryKind(loop, seen, "one"));
    f.await(loop, seen.done);
    assertEquals(everyKindSaw("off/nobody"), seen.sorted());

    Seen none = new Seen(RECORDS);
    CompletableFuture.runAsync(() -> scheduleEveryKind(loop, none, "one")).get();
    f.await(loop, none.done);
    assertEquals(everyKindSaw("null/nobody"), none.sorted(), "a thread without a value");
  }

  @CarrierTest
  void aNestedRunChangesOnlyWhatItSchedulesAndAReactionTakesTheContextOfThen(LoopFixture f) {
    Loop loop = f.newLoop();
    Seen seen = new Seen(4);
    f.onLoop(
        loop,
        () -> {
          Promise.Resolvers<Integer> r = Promise.withResolvers(loop);
          REQUEST.run(
              "outer",
              () -> {
                REQUEST.run("inner", () -> loop.setImmediate(() -> seen.record("inner")));
                loop.setImmediate(() -> seen.record("outer"));
                r.promise().then(v -> seen.record("then in outer"));
              });
          // settled in another context: the reaction keeps the context of then()
          REQUEST.run("settler", () -> loop.setImmediate(() -> r.resolve(1)));
          loop.setImmediate(() -> seen.record("none"));
        });
    f.await(loop, seen.done);
    assertEquals(
        Map.of(
            "inner", List.of("inner/nobody"),
            "outer", List.of("outer/nobody"),
            "then in outer", List.of("outer/nobody"),
            "none", List.of("null/nobody")),
        seen.sorted());
  }

  // ---- no leaks
  // ----------------------------------------------------------------------------------

  /**
   * Two requests interleaved on one loop, each a chain of immediates, timers, ticks, microtasks,
   * reactions and offloads, with context-free callbacks between them: each step sees its own
   * request's value only.
   */
  @CarrierTest
  void interleavedRequestsNeverSeeEachOthersValue(LoopFixture f) {
    Loop loop = loopWithOnePool(f);
    int steps = 40;
    List<String> wrong = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(2 * steps + steps);
    f.onLoop(
        loop,
        () -> {
          for (String request : List.of("r1", "r2")) {
            REQUEST.run(request, () -> step(loop, request, steps, wrong, done));
          }
          for (int i = 0; i < steps; i++) {
            loop.setImmediate( // scheduled with no value: sees none, whatever ran before it
                () -> {
                  if (REQUEST.get() != null) {
                    wrong.add("a context-free immediate saw " + REQUEST.get());
                  }
                  done.countDown();
                });
          }
        });
    f.await(loop, done);
    assertEquals(List.of(), wrong);
  }

  /** One step of a request's chain; the next step by another kind of work. */
  private static void step(
      Loop loop, String request, int left, List<String> wrong, CountDownLatch done) {
    if (!request.equals(REQUEST.get())) {
      wrong.add(request + " saw " + REQUEST.get() + " with " + left + " steps left");
    }
    done.countDown();
    if (left == 1) {
      return;
    }
    Runnable next = () -> step(loop, request, left - 1, wrong, done);
    switch (left % 6) {
      case 0 -> loop.setImmediate(next);
      case 1 -> loop.setTimeout(next, 1);
      case 2 -> loop.nextTick(() -> loop.setImmediate(next));
      case 3 -> loop.queueMicrotask(() -> loop.execute(next));
      case 4 -> Promise.delay(Duration.ofMillis(1)).thenAccept(v -> next.run());
      default -> loop.offload("one", () -> REQUEST.get()).then(v -> check(v, request, wrong, next));
    }
  }

  private static Object check(String onWorker, String request, List<String> wrong, Runnable next) {
    if (!request.equals(onWorker)) {
      wrong.add(request + "'s offload saw " + onWorker + " on its worker");
    }
    next.run();
    return null;
  }

  @CarrierTest
  void aThrowingCallbackLeavesNoValueBehind(LoopFixture f) {
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<String> handlerSaw = new CopyOnWriteArrayList<>();
    Loop loop =
        f.newLoop(
            b ->
                b.onUncaughtError(
                    (l, e) -> {
                      errors.add(e);
                      handlerSaw.add(String.valueOf(REQUEST.get()));
                    }));
    Seen seen = new Seen(3);
    f.onLoop(
        loop,
        () -> {
          REQUEST.run(
              "thrower",
              () -> {
                loop.setImmediate(
                    () -> {
                      throw new IllegalStateException("test: expected, thrown on purpose");
                    });
                loop.nextTick(
                    () -> {
                      throw new IllegalStateException("test: expected, a tick that throws");
                    });
              });
          loop.setImmediate(() -> seen.record("after the throwing immediate"));
          loop.setTimeout(() -> seen.record("a timer after both"), 1);
          loop.execute(() -> seen.record("a task after both"));
        });
    f.await(loop, seen.done);
    assertEquals(2, errors.size(), () -> "errors: " + errors);
    assertEquals(List.of("null", "null"), handlerSaw, "the handler runs between callbacks");
    seen.byKind.forEach((k, v) -> assertEquals(List.of("null/nobody"), v, k));
  }

  /** LoopLocal.run on any thread: the value is gone after it, even when its callback throws. */
  @Test
  void runRestoresAfterItsCallbackThrows() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                REQUEST.run(
                    "x",
                    () -> {
                      throw new IllegalStateException("test: expected");
                    }));
    assertEquals("test: expected", e.getMessage());
    assertNull(REQUEST.get());
    assertEquals("nobody", USER.get());
  }

  // ---- await on a carrier that suspends callbacks ----------------------------------------------

  /**
   * A callback that awaits keeps its value while suspended and after; the callbacks that run on the
   * loop meanwhile see their own (another request's, or none).
   */
  @CarrierTest(requires = Capability.SUSPENDS_CALLBACKS)
  void aCallbackSuspendedInAwaitResumesWithItsValueAndLendsItToNoOther(LoopFixture f) {
    Loop loop = f.newLoop();
    Seen seen = new Seen(5);
    Promise.Resolvers<String> gate = Promise.withResolvers(loop);
    f.onLoop(
        loop,
        () -> {
          REQUEST.run(
              "awaiter",
              () ->
                  loop.execute(
                      () -> {
                        seen.record("before await");
                        String v = gate.promise().await();
                        seen.record("after await (" + v + ")");
                      }));
          loop.setImmediate(() -> seen.record("none, while suspended"));
          REQUEST.run(
              "other",
              () ->
                  loop.setTimeout(
                      () -> {
                        seen.record("other, while suspended");
                        gate.resolve("opened");
                      },
                      5));
          loop.setTimeout(() -> seen.record("none, after"), 50);
        });
    f.await(loop, seen.done);
    assertEquals(
        Map.of(
            "before await", List.of("awaiter/nobody"),
            "none, while suspended", List.of("null/nobody"),
            "other, while suspended", List.of("other/nobody"),
            "after await (opened)", List.of("awaiter/nobody"),
            "none, after", List.of("null/nobody")),
        seen.sorted());
  }

  // ---- the worker of an offload ----------------------------------------------------------------

  /**
   * On a pool of one worker, the worker sees each offload's value while it runs it, and nothing of
   * it in the next offload; each completion (the reaction) sees the value of its then().
   */
  @CarrierTest
  void anOffloadWorkerSeesTheValueOnlyWhileItRunsThatOffload(LoopFixture f) {
    Loop loop = loopWithOnePool(f);
    Seen seen = new Seen(6);
    f.onLoop(
        loop,
        () -> {
          REQUEST.run(
              "a",
              () ->
                  loop.offload("one", () -> seen.record("a's worker"))
                      .then(v -> seen.record("a's completion")));
          loop.offload("one", () -> seen.record("none's worker"))
              .then(v -> seen.record("none's completion"));
          REQUEST.run(
              "b",
              () ->
                  loop.offload(
                          "one",
                          () -> {
                            seen.record("b's worker");
                            throw new IllegalStateException("test: expected");
                          })
                      .catchError(e -> seen.record("b's completion")));
        });
    f.await(loop, seen.done);
    assertEquals(
        Map.of(
            "a's worker", List.of("a/nobody"),
            "a's completion", List.of("a/nobody"),
            "none's worker", List.of("null/nobody"),
            "none's completion", List.of("null/nobody"),
            "b's worker", List.of("b/nobody"),
            "b's completion", List.of("b/nobody")),
        seen.sorted());
  }

  // ---- the task decorator ----------------------------------------------------------------------

  /** A stand-in for a ThreadLocal that other code owns (a logging MDC, a trace). */
  private static final ThreadLocal<String> TRACE = new ThreadLocal<>();

  /** Carries TRACE as the context-propagation bridge would, and keeps what it was given. */
  private static final class TraceDecorator implements TaskDecorator {
    final Set<Runnable> given =
        Collections.newSetFromMap(Collections.synchronizedMap(new IdentityHashMap<>()));
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public Runnable decorate(Runnable task) {
      calls.incrementAndGet();
      given.add(task);
      String trace = TRACE.get();
      return () -> {
        String outer = TRACE.get();
        TRACE.set(trace);
        try {
          task.run();
        } finally {
          TRACE.set(outer);
        }
      };
    }
  }

  @CarrierTest
  void theDecoratorWrapsEveryKindOfScheduledCallback(LoopFixture f) {
    TraceDecorator decorator = new TraceDecorator();
    Loop loop =
        f.newLoop(
            b ->
                b.taskDecorator(decorator)
                    .set("loopkit.pool.one.kind", "io")
                    .set("loopkit.pool.one.size", 1));
    Map<String, List<String>> traces = new ConcurrentHashMap<>();
    Seen seen =
        new Seen(RECORDS + 2) {
          @Override
          Object record(String kind) {
            traces.computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>()).add(TRACE.get());
            return super.record(kind);
          }
        };
    Runnable execute = () -> seen.record("execute");
    Runnable immediate = () -> seen.record("setImmediate");
    f.onLoop(
        loop,
        () -> {
          TRACE.set("t1");
          try {
            scheduleEveryKind(loop, seen, "one");
            loop.execute(execute);
            loop.setImmediate(immediate);
          } finally {
            TRACE.remove();
          }
        });
    f.await(loop, seen.done);
    assertEquals(KINDS, List.copyOf(new TreeMap<>(traces).keySet()), "the kinds that ran");
    for (String kind : KINDS) { // (setTimeout.nextTick: scheduled by a callback that saw t1)
      assertTrue(
          traces.get(kind).stream().allMatch("t1"::equals),
          () -> kind + " ran with the traces " + traces.get(kind));
    }
    assertTrue(decorator.given.contains(execute), "the decorator sees execute's own task");
    assertTrue(decorator.given.contains(immediate), "the decorator sees setImmediate's callback");
    assertNull(TRACE.get(), "nothing left on this thread");
  }

  @Test
  void badDecoratorsAreRefusedClearly() {
    LoopConfig.Builder b = LoopConfig.builder().isolated();
    NullPointerException e = assertThrows(NullPointerException.class, () -> b.taskDecorator(null));
    assertEquals("decorator", e.getMessage());
  }

  @CarrierTest
  void aDecoratorThatReturnsNullFailsTheSchedulingCallWhichSchedulesNothing(LoopFixture f) {
    AtomicInteger ran = new AtomicInteger();
    Loop loop = f.newLoop(b -> b.taskDecorator(task -> null));
    NullPointerException e =
        assertThrows(NullPointerException.class, () -> loop.execute(ran::incrementAndGet));
    assertTrue(e.getMessage().contains("taskDecorator returned null"), e.getMessage());
    assertThrows(NullPointerException.class, () -> loop.setTimeout(ran::incrementAndGet, 1));
    loop.shutdown();
    f.await(loop, loop.terminationFuture());
    assertEquals(0, ran.get(), "nothing was scheduled");
  }

  @CarrierTest
  void whatADecoratorThrowsReachesTheSchedulingCallWhichSchedulesNothing(LoopFixture f) {
    AtomicInteger ran = new AtomicInteger();
    Loop loop =
        f.newLoop(
            b ->
                b.taskDecorator(
                    task -> {
                      throw new IllegalStateException("test: expected, a decorator that throws");
                    }));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> loop.setImmediate(ran::incrementAndGet));
    assertEquals("test: expected, a decorator that throws", e.getMessage());
    assertThrows(IllegalStateException.class, () -> loop.execute(ran::incrementAndGet));
    loop.shutdown();
    f.await(loop, loop.terminationFuture());
    assertEquals(0, ran.get(), "nothing was scheduled");
  }

  @Test
  void badLocalArgumentsAreRefusedNamingThem() {
    assertEquals(
        "value",
        assertThrows(NullPointerException.class, () -> REQUEST.run(null, () -> {})).getMessage());
    assertEquals(
        "callback",
        assertThrows(NullPointerException.class, () -> REQUEST.run("v", null)).getMessage());
    assertEquals(
        "callback",
        assertThrows(NullPointerException.class, () -> REQUEST.call("v", null)).getMessage());
    assertEquals(
        "defaultValue",
        assertThrows(NullPointerException.class, () -> LoopLocal.withDefault(null)).getMessage());
  }

  // ---- stopping loops
  // ----------------------------------------------------------------------------

  /**
   * shutdownNow() returns the very tasks given to execute and submit, each future cancelled, though
   * each was wrapped to carry a context and a decorator's work.
   */
  @CarrierTest
  void shutdownNowReturnsTheTasksAsGivenThoughTheyCarriedAContext(LoopFixture f) throws Exception {
    Loop loop = f.newLoop(b -> b.taskDecorator(task -> () -> task.run())); // a wrapper
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    if (f.has(Capability.OWN_THREADS)) {
      loop.execute(
          () -> {
            held.countDown();
            try {
              release.await(LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt(); // the stop's interrupt: let it end
            }
          });
      f.await(loop, held);
    }
    Runnable task = () -> {};
    Future<?>[] future = new Future<?>[1];
    REQUEST.run(
        "pending",
        () -> {
          loop.execute(task);
          future[0] = loop.submit(() -> "never");
        });
    List<Runnable> returned;
    try {
      returned = loop.shutdownNow();
    } finally {
      release.countDown();
    }
    assertEquals(2, returned.size(), () -> "returned " + returned);
    assertSame(task, returned.get(0));
    assertSame(future[0], returned.get(1));
    assertTrue(future[0].isCancelled());
  }

  /** shutdown() lets pending work run, in its context; calls after termination are refused. */
  @CarrierTest
  void shutdownLetsPendingWorkRunInItsContextAndLaterCallsAreRefusedAsBefore(LoopFixture f) {
    Loop loop = f.newLoop();
    Seen seen = new Seen(2);
    REQUEST.run(
        "pending",
        () -> {
          loop.setTimeout(() -> seen.record("timeout"), 5);
          loop.execute(() -> seen.record("execute"));
          loop.shutdown();
        });
    f.await(loop, seen.done);
    f.await(loop, loop.terminationFuture());
    assertEquals(
        Map.of("timeout", List.of("pending/nobody"), "execute", List.of("pending/nobody")),
        seen.sorted());
    List<String> notRefused = new ArrayList<>();
    REQUEST.run(
        "late",
        () -> {
          try {
            loop.execute(() -> {});
            notRefused.add("execute");
          } catch (RejectedExecutionException expected) {
            // as without a context
          }
          try {
            loop.setImmediate(() -> {});
            notRefused.add("setImmediate");
          } catch (RejectedExecutionException expected) {
            // as without a context
          }
          // a reaction that can never run: its promise is rejected, as without a context
          Promise<Object> derived = Promise.resolve(loop, 1).then(v -> v);
          try {
            derived.toCompletableFuture().get(0, TimeUnit.SECONDS);
            notRefused.add("then: fulfilled");
          } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof LoopTerminatedException)) {
              notRefused.add("then: rejected with " + e.getCause());
            }
          } catch (Exception e) {
            notRefused.add("then: " + e);
          }
        });
    assertEquals(List.of(), notRefused);
  }
}
