package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Promise as a {@link CompletionStage}: every method, in its plain, Async and Async(executor)
 * forms, gives the same outcome as {@link CompletableFuture} for the same inputs; plain and
 * default-Async reactions run on the owning loop; conversions to and from CompletableFuture keep
 * value, failure and cancellation (ListenableFuture: loopkit-guava's LoopFuturesTest); cancelling
 * the promise of a running offload interrupts it.
 */
class CompletionStageInteropTest {

  private static final String EXECUTOR_THREAD = "interop-executor";

  enum Form {
    PLAIN,
    ASYNC,
    EXECUTOR
  }

  enum Input {
    SUCCESS,
    FAILURE,
    CANCELLED
  }

  /** What a stage ended with, comparable across the two implementations. */
  record Outcome(String value, String failure, boolean called) {}

  /** The inputs of one table row, of one kind (loopkit or JDK). */
  static final class Ctx {
    final CompletionStage<String> src;
    final CompletionStage<String> done; // completed with "o"
    final CompletionStage<String> never; // never completes: either-methods follow src
    final Function<String, CompletionStage<String>> stageOf;
    final Form form;
    final Executor executor;
    final Loop loopOrNull; // the owning loop when src is a Promise
    final List<String> wrongThreads;
    boolean called;

    Ctx(
        CompletionStage<String> src,
        CompletionStage<String> done,
        CompletionStage<String> never,
        Function<String, CompletionStage<String>> stageOf,
        Form form,
        Executor executor,
        Loop loopOrNull,
        List<String> wrongThreads) {
      this.src = src;
      this.done = done;
      this.never = never;
      this.stageOf = stageOf;
      this.form = form;
      this.executor = executor;
      this.loopOrNull = loopOrNull;
      this.wrongThreads = wrongThreads;
    }

    /** Records that a function ran and where; returns {@code x}. */
    <T> T hit(T x) {
      called = true;
      String thread = Thread.currentThread().getName();
      if (form == Form.EXECUTOR) {
        if (!thread.startsWith(EXECUTOR_THREAD)) {
          wrongThreads.add(form + " ran on " + thread + ", not the given executor");
        }
      } else if (loopOrNull != null && !loopOrNull.inEventLoop()) {
        wrongThreads.add(form + " ran on " + thread + ", not on the owning loop");
      }
      return x;
    }
  }

  /** One CompletionStage method, applied in the form {@code c.form}. */
  @FunctionalInterface
  interface Op {
    CompletionStage<?> apply(Ctx c);
  }

  private static String describe(Object v, Throwable e) {
    if (e == null) {
      return "v=" + v;
    }
    Throwable t = unwrap(e);
    return "e="
        + t.getClass().getSimpleName()
        + (t instanceof CancellationException ? "" : ":" + t.getMessage());
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** Every CompletionStage method: 14 rows, each in three forms. */
  private static Map<String, Op> table() {
    Map<String, Op> t = new LinkedHashMap<>();
    t.put(
        "thenApply",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenApply(v -> c.hit(v + "!"));
              case ASYNC -> c.src.thenApplyAsync(v -> c.hit(v + "!"));
              case EXECUTOR -> c.src.thenApplyAsync(v -> c.hit(v + "!"), c.executor);
            });
    t.put(
        "thenAccept",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenAccept(c::hit);
              case ASYNC -> c.src.thenAcceptAsync(c::hit);
              case EXECUTOR -> c.src.thenAcceptAsync(c::hit, c.executor);
            });
    t.put(
        "thenRun",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenRun(() -> c.hit(null));
              case ASYNC -> c.src.thenRunAsync(() -> c.hit(null));
              case EXECUTOR -> c.src.thenRunAsync(() -> c.hit(null), c.executor);
            });
    t.put(
        "thenCombine",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenCombine(c.done, (a, b) -> c.hit(a + b));
              case ASYNC -> c.src.thenCombineAsync(c.done, (a, b) -> c.hit(a + b));
              case EXECUTOR -> c.src.thenCombineAsync(c.done, (a, b) -> c.hit(a + b), c.executor);
            });
    t.put(
        "thenAcceptBoth",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenAcceptBoth(c.done, (a, b) -> c.hit(a));
              case ASYNC -> c.src.thenAcceptBothAsync(c.done, (a, b) -> c.hit(a));
              case EXECUTOR -> c.src.thenAcceptBothAsync(c.done, (a, b) -> c.hit(a), c.executor);
            });
    t.put(
        "runAfterBoth",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.runAfterBoth(c.done, () -> c.hit(null));
              case ASYNC -> c.src.runAfterBothAsync(c.done, () -> c.hit(null));
              case EXECUTOR -> c.src.runAfterBothAsync(c.done, () -> c.hit(null), c.executor);
            });
    t.put(
        "applyToEither",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.applyToEither(c.never, v -> c.hit(v + "?"));
              case ASYNC -> c.src.applyToEitherAsync(c.never, v -> c.hit(v + "?"));
              case EXECUTOR -> c.src.applyToEitherAsync(c.never, v -> c.hit(v + "?"), c.executor);
            });
    t.put(
        "acceptEither",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.acceptEither(c.never, c::hit);
              case ASYNC -> c.src.acceptEitherAsync(c.never, c::hit);
              case EXECUTOR -> c.src.acceptEitherAsync(c.never, c::hit, c.executor);
            });
    t.put(
        "runAfterEither",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.runAfterEither(c.never, () -> c.hit(null));
              case ASYNC -> c.src.runAfterEitherAsync(c.never, () -> c.hit(null));
              case EXECUTOR -> c.src.runAfterEitherAsync(c.never, () -> c.hit(null), c.executor);
            });
    t.put(
        "thenCompose",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.thenCompose(v -> c.hit(c.stageOf.apply(v + "#")));
              case ASYNC -> c.src.thenComposeAsync(v -> c.hit(c.stageOf.apply(v + "#")));
              case EXECUTOR ->
                  c.src.thenComposeAsync(v -> c.hit(c.stageOf.apply(v + "#")), c.executor);
            });
    t.put(
        "handle",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.handle((v, e) -> c.hit(describe(v, e)));
              case ASYNC -> c.src.handleAsync((v, e) -> c.hit(describe(v, e)));
              case EXECUTOR -> c.src.handleAsync((v, e) -> c.hit(describe(v, e)), c.executor);
            });
    t.put(
        "whenComplete",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.whenComplete((v, e) -> c.hit(v));
              case ASYNC -> c.src.whenCompleteAsync((v, e) -> c.hit(v));
              case EXECUTOR -> c.src.whenCompleteAsync((v, e) -> c.hit(v), c.executor);
            });
    t.put(
        "exceptionally",
        c ->
            switch (c.form) {
              case PLAIN -> c.src.exceptionally(e -> c.hit("recovered " + describe(null, e)));
              case ASYNC -> c.src.exceptionallyAsync(e -> c.hit("recovered " + describe(null, e)));
              case EXECUTOR ->
                  c.src.exceptionallyAsync(
                      e -> c.hit("recovered " + describe(null, e)), c.executor);
            });
    t.put(
        "exceptionallyCompose",
        c ->
            switch (c.form) {
              case PLAIN ->
                  c.src.exceptionallyCompose(
                      e -> c.hit(c.stageOf.apply("recovered " + describe(null, e))));
              case ASYNC ->
                  c.src.exceptionallyComposeAsync(
                      e -> c.hit(c.stageOf.apply("recovered " + describe(null, e))));
              case EXECUTOR ->
                  c.src.exceptionallyComposeAsync(
                      e -> c.hit(c.stageOf.apply("recovered " + describe(null, e))), c.executor);
            });
    return t;
  }

  /** Waits for {@code stage} (stepping a manual loop) and describes how it ended. */
  private static Outcome outcome(LoopFixture f, Loop loop, CompletionStage<?> stage, Ctx c) {
    CompletableFuture<?> cf = stage.toCompletableFuture();
    long deadline = System.nanoTime() + LoopFixture.PATIENCE.toNanos();
    while (!cf.isDone()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("a stage did not complete: " + stage);
      }
      if (f.has(Capability.VIRTUAL_TIME)) {
        ManualControl.of(loop).runUntilIdle();
      }
      if (!cf.isDone()) {
        LockSupport.parkNanos(100_000);
      }
    }
    Object v = null;
    Throwable e = null;
    try {
      v = cf.join();
    } catch (CompletionException | CancellationException x) {
      e = x;
    }
    return new Outcome(
        e == null ? String.valueOf(v) : null,
        e == null ? null : describe(null, e),
        c != null && c.called);
  }

  private static CompletionStage<String> jdkInput(Input in) {
    return switch (in) {
      case SUCCESS -> CompletableFuture.completedFuture("v");
      case FAILURE -> CompletableFuture.failedFuture(new IllegalStateException("boom"));
      case CANCELLED -> {
        CompletableFuture<String> cf = new CompletableFuture<>();
        cf.cancel(false);
        yield cf;
      }
    };
  }

  private static Promise<String> loopInput(Loop loop, Input in) {
    return switch (in) {
      case SUCCESS -> Promise.resolve(loop, "v");
      case FAILURE -> Promise.reject(loop, new IllegalStateException("boom"));
      case CANCELLED -> {
        Promise<String> p = Promise.<String>withResolvers(loop).promise();
        assertTrue(p.cancel(false));
        yield p;
      }
    };
  }

  private static Loop quietLoop(LoopFixture f) {
    return f.newLoop(b -> b.onUnhandledRejection((l, e) -> {}));
  }

  private static ExecutorService namedExecutor() {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        2,
        r -> {
          Thread t = new Thread(r, EXECUTOR_THREAD + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  // ---- the table
  // ---------------------------------------------------------------------------------

  @CarrierTest
  void everyCompletionStageMethodMatchesCompletableFuture(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    ExecutorService executor = namedExecutor();
    try {
      Map<String, Op> table = table();
      assertEquals(14, table.size());
      List<String> mismatches = new ArrayList<>();
      List<String> wrongThreads = new CopyOnWriteArrayList<>();
      int compared = 0;
      int calledOnLoop = 0;
      for (Map.Entry<String, Op> row : table.entrySet()) {
        for (Form form : Form.values()) {
          for (Input in : Input.values()) {
            String label = row.getKey() + "/" + form + "/" + in;
            Ctx jdk =
                new Ctx(
                    jdkInput(in),
                    CompletableFuture.completedFuture("o"),
                    new CompletableFuture<>(),
                    CompletableFuture::completedFuture,
                    form,
                    executor,
                    null,
                    wrongThreads);
            Outcome expected = outcome(f, loop, row.getValue().apply(jdk), jdk);
            List<String> promiseThreads = new CopyOnWriteArrayList<>();
            Ctx lk =
                new Ctx(
                    loopInput(loop, in),
                    Promise.resolve(loop, "o"),
                    Promise.<String>withResolvers(loop).promise(),
                    s -> Promise.resolve(loop, s),
                    form,
                    executor,
                    loop,
                    promiseThreads);
            CompletionStage<?> stage = row.getValue().apply(lk);
            if (!(stage instanceof Promise<?>)) {
              mismatches.add(label + ": returned " + stage.getClass() + ", not a Promise");
            }
            Outcome actual = outcome(f, loop, stage, lk);
            compared++;
            if (!expected.equals(actual)) {
              mismatches.add(label + ": CompletableFuture " + expected + " but Promise " + actual);
            }
            for (String w : promiseThreads) {
              wrongThreads.add(label + ": " + w);
            }
            if (lk.called && form != Form.EXECUTOR) {
              calledOnLoop++;
            }
          }
        }
      }
      assertEquals(14 * 3 * 3, compared);
      assertEquals(List.of(), mismatches);
      assertEquals(List.of(), wrongThreads);
      assertTrue(calledOnLoop >= 14 * 2, "too few reactions ran to check their thread");
    } finally {
      executor.shutdownNow();
    }
  }

  @CarrierTest
  void negativeControlTheTableSeesADifferentOutcome(LoopFixture f) {
    // outcome() must tell a value from a failure, and messages apart.
    Loop loop = quietLoop(f);
    Outcome a = outcome(f, loop, CompletableFuture.completedFuture("v"), null);
    Outcome b = outcome(f, loop, Promise.reject(loop, new IllegalStateException("boom")), null);
    Outcome c = outcome(f, loop, Promise.reject(loop, new IllegalStateException("other")), null);
    Outcome d = outcome(f, loop, jdkInput(Input.FAILURE).thenApply(v -> v), null);
    assertFalse(a.equals(b));
    assertFalse(b.equals(c));
    assertEquals(b, d, "a CompletionException must be unwrapped before comparing");
  }

  // ---- round trips
  // -------------------------------------------------------------------------------

  @CarrierTest
  void roundTripsKeepValueFailureAndCancellation(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    for (Input in : Input.values()) {
      Promise<String> p = loopInput(loop, in);
      Outcome original = outcome(f, loop, p, null);

      CompletableFuture<String> cf = p.toCompletableFuture();
      Promise<String> viaCf = Promise.from(loop, cf);
      assertEquals(original, outcome(f, loop, cf, null), in + ": Promise -> CompletableFuture");
      assertEquals(
          original, outcome(f, loop, viaCf, null), in + ": -> CompletableFuture -> Promise");
      assertEquals(in == Input.CANCELLED, cf.isCancelled(), in + ": cf.isCancelled");
      assertEquals(in == Input.CANCELLED, viaCf.isCancelled(), in + ": viaCf.isCancelled");
      if (in == Input.FAILURE) {
        assertSame(p.reason(), viaCf.reason(), "the failure cause is kept, not wrapped");
      }
      if (in == Input.SUCCESS) {
        assertEquals("v", viaCf.value());
      }

      // The other way: CompletableFuture -> Promise -> CompletableFuture.
      CompletableFuture<String> jdk = jdkInput(in).toCompletableFuture();
      Outcome jdkOutcome = outcome(f, loop, jdk, null);
      assertEquals(
          jdkOutcome,
          outcome(f, loop, Promise.from(loop, jdk).toCompletableFuture(), null),
          in + ": CompletableFuture -> Promise -> CompletableFuture");
    }
  }

  @CarrierTest
  void pendingConversionsFollowLaterSettlementAndPropagateCancellation(LoopFixture f) {
    Loop loop = quietLoop(f);
    // Settled later, from another thread.
    Promise.Resolvers<String> r = Promise.withResolvers(loop);
    CompletableFuture<String> cf = r.promise().toCompletableFuture();
    assertFalse(cf.isDone());
    r.resolve("late");
    assertEquals("late", outcome(f, loop, cf, null).value());

    // Cancelling a promise made from a future cancels the future.
    CompletableFuture<String> pendingCf = new CompletableFuture<>();
    Promise<String> fromCf = Promise.from(loop, pendingCf);
    assertTrue(fromCf.cancel(false));
    assertTrue(pendingCf.isCancelled(), "cancelling the promise cancels the CompletableFuture");
    assertTrue(fromCf.isCancelled());
  }

  // ---- cancelling an offload
  // ---------------------------------------------------------------------

  @CarrierTest
  void cancellingThePromiseOfARunningOffloadInterruptsIt(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    AtomicBoolean finishedNormally = new AtomicBoolean();
    Promise<String> p =
        loop.offload(
            () -> {
              started.countDown();
              try {
                Thread.sleep(LoopFixture.PATIENCE.toMillis() * 2);
              } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
              }
              finishedNormally.set(true);
              return "finished";
            });
    Thread runner = startHeldOffload(f, loop);
    assertTrue(started.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertTrue(p.cancel(true));
    assertTrue(
        interrupted.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
        "the running offload was not interrupted");
    assertTrue(p.isCancelled());
    assertFalse(finishedNormally.get());
    if (runner != null) {
      runner.join(LoopFixture.PATIENCE.toMillis());
    }
    // The loop goes on; the cancelled offload no longer holds it.
    assertEquals("after", f.await(loop, loop.offload(() -> "after")));
    assertTrue(p.isCancelled(), "a late completion must not overwrite the cancellation");
  }

  @CarrierTest
  void cancelWithoutInterruptLetsARunningOffloadFinish(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean sawInterrupt = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    Promise<String> p =
        loop.offload(
            () -> {
              started.countDown();
              try {
                release.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                sawInterrupt.set(true);
              }
              finished.countDown();
              return "finished";
            });
    Thread runner = startHeldOffload(f, loop);
    assertTrue(started.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertTrue(p.cancel(false));
    release.countDown();
    assertTrue(finished.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertFalse(sawInterrupt.get(), "cancel(false) interrupted the offload");
    if (runner != null) {
      runner.join(LoopFixture.PATIENCE.toMillis());
    }
    assertEquals("after", f.await(loop, loop.offload(() -> "after")));
    assertTrue(p.isCancelled());
  }

  @CarrierTest
  void cancellingAnOffloadThatHasNotStartedMeansItNeverRuns(LoopFixture f) {
    // One platform thread on every carrier (an io pool may grow, as on fork-join).
    Loop loop =
        f.newLoop(b -> b.set("loopkit.pool.cpu.size", 1).onUnhandledRejection((l, e) -> {}));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger secondRan = new AtomicInteger();
    Promise<String> first =
        loop.offload(
            "cpu",
            () -> {
              started.countDown();
              release.await(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
              return "first";
            });
    Promise<String> second =
        loop.offload(
            "cpu",
            () -> {
              secondRan.incrementAndGet();
              return "second";
            });
    assertTrue(second.cancel(true));
    release.countDown();
    assertEquals("first", f.await(loop, first));
    assertEquals("after", f.await(loop, loop.offload(() -> "after")));
    assertEquals(0, secondRan.get(), "a cancelled offload that had not started ran");
    assertTrue(second.isCancelled());
    assertTrue(started.getCount() == 0);
  }

  /** On manual, runs the oldest held offload on a thread of its own; else null. */
  private static Thread startHeldOffload(LoopFixture f, Loop loop) {
    if (!f.has(Capability.HELD_OFFLOADS)) {
      return null;
    }
    ManualControl m = ManualControl.of(loop);
    Thread t = new Thread(() -> m.runOffload(0), "interop-test-offload-runner");
    t.start();
    return t;
  }
}
