package dev.loopkit.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.conformance.ThreadLeaks;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fork-join carrier's own promises: an idle loop holds no worker, so many loops share few
 * threads; a blocking io offload makes the pool compensate instead of starving the loops.
 * Carrier-neutral behaviour is in the conformance suite.
 */
class ForkJoinCarrierTest {
  private static final int PARALLELISM = 2;
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String SHARED_PREFIX = "loopkit-shared-fj" + PARALLELISM + "-";

  private static LoopConfig shared(boolean compensate) {
    return LoopConfig.builder()
        .isolated()
        .carrier("fork-join")
        .set("loopkit.forkjoin.pool", "shared")
        .set("loopkit.forkjoin.parallelism", String.valueOf(PARALLELISM))
        .set("loopkit.forkjoin.compensate", String.valueOf(compensate))
        .build();
  }

  private static Set<Thread> sharedPoolThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(SHARED_PREFIX))
        .collect(Collectors.toSet());
  }

  private static void closeAll(List<Loop> loops) throws InterruptedException {
    loops.forEach(Loop::shutdown);
    for (Loop loop : loops) {
      assertTrue(
          loop.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS),
          () -> loop + " did not terminate");
    }
  }

  /** Joins the threads and returns the names of those still alive. */
  private static List<String> survivors(Set<Thread> threads) throws InterruptedException {
    return ThreadLeaks.survivors(threads, PATIENCE);
  }

  /**
   * Live threads, the blocked-loop watchdog's aside: one thread for every watched loop of the JVM,
   * which starts with the first and ends a second after the last.
   */
  private static int threadsOfLoops(ThreadMXBean mx) {
    int watchdog = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("loopkit-watchdog")) {
        watchdog++;
      }
    }
    return mx.getThreadCount() - watchdog;
  }

  @Test
  void tenThousandIdleLoopsHoldNoMoreThreadsThanThePoolsWorkersAndEachStillRunsATask()
      throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    LoopConfig config = shared(true);
    int count = 10_000;
    List<Loop> loops = new ArrayList<>(count);
    int before = threadsOfLoops(mx);
    try {
      for (int i = 0; i < count; i++) {
        loops.add(Loop.create(config));
      }
      // Each new loop ran its first turn as a pool task and went idle.
      int after = threadsOfLoops(mx);
      Set<Thread> workers = sharedPoolThreads();
      System.out.printf(
          "fork-join: %,d idle loops on one pool of parallelism %d: %d threads before, %d after"
              + " (%d of the shared pool: %s)%n",
          count,
          PARALLELISM,
          before,
          after,
          workers.size(),
          workers.stream().map(Thread::getName).sorted().toList());
      assertTrue(
          after - before <= PARALLELISM,
          () -> "creating " + count + " loops added " + (after - before) + " threads");
      assertTrue(workers.size() <= PARALLELISM, workers::toString);

      CountDownLatch ran = new CountDownLatch(count);
      for (Loop loop : loops) {
        loop.execute(
            () -> {
              if (Loop.current() == loop) {
                ran.countDown();
              }
            });
      }
      assertTrue(ran.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "tasks still pending");
      int afterTasks = threadsOfLoops(mx);
      System.out.printf(
          "fork-join: after one task on each loop: %d threads (%d before the loops)%n",
          afterTasks, before);
      assertTrue(
          afterTasks - before <= PARALLELISM,
          () -> "running a task on each loop left " + (afterTasks - before) + " more threads");
    } finally {
      closeAll(loops);
    }
    // The last loop released the shared pool: its workers end.
    assertEquals(List.of(), survivors(sharedPoolThreads()), "shared pool threads after close");
  }

  @Test
  void aBusyLoopGivesItsSharedWorkerBackEverySliceWhetherItsTurnsAreShortOrLong() throws Exception {
    for (long turnNanos : new long[] {0, 200_000}) {
      // Two loops on one worker; the busy one's turn count has no say (the default): only the
      // slice makes it give the worker back, so that the other loop's tasks run meanwhile.
      LoopConfig config =
          LoopConfig.builder()
              .isolated()
              .carrier("fork-join")
              .set("loopkit.forkjoin.pool", "shared")
              .set("loopkit.forkjoin.parallelism", "1")
              .set("loopkit.forkjoin.sliceMicros", "100")
              .build();
      Loop busy = Loop.create(config);
      Loop other = Loop.create(config);
      java.util.concurrent.atomic.AtomicBoolean spinning =
          new java.util.concurrent.atomic.AtomicBoolean(true);
      java.util.concurrent.atomic.AtomicLong busyTurns =
          new java.util.concurrent.atomic.AtomicLong();
      try {
        busy.execute(() -> spin(busy, spinning, busyTurns, turnNanos));
        while (busyTurns.get() == 0) {
          Thread.onSpinWait();
        }
        CountDownLatch hops = new CountDownLatch(20);
        other.execute(() -> hop(other, hops));
        boolean done = hops.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        long during = busyTurns.get();
        System.out.printf(
            "fork-join: one worker, a busy loop of %d µs turns: the other loop's 20 hops %s while"
                + " the busy one ran %,d turns%n",
            turnNanos / 1000, done ? "ran" : "did not run", during);
        assertTrue(done, "the other loop's hops did not run while the busy loop held the worker");
      } finally {
        spinning.set(false);
        closeAll(List.of(busy, other));
      }
    }
  }

  /** An immediate chain on {@code loop} while {@code on}, each turn busy for {@code nanos}. */
  private static void spin(
      Loop loop,
      java.util.concurrent.atomic.AtomicBoolean on,
      java.util.concurrent.atomic.AtomicLong turns,
      long nanos) {
    long start = System.nanoTime();
    while (System.nanoTime() - start < nanos) {
      Thread.onSpinWait();
    }
    turns.incrementAndGet();
    if (on.get()) {
      loop.setImmediate(() -> spin(loop, on, turns, nanos));
    }
  }

  /**
   * A chain of tasks on {@code loop}, each handed in by the one before, until {@code left} is 0.
   */
  private static void hop(Loop loop, CountDownLatch left) {
    left.countDown();
    if (left.getCount() > 0) {
      loop.execute(() -> hop(loop, left));
    }
  }

  @Test
  void blockingOffloadsOfAHundredLoopsCompleteTogetherWhenThePoolCompensates() throws Exception {
    long millis = hundredLoopsEachBlockFiftyMillis(true);
    System.out.printf(
        "fork-join: 100 loops x 50 ms blocking offload, parallelism %d, compensate=true: %d ms%n",
        PARALLELISM, millis);
    assertTrue(millis < 500, "took " + millis + " ms; the issue's bound is 500 ms");
  }

  @Test
  void blockingOffloadsQueueBehindTheWorkersWhenCompensationIsOff() throws Exception {
    // Negative control of the test above: without managedBlock, 2 workers sleep 100 x 50 ms.
    long millis = hundredLoopsEachBlockFiftyMillis(false);
    System.out.printf(
        "fork-join: 100 loops x 50 ms blocking offload, parallelism %d, compensate=false: %d ms%n",
        PARALLELISM, millis);
    assertTrue(millis >= 2_000, "took only " + millis + " ms: did the pool compensate anyway?");
  }

  /** Starts 100 loops, offloads a 50 ms sleep from each at once; returns how long all took. */
  private static long hundredLoopsEachBlockFiftyMillis(boolean compensate) throws Exception {
    LoopConfig config = shared(compensate);
    List<Loop> loops = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        loops.add(Loop.create(config));
      }
      // Warm up (class loading, the pool's workers) with a non-blocking offload on each loop.
      CountDownLatch warm = new CountDownLatch(loops.size());
      for (Loop loop : loops) {
        loop.execute(() -> loop.offload(() -> 1).thenAccept(v -> warm.countDown()));
      }
      assertTrue(warm.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "warm-up still pending");

      // All at once: each loop hands in its offload as soon as it runs the task.
      CountDownLatch done = new CountDownLatch(loops.size());
      long start = System.nanoTime();
      for (Loop loop : loops) {
        loop.execute(
            () ->
                loop.offload(
                        () -> {
                          Thread.sleep(50);
                          return 1;
                        })
                    .thenAccept(v -> done.countDown()));
      }
      assertTrue(done.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "offloads still pending");
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    } finally {
      closeAll(loops);
    }
  }
}
