package dev.loopkit.internal;

import static java.util.Objects.requireNonNull;

import dev.loopkit.DelayMonitor;
import dev.loopkit.HandleInfo;
import dev.loopkit.Immediate;
import dev.loopkit.KeepAlive;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.TaskDecorator;
import dev.loopkit.Timer;
import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.IoPoller;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * A loop: the parts of the engine wired together, and the faces users and carriers see — the
 * Node-style API of {@link Loop}, the JDK's (through {@link ExecutorFace}) and the carrier's {@link
 * LoopDriver}. Every rule of a turn lives in the parts; carriers only decide when and on which
 * thread {@link #runTurns} runs.
 *
 * <pre>{@code
 * Implementation notes
 *
 * The parts: TurnDriver runs turns, through the phases TimerPhase, PollPhase, CheckPhase
 * (immediates) and ClosePhase, each callback followed by MicrotaskQueue's checkpoint; PollQueue is
 * what other threads hand work in through, with the ledger; Suspensions holds callbacks suspended in
 * await; Offloads routes blocking work to the pools; Lifecycle (the superclass) holds the state,
 * Termination the stop's sweep and the loop's end; GracefulShutdown watches a quiet period.
 *
 * Threads. The phases, the microtask queue and the turn driver are confined to the loop: the one
 * thread inside runTurns. Everything another thread does reaches the loop through the poll queue:
 * user tasks, and the loop's own items (a timer or immediate made off the loop; a hand-in: a
 * completion, a promise settled off the loop, a ref/unref/cancel). runningThread is the thread that
 * holds the loop now (volatile; inEventLoop() compares it with the caller).
 *
 * Context. Each entry point that takes a callback passes it through capture() on the caller's
 * thread: nothing until a LoopLocal was set or a decorator configured, then LoopContext wraps it
 * with the caller's context and the decorator's wrapper (see LoopContext).
 * }</pre>
 */
public final class EventLoop extends ExecutorFace implements Loop, LoopDriver {

  /** Server mode lives until shut down; program mode ends when nothing ref'd is left. */
  public enum Mode {
    SERVER,
    PROGRAM
  }

  private static final ThreadLocal<EventLoop> CURRENT = new ThreadLocal<>();
  private static final AtomicInteger LOOP_SEQ = new AtomicInteger();
  // ---- fixed at construction ----
  private final LoopConfig config;
  private final String name;
  final Mode mode;
  private final LoopClock clock;
  private final String carrierName;
  final Carrier carrier;
  final AtomicLong ids = new AtomicLong(1); // handles, timers' sequence, offloads
  final TurnDriver driver;
  final TimerPhase timers;
  final PollQueue pollQueue;
  final CheckPhase immediates;
  final ClosePhase closing;
  final MicrotaskQueue microtasks;
  private final ArrayDeque<Runnable> microtaskFifo; // MicrotaskQueue's, one step nearer
  final Suspensions suspensions;
  final Offloads offloads;
  final Termination termination = new Termination(this);
  final KeepAlives keepAlives = new KeepAlives(this);
  final IoPolling io = new IoPolling(this);
  private final Watchdog.Watch watch; // null: no watchdog
  private final @Nullable TaskDecorator decorator; // null: none

  volatile Thread runningThread; // any thread reads: the thread that holds the loop now

  private EventLoop(LoopConfig config, Mode mode) {
    this.config = config;
    this.mode = mode;
    this.name = config.name() + "-" + LOOP_SEQ.incrementAndGet();
    CarrierProvider provider = Carriers.provider(config);
    this.carrierName = provider.name();
    this.decorator = config.taskDecorator().orElse(null);
    if (decorator != null) {
      LoopContext.decoratorConfigured();
    }
    this.clock = config.clock().orElseGet(provider::defaultClock);
    this.driver = new TurnDriver(this);
    this.timers = driver.timers;
    this.pollQueue = driver.pollQueue;
    this.immediates = driver.immediates;
    this.closing = driver.closing;
    this.microtasks = driver.microtasks();
    this.microtaskFifo = microtasks.fifo();
    this.suspensions = driver.suspensions();
    this.carrier = provider.create(this);
    this.offloads = new Offloads(this, carrier);
    long threshold = config.watchdogThresholdMillis();
    this.watch =
        threshold > 0 && carrier.supportsWatchdog()
            ? new Watchdog.Watch(this, TimeUnit.MILLISECONDS.toNanos(threshold))
            : null;
  }

  /** Makes a loop; a server-mode loop starts running at once. */
  public static EventLoop create(LoopConfig config, Mode mode) {
    requireNonNull(config, "config");
    EventLoop loop = new EventLoop(config, mode);
    if (mode == Mode.SERVER) {
      loop.start();
    }
    return loop;
  }

  /** Program mode: runs {@code main} first, returns when nothing ref'd is left. */
  public static void runProgram(LoopConfig config, Runnable main) {
    requireNonNull(config, "config");
    requireNonNull(main, "main");
    EventLoop loop = new EventLoop(config, Mode.PROGRAM);
    loop.execute(main);
    loop.start();
    loop.carrier.runToCompletion(loop);
    switch (loop.termination.failure()) {
      case null -> {}
      case RuntimeException e -> throw e;
      case Error e -> throw e;
      case Throwable f ->
          throw new LoopTerminatedException("the loop " + loop.name + " stopped on an error", f);
    }
  }

  private void start() {
    clock.onAdvance(carrier::wake);
    if (watch != null) {
      Watchdog.shared().watch(watch); // before the first turn, so before termination's unwatch
    }
    try {
      carrier.start();
    } catch (RuntimeException | Error e) {
      unwatch();
      throw e;
    }
  }

  void unwatch() {
    if (watch != null) {
      Watchdog.shared().unwatch(watch);
    }
  }

  /** The loop behind {@code loop}. */
  public static EventLoop of(Loop loop) {
    if (loop instanceof EventLoop e) {
      return e;
    }
    throw new IllegalArgumentException("not a loopkit loop: " + loop);
  }

  /** The loop whose turns this thread last entered, or null (may not be running it now). */
  public static @Nullable EventLoop currentOrNull() {
    return CURRENT.get();
  }

  /** The loop running a callback on this thread. */
  public static EventLoop current() {
    EventLoop loop = CURRENT.get();
    if (loop == null) {
      throw new IllegalStateException(
          "no loop callback is running on this thread ("
              + Thread.currentThread().getName()
              + "); pass the loop explicitly");
    }
    return loop;
  }

  /** A thread enters {@code loop}'s turns; returns the loop it was in, for {@link #leave}. */
  static EventLoop enter(EventLoop loop) {
    EventLoop outer = CURRENT.get();
    CURRENT.set(loop);
    return outer;
  }

  static void leave(EventLoop outer) {
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
  }

  // ==== Loop: microtasks, immediates, timers, keep-alives, offloads

  @Override
  public void nextTick(Runnable callback) {
    requireNonNull(callback, "callback");
    Runnable tick = capture(callback);
    if (inEventLoop()) {
      microtasks.addTick(tick);
    } else {
      pollQueue.submit((Runnable) () -> microtasks.addTick(tick), "execute");
    }
  }

  @Override
  public void queueMicrotask(Runnable callback) {
    requireNonNull(callback, "callback");
    Runnable microtask = capture(callback);
    if (inEventLoop()) {
      microtaskFifo.add(microtask);
    } else {
      pollQueue.submit((Runnable) () -> microtasks.add(microtask), "execute");
    }
  }

  @Override
  public Immediate setImmediate(Runnable callback) {
    requireNonNull(callback, "callback");
    if (inEventLoop()) {
      checkAccepting("setImmediate");
      return immediates.add(capture(callback));
    }
    ImmediateTask im = new ImmediateTask(this, ids.getAndIncrement(), capture(callback));
    pollQueue.submit(im, "setImmediate");
    return im;
  }

  @Override
  public Timer setTimeout(Runnable callback, long delayMillis) {
    requireNonNull(callback, "callback");
    return timers.setTimer(capture(callback), delayMillis, false, "setTimeout", null);
  }

  @Override
  public Timer setTimeout(Runnable callback, Duration delay) {
    requireNonNull(delay, "delay");
    requireNonNull(callback, "callback");
    return timers.setTimer(
        capture(callback), TimerPhase.millisOf(delay, "delay"), false, "setTimeout", null);
  }

  @Override
  public Timer setInterval(Runnable callback, long periodMillis) {
    requireNonNull(callback, "callback");
    return timers.setTimer(capture(callback), periodMillis, true, "setInterval", null);
  }

  @Override
  public Timer setInterval(Runnable callback, Duration period) {
    requireNonNull(period, "period");
    requireNonNull(callback, "callback");
    return timers.setTimer(
        capture(callback), TimerPhase.millisOf(period, "period"), true, "setInterval", null);
  }

  @Override
  public KeepAlive keepAlive() {
    return keepAlives.open();
  }

  @Override
  public <T> Promise<T> offload(Callable<T> task) {
    requireNonNull(task, "task");
    return offloads.offload(offloads.pool(null), capture(task));
  }

  @Override
  public <T> Promise<T> offload(String pool, Callable<T> task) {
    requireNonNull(pool, "pool");
    requireNonNull(task, "task");
    OffloadPool p = offloads.pool(pool);
    return offloads.offload(p, capture(task));
  }

  @Override
  public List<String> offloadPools() {
    return offloads.names();
  }

  @Override
  public void execute(Runnable task) {
    requireNonNull(task, "task");
    pollQueue.submit(capture(task), "execute");
  }

  // ==== context that follows the work (see LoopContext)

  /** {@code callback} as it will run: decorated, with the caller's context (any thread). */
  @Override
  Runnable capture(Runnable callback) {
    return LoopContext.capturing() ? LoopContext.capture(callback, decorator) : callback;
  }

  /** As {@link #capture(Runnable)}, for a task with a result. */
  @Override
  <V extends @Nullable Object> Callable<V> capture(Callable<V> task) {
    return LoopContext.capturing() ? LoopContext.capture(task, decorator) : task;
  }

  // ==== the lifecycle (Lifecycle has the table of what each state does to pending work)

  @Override
  public void shutdown() {
    if (advance(SHUTDOWN)) {
      if (inEventLoop()) {
        timers.cancelOnShutdown();
      } else {
        pollQueue.handIn(timers::cancelOnShutdown, true); // the loop cannot terminate before it
      }
    }
  }

  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> never = termination.moveToStop(false);
    return never != null ? never : new ArrayList<>();
  }

  @Override
  public List<Runnable> unrunTasks() {
    return unrun();
  }

  @Override
  public boolean isShutdown() {
    return !accepting();
  }

  @Override
  public boolean isTerminated() {
    // The termination future completes first (then the latch): whoever sees it done, and whoever
    // awaitTermination released, sees isTerminated() true.
    return state() == TERMINATED && termination.future().isDone();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    checkNotOnLoop("awaitTermination");
    long deadline = LoopClock.system().nanoTime() + unit.toNanos(timeout);
    if (!termination.await(unit.toNanos(timeout))) {
      return false;
    }
    return offloads.awaitPools(deadline)
        && carrier.awaitTermination(Math.max(0, deadline - LoopClock.system().nanoTime()));
  }

  /**
   * The JDK's: shutdown() and wait; if interrupted while waiting, stop as shutdownNow() would (the
   * never-started tasks are kept in unrunTasks()) and keep waiting; the interrupt is re-asserted
   * before returning. On a carrier whose turns run only when the caller steps them (manual), the
   * caller's thread runs the loop to its end.
   */
  @Override
  public void close() {
    checkNotOnLoop("close");
    shutdown();
    if (!carrier.turnsRunUnattended()) {
      carrier.runToCompletion(this);
    }
    boolean interrupted = false;
    while (true) {
      try {
        if (awaitTermination(1, TimeUnit.DAYS)) {
          break;
        }
      } catch (InterruptedException e) {
        if (!interrupted) {
          interrupted = true;
          termination.stop(null, "an interrupt of close()");
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public CompletableFuture<Void> terminationFuture() {
    return termination.future().copy();
  }

  @Override
  public CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout) {
    requireNonNull(quietPeriod, "quietPeriod");
    requireNonNull(timeout, "timeout");
    if (quietPeriod.isNegative() || timeout.compareTo(quietPeriod) < 0) {
      throw new IllegalArgumentException(
          "shutdownGracefully: need 0 <= quietPeriod <= timeout; got quietPeriod "
              + quietPeriod
              + ", timeout "
              + timeout);
    }
    termination.requestGraceful(quietPeriod, timeout);
    return terminationFuture();
  }

  // ==== introspection

  @Override
  public List<HandleInfo> activeHandles() {
    return ActiveHandles.of(this);
  }

  @Override
  public DelayMonitor monitorDelay(Duration resolution) {
    return monitorDelay(resolution, null);
  }

  /** As {@link #monitorDelay(Duration)}, also handing each sample (nanoseconds) to {@code sink}. */
  public DelayMonitor monitorDelay(Duration resolution, @Nullable LongConsumer sink) {
    requireNonNull(resolution, "resolution");
    if (resolution.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("resolution: " + resolution + " is below 1 ms");
    }
    LoopDelayMonitor m = new LoopDelayMonitor(this, resolution.toNanos(), sink);
    if (inEventLoop()) {
      m.start();
    } else {
      pollQueue.submit((Runnable) m::start, "execute"); // the loop's own: not the decorator's
    }
    return m;
  }

  /** The manual carrier's control, if this loop runs on it. */
  public ManualControl manualControl() {
    if (carrier instanceof ManualControl m) {
      return m;
    }
    throw new IllegalArgumentException(
        "loop: " + name + " runs on the " + carrierName + " carrier, not on manual");
  }

  /** This loop's figures (metrics binders, the watchdog). */
  public LoopStats stats() {
    return driver.stats();
  }

  /** Items waiting in the poll queue: tasks, completions, arrivals (a moment's figure). */
  public long taskQueueDepth() {
    return pollQueue.depth();
  }

  /** The offload pools, by name. */
  public Map<String, OffloadPool> pools() {
    return offloads.pools();
  }

  // ==== LoopDriver: the carrier's view

  @Override
  public Next runTurns(int maxTurns, long sliceNanos) {
    return driver.runTurns(maxTurns, sliceNanos);
  }

  @Override
  public long nextDeadline() {
    return driver.nextDeadline();
  }

  @Override
  public boolean hasPendingWork() {
    return pollQueue.hasItems() || io.hasReady() || stopOrGraceful();
  }

  @Override
  public boolean hasReadyWork() {
    return pollQueue.hasReady() || io.hasReady() || stopOrGraceful();
  }

  private boolean stopOrGraceful() {
    return state() >= STOP || termination.gracefulRequested();
  }

  @Override
  public boolean mayPollWhileIdle(int othersBusy) {
    return offloads.mayPollWhileIdle(othersBusy);
  }

  @Override
  public boolean hasIo() {
    return io.attached();
  }

  @Override
  public void awaitIo(long timeoutNanos) {
    io.await(timeoutNanos);
  }

  @Override
  public void wakeIo() {
    io.wakeup();
  }

  /** {@link IoPoller#attach}: the poller the poll phase polls from now on (any thread). */
  public IoPoller.Host attachIo(IoPoller poller) {
    io.attach(poller);
    return io.host();
  }

  @Override
  public boolean isTerminatedForCarrier() {
    return termination.isDone();
  }

  @Override
  public void awaitTerminationUninterruptibly() {
    termination.awaitUninterruptibly();
  }

  @Override
  public ThreadFactory threadFactory(String role) {
    return Thread.ofPlatform()
        .name(name + "-" + role + "-", 0)
        .daemon(config.daemonThreads())
        .factory();
  }

  // ==== accessors

  @Override
  TimerPhase timers() {
    return timers;
  }

  @Override
  boolean carrierSuspends() {
    return carrier.canSuspendCallbacks();
  }

  @Override
  boolean turnsRunUnattended() {
    return carrier.turnsRunUnattended();
  }

  @Override
  public LoopClock clock() {
    return clock;
  }

  @Override
  public LoopConfig config() {
    return config;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String carrier() {
    return carrierName;
  }

  @Override
  public boolean inEventLoop() {
    return runningThread == Thread.currentThread();
  }

  /** For the watchdog (any thread): the thread inside runTurns, or null between turns. */
  Thread watchedThread() {
    return io.waiting() ? null : runningThread; // idle in the I/O poller is not blocked
  }

  long watchedProgress() {
    return driver.stats().progress();
  }

  Object watchedCallback() {
    return driver.current;
  }

  int watchedPhase() {
    return driver.phase;
  }

  @Override
  public String toString() {
    return "Loop[" + name + ", " + carrierName + ", " + stateName() + "]";
  }
}
