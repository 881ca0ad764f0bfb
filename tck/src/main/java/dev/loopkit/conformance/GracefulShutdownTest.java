package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code shutdownGracefully(quiet, timeout)} (as Netty's): the loop keeps accepting during the
 * quiet period, shuts down after a quiet period with no task, and past the timeout shuts down now.
 */
class GracefulShutdownTest {

  private static final long MS = 1_000_000L;

  @CarrierTest
  void acceptsDuringTheQuietPeriodThenTerminatesAfterAQuietPeriodWithNoTask(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    long quiet = 100;
    AtomicLong lastTaskAt = new AtomicLong();
    AtomicLong terminatedAt = new AtomicLong();
    AtomicInteger ran = new AtomicInteger();
    long start = loop.clock().nanoTime();
    CompletableFuture<Void> term =
        loop.shutdownGracefully(Duration.ofMillis(quiet), Duration.ofSeconds(10));
    CompletableFuture<Void> stamped = term.thenRun(() -> terminatedAt.set(loop.clock().nanoTime()));
    assertFalse(term.isDone());
    // Still accepting: tasks and timers handed in now run.
    f.onLoop(
        loop,
        () -> {
          assertFalse(loop.isShutdown(), "shut down at once, with no quiet period");
          loop.setTimeout(
              () -> {
                ran.incrementAndGet();
                loop.execute(
                    () -> {
                      ran.incrementAndGet();
                      lastTaskAt.set(loop.clock().nanoTime());
                    });
              },
              30);
        });
    loop.execute(ran::incrementAndGet);
    f.await(loop, stamped); // term is done a moment before its dependents have run
    assertEquals(3, ran.get(), "work handed in during the quiet period must run");
    assertTrue(loop.isTerminated());
    assertTrue(
        terminatedAt.get() - lastTaskAt.get() >= quiet * MS,
        "terminated "
            + (terminatedAt.get() - lastTaskAt.get())
            + " ns after the last task, within the quiet period");
    assertTrue(
        terminatedAt.get() - start < 10_000 * MS,
        "the quiet period never ended before the timeout");
    assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> {}));
  }

  @CarrierTest
  void pastTheTimeoutItShutsDownNowEvenWhileTasksKeepArriving(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    long quiet = 50;
    long timeout = 400;
    AtomicInteger produced = new AtomicInteger();
    AtomicReference<Timer> producer = new AtomicReference<>();
    AtomicLong terminatedAt = new AtomicLong();
    // A producer that hands the loop a task every 5 ms, so the quiet period never completes.
    f.onLoop(
        loop,
        () ->
            producer.set(
                loop.setInterval(
                    () -> {
                      try {
                        loop.execute(produced::incrementAndGet);
                      } catch (RejectedExecutionException e) {
                        // shut down meanwhile
                      }
                    },
                    5)));
    long start = loop.clock().nanoTime();
    CompletableFuture<Void> term =
        loop.shutdownGracefully(Duration.ofMillis(quiet), Duration.ofMillis(timeout));
    CompletableFuture<Void> stamped = term.thenRun(() -> terminatedAt.set(loop.clock().nanoTime()));
    f.await(loop, stamped);
    assertTrue(loop.isShutdown());
    assertTrue(loop.isTerminated());
    long took = terminatedAt.get() - start;
    assertTrue(took >= timeout * MS, "shut down after " + took + " ns, before the timeout");
    assertTrue(
        produced.get() >= (timeout / 5) / 4,
        "the producer ran only " + produced.get() + " times: was it really producing?");
    assertFalse(producer.get().isActive());
    assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> {}));
    assertThrows(RejectedExecutionException.class, () -> loop.setTimeout(() -> {}, 1));
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aProducerThreadKeepsItAliveUntilTheTimeoutThenIsRejected(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger ran = new AtomicInteger();
    AtomicReference<RejectedExecutionException> refused = new AtomicReference<>();
    Thread producer =
        new Thread(
            () -> {
              long end = System.nanoTime() + LoopFixture.PATIENCE.toNanos();
              while (System.nanoTime() - end < 0) {
                try {
                  loop.execute(ran::incrementAndGet);
                  accepted.incrementAndGet();
                } catch (RejectedExecutionException e) {
                  refused.set(e);
                  return;
                }
                LockSupport.parkNanos(3 * MS);
              }
            },
            "graceful-test-producer");
    producer.start();
    long start = System.nanoTime();
    CompletableFuture<Void> term =
        loop.shutdownGracefully(Duration.ofMillis(100), Duration.ofMillis(600));
    term.get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    long took = System.nanoTime() - start;
    producer.join(LoopFixture.PATIENCE.toMillis());
    assertTrue(took >= 600 * MS, "terminated after " + took + " ns, before the timeout");
    assertTrue(refused.get() != null, "the producer was never refused");
    assertTrue(accepted.get() >= 10, "accepted only " + accepted.get());
    assertTrue(ran.get() <= accepted.get());
    assertTrue(loop.isTerminated());
  }

  @CarrierTest
  void aZeroQuietPeriodShutsDownAtOnceAndQueuedWorkStillRuns(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<String> log = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> term = loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(10));
    f.await(loop, term);
    assertTrue(loop.isTerminated());
    assertEquals(List.of(), log);
    Loop second = f.newLoop();
    f.onLoop(
        second,
        () -> {
          second.setTimeout(() -> log.add("timeout"), 20);
          second.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(10));
        });
    f.await(second, second.terminationFuture());
    assertEquals(List.of("timeout"), log, "a ref'd one-shot timer still runs after shutdown");
  }

  @CarrierTest
  void badArgumentsAreRefused(LoopFixture f) {
    Loop loop = f.newLoop();
    assertThrows(
        IllegalArgumentException.class,
        () -> loop.shutdownGracefully(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> loop.shutdownGracefully(Duration.ofMillis(-1), Duration.ofSeconds(1)));
    assertThrows(
        NullPointerException.class, () -> loop.shutdownGracefully(null, Duration.ofSeconds(1)));
    assertThrows(NullPointerException.class, () -> loop.shutdownGracefully(Duration.ZERO, null));
    assertFalse(loop.isShutdown(), "a refused call must not start shutting down");
  }

  @CarrierTest
  void calledAgainAfterShutdownItReturnsTheSameTermination(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    loop.shutdown();
    CompletableFuture<Void> term =
        loop.shutdownGracefully(Duration.ofMillis(10), Duration.ofSeconds(1));
    f.await(loop, term);
    assertTrue(loop.isTerminated());
    CompletableFuture<Void> again =
        loop.shutdownGracefully(Duration.ofMillis(10), Duration.ofSeconds(1));
    assertTrue(again.isDone(), "a terminated loop's termination future is done");
  }
}
