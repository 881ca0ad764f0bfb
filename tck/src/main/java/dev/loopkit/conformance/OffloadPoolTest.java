package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An io pool's size bounds how many of its offloads run at once, on every real carrier. */
class OffloadPoolTest {

  private static final int SIZE = 3;

  /**
   * Regression: on fork-join every io offload went straight to the ForkJoinPool, whose compensation
   * started a thread for each blocked one (1,847 threads for 1,024 database queries in the
   * comparison), whatever {@code loopkit.pool.io.size} said.
   */
  /**
   * An offload refused because the loop is shutting down held the loop open for a moment (it counts
   * as pending from before the state check): its withdrawal must wake a loop that went idle on it,
   * or the loop waits forever in "shutting down". Rounds of shutdown() racing a thread that
   * offloads as fast as it can.
   */
  @CarrierTest(requires = Capability.OWN_THREADS)
  void aShutDownLoopEndsWhileAnotherThreadKeepsOffloading(LoopFixture f) throws Exception {
    for (int round = 0; round < 200; round++) {
      Loop loop = f.newLoop();
      CountDownLatch started = new CountDownLatch(1);
      Thread producer =
          new Thread(
              () -> {
                started.countDown();
                for (; ; ) {
                  try {
                    loop.offload(() -> 1);
                  } catch (java.util.concurrent.RejectedExecutionException refused) {
                    return; // the first refusal is the last attempt, and the last wake-up
                  }
                }
              },
              "offloader");
      producer.start();
      started.await();
      loop.shutdown();
      boolean ended = loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      producer.join(LoopFixture.PATIENCE.toMillis());
      int r = round;
      assertTrue(ended, () -> "round " + r + ": the loop did not end: " + loop);
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aBurstOfBlockingOffloadsRunsAtMostThePoolSizeAtOnceAndAllOfThemRun(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop(b -> b.set("loopkit.pool.io.size", SIZE));
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch firstTogether = new CountDownLatch(SIZE); // the first SIZE must overlap
    int tasks = 40;
    List<Promise<Integer>> offloads = new ArrayList<>();
    f.onLoop(
        loop,
        () -> {
          for (int i = 0; i < tasks; i++) {
            int n = i;
            offloads.add(
                loop.offload(
                    () -> {
                      most.accumulateAndGet(running.incrementAndGet(), Math::max);
                      try {
                        if (n < SIZE) {
                          firstTogether.countDown();
                          assertTrue(
                              firstTogether.await(
                                  LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS),
                              "the pool never ran " + SIZE + " offloads at once");
                        } else {
                          Thread.sleep(2); // blocking work: room for a wrong pool to start more
                        }
                        return n;
                      } finally {
                        running.decrementAndGet();
                      }
                    }));
          }
        });
    List<Integer> results = f.await(loop, loop.submit(() -> Promise.all(offloads)).get());
    assertEquals(tasks, results.size(), "every offload ran");
    assertEquals(SIZE, most.get(), "offloads running at once, at most");
  }

  /** Past its queue capacity (tasks waiting for a permit) a pool refuses, naming its limit. */
  @CarrierTest(requires = Capability.OWN_THREADS)
  void aFullPoolQueueRefusesNamingItsCapacity(LoopFixture f) throws Exception {
    Loop loop =
        f.newLoop(
            b ->
                b.set("loopkit.pool.db.kind", "io")
                    .set("loopkit.pool.db.size", 1)
                    .set("loopkit.pool.db.queueCapacity", 2));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Promise<Integer>> accepted = new ArrayList<>();
    accepted.add(
        loop.offload(
            "db",
            () -> {
              started.countDown();
              release.await();
              return 0;
            }));
    assertTrue(started.await(LoopFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
    accepted.add(loop.offload("db", () -> 1)); // waits for the one permit
    accepted.add(loop.offload("db", () -> 2)); // waits too: the queue is now full
    java.util.concurrent.RejectedExecutionException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.RejectedExecutionException.class,
            () -> loop.offload("db", () -> 3));
    assertTrue(refused.getMessage().contains("'db'"), refused.getMessage());
    assertTrue(refused.getMessage().contains("queueCapacity=2"), refused.getMessage());
    release.countDown();
    assertEquals(List.of(0, 1, 2), f.await(loop, loop.submit(() -> Promise.all(accepted)).get()));
  }
}
