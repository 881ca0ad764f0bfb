package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * Shape E, chains of {@value #LINKS} links on the loop; one operation is one link.
 *
 * <ul>
 *   <li>{@code promiseChain}: {@code p = p.then(x -> x + 1)} a million times from a pending
 *       promise, which is then resolved; done when the last promise settles. Node's figure: {@code
 *       node/promise-chain.js}.
 *   <li>{@code microtaskChain}: a microtask that queues the next. Node's figure: {@code
 *       node/microtask-chain.js}.
 * </ul>
 *
 * <p>A chain keeps about 90 MB live while it is built, so with a heap left to G1's sizing each fork
 * lands in one of two collection regimes (the same code measured 2.6 M and 35 M links/s in
 * different forks): the class runs with a fixed, pre-touched 2 GiB heap, so that it measures the
 * loop rather than the heap's first sizing.
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar PromiseChain}.
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PromiseChain {

  static final int LINKS = 1_000_000;

  private static final Function<Integer, Integer> INCREMENT = x -> x + 1;

  @Param({"loopkit-single-thread", "loopkit-fork-join", "loopkit-virtual"})
  public String subject;

  private Loop loop;
  private final int links = Subjects.size(LINKS);

  @Setup
  public void setUp() {
    loop = Subjects.loopkit(Subjects.carrierOf(subject));
  }

  @TearDown
  public void tearDown() throws Exception {
    Subjects.close(loop);
  }

  @Benchmark
  @OperationsPerInvocation(LINKS)
  public void promiseChain(Blackhole bh) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    int[] result = new int[1];
    loop.execute(
        () -> {
          Promise.Resolvers<Integer> head = Promise.withResolvers(loop);
          Promise<Integer> p = head.promise();
          for (int i = 0; i < links; i++) {
            p = p.then(INCREMENT);
          }
          p.thenAccept(
              v -> {
                result[0] = v;
                done.countDown();
              });
          head.resolve(0);
        });
    Subjects.await(done);
    if (result[0] != links) {
      throw new IllegalStateException("chain ended at " + result[0] + ", expected " + links);
    }
    bh.consume(result[0]);
  }

  @Benchmark
  @OperationsPerInvocation(LINKS)
  public void microtaskChain(Blackhole bh) throws InterruptedException {
    MicrotaskChain chain = new MicrotaskChain(loop, links);
    loop.execute(() -> loop.queueMicrotask(chain));
    Subjects.await(chain.done);
    bh.consume(chain.remaining);
  }

  /** A microtask that queues itself until no link remains. */
  static final class MicrotaskChain implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);
    private final Loop loop;
    int remaining; // confined to the loop

    MicrotaskChain(Loop loop, int links) {
      this.loop = loop;
      this.remaining = links;
    }

    @Override
    public void run() {
      if (--remaining > 0) {
        loop.queueMicrotask(this);
      } else {
        done.countDown();
      }
    }
  }
}
