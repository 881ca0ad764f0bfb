package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.micrometer.LoopMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
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
 * What observability costs ("cheap enough to leave on": within 5%): shapes A and E on the
 * single-thread carrier, bare (watchdog off, no binder), with the watchdog (the default), and with
 * the watchdog and a {@link LoopMetrics} binder on a {@link SimpleMeterRegistry} (default sampling,
 * one callback in 64). {@code timer} is bare with one unref'd 10 ms interval armed, as the binder's
 * loop-delay timer is: it tells what an armed timer costs from what the binder itself costs. One
 * operation is one hop or one link, as in {@link LoopLocalChain} and {@link PromiseChain}.
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar ObservabilityOverhead}.
 */
@Fork(1)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ObservabilityOverhead {

  static final int HOPS = 1_000_000;

  @Param({
    "loopkit-single-thread-bare",
    "loopkit-single-thread-timer",
    "loopkit-single-thread-watchdog",
    "loopkit-single-thread-metrics"
  })
  public String subject;

  private Loop loop;
  private LoopMetrics metrics;
  private final int hops = Subjects.size(HOPS);

  @Setup
  public void setUp() {
    LoopConfig.Builder b =
        LoopConfig.builder().isolated().carrier("single-thread").name("bench-observability");
    if (subject.endsWith("-bare") || subject.endsWith("-timer")) {
      b.set("loopkit.watchdog.thresholdMillis", 0);
    }
    loop = Loop.create(b.build());
    if (subject.endsWith("-timer")) { // bare, with one unref'd timer armed, as the binder's is
      loop.execute(() -> loop.setInterval(() -> {}, 10).unref());
    }
    if (subject.endsWith("-metrics")) {
      metrics = LoopMetrics.monitor(new SimpleMeterRegistry(), loop);
    }
  }

  @TearDown
  public void tearDown() throws Exception {
    if (metrics != null) {
      metrics.close();
    }
    Subjects.close(loop);
  }

  @Benchmark
  @OperationsPerInvocation(HOPS)
  public void setImmediateChain(Blackhole bh) throws InterruptedException {
    chain(loop::setImmediate, bh);
  }

  @Benchmark
  @OperationsPerInvocation(HOPS)
  public void executeChain(Blackhole bh) throws InterruptedException {
    chain(loop, bh);
  }

  @Benchmark
  @OperationsPerInvocation(HOPS)
  public void microtaskChain(Blackhole bh) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    int[] left = {hops};
    loop.execute(
        new Runnable() {
          @Override
          public void run() {
            if (--left[0] > 0) {
              loop.queueMicrotask(this);
            } else {
              done.countDown();
            }
          }
        });
    Subjects.await(done);
    bh.consume(left[0]);
  }

  private void chain(Executor hop, Blackhole bh) throws InterruptedException {
    LoopLocalChain.Chain chain = new LoopLocalChain.Chain(hop, hops);
    loop.execute(chain);
    Subjects.await(chain.done);
    bh.consume(chain.remaining);
  }
}
