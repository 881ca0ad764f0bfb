package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.ManualControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Makes loops of one carrier set-up for a conformance test, drives them where the carrier needs
 * driving ({@code manual}), and after the test checks that every loop it made terminated and
 * released its threads.
 *
 * <p>Waiting is carrier-neutral: {@link #await} blocks on a real carrier; on {@code manual} it
 * steps the loop (running held offloads oldest first and moving virtual time to the next timer)
 * until the awaited thing is done.
 */
public final class LoopFixture {
  /** How long a real carrier may take for anything a test awaits (a wide margin, not a target). */
  public static final Duration PATIENCE = Duration.ofSeconds(20);

  private final CarrierSetup setup;
  private final List<Loop> loops = new ArrayList<>();
  private final Set<Thread> threadsBefore = ThreadLeaks.live();

  LoopFixture(CarrierSetup setup) {
    this.setup = setup;
  }

  public CarrierSetup setup() {
    return setup;
  }

  public boolean has(Capability c) {
    return setup.has(c);
  }

  /** An isolated configuration builder for this set-up. */
  public LoopConfig.Builder config() {
    return setup.builder();
  }

  /** A server-mode loop of this set-up, closed after the test. */
  public Loop newLoop() {
    return newLoop(b -> b);
  }

  /** A server-mode loop of this set-up with extra settings, closed after the test. */
  public Loop newLoop(UnaryOperator<LoopConfig.Builder> settings) {
    Loop loop = Loop.create(settings.apply(config()).build());
    loops.add(loop);
    return loop;
  }

  /** Program mode on this set-up: runs {@code main}, returns when nothing ref'd is left. */
  public void run(Runnable main) {
    run(b -> b, main);
  }

  /** Program mode with extra settings. */
  public void run(UnaryOperator<LoopConfig.Builder> settings, Runnable main) {
    Loop.run(settings.apply(config()).build(), main);
  }

  /** Runs {@code action} on {@code loop} and waits until it has run (with its checkpoint). */
  public void onLoop(Loop loop, Runnable action) {
    CountDownLatch done = new CountDownLatch(1);
    loop.execute(
        () -> {
          try {
            action.run();
          } finally {
            loop.nextTick(done::countDown);
          }
        });
    await(loop, done);
  }

  /** Waits for {@code stage} (driving {@code loop} if manual) and returns its value. */
  public <T> T await(Loop loop, CompletionStage<T> stage) {
    var future = stage.toCompletableFuture();
    awaitCondition(loop, future::isDone, "the awaited stage to complete");
    try {
      return future.get(0, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the awaited stage failed", e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits for {@code latch} to open (driving {@code loop} if manual). */
  public void await(Loop loop, CountDownLatch latch) {
    awaitCondition(loop, () -> latch.getCount() == 0, "the latch to open");
  }

  /**
   * Waits until {@code done} holds: on {@code manual} by stepping the loop; otherwise by checking
   * each millisecond up to {@link #PATIENCE}.
   */
  public void awaitCondition(Loop loop, BooleanSupplier done, String what) {
    if (setup.has(Capability.VIRTUAL_TIME)) {
      ManualControl m = ManualControl.of(loop);
      for (int i = 0; i < 100_000 && !done.getAsBoolean(); i++) {
        if (!m.step() && !done.getAsBoolean()) {
          fail("manual loop went idle before " + what);
        }
      }
      assertTrue(done.getAsBoolean(), "still waiting for " + what + " after 100,000 steps");
      return;
    }
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("waited " + PATIENCE + " for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
  }

  /** Shuts every loop down, checks each terminated and that no thread they started is alive. */
  void closeAndCheck() throws InterruptedException {
    for (Loop loop : loops) {
      loop.shutdown();
      if (setup.has(Capability.VIRTUAL_TIME) && !loop.isTerminated()) {
        ManualControl m = ManualControl.of(loop);
        if (setup.has(Capability.HELD_OFFLOADS)) {
          m.runAllOffloads();
        }
        m.runUntilIdle();
      }
      assertTrue(
          loop.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS),
          () -> loop + " did not terminate after shutdown()");
    }
    List<String> leaked = ThreadLeaks.survivorsOf(loops, threadsBefore);
    assertTrue(leaked.isEmpty(), () -> "threads still alive after termination: " + leaked);
    loops.clear();
  }

  @Override
  public String toString() {
    return setup.name()
        + " with "
        + loops.stream().map(Loop::name).collect(Collectors.joining(", "));
  }
}
