package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopBlockedWarning;
import dev.loopkit.spi.IoPoller;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The engine's side of network I/O ({@link IoPoller}), with a poller whose sources the test makes
 * ready: ready sources run as poll-phase callbacks, each with its microtask checkpoint; an idle
 * loop waits in the poller and is woken through it; what is registered holds the loop open; the
 * loop's end closes the poller. (loopkit-netty's poller on Netty's transport has I/O tests of its
 * own.)
 */
class IoPollerTest {

  /** A poller whose sources the test makes ready, from any thread. */
  static final class FakePoller implements IoPoller {
    private final Object lock = new Object();
    private final ArrayDeque<Runnable> pending = new ArrayDeque<>();
    private boolean woken;
    final AtomicInteger waits = new AtomicInteger(); // polls that could wait
    final AtomicInteger wakeups = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final List<Boolean> onLoop = Collections.synchronizedList(new ArrayList<>());
    volatile boolean holds;
    private final Loop loop;

    FakePoller(Loop loop) {
      this.loop = loop;
    }

    /** Makes a source ready: {@code callback} is how the loop handles it. */
    void ready(Runnable callback) {
      synchronized (lock) {
        pending.add(callback);
        lock.notifyAll();
      }
    }

    @Override
    public void poll(long timeoutNanos, Consumer<Runnable> ready) {
      onLoop.add(loop.inEventLoop());
      synchronized (lock) {
        if (timeoutNanos != 0 && pending.isEmpty() && !woken) {
          waits.incrementAndGet();
          try {
            if (timeoutNanos < 0) {
              lock.wait();
            } else {
              TimeUnit.NANOSECONDS.timedWait(lock, timeoutNanos);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        woken = false;
        for (Runnable r; (r = pending.poll()) != null; ) {
          ready.accept(r);
        }
      }
    }

    @Override
    public void wakeup() {
      wakeups.incrementAndGet();
      synchronized (lock) {
        woken = true;
        lock.notifyAll();
      }
    }

    @Override
    public boolean holdsLoop() {
      return holds;
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @CarrierTest
  void readySourcesRunAsPollCallbacksEachFollowedByTheCheckpoint(LoopFixture f) {
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);
    poller.ready(
        () -> {
          log.add("io 1 on loop: " + loop.inEventLoop());
          loop.queueMicrotask(() -> log.add("microtask of io 1"));
          loop.nextTick(() -> log.add("tick of io 1"));
        });
    poller.ready(
        () -> {
          log.add("io 2");
          done.countDown();
        });
    IoPoller.attach(loop, poller);
    f.await(loop, done);
    assertEquals(List.of("io 1 on loop: true", "tick of io 1", "microtask of io 1", "io 2"), log);
    assertTrue(poller.onLoop.stream().allMatch(b -> b), "polled off the loop: " + poller.onLoop);
  }

  @CarrierTest
  void insideAnIoCallbackAnImmediateRunsBeforeAZeroTimeout(LoopFixture f) {
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(2);
    poller.ready(
        () -> {
          loop.setTimeout(
              () -> {
                log.add("timeout");
                done.countDown();
              },
              0);
          loop.setImmediate(
              () -> {
                log.add("immediate");
                done.countDown();
              });
        });
    IoPoller.attach(loop, poller);
    f.await(loop, done);
    assertEquals(List.of("immediate", "timeout"), log);
  }

  @CarrierTest
  void anIdleLoopWaitsInThePollerAndIsWokenThroughItForATask(LoopFixture f) {
    if (!f.has(Capability.OWN_THREADS)) {
      return; // manual: the test steps the loop; nothing waits
    }
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    IoPoller.attach(loop, poller);
    f.awaitCondition(loop, () -> poller.waits.get() > 0, "the idle loop to wait in the poller");
    CountDownLatch ran = new CountDownLatch(1);
    loop.execute(ran::countDown);
    f.await(loop, ran);
    assertTrue(poller.wakeups.get() > 0, "the task's wake-up did not go through the poller");
    // and I/O that becomes ready while it waits is handled
    CountDownLatch handled = new CountDownLatch(1);
    poller.ready(handled::countDown);
    f.await(loop, handled);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anIdleLoopWaitingInItsPollerIsNotReportedAsBlocked(LoopFixture f) throws Exception {
    List<LoopBlockedWarning> warnings = new CopyOnWriteArrayList<>();
    Loop loop =
        f.newLoop(b -> b.set("loopkit.watchdog.thresholdMillis", 50).onBlockedLoop(warnings::add));
    FakePoller poller = new FakePoller(loop);
    IoPoller.attach(loop, poller);
    f.awaitCondition(loop, () -> poller.waits.get() > 0, "the idle loop to wait in the poller");
    Thread.sleep(500); // ten thresholds, idle in the poller
    assertTrue(warnings.isEmpty(), () -> "an idle loop was reported blocked: " + warnings);
    CountDownLatch ran = new CountDownLatch(1);
    loop.execute(ran::countDown);
    f.await(loop, ran);
  }

  @CarrierTest
  void aTimerFiresWhileTheLoopWaitsInThePoller(LoopFixture f) {
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    IoPoller.attach(loop, poller);
    CountDownLatch fired = new CountDownLatch(1);
    f.onLoop(loop, () -> loop.setTimeout(fired::countDown, 20));
    f.await(loop, fired);
  }

  @CarrierTest
  void whatThePollerHoldsKeepsAProgramRunningAndItsEndClosesThePoller(LoopFixture f) {
    AtomicReference<FakePoller> poller = new AtomicReference<>();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    f.run(
        () -> {
          Loop loop = Loop.current();
          FakePoller p = new FakePoller(loop);
          p.holds = true; // a listening server, say
          poller.set(p);
          IoPoller.attach(loop, p);
          p.ready(
              () -> {
                log.add("io");
                loop.setTimeout(
                    () -> {
                      log.add("last timer");
                      p.holds = false; // the server closed: nothing holds the program now
                    },
                    5);
              });
        });
    assertEquals(List.of("io", "last timer"), log);
    assertEquals(1, poller.get().closes.get(), "closed once as the program ended");
  }

  @CarrierTest
  void aStopClosesThePollerAndALaterAttachIsRefused(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    poller.holds = true;
    IoPoller.attach(loop, poller);
    assertThrows(
        IllegalStateException.class,
        () -> IoPoller.attach(loop, new FakePoller(loop)),
        "a second poller");
    loop.shutdownNow();
    f.awaitCondition(loop, loop::isTerminated, "the loop to terminate");
    assertEquals(1, poller.closes.get(), "closed once as the loop terminated");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> IoPoller.attach(loop, new FakePoller(loop)));
    assertTrue(e.getMessage().contains("stopped"), e.getMessage());
  }

  @CarrierTest
  void afterShutdownWhatThePollerHoldsNoLongerHoldsTheLoop(LoopFixture f) {
    Loop loop = f.newLoop();
    FakePoller poller = new FakePoller(loop);
    poller.holds = true; // a connection a peer keeps open, say
    IoPoller.attach(loop, poller);
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    loop.execute(() -> ran.set(true));
    loop.shutdown();
    f.awaitCondition(loop, loop::isTerminated, "the loop to terminate with the poller holding");
    assertTrue(ran.get(), "the task queued before shutdown ran");
    assertEquals(1, poller.closes.get(), "closed once as the loop terminated");
  }
}
