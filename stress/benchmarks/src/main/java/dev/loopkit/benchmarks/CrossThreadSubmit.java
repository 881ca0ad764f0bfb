package dev.loopkit.benchmarks;

import dev.loopkit.Loop;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.vertx.core.Context;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Shape B, cross-thread submit: one producer (the benchmark thread) submits {@value #TASKS} tiny
 * tasks and waits until all of them ran; one operation is one task.
 *
 * <p>Three forks: one JVM's score sits at one of levels that differ from one JVM to the next (by up
 * to half for shape A, several times for shape B), so one fork decides nothing.
 *
 * <p>Run it alone: {@code java -jar stress/benchmarks/target/benchmarks.jar CrossThreadSubmit}.
 */
@Fork(3)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CrossThreadSubmit {

  static final int TASKS = 1_000_000;

  @Param({
    "loopkit-single-thread-execute",
    "loopkit-single-thread-execute-io",
    "loopkit-fork-join-execute",
    "loopkit-virtual-execute",
    "jdk-single-thread-executor",
    "jdk-fork-join-pool-async",
    "netty-default-event-loop",
    "netty-nio-event-loop",
    "vertx-run-on-context",
    "virtual-thread-per-task"
  })
  public String subject;

  private Object owned;
  private Executor target;
  private Context vertxContext;
  private final int tasks = Subjects.size(TASKS);

  @Setup
  public void setUp() {
    String carrier = Subjects.carrierOf(subject);
    if (carrier != null) {
      Loop loop = Subjects.loopkitFor(subject, carrier);
      owned = target = loop;
      return;
    }
    switch (subject) {
      case "jdk-single-thread-executor" -> {
        ExecutorService e = Executors.newSingleThreadExecutor();
        owned = target = e;
      }
      case "jdk-fork-join-pool-async" -> {
        ExecutorService e = Subjects.forkJoinAsync();
        owned = target = e;
      }
      case "netty-default-event-loop" -> {
        DefaultEventLoop e = Subjects.nettyDefaultLoop();
        owned = target = e;
      }
      case "netty-nio-event-loop" -> {
        MultiThreadIoEventLoopGroup group = Subjects.nettyNioGroup();
        owned = group;
        target = Subjects.loopOf(group);
      }
      case "vertx-run-on-context" -> {
        Subjects.VertxContext vc = Subjects.VertxContext.create();
        owned = vc;
        vertxContext = vc.context();
      }
      case "virtual-thread-per-task" -> target = Thread::startVirtualThread;
      default -> throw new IllegalArgumentException("unknown subject " + subject);
    }
  }

  @TearDown
  public void tearDown() throws Exception {
    Subjects.close(owned);
  }

  @Benchmark
  @OperationsPerInvocation(TASKS)
  public void submit(Blackhole bh) throws InterruptedException {
    if (vertxContext != null) {
      SerialTask task = new SerialTask(tasks);
      Context context = vertxContext;
      for (int i = 0; i < tasks; i++) {
        context.runOnContext(task);
      }
      Subjects.await(task.done);
      bh.consume(task.remaining);
    } else if (subject.equals("virtual-thread-per-task")) {
      // The tasks run at once on several carrier threads: count atomically.
      ConcurrentTask task = new ConcurrentTask(tasks);
      for (int i = 0; i < tasks; i++) {
        target.execute(task);
      }
      Subjects.await(task.done);
      bh.consume(task.remaining.get());
    } else {
      SerialTask task = new SerialTask(tasks);
      Executor e = target;
      for (int i = 0; i < tasks; i++) {
        e.execute(task);
      }
      Subjects.await(task.done);
      bh.consume(task.remaining);
    }
  }

  /** A tiny task for an executor that runs one task at a time (each happens-before the next). */
  static final class SerialTask implements Runnable, io.vertx.core.Handler<Void> {
    final CountDownLatch done = new CountDownLatch(1);
    int remaining;

    SerialTask(int tasks) {
      remaining = tasks;
    }

    @Override
    public void run() {
      if (--remaining == 0) {
        done.countDown();
      }
    }

    @Override
    public void handle(Void unused) {
      run();
    }
  }

  /** A tiny task for an executor that runs tasks at once. */
  static final class ConcurrentTask implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicInteger remaining;

    ConcurrentTask(int tasks) {
      remaining = new AtomicInteger(tasks);
    }

    @Override
    public void run() {
      if (remaining.decrementAndGet() == 0) {
        done.countDown();
      }
    }
  }
}
