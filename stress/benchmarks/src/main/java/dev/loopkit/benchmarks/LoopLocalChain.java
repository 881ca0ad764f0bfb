package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * Shape A, the loop-local chain: a callback schedules the next, {@value #HOPS} hops, all from the
 * loop's own thread; one operation is one hop. Node's figure: {@code node/immediate-chain.js}.
 *
 * <p>Three forks: one JVM's score sits at one of levels that differ from one JVM to the next (by up
 * to half for shape A, several times for shape B), so one fork decides nothing.
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar LoopLocalChain}.
 */
@Fork(3)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LoopLocalChain {

  static final int HOPS = 1_000_000;

  @Param({
    "loopkit-single-thread-setImmediate",
    "loopkit-single-thread-execute",
    "loopkit-single-thread-setImmediate-io",
    "loopkit-single-thread-execute-io",
    "loopkit-fork-join-setImmediate",
    "loopkit-fork-join-execute",
    "loopkit-virtual-setImmediate",
    "loopkit-virtual-execute",
    "jdk-single-thread-executor",
    "jdk-fork-join-pool-async",
    "netty-default-event-loop",
    "netty-nio-event-loop",
    "vertx-run-on-context",
    "virtual-thread-per-hop"
  })
  public String subject;

  private Object owned;
  private Executor hop; // schedules the next hop; called on the loop only
  private Executor start; // hands the first hop to the loop from the benchmark thread
  private final int hops = Subjects.size(HOPS);

  @Setup
  public void setUp() {
    String carrier = Subjects.carrierOf(subject);
    if (carrier != null) {
      Loop loop = Subjects.loopkitFor(subject, carrier);
      owned = loop;
      start = loop;
      hop = subject.contains("-setImmediate") ? loop::setImmediate : loop;
      return;
    }
    switch (subject) {
      case "jdk-single-thread-executor" -> {
        ExecutorService e = Executors.newSingleThreadExecutor();
        owned = e;
        start = hop = e;
      }
      case "jdk-fork-join-pool-async" -> {
        ExecutorService e = Subjects.forkJoinAsync();
        owned = e;
        start = hop = e;
      }
      case "netty-default-event-loop" -> {
        DefaultEventLoop e = Subjects.nettyDefaultLoop();
        owned = e;
        start = hop = e;
      }
      case "netty-nio-event-loop" -> {
        MultiThreadIoEventLoopGroup group = Subjects.nettyNioGroup();
        EventLoop e = Subjects.loopOf(group);
        owned = group;
        start = hop = e;
      }
      case "vertx-run-on-context" -> {
        Subjects.VertxContext vc = Subjects.VertxContext.create();
        Context context = vc.context();
        owned = vc;
        start = hop = task -> context.runOnContext(new RunHandler(task));
      }
      case "virtual-thread-per-hop" -> {
        owned = null;
        start = hop = Thread::startVirtualThread;
      }
      default -> throw new IllegalArgumentException("unknown subject " + subject);
    }
  }

  @TearDown
  public void tearDown() throws Exception {
    Subjects.close(owned);
  }

  @Benchmark
  @OperationsPerInvocation(HOPS)
  public void chain(Blackhole bh) throws InterruptedException {
    Chain chain = new Chain(hop, hops);
    start.execute(chain);
    Subjects.await(chain.done);
    bh.consume(chain.remaining);
  }

  /** One hop: counts down and schedules itself again until no hop remains. */
  static final class Chain implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);
    private final Executor hop;
    int remaining; // confined to the loop (each hop happens-before the next)

    Chain(Executor hop, int hops) {
      this.hop = hop;
      this.remaining = hops;
    }

    @Override
    public void run() {
      if (--remaining > 0) {
        hop.execute(this);
      } else {
        done.countDown();
      }
    }
  }

  /** A Vert.x handler that runs a task (allocated per hop, as a lambda handler would be). */
  record RunHandler(Runnable task) implements Handler<Void> {
    @Override
    public void handle(Void unused) {
      task.run();
    }
  }
}
