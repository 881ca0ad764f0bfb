package dev.loopkit.model;

import dev.loopkit.Immediate;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real loop on the {@code manual} carrier, as a {@link LoopUnderTest}: a server-mode loop with
 * virtual time, whose uncaught errors are collected (a program's callbacks never throw) and whose
 * unhandled rejections are ignored (rejecting a promise nobody listens to is part of the game).
 */
final class EngineLoop implements LoopUnderTest, AutoCloseable {
  private final Loop loop;
  private final ManualControl control;
  private final List<Promise.Resolvers<Object>> promises = new ArrayList<>();
  private final List<Throwable> uncaught = new ArrayList<>();

  EngineLoop(int maxBatch) {
    this.loop =
        Loop.create(
            LoopConfig.builder()
                .isolated()
                .carrier("manual")
                .name("model")
                .set("loopkit.poll.maxBatch", maxBatch)
                .onUncaughtError((l, e) -> uncaught.add(e))
                .onUnhandledRejection((l, e) -> {})
                .build());
    this.control = ManualControl.of(loop);
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
    control.runOnce();
  }

  @Override
  public void advance(long millis) {
    control.advance(Duration.ofMillis(millis));
  }

  @Override
  public int pendingOffloads() {
    return control.pendingOffloads();
  }

  @Override
  public void runOffload(int index) {
    control.runOffload(index);
  }

  /** Stops the loop at once and checks that it terminates. */
  @Override
  public void close() {
    loop.shutdownNow();
    if (!loop.isTerminated()) {
      control.runAllOffloads();
      control.runUntilIdle();
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
