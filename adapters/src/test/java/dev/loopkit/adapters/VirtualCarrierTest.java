package dev.loopkit.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The virtual carrier's own promises: a callback may {@code await} a promise, and the loop runs
 * other callbacks meanwhile, never two at once; cpu pools stay on platform threads, so a CPU-bound
 * burst does not starve a loop even with one carrier thread; a closed loop leaves no virtual thread
 * behind. The adapters' {@code virtual-one-carrier} execution runs this class with {@code
 * -Djdk.virtualThreadScheduler.parallelism=1}.
 */
class VirtualCarrierTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private final List<Loop> loops = new ArrayList<>();

  private Loop newLoop(String carrier) {
    Loop loop = Loop.create(LoopConfig.builder().isolated().carrier(carrier).build());
    loops.add(loop);
    return loop;
  }

  @AfterEach
  void closeLoops() {
    loops.forEach(Loop::shutdownNow);
    for (Loop loop : loops) {
      try {
        assertTrue(loop.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS), loop::toString);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static String carrierThreads() {
    return System.getProperty("jdk.virtualThreadScheduler.parallelism", "default");
  }

  @Test
  void whileACallbackAwaitsAnOffloadAThousandLaterCallbacksRunBeforeItResumes() throws Exception {
    Loop loop = newLoop("virtual");
    AtomicInteger others = new AtomicInteger();
    CountDownLatch awaitBegins = new CountDownLatch(1);
    CompletableFuture<String> resumed = new CompletableFuture<>();
    AtomicInteger othersAtResume = new AtomicInteger(-1);
    loop.execute(
        () -> {
          long start = System.nanoTime();
          Promise<String> slow =
              loop.offload(
                  () -> {
                    Thread.sleep(100);
                    return "slow";
                  });
          awaitBegins.countDown(); // the others cannot run before this callback suspends
          String value = slow.await();
          othersAtResume.set(others.get());
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          resumed.complete(value + " " + loop.inEventLoop() + " " + millis);
        });
    assertTrue(awaitBegins.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    int submitted = 5_000;
    for (int i = 0; i < submitted; i++) {
      loop.execute(others::incrementAndGet);
    }
    String[] result = resumed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS).split(" ");
    System.out.printf(
        "virtual (carrier threads: %s): %d of %d later callbacks ran while one awaited a 100 ms"
            + " offload; it resumed after %s ms%n",
        carrierThreads(), othersAtResume.get(), submitted, result[2]);
    assertEquals("slow", result[0]);
    assertEquals("true", result[1], "the awaiting callback resumed on its loop");
    assertTrue(Long.parseLong(result[2]) >= 100, "resumed before the offload ended");
    assertTrue(
        othersAtResume.get() >= 1_000,
        "only " + othersAtResume.get() + " other callbacks ran while one awaited");
  }

  @Test
  void randomizedAwaitingCallbacksOfOneLoopNeverRunAtOnce() throws Exception {
    Loop loop = newLoop("virtual");
    int callbacks = 100_000;
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger segments = new AtomicInteger();
    AtomicInteger offLoop = new AtomicInteger();
    AtomicInteger awaits = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(callbacks);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Random seeds = new Random(4);
    long start = System.nanoTime();
    for (int i = 0; i < callbacks; i++) {
      long seed = seeds.nextLong();
      loop.execute(
          () -> {
            Random random = new Random(seed);
            try {
              int steps = random.nextInt(4); // 0 to 3 awaits
              for (int s = 0; ; s++) {
                // One segment: no other callback of the loop may be inside meanwhile.
                if (inside.incrementAndGet() != 1) {
                  overlaps.incrementAndGet();
                }
                segments.incrementAndGet();
                if (!loop.inEventLoop()) {
                  offLoop.incrementAndGet();
                }
                if (random.nextInt(8) == 0) {
                  Thread.yield(); // let another virtual thread in, if anything would let it
                }
                inside.decrementAndGet();
                if (s == steps) {
                  break;
                }
                awaits.incrementAndGet();
                int v = random.nextInt(100);
                Promise<Integer> p =
                    switch (random.nextInt(4)) {
                      case 0 -> Promise.resolve(loop, v);
                      case 1 -> loop.offload(() -> v);
                      case 2 -> Promise.delay(Duration.ofMillis(random.nextInt(3))).then(x -> v);
                      default -> Promise.resolve(loop, v).then(x -> x);
                    };
                if (p.await() != v) {
                  throw new AssertionError("await returned the wrong value");
                }
              }
            } catch (Throwable t) {
              failure.compareAndSet(null, t);
            } finally {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "callbacks still pending");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf(
        "virtual (carrier threads: %s): %,d callbacks, %,d awaits, %,d segments in %d ms;"
            + " overlaps: %d%n",
        carrierThreads(), callbacks, awaits.get(), segments.get(), millis, overlaps.get());
    if (failure.get() != null) {
      throw new AssertionError("a callback failed", failure.get());
    }
    assertTrue(awaits.get() > callbacks, "too few awaits to test anything: " + awaits.get());
    assertEquals(0, offLoop.get(), "segments that ran off the loop");
    assertEquals(0, overlaps.get(), "segments of one loop that ran at once");
  }

  @Test
  void awaitOnTheLoopOfAnotherCarrierRefusesAndOffTheLoopBlocksLikeJoin() throws Exception {
    Loop single = newLoop("single-thread");
    CompletableFuture<Throwable> refused = new CompletableFuture<>();
    single.execute(
        () -> {
          try {
            Promise.resolve(single, 1).await();
            refused.complete(null);
          } catch (Throwable t) {
            refused.complete(t);
          }
        });
    Throwable t = refused.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertTrue(t instanceof IllegalStateException, "await on a single-thread loop: " + t);

    Loop virtual = newLoop("virtual");
    Promise<String> slow =
        virtual.offload(
            () -> {
              Thread.sleep(20);
              return "joined";
            });
    assertEquals("joined", slow.await(), "off the loop, await blocks like join()");
  }

  @Test
  void aCpuBurstOnTheCpuPoolDoesNotStallTheLoopsTimers() throws Exception {
    Loop loop = newLoop("virtual");
    DelayMonitor delay = loop.monitorDelay(Duration.ofMillis(10));
    AtomicInteger ticks = new AtomicInteger();
    CompletableFuture<long[]> burst = new CompletableFuture<>(); // {millis, ticks meanwhile}
    loop.execute(
        () -> {
          Timer timer = loop.setInterval(ticks::incrementAndGet, 10);
          long start = System.nanoTime();
          int before = ticks.get();
          List<Promise<byte[]>> hashes = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            String salt = "salt-" + i;
            hashes.add(loop.offload("cpu", () -> pbkdf2("password", salt)));
          }
          Promise.all(hashes)
              .then(
                  all -> {
                    timer.cancel();
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    burst.complete(new long[] {millis, ticks.get() - before, all.size()});
                    return all;
                  })
              .catchError(
                  e -> {
                    burst.completeExceptionally(e);
                    return List.of();
                  });
        });
    long[] r = burst.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    long millis = r[0];
    long fired = r[1];
    System.out.printf(
        "virtual (carrier threads: %s): 8 PBKDF2 hashes on the cpu pool took %d ms; a 10 ms"
            + " interval fired %d times meanwhile; max loop delay %.1f ms (mean %.1f ms, %d"
            + " samples)%n",
        carrierThreads(),
        millis,
        fired,
        delay.max().toNanos() / 1e6,
        delay.mean().toNanos() / 1e6,
        delay.count());
    assertEquals(8, r[2]);
    // Not vacuous: the burst must last long enough for a stalled loop to show.
    assertTrue(millis >= 100, "the burst took only " + millis + " ms");
    // A loop that keeps serving fires about millis / 10 times; a stalled one about once.
    long expected = millis / 10;
    assertTrue(
        fired >= Math.max(3, expected / 5),
        "the interval fired " + fired + " times in " + millis + " ms (expected ~" + expected + ")");
  }

  /** PBKDF2WithHmacSHA512 as the tutorial's hash, with 20,000 iterations (not 100,000). */
  private static byte[] pbkdf2(String password, String salt) throws GeneralSecurityException {
    PBEKeySpec spec =
        new PBEKeySpec(
            password.toCharArray(), salt.getBytes(StandardCharsets.UTF_8), 20_000, 64 * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } finally {
      spec.clearPassword();
    }
  }

  @Test
  void aClosedLoopLeavesNoVirtualThreadAlive() throws Exception {
    Loop loop = newLoop("virtual");
    Thread loopThread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
    List<Thread> io = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      io.add(loop.offload("io", Thread::currentThread).join());
    }
    assertTrue(loopThread.isVirtual(), loopThread::toString);
    assertEquals(loop.name() + "-loop", loopThread.getName());
    assertTrue(io.stream().allMatch(Thread::isVirtual), io::toString);
    assertTrue(loopThread.isAlive(), "not vacuous: the loop's thread runs before close()");
    loop.close();
    loopThread.join(PATIENCE.toMillis());
    assertFalse(loopThread.isAlive(), "the loop's virtual thread after close()");
    for (Thread t : io) {
      t.join(PATIENCE.toMillis());
      assertFalse(t.isAlive(), () -> t + " after close()");
    }
  }

  /**
   * A microtask that awaited gives the loop back when it returns: its thread retires, and the loop
   * goes on on the thread that took the turns over (it does not carry on the microtask queue, or
   * the turn it had left, itself).
   */
  @Test
  void aMicrotaskThatAwaitedRetiresItsThreadWhenItReturns() throws Exception {
    Loop loop = newLoop("virtual");
    CompletableFuture<Thread> waiter = new CompletableFuture<>();
    CompletableFuture<Thread> takeover = new CompletableFuture<>();
    CompletableFuture<Thread> after = new CompletableFuture<>();
    List<String> order = new ArrayList<>(); // confined to the loop
    loop.execute(
        () ->
            loop.queueMicrotask(
                () -> {
                  waiter.complete(Thread.currentThread());
                  loop.setImmediate(() -> takeover.complete(Thread.currentThread()));
                  order.add("await");
                  String v = loop.offload(() -> "offloaded").await();
                  order.add("resumed " + v);
                  loop.queueMicrotask(() -> order.add("queued after resuming"));
                  loop.setTimeout(() -> after.complete(Thread.currentThread()), 1);
                }));
    Thread w = waiter.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    Thread t = takeover.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    Thread a = after.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertTrue(w != t, "not vacuous: the turns moved to another thread while the microtask waited");
    assertEquals(t, a, "the loop goes on on the thread that took the turns over");
    w.join(PATIENCE.toMillis());
    assertFalse(w.isAlive(), () -> w + " (the resumed microtask's) did not retire");
    assertEquals(
        List.of("await", "resumed offloaded", "queued after resuming"),
        loop.submit(() -> List.copyOf(order)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
  }

  @Test
  void aCallbackSuspendedInAwaitIsNotLeftParkedAfterShutdownNow() throws Exception {
    Loop loop = newLoop("virtual");
    Promise.Resolvers<String> never = Promise.withResolvers(loop);
    CompletableFuture<Thread> suspended = new CompletableFuture<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    loop.execute(
        () -> {
          suspended.complete(Thread.currentThread());
          try {
            never.promise().await(); // never settles
            ended.complete(null);
          } catch (Throwable t) {
            ended.complete(t);
          }
        });
    Thread t = suspended.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    // The loop keeps running other callbacks while that one is suspended, on another thread.
    Thread takeover =
        loop.submit(Thread::currentThread).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertTrue(t.isAlive(), "not vacuous: the awaiting callback's thread is parked");
    loop.shutdownNow();
    assertTrue(loop.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS), "not terminated");
    t.join(PATIENCE.toMillis());
    assertFalse(t.isAlive(), () -> t + " is still parked after the loop terminated");
    takeover.join(PATIENCE.toMillis());
    assertFalse(takeover.isAlive(), () -> takeover + " (took over the turns) is still alive");
    Throwable e = ended.get(0, TimeUnit.SECONDS);
    assertTrue(e instanceof LoopTerminatedException, "the suspended await ended with " + e);
  }

  /** An io pool without a configured size runs every offload at once, each on its own thread. */
  @Test
  void anIoPoolWithoutASizeRunsEveryOffloadAtOnce() throws Exception {
    Loop loop = newLoop("virtual");
    int n = 40; // ten times libuv's 4: a bound would keep them from meeting
    java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(n);
    List<dev.loopkit.Promise<Boolean>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(
          loop.offload(
              () -> {
                together.countDown();
                return together.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
              }));
    }
    for (dev.loopkit.Promise<Boolean> p : all) {
      assertTrue(p.get(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the offloads never met");
    }
  }
}
