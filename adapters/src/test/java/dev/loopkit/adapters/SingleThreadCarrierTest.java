package dev.loopkit.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The single-thread carrier's offload workers: one that finished a task polls for its next one for
 * the idle spell before it parks, and only one worker of a pool polls at a time; neither a worker
 * nor the loop polls while the loop's offloads keep every core busy.
 */
class SingleThreadCarrierTest {
  private static final int WORKERS = 4;

  private static Loop loop(int spinMicros) {
    return loop(spinMicros, WORKERS);
  }

  private static Loop loop(int spinMicros, int workers) {
    return Loop.create(
        LoopConfig.builder()
            .isolated()
            .carrier("single-thread")
            .set("loopkit.pool.io.size", workers)
            .set("loopkit.idle.spinMicros", spinMicros)
            .build());
  }

  /** Runs {@code WORKERS} offloads at once (each waits for the others): the pool's threads. */
  private static List<Thread> busyWorkers(Loop loop) throws Exception {
    CountDownLatch together = new CountDownLatch(WORKERS);
    var threads = ConcurrentHashMap.<Thread>newKeySet();
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(
        () -> {
          var all = new ArrayList<Promise<Void>>();
          for (int i = 0; i < WORKERS; i++) {
            all.add(
                loop.offload(
                    () -> {
                      threads.add(Thread.currentThread());
                      together.countDown();
                      assertTrue(together.await(30, TimeUnit.SECONDS));
                      return null;
                    }));
          }
          Promise.all(all).thenAccept(v -> done.complete(null));
        });
    done.get(30, TimeUnit.SECONDS);
    assertEquals(WORKERS, threads.size());
    return List.copyOf(threads);
  }

  /** The workers polling (not parked) in each of ten looks, 10 ms apart. */
  private static List<Long> pollingWorkers(List<Thread> workers) throws InterruptedException {
    Thread.sleep(50); // past the finished tasks' own ends
    var counts = new ArrayList<Long>();
    for (int i = 0; i < 10; i++) {
      counts.add(workers.stream().filter(t -> t.getState() == Thread.State.RUNNABLE).count());
      Thread.sleep(10);
    }
    return counts;
  }

  @Test
  void oneWorkerThatFinishedPollsForTheNextTaskAndTakesIt() throws Exception {
    Loop loop = loop(1_000_000); // a spell of 1 s
    try {
      List<Thread> workers = busyWorkers(loop);
      List<Long> polling = pollingWorkers(workers);
      assertEquals(
          List.of(1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L),
          polling,
          "one worker polls for the spell, the others park");
      Thread spinner =
          workers.stream().filter(t -> t.getState() == Thread.State.RUNNABLE).findFirst().get();
      CompletableFuture<Thread> ranOn = new CompletableFuture<>();
      loop.execute(() -> loop.offload(Thread::currentThread).thenAccept(ranOn::complete));
      assertEquals(spinner, ranOn.get(30, TimeUnit.SECONDS), "the polling worker takes it");
    } finally {
      loop.shutdownNow();
      assertTrue(
          loop.awaitTermination(30, TimeUnit.SECONDS), "a polling worker does not hold the end");
    }
  }

  @Test
  void withNoSpellEveryWorkerParks() throws Exception {
    Loop loop = loop(0);
    try {
      List<Long> polling = pollingWorkers(busyWorkers(loop));
      assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L), polling);
    } finally {
      loop.shutdownNow();
      assertTrue(loop.awaitTermination(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void neitherAWorkerNorTheLoopPollsWhileOffloadsKeepEveryCoreBusy() throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    Loop loop = loop(1_000_000, cores + 1); // a spell of 1 s
    CountDownLatch started = new CountDownLatch(cores);
    CountDownLatch release = new CountDownLatch(1);
    try {
      CompletableFuture<Thread> loopThread = new CompletableFuture<>();
      CompletableFuture<Thread> finished = new CompletableFuture<>();
      loop.execute(
          () -> {
            loopThread.complete(Thread.currentThread());
            for (int i = 0; i < cores; i++) { // busy (waiting here stands for computing)
              loop.offload(
                  () -> {
                    started.countDown();
                    return release.await(30, TimeUnit.SECONDS);
                  });
            }
          });
      assertTrue(started.await(30, TimeUnit.SECONDS));
      loop.execute(() -> loop.offload(Thread::currentThread).thenAccept(finished::complete));
      List<Thread> idle = List.of(finished.get(30, TimeUnit.SECONDS), loopThread.get());
      assertEquals(
          List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L),
          pollingWorkers(idle),
          "the worker that finished and the loop park: a poll would take a busy core");
    } finally {
      release.countDown();
      loop.shutdownNow();
      assertTrue(loop.awaitTermination(30, TimeUnit.SECONDS));
    }
  }
}
