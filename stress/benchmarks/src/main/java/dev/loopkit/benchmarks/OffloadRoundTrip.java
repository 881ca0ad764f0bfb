package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.vertx.core.Context;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
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
 * Shape C, the offload round trip: from the loop, a trivial task goes to a worker and its result
 * comes back on the loop, {@value #ROUND_TRIPS} times in sequence; one operation is one round trip.
 * Workers: loopkit's default {@code io} pool (4 threads, as libuv), Vert.x's worker pool, a fixed
 * pool of 4 platform threads for Netty and the JDK, a new virtual thread per offload. Node's
 * figure: {@code node/offload-round-trip.js} ({@code crypto.randomFill} on the libuv pool).
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar OffloadRoundTrip}.
 */
@Fork(1)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OffloadRoundTrip {

  static final int ROUND_TRIPS = 100_000;
  static final int POOL_SIZE = 4;

  /** The trivial task. */
  static final Callable<Integer> TASK = () -> 42;

  @Param({
    "loopkit-single-thread-offload",
    "loopkit-fork-join-offload",
    "loopkit-virtual-offload",
    "vertx-execute-blocking",
    "netty-nio-loop-and-pool",
    "jdk-completable-future-supply-async",
    "virtual-thread-per-offload"
  })
  public String subject;

  private Object owned;
  private Object ownedPool;
  private Executor loopExecutor; // where a round trip starts (and so the whole sequence)
  private RoundTrip roundTrip; // one offload; calls back on the loop
  private final int roundTrips = Subjects.size(ROUND_TRIPS);

  /** Starts one offload from the loop; {@code back} runs on the loop with the result. */
  interface RoundTrip {
    void offload(IntConsumer back);
  }

  @Setup
  public void setUp() {
    String carrier = Subjects.carrierOf(subject);
    if (carrier != null) {
      Loop loop = Subjects.loopkit(carrier);
      owned = loopExecutor = loop;
      roundTrip = back -> loop.offload(TASK).thenAccept(back::accept);
      return;
    }
    switch (subject) {
      case "vertx-execute-blocking" -> {
        Subjects.VertxContext vc = Subjects.VertxContext.create();
        Context context = vc.context();
        owned = vc;
        loopExecutor = task -> context.runOnContext(v -> task.run());
        roundTrip = back -> context.executeBlocking(TASK).onSuccess(back::accept);
      }
      case "netty-nio-loop-and-pool" -> {
        MultiThreadIoEventLoopGroup group = Subjects.nettyNioGroup();
        EventLoop loop = Subjects.loopOf(group);
        ExecutorService pool = Executors.newFixedThreadPool(POOL_SIZE);
        owned = group;
        ownedPool = pool;
        loopExecutor = loop;
        roundTrip =
            back ->
                pool.execute(
                    () -> {
                      int result = call(TASK);
                      loop.execute(() -> back.accept(result));
                    });
      }
      case "jdk-completable-future-supply-async" -> {
        ExecutorService loop = Executors.newSingleThreadExecutor();
        ExecutorService pool = Executors.newFixedThreadPool(POOL_SIZE);
        owned = loop;
        ownedPool = pool;
        loopExecutor = loop;
        roundTrip =
            back ->
                CompletableFuture.supplyAsync(() -> call(TASK), pool)
                    .thenAcceptAsync(back::accept, loop);
      }
      case "virtual-thread-per-offload" -> {
        ExecutorService loop = Executors.newSingleThreadExecutor();
        owned = loop;
        loopExecutor = loop;
        roundTrip =
            back ->
                Thread.startVirtualThread(
                    () -> {
                      int result = call(TASK);
                      loop.execute(() -> back.accept(result));
                    });
      }
      default -> throw new IllegalArgumentException("unknown subject " + subject);
    }
  }

  @TearDown
  public void tearDown() throws Exception {
    Subjects.close(owned);
    Subjects.close(ownedPool);
  }

  @Benchmark
  @OperationsPerInvocation(ROUND_TRIPS)
  public void roundTrip(Blackhole bh) throws InterruptedException {
    Sequence sequence = new Sequence(roundTrip, roundTrips);
    loopExecutor.execute(sequence);
    Subjects.await(sequence.done);
    bh.consume(sequence.sum);
  }

  static int call(Callable<Integer> task) {
    try {
      return task.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The sequence of round trips: the next starts when the previous result is back. */
  static final class Sequence implements Runnable, IntConsumer {
    final CountDownLatch done = new CountDownLatch(1);
    private final RoundTrip roundTrip;
    private int remaining; // confined to the loop
    long sum;

    Sequence(RoundTrip roundTrip, int roundTrips) {
      this.roundTrip = roundTrip;
      this.remaining = roundTrips;
    }

    @Override
    public void run() {
      roundTrip.offload(this);
    }

    @Override
    public void accept(int result) {
      sum += result;
      if (--remaining > 0) {
        roundTrip.offload(this);
      } else {
        done.countDown();
      }
    }
  }
}
