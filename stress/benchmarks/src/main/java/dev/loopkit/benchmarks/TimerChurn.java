package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import dev.loopkit.Timer;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Shape D, timer churn: from the loop's own thread, rounds of "schedule two timers, cancel one"
 * (three operations), {@value #OPERATIONS} operations in all, delays 0–10 ms from a fixed
 * pseudo-random sequence, measured until every uncancelled timer has fired. The rounds run in
 * batches of {@value #ROUNDS_PER_BATCH} per callback (the next batch queued behind the timers), so
 * timers fire while others are still being scheduled, as in a server. Node's figure: {@code
 * node/timer-churn.js}.
 *
 * <p>loopkit, {@code ScheduledThreadPoolExecutor} and Netty's {@code schedule} fire in exact
 * deadline order; {@code HashedWheelTimer} only to its tick (1 ms here), and runs the timers on its
 * own worker thread (the rounds are scheduled from a single-thread executor).
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar TimerChurn}.
 */
@Fork(1)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TimerChurn {

  static final int OPERATIONS = 1_500_000;
  static final int ROUNDS_PER_BATCH = 1_000;
  static final int MAX_DELAY_MILLIS = 10;

  @Param({
    "loopkit-single-thread-setTimeout",
    "loopkit-fork-join-setTimeout",
    "loopkit-virtual-setTimeout",
    "jdk-scheduled-thread-pool",
    "netty-nio-schedule",
    "netty-hashed-wheel-timer"
  })
  public String subject;

  private Object owned;
  private Object ownedTimer;
  private Timers timers;
  private int[] delays; // two per round
  private final int rounds = Subjects.size(OPERATIONS) / 3;

  /** A timer facility, called from its loop's thread only. */
  interface Timers {
    Object schedule(Runnable callback, int delayMillis);

    void cancel(Object timer);

    /** Runs {@code batch} later on the loop's thread. */
    void later(Runnable batch);
  }

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(6);
    delays = new int[rounds * 2];
    for (int i = 0; i < delays.length; i++) {
      delays[i] = random.nextInt(MAX_DELAY_MILLIS + 1);
    }
    String carrier = Subjects.carrierOf(subject);
    if (carrier != null) {
      Loop loop = Subjects.loopkit(carrier);
      owned = loop;
      timers =
          new Timers() {
            @Override
            public Object schedule(Runnable callback, int delayMillis) {
              return loop.setTimeout(callback, delayMillis);
            }

            @Override
            public void cancel(Object timer) {
              ((Timer) timer).cancel();
            }

            @Override
            public void later(Runnable batch) {
              loop.setImmediate(batch);
            }
          };
      return;
    }
    switch (subject) {
      case "jdk-scheduled-thread-pool" -> {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1);
        owned = e;
        timers = new JdkTimers(e);
      }
      case "netty-nio-schedule" -> {
        MultiThreadIoEventLoopGroup group = Subjects.nettyNioGroup();
        EventLoop loop = Subjects.loopOf(group);
        owned = group;
        timers = new JdkTimers(loop);
      }
      case "netty-hashed-wheel-timer" -> {
        ExecutorService loop = Executors.newSingleThreadExecutor();
        HashedWheelTimer wheel = new HashedWheelTimer(1, TimeUnit.MILLISECONDS);
        wheel.start();
        owned = loop;
        ownedTimer = wheel;
        timers =
            new Timers() {
              @Override
              public Object schedule(Runnable callback, int delayMillis) {
                return wheel.newTimeout(
                    new WheelTask(callback), delayMillis, TimeUnit.MILLISECONDS);
              }

              @Override
              public void cancel(Object timer) {
                ((Timeout) timer).cancel();
              }

              @Override
              public void later(Runnable batch) {
                loop.execute(batch);
              }
            };
      }
      default -> throw new IllegalArgumentException("unknown subject " + subject);
    }
  }

  /** The subject's timers, once set up (for {@link TimerLateness}). */
  Timers timers() {
    return timers;
  }

  /** The delays of the rounds, two per round (for {@link TimerLateness}). */
  int[] delays() {
    return delays;
  }

  @TearDown
  public void tearDown() throws Exception {
    Subjects.close(owned);
    Subjects.close(ownedTimer);
  }

  @Benchmark
  @OperationsPerInvocation(OPERATIONS)
  public void churn(Blackhole bh) throws InterruptedException {
    Churn churn = new Churn(timers, delays, rounds);
    timers.later(churn);
    Subjects.await(churn.done);
    bh.consume(churn.fired);
  }

  /** The batches of rounds (run on the loop) and the count of timers fired. */
  static final class Churn implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);
    private final Timers timers;
    private final int[] delays;
    private final int rounds;
    private final Runnable fire = this::fired;
    private int round; // confined to the loop
    int fired; // confined to the thread that runs the timers

    Churn(Timers timers, int[] delays, int rounds) {
      this.timers = timers;
      this.delays = delays;
      this.rounds = rounds;
    }

    @Override
    public void run() {
      int end = Math.min(rounds, round + ROUNDS_PER_BATCH);
      for (int r = round; r < end; r++) {
        Object cancelled = timers.schedule(fire, delays[2 * r]);
        timers.schedule(fire, delays[2 * r + 1]);
        timers.cancel(cancelled);
      }
      round = end;
      if (end < rounds) {
        timers.later(this);
      }
    }

    private void fired() {
      if (++fired == rounds) {
        done.countDown();
      }
    }
  }

  /** {@code ScheduledExecutorService} timers (the JDK's and Netty's loop). */
  record JdkTimers(java.util.concurrent.ScheduledExecutorService executor) implements Timers {
    @Override
    public Object schedule(Runnable callback, int delayMillis) {
      return executor.schedule(callback, delayMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void cancel(Object timer) {
      ((ScheduledFuture<?>) timer).cancel(false);
    }

    @Override
    public void later(Runnable batch) {
      executor.execute(batch);
    }
  }

  /** A Netty {@code TimerTask} that runs a callback. */
  record WheelTask(Runnable callback) implements TimerTask {
    @Override
    public void run(Timeout timeout) {
      callback.run();
    }
  }
}
