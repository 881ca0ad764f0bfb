package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Errors: a throwing callback goes to the uncaught-error handler and a server-mode loop goes on; in
 * program mode {@code Loop.run} rethrows it; rejections with no handler go to the rejection
 * handler; an {@code Error} such as {@code OutOfMemoryError} is never swallowed.
 */
class ErrorsTest {

  /**
   * Each kind of callback of the contract, and how to schedule one on a loop (called on the loop).
   */
  private static final Map<String, BiConsumer<Loop, Runnable>> KINDS =
      Map.of(
          "timer", (loop, cb) -> loop.setTimeout(cb, 1),
          "immediate", Loop::setImmediate,
          "tick", Loop::nextTick,
          "microtask", Loop::queueMicrotask,
          "execute", Loop::execute);

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }

  /** A handler that records what it receives and whether it ran on its loop. */
  private static final class Recorder {
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    void handle(Loop loop, Throwable error) {
      if (!loop.inEventLoop()) {
        problems.add("handler ran off its loop for " + error);
      }
      errors.add(error);
    }
  }

  // ---- server mode -----------------------------------------------------------------------------

  @CarrierTest
  void throwingCallbacksReachTheHandlerAndTheServerLoopGoesOn(LoopFixture f) {
    Recorder handler = new Recorder();
    Loop loop = f.newLoop(b -> b.onUncaughtError(handler::handle));
    List<RuntimeException> thrown = new ArrayList<>();
    CountDownLatch later = new CountDownLatch(1);
    f.onLoop(
        loop,
        () ->
            KINDS.forEach(
                (kind, schedule) -> {
                  RuntimeException e = new IllegalStateException("thrown by a " + kind);
                  thrown.add(e);
                  schedule.accept(
                      loop,
                      () -> {
                        throw e;
                      });
                }));
    loop.setTimeout(later::countDown, 10);
    f.await(loop, later);
    assertEquals(List.of(), handler.problems);
    assertEquals(thrown.size(), handler.errors.size(), () -> "handled: " + handler.errors);
    for (RuntimeException e : thrown) {
      assertTrue(
          handler.errors.stream().anyMatch(x -> x == e), () -> "never handled: " + e.getMessage());
    }
    assertFalse(loop.isShutdown(), "a server-mode loop must go on after errors");
  }

  @CarrierTest
  void withTheDefaultPolicyTheServerLoopLogsAndGoesOn(LoopFixture f) {
    Loop loop = f.newLoop();
    f.onLoop(
        loop,
        () ->
            KINDS.forEach(
                (kind, schedule) ->
                    schedule.accept(
                        loop,
                        () -> {
                          throw new IllegalStateException("expected by the test: " + kind);
                        })));
    loop.execute(
        () -> {
          throw new IllegalStateException("expected by the test: a task from another thread");
        });
    CountDownLatch later = new CountDownLatch(3);
    loop.setTimeout(later::countDown, 10);
    loop.setImmediate(later::countDown);
    loop.execute(later::countDown);
    f.await(loop, later);
    assertFalse(loop.isShutdown());
    assertEquals(7, f.await(loop, loop.offload(() -> 7)));
  }

  @CarrierTest
  void theStopPolicyStopsAServerLoopWithTheError(LoopFixture f) throws Exception {
    Loop loop = f.newLoop(b -> b.set("loopkit.errors.uncaught", "stop"));
    RuntimeException boom = new IllegalStateException("expected by the test");
    CompletableFuture<Void> terminated = loop.terminationFuture();
    loop.execute(
        () -> {
          throw boom;
        });
    f.awaitCondition(loop, terminated::isDone, "the loop to terminate");
    ExecutionException e = assertThrows(ExecutionException.class, terminated::get);
    assertSame(boom, e.getCause());
    assertTrue(loop.isShutdown());
  }

  @CarrierTest
  void aThrowingHandlerIsLoggedAndTheLoopGoesOn(LoopFixture f) {
    Loop loop =
        f.newLoop(
            b ->
                b.onUncaughtError(
                    (l, e) -> {
                      throw new IllegalStateException("expected by the test: handler threw");
                    }));
    loop.execute(
        () -> {
          throw new IllegalStateException("expected by the test");
        });
    CountDownLatch later = new CountDownLatch(1);
    loop.setTimeout(later::countDown, 5);
    f.await(loop, later);
    assertFalse(loop.isShutdown());
  }

  // ---- program mode ----------------------------------------------------------------------------

  @CarrierTest
  void programModeRethrowsARuntimeExceptionAsIs(LoopFixture f) {
    for (Map.Entry<String, BiConsumer<Loop, Runnable>> kind : KINDS.entrySet()) {
      RuntimeException boom = new IllegalStateException("thrown by a " + kind.getKey());
      List<String> after = new ArrayList<>();
      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () ->
                  f.run(
                      () -> {
                        Loop loop = Loop.current();
                        kind.getValue()
                            .accept(
                                loop,
                                () -> {
                                  throw boom;
                                });
                        loop.setTimeout(() -> after.add("ran after the error"), 30);
                      }),
              kind.getKey());
      assertSame(boom, e, kind.getKey());
      assertEquals(List.of(), after, "the loop must stop at the error: " + kind.getKey());
    }
  }

  @CarrierTest
  void programModeWrapsACheckedExceptionWithItAsTheCause(LoopFixture f) {
    IOException io = new IOException("expected by the test");
    LoopTerminatedException e =
        assertThrows(
            LoopTerminatedException.class,
            () -> f.run(() -> Loop.current().setImmediate(() -> sneakyThrow(io))));
    assertSame(io, e.getCause());
  }

  @CarrierTest
  void programModeWithAHandlerGoesOn(LoopFixture f) {
    Recorder handler = new Recorder();
    RuntimeException boom = new IllegalStateException("expected by the test");
    List<String> after = new ArrayList<>();
    f.run(
        b -> b.onUncaughtError(handler::handle),
        () -> {
          Loop loop = Loop.current();
          loop.setTimeout(
              () -> {
                throw boom;
              },
              1);
          loop.setTimeout(() -> after.add("later"), 10);
        });
    assertEquals(List.of(boom), handler.errors);
    assertEquals(List.of("later"), after);
    assertEquals(List.of(), handler.problems);
  }

  @CarrierTest
  void programModeWithTheLogPolicyGoesOn(LoopFixture f) {
    List<String> after = new ArrayList<>();
    f.run(
        b -> b.set("loopkit.errors.uncaught", "log"),
        () -> {
          Loop loop = Loop.current();
          loop.nextTick(
              () -> {
                throw new IllegalStateException("expected by the test");
              });
          loop.setTimeout(() -> after.add("later"), 5);
        });
    assertEquals(List.of("later"), after);
  }

  // ---- offloads --------------------------------------------------------------------------------

  @CarrierTest
  void aThrowingOffloadRejectsItsPromiseWithThatException(LoopFixture f) {
    Recorder handler = new Recorder();
    Loop loop =
        f.newLoop(b -> b.onUncaughtError(handler::handle).onUnhandledRejection(handler::handle));
    IOException io = new IOException("expected by the test");
    IllegalStateException ise = new IllegalStateException("expected by the test");
    List<Promise<Throwable>> reasons = new ArrayList<>();
    // Handlers attached on the loop, in the callback that offloads: a handler attached from
    // another thread could arrive after the loop saw the rejection (then it is reported).
    f.onLoop(
        loop,
        () -> {
          reasons.add(
              loop.offload(
                      () -> {
                        throw io;
                      })
                  .then(v -> null, e -> e));
          reasons.add(
              loop.offload(
                      "cpu",
                      () -> {
                        throw ise;
                      })
                  .then(v -> null, e -> e));
        });
    Promise<Throwable> first = reasons.get(0);
    Promise<Throwable> second = reasons.get(1);
    assertSame(io, f.await(loop, first));
    assertSame(ise, f.await(loop, second));
    assertEquals(List.of(), handler.errors, "a handled offload failure is nobody else's");
  }

  @CarrierTest
  void anUnhandledOffloadFailureIsAnUnhandledRejection(LoopFixture f) {
    Recorder handler = new Recorder();
    Loop loop = f.newLoop(b -> b.onUnhandledRejection(handler::handle));
    IOException io = new IOException("expected by the test");
    Promise<Object> p =
        loop.offload(
            () -> {
              throw io;
            });
    f.awaitCondition(loop, () -> !handler.errors.isEmpty(), "the rejection to be reported");
    assertTrue(p.isRejected());
    assertSame(io, p.reason());
    assertEquals(List.of(io), handler.errors);
  }

  // ---- unhandled rejections --------------------------------------------------------------------

  @CarrierTest
  void anUnhandledRejectionReachesItsHandlerAndAHandledOneDoesNot(LoopFixture f) {
    Recorder rejections = new Recorder();
    Recorder uncaught = new Recorder();
    Loop loop =
        f.newLoop(
            b -> b.onUnhandledRejection(rejections::handle).onUncaughtError(uncaught::handle));
    RuntimeException unhandled = new IllegalStateException("unhandled");
    RuntimeException thrownInThen = new IllegalStateException("thrown in then");
    f.onLoop(
        loop,
        () -> {
          Promise.reject(loop, unhandled);
          Promise.reject(loop, new IllegalStateException("caught")).catchError(e -> null);
          Promise.reject(loop, new IllegalStateException("then with onRejected"))
              .then(v -> v, e -> null);
          Promise.reject(loop, new IllegalStateException("finally then caught"))
              .andFinally(() -> {})
              .catchError(e -> null);
          Promise<Object> late = Promise.reject(loop, new IllegalStateException("caught later"));
          loop.queueMicrotask(() -> late.catchError(e -> null)); // same checkpoint: handled
          Promise.resolve(loop, 1)
              .then(
                  v -> {
                    throw thrownInThen;
                  });
        });
    // onLoop returns at its tick; the rejections are reported at the end of that checkpoint.
    f.awaitCondition(loop, () -> rejections.errors.size() >= 2, "two rejections reported");
    f.onLoop(loop, () -> {}); // a later callback: anything else would have been reported by now
    assertEquals(List.of(), rejections.problems);
    assertEquals(2, rejections.errors.size(), () -> "reported: " + rejections.errors);
    assertTrue(rejections.errors.contains(unhandled));
    assertTrue(rejections.errors.contains(thrownInThen));
    assertEquals(List.of(), uncaught.errors, "a rejection is not an uncaught error");
    assertFalse(loop.isShutdown());
  }

  @CarrierTest
  void aRejectionFromAnotherThreadWithNoHandlerIsReported(LoopFixture f) {
    Recorder rejections = new Recorder();
    Loop loop = f.newLoop(b -> b.onUnhandledRejection(rejections::handle));
    RuntimeException reason = new IllegalStateException("from another thread");
    Promise.Resolvers<Object> r = Promise.withResolvers(loop);
    assertTrue(r.reject(reason));
    f.awaitCondition(loop, () -> !rejections.errors.isEmpty(), "the rejection to be reported");
    assertEquals(List.of(reason), rejections.errors);
    assertEquals(List.of(), rejections.problems);
  }

  @CarrierTest
  void programModeRethrowsAnUnhandledRejection(LoopFixture f) {
    RuntimeException reason = new IllegalStateException("expected by the test");
    List<String> after = new ArrayList<>();
    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () ->
                f.run(
                    () -> {
                      Loop loop = Loop.current();
                      Promise.reject(loop, reason);
                      loop.setTimeout(() -> after.add("later"), 20);
                    }));
    assertSame(reason, e);
    assertEquals(List.of(), after);
  }

  @CarrierTest
  void programModeWrapsACheckedRejectionReason(LoopFixture f) {
    IOException io = new IOException("expected by the test");
    LoopTerminatedException e =
        assertThrows(
            LoopTerminatedException.class,
            () -> f.run(() -> Loop.current().offload(() -> sneakyThrowing(io))));
    assertSame(io, e.getCause());
  }

  private static Object sneakyThrowing(Throwable t) {
    sneakyThrow(t);
    return null;
  }

  @CarrierTest
  void programModeIgnoresAHandledRejection(LoopFixture f) {
    List<Object> log = new ArrayList<>();
    f.run(
        () ->
            Promise.reject(Loop.current(), new IllegalStateException("caught"))
                .catchError(e -> e.getMessage())
                .then(log::add));
    assertEquals(List.of("caught"), log);
  }

  // ---- Errors are never swallowed --------------------------------------------------------------

  @CarrierTest
  void programModeRethrowsAnOutOfMemoryErrorEvenWithAHandler(LoopFixture f) {
    Recorder handler = new Recorder();
    for (Map.Entry<String, BiConsumer<Loop, Runnable>> kind : KINDS.entrySet()) {
      OutOfMemoryError oom = new OutOfMemoryError("test: thrown by a " + kind.getKey());
      OutOfMemoryError e =
          assertThrows(
              OutOfMemoryError.class,
              () ->
                  f.run(
                      b -> b.onUncaughtError(handler::handle),
                      () ->
                          kind.getValue()
                              .accept(
                                  Loop.current(),
                                  () -> {
                                    throw oom;
                                  })),
              kind.getKey());
      assertSame(oom, e, kind.getKey());
    }
    OutOfMemoryError inReaction = new OutOfMemoryError("test: thrown by a promise reaction");
    OutOfMemoryError e =
        assertThrows(
            OutOfMemoryError.class,
            () ->
                f.run(
                    b -> b.onUncaughtError(handler::handle).onUnhandledRejection(handler::handle),
                    () ->
                        Promise.resolve(Loop.current(), 1)
                            .then(
                                v -> {
                                  throw inReaction;
                                })));
    assertSame(inReaction, e);
    assertEquals(List.of(), handler.errors, "the handler must not see (and swallow) an Error");
  }

  @CarrierTest
  void anOutOfMemoryErrorTerminatesAServerLoopInsteadOfReachingTheHandler(LoopFixture f)
      throws Exception {
    Recorder handler = new Recorder();
    Loop loop = f.newLoop(b -> b.onUncaughtError(handler::handle));
    OutOfMemoryError oom = new OutOfMemoryError("test: expected by the test");
    CompletableFuture<Void> terminated = loop.terminationFuture();
    loop.setTimeout(
        () -> {
          throw oom;
        },
        1);
    Throwable escaped = null;
    try {
      f.awaitCondition(loop, terminated::isDone, "the loop to terminate");
    } catch (OutOfMemoryError e) {
      escaped = e; // manual: the error reaches the thread that drives the loop
    }
    if (escaped != null) {
      assertSame(oom, escaped);
    }
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> terminated.get(0, TimeUnit.SECONDS));
    assertSame(oom, e.getCause());
    assertEquals(List.of(), handler.errors);
    assertTrue(loop.isTerminated());
  }

  @CarrierTest
  void anErrorThrownByAnOffloadIsNotSwallowed(LoopFixture f) {
    OutOfMemoryError oom = new OutOfMemoryError("test: expected by the test");
    Loop loop = f.newLoop();
    Promise<Throwable> reason =
        loop.offload(
                () -> {
                  throw oom;
                })
            .then(v -> null, e -> e);
    Throwable escaped = null;
    Throwable seen = null;
    try {
      seen = f.await(loop, reason);
    } catch (OutOfMemoryError e) {
      escaped = e; // manual: the offload runs on the test's thread
    }
    assertTrue(seen == oom || escaped == oom, "the Error was lost: " + seen + ", " + escaped);
  }
}
