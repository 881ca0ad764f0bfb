package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.netty.Net;
import dev.loopkit.netty.NetServer;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * What the benchmarks run on: loopkit loops of each carrier and the peers (JDK executors, Netty,
 * Vert.x), each made and shut down the same way.
 *
 * <p>A subject's {@code @Param} name says what it is: {@code loopkit-<carrier>[-<variant>]} for
 * loopkit ({@code -io}: with a server channel listening on the loop), anything else for a peer. The
 * summary ({@code node/summary.js}) relies on that prefix.
 */
final class Subjects {

  /**
   * Smoke mode ({@code -Dloopkit.bench.smoke=true}, CI): every size divided by 100. The scores of a
   * smoke run are not figures; it only proves that every benchmark still runs to completion.
   */
  static final boolean SMOKE = Boolean.getBoolean("loopkit.bench.smoke");

  /** How long an invocation may take before it counts as hung (and the benchmark throws). */
  private static final long TIMEOUT_SECONDS = 120;

  private Subjects() {}

  /** {@code full}, or a hundredth of it in smoke mode. */
  static int size(int full) {
    return SMOKE ? Math.max(1, full / 100) : full;
  }

  /** A server-mode loop of {@code carrier}, isolated from the environment's configuration. */
  static Loop loopkit(String carrier) {
    return Loop.create(
        LoopConfig.builder().isolated().carrier(carrier).name("bench-" + carrier).build());
  }

  /**
   * A loop of the subject's carrier; for a subject ending in {@code -io}, with a TCP server
   * listening on it (idle: no connection comes), so that each turn pays the poll phase's I/O checks
   * (a loop with a channel registered, against the same subject without).
   */
  static Loop loopkitFor(String subject, String carrier) {
    Loop loop = loopkit(carrier);
    if (subject.endsWith("-io")) {
      NetServer server = Net.createServer(loop, socket -> socket.destroy());
      try {
        var unused = server.listen(0).toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        loop.shutdownNow();
        throw new IllegalStateException("the -io subject's server did not listen", e);
      }
    }
    return loop;
  }

  /** The carrier named by a subject {@code loopkit-<carrier>-...}; null if it is a peer. */
  static String carrierOf(String subject) {
    for (String carrier : new String[] {"single-thread", "fork-join", "virtual"}) {
      if (subject.startsWith("loopkit-" + carrier)) {
        return carrier;
      }
    }
    return null;
  }

  /** JDK {@code ForkJoinPool(1)} in async (FIFO) mode. */
  static ForkJoinPool forkJoinAsync() {
    return new ForkJoinPool(1, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
  }

  /** Netty's {@code DefaultEventLoop}: a task-only single-thread loop. */
  static DefaultEventLoop nettyDefaultLoop() {
    return new DefaultEventLoop();
  }

  /** Netty's NIO I/O event loop: a {@code MultiThreadIoEventLoopGroup(1, NioIoHandler)}. */
  static MultiThreadIoEventLoopGroup nettyNioGroup() {
    return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  static EventLoop loopOf(MultiThreadIoEventLoopGroup group) {
    return (EventLoop) group.next();
  }

  /** A Vert.x instance and one event-loop context of it. */
  record VertxContext(Vertx vertx, Context context) implements AutoCloseable {
    static VertxContext create() {
      Vertx vertx = Vertx.vertx();
      return new VertxContext(vertx, vertx.getOrCreateContext());
    }

    @Override
    public void close() throws java.util.concurrent.TimeoutException {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Waits for {@code done}, or throws if the invocation hung. */
  static void await(CountDownLatch done) throws InterruptedException {
    if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "the benchmark did not complete within " + TIMEOUT_SECONDS + " s");
    }
  }

  /** Shuts down whatever a benchmark made; every kind of subject is closed here. */
  static void close(Object subject) throws Exception {
    switch (subject) {
      case null -> {}
      case Loop loop -> {
        loop.shutdown();
        if (!loop.awaitTermination(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("loop did not terminate: " + loop.name());
        }
      }
      case io.netty.util.concurrent.EventExecutorGroup group ->
          group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
      case io.netty.util.Timer timer -> timer.stop();
      case ExecutorService executor -> {
        executor.shutdownNow();
        if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("executor did not terminate: " + executor);
        }
      }
      case AutoCloseable closeable -> closeable.close();
      default -> throw new IllegalArgumentException("cannot close " + subject);
    }
  }
}
