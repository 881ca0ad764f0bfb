package dev.loopkit;

import dev.loopkit.internal.EventLoop;
import dev.loopkit.spi.LoopClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * A Node.js-style event loop: callbacks run one at a time, each to completion, on one logical
 * thread, whichever carrier runs it.
 *
 * <p>A turn runs four phases, as libuv does: <b>timers</b> (the ones due at the start of the phase,
 * in deadline order), <b>poll</b> (tasks handed in with {@link #execute} and completed offloads, at
 * most {@code loopkit.poll.maxBatch} of those present when the phase began), <b> check</b> ({@link
 * #setImmediate} callbacks queued before the phase began) and <b>close</b> ({@link
 * Handle#close(Runnable)} callbacks). After every callback, the microtask checkpoint drains the
 * {@link #nextTick} queue, then the microtask queue ({@link #queueMicrotask} and promise
 * reactions), and repeats while ticks remain.
 *
 * <p>Two callbacks of one loop never run at the same time, and each happens-before the next. Every
 * method may be called from any thread; calls made off the loop take effect on it, in the order
 * they were made.
 *
 * <p>Modes: a loop made by {@link #create} is a <em>server-mode</em> loop that lives until it is
 * shut down; {@link #run} runs a <em>program-mode</em> loop that ends once nothing ref'd is left.
 *
 * <p>The loop is also a {@link ScheduledExecutorService}: {@code execute}/{@code submit} go to the
 * poll phase, {@code schedule*} to the timers phase.
 */
@SuppressWarnings("exports") // JSpecify's annotations: compile time only (module-info)
public interface Loop extends ScheduledExecutorService, AutoCloseable {

  /** Makes a server-mode loop configured from the defaults, classpath, environment and system. */
  static Loop create() {
    return create(LoopConfig.load());
  }

  /** Makes a server-mode loop with the given configuration. */
  static Loop create(LoopConfig config) {
    return EventLoop.create(config, EventLoop.Mode.SERVER);
  }

  /**
   * Program mode (Node's process lifetime): runs {@code main} as the loop's first callback on the
   * configured carrier and returns when nothing ref'd is left.
   *
   * <p>By default an uncaught error or an unhandled rejection stops the loop and is rethrown here:
   * a {@link RuntimeException} or {@link Error} as it is, a checked exception as the cause of a
   * {@link LoopTerminatedException}.
   */
  static void run(Runnable main) {
    run(LoopConfig.load(), main);
  }

  /** Program mode with the given configuration. See {@link #run(Runnable)}. */
  static void run(LoopConfig config, Runnable main) {
    EventLoop.runProgram(config, main);
  }

  /**
   * The loop whose callback is running on this thread.
   *
   * @throws IllegalStateException if no loop callback is running on this thread
   */
  static Loop current() {
    return EventLoop.current();
  }

  /** This loop's name, as used in thread names, logs and metrics. */
  String name();

  /** The name of the carrier that runs this loop, e.g. {@code single-thread}. */
  String carrier();

  /** The configuration this loop was made with. */
  LoopConfig config();

  /** The clock that decides when timers are due. */
  LoopClock clock();

  /** Whether the calling thread is running one of this loop's callbacks. */
  boolean inEventLoop();

  /**
   * Queues {@code callback} on the nextTick queue: it runs at the current callback's microtask
   * checkpoint, before promise reactions. Called off the loop, it is first handed in as a task.
   */
  void nextTick(Runnable callback);

  /**
   * Queues {@code callback} on the microtask queue (shared with promise reactions): it runs at the
   * current callback's microtask checkpoint, after the nextTick queue. Called off the loop, it is
   * first handed in as a task.
   */
  void queueMicrotask(Runnable callback);

  /**
   * Runs {@code callback} in the check phase of this turn, or of the next turn if it is running.
   */
  Immediate setImmediate(Runnable callback);

  /**
   * Runs {@code callback} once, no sooner than {@code delayMillis} after this call. A delay below 1
   * ms is 1 ms (as Node).
   *
   * @throws IllegalArgumentException if {@code delayMillis} is above 2³¹−1
   */
  Timer setTimeout(Runnable callback, long delayMillis);

  /** As {@link #setTimeout(Runnable, long)} with the delay as a {@link Duration}. */
  Timer setTimeout(Runnable callback, Duration delay);

  /**
   * Runs {@code callback} every {@code periodMillis}: each run is due at the start of the previous
   * run plus the period, and the timer is re-armed when the callback returns (so a timer with the
   * same deadline made inside the callback runs first, as in Node); missed runs are not caught up.
   * A period below 1 ms (zero or negative too) is 1 ms, as Node.
   *
   * @throws IllegalArgumentException if {@code periodMillis} is above 2³¹−1
   */
  Timer setInterval(Runnable callback, long periodMillis);

  /** As {@link #setInterval(Runnable, long)} with the period as a {@link Duration}. */
  Timer setInterval(Runnable callback, Duration period);

  /**
   * Runs blocking {@code task} on the default offload pool ({@code loopkit.offload.defaultPool},
   * {@code io} unless configured). Its result settles the returned promise on the loop, in the poll
   * phase; a task that throws rejects it with that exception.
   */
  <T extends @Nullable Object> Promise<T> offload(Callable<T> task);

  /**
   * Runs blocking {@code task} on the named offload pool.
   *
   * @throws IllegalArgumentException if no pool of that name is configured
   * @throws java.util.concurrent.RejectedExecutionException if the pool's queue is full or the loop
   *     is shutting down
   */
  <T extends @Nullable Object> Promise<T> offload(String pool, Callable<T> task);

  /** The names of the configured offload pools. */
  List<String> offloadPools();

  /** A new ref'd {@link KeepAlive} that holds this loop open until closed. */
  KeepAlive keepAlive();

  /**
   * What keeps this loop alive: each active handle with its kind, id, ref state and due time, in id
   * order. Called off the loop, it waits for the loop to answer.
   */
  List<HandleInfo> activeHandles();

  /**
   * Starts measuring this loop's delay (Node's {@code monitorEventLoopDelay}): an unref'd timer
   * every {@code resolution} records how late it ran.
   */
  DelayMonitor monitorDelay(Duration resolution);

  /**
   * Netty's graceful shutdown: the loop keeps accepting work during {@code quietPeriod}; once a
   * whole quiet period passes with no task arriving it shuts down ({@link #shutdown()}); if it has
   * not terminated by {@code timeout} from the call, it stops as {@link #shutdownNow()} would, and
   * the tasks that never ran are kept in {@link #unrunTasks()} (their number is logged). Both
   * periods count from the call, however much work is queued ahead. A second call changes nothing.
   * Returns {@link #terminationFuture()}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= quietPeriod <= timeout}
   */
  CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout);

  /**
   * The tasks that a stop nobody asked a list of did not run: a fatal error, the {@code stop} error
   * policy, the timeout of {@link #shutdownGracefully}, or {@link #close()} interrupted — the list
   * {@link #shutdownNow()} would have returned (their futures are cancelled). Final once the loop
   * has terminated; empty before, and after a termination by {@code shutdown()} or {@code
   * shutdownNow()}.
   */
  List<Runnable> unrunTasks();

  /** Completes when this loop has terminated; fails with the error that stopped it, if any. */
  CompletableFuture<Void> terminationFuture();

  /**
   * Shuts down and waits for termination (the JDK's {@code close}): if interrupted while waiting,
   * stops as {@link #shutdownNow()} would (the never-started tasks go to {@link #unrunTasks()}),
   * waits on, and re-asserts the interrupt. On the {@code manual} carrier the caller's thread runs
   * the loop to its end.
   *
   * @throws IllegalStateException if called on this loop's own thread
   */
  @Override
  void close();
}
