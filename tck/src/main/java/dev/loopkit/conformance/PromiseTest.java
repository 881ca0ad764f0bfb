package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.AggregateException;
import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;

/**
 * Promises: JavaScript semantics — settled once, reactions as microtasks on the owning loop in the
 * order added, adoption, the combinators, long chains, settling from any thread.
 */
class PromiseTest {

  // ---- chains ----------------------------------------------------------------------------------

  @CarrierTest
  void thenCatchErrorAndFinallyChain(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    IllegalStateException boom = new IllegalStateException("boom");
    f.run(
        () ->
            Promise.resolve(Loop.current(), 1)
                .then(v -> v + 1)
                .then(
                    v -> {
                      log.add("then " + v);
                      if (v == 2) {
                        throw boom;
                      }
                      return v;
                    })
                .then(v -> log.add("skipped: a rejection passes then(onFulfilled) by"))
                .andFinally(() -> log.add("finally on a rejection"))
                .catchError(
                    e -> {
                      log.add(e == boom ? "caught boom" : "caught " + e);
                      return true;
                    })
                .andFinally(() -> log.add("finally on a value"))
                .then(v -> log.add("value after finally: " + v))
                .catchError(
                    e -> {
                      log.add("skipped: a value passes catchError by");
                      return false;
                    })
                .andFinally(
                    () -> {
                      throw new IllegalArgumentException("finally threw");
                    })
                .then(v -> "skipped", e -> "rejected by finally: " + e.getMessage())
                .then(log::add));
    assertEquals(
        List.of(
            "then 2",
            "finally on a rejection",
            "caught boom",
            "finally on a value",
            "value after finally: true",
            "rejected by finally: finally threw"),
        log);
  }

  @CarrierTest
  void aRejectionPassesThroughUnchanged(LoopFixture f) {
    RuntimeException reason = new IllegalStateException("reason");
    AtomicReference<Throwable> seen = new AtomicReference<>();
    f.run(
        () ->
            Promise.reject(Loop.current(), reason)
                .then(v -> v)
                .andFinally(() -> {})
                .then(v -> v)
                .catchError(
                    e -> {
                      seen.set(e);
                      return null;
                    }));
    assertSame(reason, seen.get());
  }

  @CarrierTest
  void aReturnedPromiseIsAdoptedWithJavaScriptsTwoExtraHops(LoopFixture f) {
    List<String> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise<String> adopted =
              Promise.resolve(loop, (Object) null).thenCompose(v -> Promise.resolve(loop, "a"));
          Promise.resolve(loop, 0)
              .then(v -> log.add("1"))
              .then(v -> log.add("2"))
              .then(v -> log.add("3"))
              .then(v -> log.add("4"));
          adopted.then(log::add);
        });
    // As in Node: Promise.resolve().then(() => Promise.resolve('a')) settles two hops late.
    assertEquals(List.of("1", "2", "3", "a", "4"), log);
  }

  @CarrierTest
  void thenAdoptsAPromiseReturnedByItsHandler(LoopFixture f) {
    AtomicReference<Object> value = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.resolve(loop, 1)
              .<Object>then(v -> Promise.delay(Duration.ofMillis(5)).then(x -> "later " + v))
              .then(
                  v -> {
                    value.set(v);
                    return v;
                  });
        });
    assertEquals("later 1", value.get(), "then() must adopt, not nest, a returned promise");
  }

  @CarrierTest
  void resolvingWithAPendingPromiseWaitsForIt(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.Resolvers<String> inner = Promise.withResolvers(loop);
          Promise.Resolvers<Object> outer = Promise.withResolvers(loop);
          assertTrue(outer.resolve(inner.promise()));
          assertFalse(outer.resolve("too late"), "resolved with a promise: locked in");
          outer.promise().then(log::add);
          loop.setTimeout(
              () -> {
                log.add("pending " + outer.promise().isPending());
                inner.resolve("inner value");
              },
              5);
        });
    assertEquals(List.of("pending true", "inner value"), log);
  }

  @CarrierTest
  void aPromiseCannotBeResolvedWithItself(LoopFixture f) {
    AtomicReference<Throwable> reason = new AtomicReference<>();
    f.run(
        () -> {
          Promise.Resolvers<Object> r = Promise.withResolvers(Loop.current());
          r.promise()
              .catchError(
                  e -> {
                    reason.set(e);
                    return null;
                  });
          r.resolve(r.promise());
        });
    assertInstanceOf(IllegalArgumentException.class, reason.get());
  }

  // ---- combinators -----------------------------------------------------------------------------

  @CarrierTest
  void allKeepsInputOrderAndRejectsWithTheFirstRejection(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    RuntimeException first = new IllegalStateException("first");
    f.run(
        () -> {
          Loop loop = Loop.current();
          var a = Promise.<Integer>withResolvers(loop);
          var b = Promise.<Integer>withResolvers(loop);
          var c = Promise.<Integer>withResolvers(loop);
          Promise.all(List.of(a.promise(), b.promise(), c.promise()))
              .then(v -> log.add("all " + v));
          c.resolve(3);
          a.resolve(1);
          b.resolve(2);

          var x = Promise.<Integer>withResolvers(loop);
          var y = Promise.<Integer>withResolvers(loop);
          Promise.all(List.of(x.promise(), y.promise()))
              .then(v -> log.add("skipped"), e -> log.add(e == first ? "rejected first" : e));
          y.reject(first);
          x.reject(new IllegalStateException("second"));

          Promise.all(List.<Promise<Integer>>of()).then(v -> log.add("empty " + v));
        });
    assertEquals(List.of("empty []", "all [1, 2, 3]", "rejected first"), log);
  }

  @CarrierTest
  void allSettledReportsEveryOutcomeInOrder(LoopFixture f) {
    AtomicReference<List<Promise.Settled<Integer>>> out = new AtomicReference<>();
    RuntimeException reason = new IllegalStateException("no");
    f.run(
        () -> {
          Loop loop = Loop.current();
          var a = Promise.<Integer>withResolvers(loop);
          Promise.allSettled(
                  List.of(a.promise(), Promise.reject(loop, reason), Promise.resolve(loop, 3)))
              .then(
                  v -> {
                    out.set(v);
                    return v;
                  });
          loop.setTimeout(() -> a.resolve(1), 5);
        });
    List<Promise.Settled<Integer>> s = out.get();
    assertEquals(
        List.of(
            new Promise.Settled<>(true, 1, null),
            new Promise.Settled<Integer>(false, null, reason),
            new Promise.Settled<>(true, 3, null)),
        s);
  }

  @CarrierTest
  void anyTakesTheFirstValueOrRejectsWithAnAggregateOfEveryReason(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    RuntimeException r1 = new IllegalStateException("r1");
    RuntimeException r2 = new IllegalStateException("r2");
    AtomicReference<Throwable> aggregate = new AtomicReference<>();
    AtomicReference<Throwable> empty = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          var a = Promise.<String>withResolvers(loop);
          var b = Promise.<String>withResolvers(loop);
          var c = Promise.<String>withResolvers(loop);
          Promise.any(List.of(a.promise(), b.promise(), c.promise()))
              .then(v -> log.add("any " + v));
          a.reject(r1);
          c.resolve("c");
          b.resolve("b");

          var x = Promise.<String>withResolvers(loop);
          var y = Promise.<String>withResolvers(loop);
          Promise.any(List.of(x.promise(), y.promise()))
              .catchError(
                  e -> {
                    aggregate.set(e);
                    return null;
                  });
          y.reject(r2);
          x.reject(r1);

          Promise.any(List.<Promise<String>>of())
              .catchError(
                  e -> {
                    empty.set(e);
                    return null;
                  });
        });
    assertEquals(List.of("any c"), log);
    AggregateException e = assertInstanceOf(AggregateException.class, aggregate.get());
    assertEquals(List.of(r1, r2), e.errors(), "reasons in the order of the promises given");
    assertEquals(List.of(), assertInstanceOf(AggregateException.class, empty.get()).errors());
  }

  @CarrierTest
  void raceSettlesAsTheFirstToSettle(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    RuntimeException reason = new IllegalStateException("fast failure");
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.race(
                  List.of(
                      Promise.delay(Duration.ofMillis(50)).then(v -> "slow"),
                      Promise.delay(Duration.ofMillis(5)).then(v -> "fast")))
              .then(log::add);
          var a = Promise.<String>withResolvers(loop);
          var b = Promise.<String>withResolvers(loop);
          Promise.race(List.of(a.promise(), b.promise()))
              .then(v -> "skipped", e -> e == reason ? "rejection won" : "other " + e)
              .then(log::add);
          b.reject(reason);
          a.resolve("too late");
        });
    assertEquals(List.of("rejection won", "fast"), log);
  }

  // ---- settling from any thread ----------------------------------------------------------------

  @CarrierTest
  void settledOnceFromRacingThreads(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    for (int round = 0; round < 20; round++) {
      Promise.Resolvers<Integer> r = Promise.withResolvers(loop);
      AtomicInteger reactions = new AtomicInteger();
      List<String> problems = Collections.synchronizedList(new ArrayList<>());
      Promise<Object> observed =
          r.promise()
              .<Object>then(
                  v -> {
                    reactions.incrementAndGet();
                    if (!loop.inEventLoop()) {
                      problems.add("reaction off the loop");
                    }
                    return v;
                  },
                  e -> {
                    reactions.incrementAndGet();
                    return e;
                  });
      CountDownLatch go = new CountDownLatch(1);
      boolean[] won = new boolean[3];
      Thread[] threads = {
        new Thread(() -> won[0] = awaitThen(go, () -> r.resolve(1))),
        new Thread(() -> won[1] = awaitThen(go, () -> r.resolve(2))),
        new Thread(() -> won[2] = awaitThen(go, () -> r.reject(new IllegalStateException("3")))),
      };
      for (Thread t : threads) {
        t.start();
      }
      go.countDown();
      for (Thread t : threads) {
        t.join(LoopFixture.PATIENCE.toMillis());
      }
      int winners = (won[0] ? 1 : 0) + (won[1] ? 1 : 0) + (won[2] ? 1 : 0);
      assertEquals(1, winners, "exactly one settle call wins");
      Object v = f.await(loop, observed);
      if (won[0]) {
        assertEquals(1, v);
      } else if (won[1]) {
        assertEquals(2, v);
      } else {
        assertInstanceOf(IllegalStateException.class, v);
      }
      assertFalse(r.resolve(9), "a second resolve returns false");
      assertFalse(r.reject(new IllegalStateException()), "a second reject returns false");
      CountDownLatch flushed = new CountDownLatch(1);
      loop.execute(flushed::countDown);
      f.await(loop, flushed);
      assertEquals(1, reactions.get(), "the reaction ran once");
      assertEquals(List.of(), problems);
    }
  }

  private static boolean awaitThen(CountDownLatch go, java.util.function.BooleanSupplier call) {
    try {
      go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return call.getAsBoolean();
  }

  @CarrierTest
  void reactionsRunOnTheLoopWhoeverSettlesOrAddsThem(LoopFixture f) {
    Loop loop = f.newLoop();
    Promise.Resolvers<Integer> r = Promise.withResolvers(loop);
    List<String> where = Collections.synchronizedList(new ArrayList<>());
    Promise<Integer> p = r.promise();
    // Added from the test's thread, before and after settling from another thread.
    p.then(v -> where.add("then " + loop.inEventLoop()));
    p.thenApply(v -> where.add("thenApply " + loop.inEventLoop()));
    p.thenApplyAsync(v -> where.add("thenApplyAsync " + loop.inEventLoop()));
    p.andFinally(() -> where.add("andFinally " + loop.inEventLoop()));
    Thread settler = new Thread(() -> r.resolve(1));
    settler.start();
    Promise<Boolean> last = p.then(v -> where.add("added later " + loop.inEventLoop()));
    joinQuietly(settler);
    f.await(loop, last);
    Promise<Object> rejected =
        Promise.reject(loop, new IllegalStateException("x"))
            .catchError(e -> where.add("catchError " + loop.inEventLoop()));
    f.await(loop, rejected);
    assertEquals(6, where.size(), where::toString);
    assertTrue(where.stream().allMatch(s -> s.endsWith(" true")), where::toString);
  }

  private static void joinQuietly(Thread t) {
    try {
      t.join(LoopFixture.PATIENCE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @CarrierTest
  void reactionsRunInTheOrderAddedIncludingOnesAddedInsideAReaction(LoopFixture f) {
    List<String> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise<Integer> p = Promise.resolve(loop, 1);
          p.then(
              v -> {
                log.add("a");
                p.then(x -> log.add("c (added inside a)"));
                loop.queueMicrotask(() -> log.add("microtask queued inside a"));
                return v;
              });
          p.then(v -> log.add("b"));
          log.add("sync");
        });
    assertEquals(List.of("sync", "a", "b", "c (added inside a)", "microtask queued inside a"), log);
  }

  @CarrierTest
  void aHundredThousandLinkChainDoesNotOverflowTheStack(LoopFixture f) {
    AtomicReference<Integer> chained = new AtomicReference<>();
    AtomicReference<Object> adopted = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.Resolvers<Integer> root = Promise.withResolvers(loop);
          Promise<Integer> p = root.promise();
          for (int i = 0; i < 100_000; i++) {
            p = p.then(v -> v + 1);
          }
          p.then(
              v -> {
                chained.set(v);
                return v;
              });
          // A chain of adoptions: each promise resolved with the previous, still pending one.
          Promise.Resolvers<Object> base = Promise.withResolvers(loop);
          Promise<Object> q = base.promise();
          for (int i = 0; i < 100_000; i++) {
            Promise.Resolvers<Object> next = Promise.withResolvers(loop);
            next.resolve(q); // adopts q
            q = next.promise();
          }
          q.then(
              v -> {
                adopted.set(v);
                return v;
              });
          loop.setTimeout(
              () -> {
                root.resolve(0);
                base.resolve(7);
              },
              1);
        });
    assertEquals(100_000, chained.get());
    assertEquals(7, adopted.get());
  }

  // ---- blocking and the loop's own thread ------------------------------------------------------

  @CarrierTest
  void blockingOnAPendingPromiseFromItsLoopsThreadIsRefusedNamingTheCall(LoopFixture f) {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        f.has(Capability.SUSPENDS_CALLBACKS), "this carrier suspends the callback instead");
    List<String> messages = new ArrayList<>();
    List<Object> settledValues = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.Resolvers<Integer> r = Promise.withResolvers(loop);
          Promise<Integer> p = r.promise();
          List<Executable> calls = List.of(p::get, () -> p.get(1, TimeUnit.SECONDS), p::join);
          for (Executable call : calls) {
            messages.add(assertThrows(IllegalStateException.class, call).getMessage());
          }
          r.resolve(1);
          // Settled: nothing to wait for, so the value is simply returned.
          try {
            settledValues.addAll(List.of(p.get(), p.get(0, TimeUnit.SECONDS), p.join()));
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertEquals(3, messages.size());
    assertTrue(messages.get(0).contains("Promise.get()"), messages.get(0));
    assertTrue(messages.get(1).contains("Promise.get(timeout)"), messages.get(1));
    assertTrue(messages.get(2).contains("Promise.join()"), messages.get(2));
    assertEquals(List.of(1, 1, 1), settledValues);
  }

  @CarrierTest
  void blockingOffTheLoopWaitsForTheOutcome(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Promise<Integer> p = loop.offload(() -> 21).then(v -> v * 2);
    f.await(loop, p);
    assertEquals(42, p.get());
    assertEquals(42, p.join());
    assertEquals(42, p.get(0, TimeUnit.SECONDS));
    RuntimeException reason = new IllegalStateException("no");
    Promise<Object> rejected = Promise.reject(loop, reason);
    rejected.catchError(e -> null);
    ExecutionException e = assertThrows(ExecutionException.class, rejected::get);
    assertSame(reason, e.getCause());
  }

  @CarrierTest
  void loopCurrentOffTheLoopIsRefused(LoopFixture f) {
    IllegalStateException e = assertThrows(IllegalStateException.class, Loop::current);
    assertTrue(e.getMessage().contains("no loop callback"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> Promise.resolve(1));
    assertThrows(IllegalStateException.class, () -> Promise.delay(Duration.ofMillis(1)));
  }

  // ---- delay -----------------------------------------------------------------------------------

  @CarrierTest
  void delayResolvesNoSoonerThanItsDuration(LoopFixture f) {
    long[] elapsed = {-1, -1};
    AtomicReference<Boolean> onLoop = new AtomicReference<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          long start = loop.clock().nanoTime();
          long wall = System.nanoTime();
          Promise.delay(Duration.ofMillis(20))
              .then(
                  v -> {
                    elapsed[0] = loop.clock().nanoTime() - start;
                    elapsed[1] = System.nanoTime() - wall;
                    onLoop.set(loop.inEventLoop() && v == null);
                    return v;
                  });
        });
    assertTrue(elapsed[0] >= Duration.ofMillis(20).toNanos(), "resolved after " + elapsed[0]);
    if (f.has(Capability.OWN_THREADS)) {
      assertTrue(elapsed[1] >= Duration.ofMillis(20).toNanos(), "real time " + elapsed[1]);
    }
    if (f.has(Capability.VIRTUAL_TIME)) {
      assertEquals(Duration.ofMillis(20).toNanos(), elapsed[0]);
    }
    assertEquals(true, onLoop.get());
  }

  @CarrierTest
  void delayHoldsTheProgramOpen(LoopFixture f) {
    AtomicReference<String> v = new AtomicReference<>();
    f.run(
        () ->
            Promise.delay(Duration.ofMillis(5))
                .then(x -> "done")
                .then(
                    s -> {
                      v.set(s);
                      return s;
                    }));
    assertEquals("done", v.get());
  }
}
