package dev.loopkit.model;

import dev.loopkit.Immediate;
import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierSetup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.opentest4j.TestAbortedException;

/**
 * The real loop as a {@link LoopUnderTest}: by default a server-mode loop on a stepped carrier with
 * virtual time ({@link #stepped()}: {@code manual}), whose uncaught errors are collected (a
 * program's callbacks never throw) and whose unhandled rejections are ignored (rejecting a promise
 * nobody listens to is part of the game); or, through {@link #of(Loop)}, a loop of any carrier,
 * without the steps.
 */
final class EngineLoop implements LoopUnderTest, AutoCloseable {
  private final Loop loop;
  private final ManualControl control; // null: a loop of any carrier, no steps
  private final List<Promise.Resolvers<Object>> promises = new ArrayList<>();
  private final List<Throwable> uncaught = new ArrayList<>();

  EngineLoop(int maxBatch) {
    this.loop =
        Loop.create(
            stepped()
                .builder()
                .name("model")
                .set("loopkit.poll.maxBatch", maxBatch)
                .onUncaughtError((l, e) -> uncaught.add(e))
                .onUnhandledRejection((l, e) -> {})
                .build());
    this.control = ManualControl.of(loop);
    makePromises();
  }

  /**
   * The set-up the model tests step: the first carrier set-up found with virtual time and held
   * offloads (loopkit's {@code manual}); without one, the model tests are skipped.
   */
  static CarrierSetup stepped() {
    return CarrierSetup.discovered().stream()
        .filter(s -> s.has(Capability.VIRTUAL_TIME) && s.has(Capability.HELD_OFFLOADS))
        .findFirst()
        .orElseThrow(
            () ->
                new TestAbortedException(
                    "no carrier set-up with VIRTUAL_TIME and HELD_OFFLOADS found: the model tests"
                        + " step such a loop"));
  }

  private EngineLoop(Loop loop) {
    this.loop = loop;
    this.control = null;
    makePromises();
  }

  /**
   * {@code loop} (of any carrier, configured by the caller) for a program started with {@link
   * ProgramRunner#root()}: the calls on the loop only; the steps throw, and {@link #close()} is not
   * for it. Its errors go where its configuration says.
   */
  static EngineLoop of(Loop loop) {
    return new EngineLoop(loop);
  }

  private void makePromises() {
    for (int i = 0; i < Action.PROMISES; i++) {
      promises.add(Promise.withResolvers(loop));
    }
  }

  /** Errors that reached the uncaught-error handler. */
  List<Throwable> uncaught() {
    return uncaught;
  }

  @Override
  public void execute(Runnable callback) {
    loop.execute(callback);
  }

  @Override
  public void nextTick(Runnable callback) {
    loop.nextTick(callback);
  }

  @Override
  public void queueMicrotask(Runnable callback) {
    loop.queueMicrotask(callback);
  }

  @Override
  public void then(int p, Runnable callback) {
    react(promises.get(p).promise(), callback);
  }

  private static void react(Promise<?> promise, Runnable callback) {
    promise.then(
        v -> {
          callback.run();
          return null;
        },
        e -> {
          callback.run();
          return null;
        });
  }

  @Override
  public boolean resolve(int p) {
    return promises.get(p).resolve("p" + p);
  }

  @Override
  public boolean reject(int p) {
    return promises.get(p).reject(new Exception("p" + p + " rejected by the program"));
  }

  @Override
  public Object setImmediate(Runnable callback) {
    return loop.setImmediate(callback);
  }

  @Override
  public Object setTimeout(Runnable callback, long delayMillis) {
    return loop.setTimeout(callback, delayMillis);
  }

  @Override
  public Object setInterval(Runnable callback, long periodMillis) {
    return loop.setInterval(callback, periodMillis);
  }

  @Override
  public boolean cancel(Object handle) {
    return handle instanceof Timer t ? t.cancel() : ((Immediate) handle).cancel();
  }

  @Override
  public void offload(Runnable callback) {
    react(loop.offload(() -> null), callback);
  }

  @Override
  public void runTurn() {
    manual().runOnce();
  }

  @Override
  public void advance(long millis) {
    manual().advance(Duration.ofMillis(millis));
  }

  @Override
  public int pendingOffloads() {
    return manual().pendingOffloads();
  }

  @Override
  public void runOffload(int index) {
    manual().runOffload(index);
  }

  private ManualControl manual() {
    if (control == null) {
      throw new UnsupportedOperationException("steps need the loop made for the manual carrier");
    }
    return control;
  }

  /** Stops the loop at once and checks that it terminates (only for the loop made here). */
  @Override
  public void close() {
    ManualControl manual = manual();
    loop.shutdownNow();
    if (!loop.isTerminated()) {
      manual.runAllOffloads();
      manual.runUntilIdle();
    }
    try {
      if (!loop.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new AssertionError(loop + " did not terminate after shutdownNow()");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
