package dev.loopkit.internal;

import static java.util.Objects.requireNonNull;

import dev.loopkit.DelayMonitor;
import dev.loopkit.ErrorHandler;
import dev.loopkit.HandleInfo;
import dev.loopkit.Immediate;
import dev.loopkit.KeepAlive;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import dev.loopkit.spi.Carrier;
import dev.loopkit.spi.CarrierProvider;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver;
import dev.loopkit.spi.PoolSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The loop engine: every rule of a turn, in one place; carriers only decide when and on which
 * thread {@link #runTurns} runs.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Threads. Fields marked "loop" are touched only inside runTurns, which one thread at a time runs
 * (the carrier guarantees a happens-before edge between two calls). Everything a foreign thread
 * does reaches the loop through the TaskQueue: user tasks, and internal items (Arrival: a timer or
 * immediate made off the loop; InternalTask: a completion, a promise settled off the loop, a
 * ref/unref/cancel). runningThread is written at the start and end of runTurns; inEventLoop()
 * compares it with the caller.
 *
 * State. RUNNING -> SHUTDOWN (no new submissions; queued work and ref'd one-shot timers still run;
 * offloads already accepted still deliver) -> TERMINATED; or -> STOP (shutdownNow, or an error
 * that stops the loop: nothing more runs) -> TERMINATED. Only the loop writes TERMINATED.
 *
 * Submission vs shutdown (the task ledger). A producer checks the state, enqueues, then checks
 * again; if the loop is no longer RUNNING it tries to take its item back (TaskQueue.reclaim). The
 * loop, shutdownNow and the producer all take an item with an atomic getAndSet, so exactly one of
 * them owns it: it runs, is returned by shutdownNow, or its submit throws. After SHUTDOWN the loop
 * keeps draining; it terminates only when, after SHUTDOWN was published, it finds no queued slot, no
 * pending offload and nothing ref'd: a producer that enqueued before seeing SHUTDOWN is then
 * either seen by the loop or takes its item back.
 *
 * Offloads count as pending from before their state check until their completion has run on the
 * loop, so a loop never terminates under an accepted offload (except by STOP, which rejects it).
 *
 * Observability (LoopStats, Watchdog). Each turn and each phase callback bumps a count as it
 * starts (an opaque store, no clock): the callbacks-per-phase metric and the watchdog's progress.
 * current names the callback for the watchdog's report. Clocks are read for metrics only while a
 * binder is attached: busy time at runTurns' edges and every 64 turns, one callback and one
 * poll-queue item in sampleEvery.
 * }</pre>
 */
public final class EventLoop extends EventLoopPadded implements Loop, LoopDriver {

  /** Server mode lives until shut down; program mode ends when nothing ref'd is left. */
  public enum Mode {
    SERVER,
    PROGRAM
  }

  /** An item of the task queue that is not a callback: it joins a loop-side structure. */
  interface Arrival {
    void arrive(EventLoop loop);
  }

  /**
   * A loop-side action handed in from another thread: not a user task, not in the ledger. {@code
   * inBatch}: whether it takes a place in the poll phase's batch (a completion or a settlement
   * does; bookkeeping such as a cancel's clean-up does not).
   */
  private record InternalTask(Runnable action, boolean inBatch) {}

  /** Whether a queued item takes a place in the poll phase's batch. */
  private static final java.util.function.Predicate<Object> IN_BATCH =
      item -> !(item instanceof InternalTask it) || it.inBatch();

  private static final System.Logger LOG = System.getLogger("dev.loopkit");
  private static final ThreadLocal<EventLoop> CURRENT = new ThreadLocal<>();
  private static final java.lang.invoke.VarHandle GRACEFUL;

  static {
    try {
      GRACEFUL =
          java.lang.invoke.MethodHandles.lookup()
              .findVarHandle(EventLoop.class, "graceful", GracefulShutdown.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final AtomicInteger LOOP_SEQ = new AtomicInteger();
  private static final long MAX_DELAY_MILLIS = Integer.MAX_VALUE;
  private static final long MAX_SCHEDULE_NANOS = Long.MAX_VALUE >> 2; // ~36 years: no overflow
  private static final int ID_BLOCK = 1024;
  private static final long NO_SAMPLE = Long.MIN_VALUE;

  // ---- fixed at construction ----
  private final LoopConfig config;
  private final String name;
  private final Mode mode;
  private final LoopClock clock;
  private final String carrierName;
  private final Carrier carrier;
  private final int maxBatch;
  private final ErrorHandler uncaughtHandler;
  private final ErrorHandler rejectionHandler;
  private final Map<String, OffloadPool> pools = new LinkedHashMap<>();
  private final OffloadPool defaultPool;
  private final LoopStats stats;
  private final long sampleMask; // sampleEvery - 1
  private final Watchdog.Watch watch; // null: no watchdog

  // ---- shared with other threads ----
  private final TaskQueue tasks = new TaskQueue();
  private final AtomicInteger queued; // only when the queue is bounded
  private final int queueCapacity;
  private volatile Thread runningThread;
  // The thread running turns (others may hold suspended callbacks). Plain: it is read only by the
  // thread holding the loop, and written before the volatile hand-over of runningThread.
  private Thread runner;
  private final AtomicLong ids = new AtomicLong(1);
  private final Set<OffloadPool.Task<?>> offloads = ConcurrentHashMap.newKeySet();
  private final Set<KeepAliveHandle> keepAlives = ConcurrentHashMap.newKeySet();
  private final Set<ScheduledTask<?>> scheduled = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Void> termination = new CompletableFuture<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile Throwable failure;
  private volatile GracefulShutdown graceful; // set once, by the first shutdownGracefully
  // Hand-ins of the loop's own that a stop's sweep took from the queue: written by the STOP
  // winner before Lifecycle.swept, read by the loop after awaitSweep.
  private List<InternalTask> sweptInternal;

  // ---- confined to the loop ----
  private final TimerQueue timers = new TimerQueue();
  private final ArrayDeque<ImmediateTask> immediates = new ArrayDeque<>();
  private final ArrayDeque<Runnable> ticks = new ArrayDeque<>();
  private final ArrayDeque<Runnable> microtasks = new ArrayDeque<>();
  private ArrayList<Runnable> closing = new ArrayList<>();
  private ArrayList<Promise<?>> rejections;
  private boolean terminatedHere; // past TERMINATED, settling what was owed

  // ---- the turn in progress, kept in fields so that another thread can continue it (loop) ----
  // (the fields themselves are in EventLoopTurnFields, on cache lines of their own)
  private static final int TIMERS = 0;
  private static final int POLL = 1;
  private static final int CHECK = 2;
  private static final int CLOSE = 3;
  private final ArrayList<Suspension> suspended = new ArrayList<>();

  private EventLoop(LoopConfig config, Mode mode) {
    this.config = config;
    this.mode = mode;
    this.name = config.name() + "-" + LOOP_SEQ.incrementAndGet();
    CarrierProvider provider = Carriers.provider(config);
    this.carrierName = provider.name();
    this.clock = config.clock().orElseGet(provider::defaultClock);
    this.maxBatch = config.pollMaxBatch();
    this.queueCapacity = config.queueCapacity();
    this.queued = queueCapacity == Integer.MAX_VALUE ? null : new AtomicInteger();
    this.uncaughtHandler =
        config
            .uncaughtErrorHandler()
            .orElseGet(() -> policy(config.uncaughtPolicy(), "uncaught error"));
    this.rejectionHandler =
        config
            .unhandledRejectionHandler()
            .orElseGet(() -> policy(config.unhandledRejectionPolicy(), "unhandled rejection"));
    this.carrier = provider.create(this);
    for (PoolSpec spec : config.pools()) {
      pools.put(
          spec.name(),
          new OffloadPool(spec, carrier.offloadExecutor(spec, this), carrier.poolBound(spec)));
    }
    this.defaultPool = pools.get(config.defaultPool());
    this.sampleMask = config.metricsSampleEvery() - 1;
    this.stats = new LoopStats(this, config.metricsSampleEvery());
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
    Throwable f = loop.failure;
    if (f instanceof RuntimeException e) {
      throw e;
    }
    if (f instanceof Error e) {
      throw e;
    }
    if (f != null) {
      throw new LoopTerminatedException("the loop " + loop.name + " stopped on an error", f);
    }
  }

  private void start() {
    clock.onAdvance(carrier::wake);
    if (watch != null) {
      Watchdog.shared()
          .watch(watch); // before the first turn, so before finishTermination's unwatch
    }
    try {
      carrier.start();
    } catch (RuntimeException | Error e) {
      if (watch != null) {
        Watchdog.shared().unwatch(watch);
      }
      throw e;
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
  public static EventLoop currentOrNull() {
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

  // ==== the turn
  // ==================================================================================

  @Override
  public Next runTurns(int maxTurns) {
    Thread self = Thread.currentThread();
    EventLoop outer = CURRENT.get();
    runner = self;
    runningThread = self;
    CURRENT.set(this);
    // Busy time and depths only while a binder is bound: a clock read here, every 64 turns and
    // when the thread lets the loop go (or hands it over in suspend), never per callback.
    busyMark = stats.instruments() != null ? clock.nanoTime() : NO_SAMPLE;
    try {
      if (owedCheckpoint) { // the turn thread before this one suspended inside a callback
        owedCheckpoint = false;
        checkpoint();
      }
      for (int i = 0; i < maxTurns; i++) {
        turns++;
        GracefulShutdown g = graceful;
        if (g != null && !g.started) {
          g.start(); // asked from another thread: its clock runs from the call, not from here
        }
        if (state() < STOP) {
          runTurn();
        }
        if (busyMark != NO_SAMPLE) {
          stats.publishDepths(immediates.size(), timers.size());
          if ((i & 63) == 63) {
            flushBusy();
          }
        }
        Next next = next();
        if (next != Next.RUN_AGAIN) {
          return next;
        }
      }
      return Next.RUN_AGAIN;
    } catch (Retired r) {
      return Next.HANDED_OFF; // this thread finished a resumed callback; another runs the turns
    } catch (Throwable t) {
      if (isFatal(t)) {
        stop(t, "a fatal error");
        finishTermination();
      }
      throw t;
    } finally {
      if (runner == self) { // (a retired thread's time is the turn thread's to count)
        flushBusy();
        busyMark = NO_SAMPLE;
        current = null; // what the last callback captured is not kept alive by an idle loop
      }
      if (runningThread == self) {
        runningThread = null;
      }
      leaving(self); // after runningThread: an interrupt from shutdownNow ends here
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    }
  }

  /** Adds the busy time since the last mark (loop; while a binder is bound). */
  private void flushBusy() {
    if (busyMark != NO_SAMPLE) {
      long now = clock.nanoTime();
      stats.addBusy(now - busyMark);
      busyMark = now;
    }
  }

  /**
   * One turn, in libuv's order. Each phase keeps its place in fields, so that when a callback is
   * suspended (virtual carrier) the thread that takes over continues the same turn where it was.
   */
  private void runTurn() {
    if (phase == TIMERS && timers.isEmpty() && !tasks.nextWritten()) {
      enterPhase(CHECK); // no timer, nothing polled: straight to the immediates (a chain of them)
    }
    if (phase == TIMERS) {
      runTimers();
    }
    if (phase == POLL) {
      runPoll();
    }
    if (phase == CHECK) {
      runCheck();
    }
    if (phase == CLOSE) {
      runClose();
    }
  }

  private void enterPhase(int next) {
    phase = next;
    phaseBegun = false;
  }

  /** Phase 1: the timers due at one clock reading, armed before the phase began. */
  private void runTimers() {
    if (!phaseBegun) {
      phaseBegun = true;
      if (timers.isEmpty()) {
        enterPhase(POLL);
        return;
      }
      passNow = clock.nanoTime();
      passSeq = ids.get();
    }
    TimerTask t;
    while (state() < STOP && (t = timers.pollDue(passNow, passSeq)) != null) {
      fireTimer(t);
    }
    enterPhase(POLL);
  }

  private void fireTimer(TimerTask t) {
    if (!t.casState(TimerTask.SCHEDULED, TimerTask.RUNNING)) {
      return; // cancelled meanwhile
    }
    firing = t;
    firingStart = t.periodNanos != 0 ? clock.nanoTime() : 0;
    firingDeadline = t.deadline;
    long sampledFrom = enterCallback(t, ++timersRun);
    try {
      t.fire();
    } catch (Throwable e) {
      uncaught(e);
    }
    retireIfResumed();
    if (firing == t) {
      firing = null;
      afterTimer(t, firingStart, firingDeadline);
    }
    checkpoint();
    if (sampledFrom != NO_SAMPLE) {
      sampleEnd(sampledFrom);
    }
  }

  /** After a timer's callback returned (or was suspended): re-arm it, or mark it done. */
  private void afterTimer(TimerTask t, long start, long previousDeadline) {
    boolean refresh = t.refreshRequested;
    t.refreshRequested = false;
    if (t.periodNanos == 0 && !refresh) {
      t.casState(TimerTask.RUNNING, TimerTask.DONE);
    } else if ((accepting() || t.internal) && t.casState(TimerTask.RUNNING, TimerTask.SCHEDULED)) {
      arm(t, refresh ? clock.nanoTime() + t.delayNanos : t.nextDeadline(start, previousDeadline));
    } else if (t.casState(TimerTask.RUNNING, TimerTask.CANCELLED)) {
      t.cancelledByLoop();
    }
  }

  private void arm(TimerTask t, long deadline) {
    t.deadline = deadline;
    t.seq = ids.getAndIncrement();
    timers.add(t);
  }

  /** Phase 2: tasks, completions and arrivals present when the phase began, at most maxBatch. */
  private void runPoll() {
    if (!phaseBegun) {
      phaseBegun = true;
      pollEnd = tasks.publishedEnd(maxBatch, IN_BATCH);
      pollBudget = maxBatch;
    }
    while (pollBudget > 0 && state() < STOP) {
      Object item = tasks.pollUpTo(pollEnd);
      if (item == null) {
        break;
      }
      pollBudget--;
      polled++;
      if (queued != null && !(item instanceof InternalTask)) {
        queued.decrementAndGet();
      }
      if (busyMark != NO_SAMPLE) { // a binder is bound: this item's wait may be sampled
        taskWaitSample(tasks.lastTicket());
      }
      if (item instanceof Arrival a) {
        a.arrive(this);
      } else if (item instanceof InternalTask it) {
        if (!it.inBatch()) {
          pollBudget++; // bookkeeping: the tasks present when the phase began keep their places
        }
        runCallback(it.action(), ++pollRun);
      } else {
        runCallback((Runnable) item, ++pollRun);
      }
    }
    enterPhase(CHECK);
  }

  /** Phase 3: the immediates queued before the phase began. */
  private void runCheck() {
    if (!phaseBegun) {
      phaseBegun = true;
      checkLeft = immediates.size();
    }
    while (checkLeft > 0 && state() < STOP) {
      checkLeft--;
      ImmediateTask im = immediates.poll();
      if (im.counted) {
        im.counted = false;
        refImmediates--;
      }
      if (im.start()) {
        runCallback(im.callback, ++checkRun);
      }
    }
    enterPhase(CLOSE);
  }

  /** Phase 4: the close callbacks of handles closed during the turn. */
  private void runClose() {
    if (!phaseBegun) {
      phaseBegun = true;
      if (!closing.isEmpty()) {
        closeBatch = closing;
        closeIndex = 0;
        closing = new ArrayList<>();
      }
    }
    while (closeBatch != null && closeIndex < closeBatch.size() && state() < STOP) {
      runCallback(closeBatch.get(closeIndex++), ++closeRun);
    }
    closeBatch = null;
    enterPhase(TIMERS);
  }

  /**
   * Runs one callback, routes what it throws, then the microtask checkpoint. {@code count}: its
   * phase's callbacks so far, itself included.
   */
  private void runCallback(Runnable callback, long count) {
    long sampledFrom = enterCallback(callback, count);
    try {
      callback.run();
    } catch (Throwable t) {
      uncaught(t);
    }
    retireIfResumed();
    checkpoint();
    if (sampledFrom != NO_SAMPLE) {
      sampleEnd(sampledFrom);
    }
  }

  /**
   * Before a phase's callback, counted (which tells the watchdog the loop moved on): every
   * sampleEvery-th callback of a phase reads the clock (if instruments are attached) to time it
   * with its checkpoint.
   */
  private long enterCallback(Object callback, long count) {
    current = callback;
    if ((count & sampleMask) != 0) {
      return NO_SAMPLE;
    }
    return stats.instruments() != null ? clock.nanoTime() : NO_SAMPLE;
  }

  private void sampleEnd(long from) {
    LoopStats.Instruments in = stats.instruments();
    if (in != null) {
      in.callbackDuration(phase, clock.nanoTime() - from);
    }
  }

  private void taskWaitSample(long ticket) {
    LoopStats.Instruments in;
    if ((ticket & sampleMask) == 0 && (in = stats.instruments()) != null) {
      stats.taskTaken(in, ticket, clock.nanoTime());
    }
  }

  /**
   * The microtask checkpoint: all ticks (ticks added meanwhile included), then all microtasks (ones
   * added meanwhile included), again while ticks remain; then unhandled rejections.
   */
  private void checkpoint() {
    while (!ticks.isEmpty() || !microtasks.isEmpty()) {
      Runnable r;
      while (state() < STOP && (r = ticks.poll()) != null) {
        ticksRun++;
        runGuarded(r);
      }
      while (state() < STOP && (r = microtasks.poll()) != null) {
        microtasksRun++;
        runGuarded(r);
      }
      if (state() >= STOP) {
        return; // what is left is settled as the loop terminates (settleWhatWasOwed)
      }
    }
    if (rejections != null) {
      reportRejections();
    }
  }

  private void runGuarded(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      uncaught(t);
    }
    retireIfResumed();
  }

  // ==== suspended callbacks (virtual carrier)
  // ======================================================

  /** Thrown to unwind a thread that finished a resumed callback: its old frames are stale. */
  private static final class Retired extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Retired() {
      super(null, null, false, false);
    }
  }

  private static final Retired RETIRED = new Retired();

  /** A callback waiting in {@code await}: its thread, and whether the loop ended meanwhile. */
  public static final class Suspension {
    final Thread thread = Thread.currentThread();
    final Object callback; // the callback it belongs to, for the watchdog's report
    volatile boolean abandoned;

    Suspension(Object callback) {
      this.callback = callback;
    }
  }

  /**
   * A resumed callback has returned on a thread that no longer runs the turn: give the loop back to
   * the turn thread and unwind this one.
   */
  private void retireIfResumed() {
    if (runner != Thread.currentThread()) {
      Thread r = runner;
      if (state() != TERMINATED && runningThread == Thread.currentThread()) {
        runningThread = r;
        LockSupport.unpark(r);
      }
      throw RETIRED;
    }
  }

  /**
   * Starts suspending the running callback (Promise.await on the loop's thread).
   *
   * @throws IllegalStateException if the carrier cannot suspend callbacks
   */
  public Suspension beginSuspension(String call) {
    if (!carrier.canSuspendCallbacks()) {
      throw new IllegalStateException(
          call
              + " on the loop "
              + name
              + "'s own thread would block the loop ("
              + carrierName
              + " carrier); use then(), or the virtual carrier, where it suspends the callback");
    }
    Suspension s = new Suspension(current);
    suspended.add(s);
    return s;
  }

  /**
   * Suspends the calling callback until {@link #resume} (a reaction, on the loop) gives it the loop
   * back. Meanwhile the loop runs other callbacks: a new turn thread takes over if the caller was
   * running the turn; otherwise the turn thread, waiting in resume, gets the loop back.
   *
   * @throws LoopTerminatedException if the loop ended while the callback was suspended
   */
  public void suspend(Suspension s) {
    Thread self = Thread.currentThread();
    if (firing != null) { // a timer's callback is suspended: as far as the timer goes, it returned
      TimerTask t = firing;
      firing = null;
      afterTimer(t, firingStart, firingDeadline);
    }
    if (runner == self) {
      flushBusy(); // the new turn thread measures from its start
      busyMark = NO_SAMPLE;
      Thread next = carrier.newTurnThread();
      owedCheckpoint = true;
      runner = next;
      runningThread = next;
      next.start();
    } else {
      Thread r = runner;
      runningThread = r;
      LockSupport.unpark(r);
    }
    while (runningThread != self && !s.abandoned) {
      LockSupport.park(s);
    }
    if (s.abandoned) {
      throw new LoopTerminatedException("the loop " + name + " ended while the callback awaited");
    }
  }

  /** On the loop (a reaction): hands the loop to the suspended callback until it returns. */
  public void resume(Suspension s) {
    if (!suspended.remove(s)) {
      return;
    }
    Thread self = Thread.currentThread();
    Object mine = current;
    current = s.callback;
    runningThread = s.thread;
    LockSupport.unpark(s.thread);
    while (runningThread != self) {
      LockSupport.park(this);
    }
    current = mine;
  }

  /** What the loop needs next, or its termination when nothing is left. */
  private Next next() {
    int s = state();
    if (s >= STOP) {
      return finishTermination();
    }
    if (s == RUNNING && mode == Mode.PROGRAM && !isAlive()) {
      if (advance(SHUTDOWN)) { // program over: refuse new work, then re-check what slipped in
        cancelOnShutdown();
      }
      s = state();
      if (s >= STOP) {
        return finishTermination();
      }
    }
    if (s == SHUTDOWN && !isAlive()) {
      return finishTermination();
    }
    // nextWritten, not hasNodes: a slot reserved but not yet written is left to the carrier's
    // hasPendingWork before it parks, so that a turn does not read the producers' counter
    if (!closing.isEmpty() || !immediates.isEmpty() || tasks.nextWritten()) {
      return Next.RUN_AGAIN;
    }
    if (!timers.isEmpty()) {
      nextDeadline = timers.peekDeadline();
      return Next.AT_DEADLINE;
    }
    return Next.IDLE;
  }

  /** Whether anything holds the loop open (for program mode, and after shutdown). */
  private boolean isAlive() {
    if (!closing.isEmpty() || refImmediates > 0 || timers.refCount() > 0 || tasks.hasNodes()) {
      return true;
    }
    if (!offloads.isEmpty()) {
      return true;
    }
    if (accepting()) {
      for (KeepAliveHandle k : keepAlives) {
        if (k.hasRef()) {
          return true;
        }
      }
    }
    return false;
  }

  /** On SHUTDOWN: repeating and unref'd timers are cancelled, unref'd immediates dropped. */
  private void cancelOnShutdown() {
    List<TimerTask> drop = new ArrayList<>();
    timers.forEach(
        t -> {
          if (!t.internal && (t.periodNanos != 0 || !t.hasRef())) {
            drop.add(t);
          }
        });
    for (TimerTask t : drop) {
      if (t.casState(TimerTask.SCHEDULED, TimerTask.CANCELLED)) {
        timers.remove(t);
        t.cancelledByLoop();
      }
    }
  }

  /**
   * Ends the loop (on the loop): after a stop, waits for its sweep; moves to TERMINATED; settles
   * what the loop still owed (reactions, hand-ins from other threads); cancels what is left, stops
   * the pools and completes termination. See Lifecycle's table.
   */
  private Next finishTermination() {
    if (state() == TERMINATED) {
      return Next.TERMINATED;
    }
    for (; ; ) { // a stop may race the end of a shut-down loop: then its sweep is waited for
      int s = state();
      if (s >= STOP) {
        awaitSweep();
      }
      if (terminate(s)) {
        break;
      }
    }
    terminatedHere = true;
    if (watch != null) {
      Watchdog.shared().unwatch(watch);
    }
    for (Suspension s : suspended) {
      s.abandoned = true;
      LockSupport.unpark(s.thread);
    }
    suspended.clear();
    timers.clear(
        t -> {
          if (t.casState(TimerTask.SCHEDULED, TimerTask.CANCELLED)) {
            t.cancelledByLoop();
          }
        });
    for (ImmediateTask im; (im = immediates.poll()) != null; ) {
      im.cancel();
    }
    refImmediates = 0;
    closing.clear();
    rejections = null;
    settleWhatWasOwed();
    for (OffloadPool.Task<?> task : offloads) {
      abandon(task);
    }
    for (OffloadPool pool : pools.values()) {
      pool.shutdown(); // after a stop, every offload was cancelled or interrupted (abandon)
    }
    GracefulShutdown g = graceful;
    if (g != null) {
      g.terminated();
    }
    Throwable f = failure;
    if (f == null) {
      termination.complete(null);
    } else {
      termination.completeExceptionally(f);
    }
    terminated.countDown();
    return Next.TERMINATED;
  }

  /**
   * After TERMINATED (loop): runs the loop's own hand-ins still queued or set aside by a stop's
   * sweep (a settlement, a reaction added from another thread, an answer), and rejects with
   * LoopTerminatedException the promises that the dropped ticks and microtasks owed, until none is
   * left. User tasks are never taken here: their producers, seeing the state, take them back. A
   * hand-in that arrives later is taken back by its producer (executeInternal answers false).
   */
  private void settleWhatWasOwed() {
    List<InternalTask> setAside = sweptInternal;
    sweptInternal = null;
    LoopTerminatedException why = terminatedException();
    for (boolean more = true; more; ) {
      more = false;
      if (setAside != null) {
        for (InternalTask it : setAside) {
          runOwed(it.action());
        }
        setAside = null;
      }
      for (Object item : tasks.drainAll(InternalTask.class::isInstance)) {
        runOwed(((InternalTask) item).action());
        more = true;
      }
      ticks.clear();
      for (Runnable r; (r = microtasks.poll()) != null; ) {
        if (r instanceof Abandonable a) {
          runOwed(() -> a.abandon(why));
        }
        more = true;
      }
    }
  }

  private void runOwed(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      if (isFatal(t)) {
        recordFailure(t);
      } else {
        LOG.log(System.Logger.Level.DEBUG, "[" + name + "] after termination", t);
      }
    }
  }

  /** The exception for work that can no longer run on this loop. */
  public LoopTerminatedException terminatedException() {
    Throwable f = failure;
    return f != null
        ? new LoopTerminatedException("the loop " + name + " stopped on an error", f)
        : new LoopTerminatedException("the loop " + name + " has terminated");
  }

  /** Whether the loop has terminated: nothing will run on it again (any thread). */
  private boolean hasTerminated() {
    return state() == TERMINATED;
  }

  /**
   * On the loop's thread: whether it is settling what it owed after TERMINATED (a plain read, for
   * the promise reactions' hot path; off the loop, executeInternal answers the same question).
   */
  public boolean terminatedHere() {
    return terminatedHere;
  }

  // ==== errors
  // =====================================================================================

  /** Whether {@code t} must never be swallowed: the JVM is in trouble. */
  public static boolean isFatal(Throwable t) {
    return t instanceof VirtualMachineError || t instanceof LinkageError;
  }

  /** Rethrows {@code t} if it is fatal (see {@link #isFatal}). */
  public static void rethrowIfFatal(Throwable t) {
    if (isFatal(t)) {
      throw (Error) t;
    }
  }

  private void uncaught(Throwable t) {
    if (isFatal(t)) {
      recordFailure(t);
      throw (Error) t;
    }
    try {
      uncaughtHandler.handle(this, t);
    } catch (Throwable h) {
      rethrowIfFatal(h);
      if (h != t) {
        h.addSuppressed(t); // the original error stays visible in the report
      }
      LOG.log(
          System.Logger.Level.ERROR,
          "[" + name + "] the uncaught-error handler threw while handling " + t,
          h);
    }
  }

  /** Records that {@code p} was rejected with no handler yet; checked at the checkpoint's end. */
  public void trackRejection(Promise<?> p) {
    if (rejections == null) {
      rejections = new ArrayList<>(2);
    }
    rejections.add(p);
  }

  private void reportRejections() {
    ArrayList<Promise<?>> list = rejections;
    rejections = null;
    for (Promise<?> p : list) {
      if (p.isUnhandledRejection() && state() < STOP) {
        try {
          rejectionHandler.handle(this, p.reason());
        } catch (Throwable h) {
          rethrowIfFatal(h);
          LOG.log(System.Logger.Level.ERROR, "[" + name + "] the rejection handler threw", h);
        }
      }
    }
  }

  private ErrorHandler policy(String policy, String what) {
    boolean stop = policy.equals("stop") || (policy.equals("auto") && mode == Mode.PROGRAM);
    if (stop) {
      return (loop, error) -> stopOnError(error);
    }
    return (loop, error) ->
        LOG.log(System.Logger.Level.ERROR, "[" + name + "] " + what + "; the loop goes on", error);
  }

  private void stopOnError(Throwable error) {
    stop(error, "an error (loopkit.errors policy stop)");
  }

  /**
   * Stops the loop as shutdownNow() would, keeping the never-started tasks for unrunTasks(): a
   * fatal error, the stop policy, a graceful timeout, an interrupted close (any thread).
   */
  private void stop(Throwable cause, String why) {
    if (cause != null) {
      recordFailure(cause);
    }
    List<Runnable> kept = moveToStop(true);
    if (kept != null && !kept.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "["
              + name
              + "] stopped by "
              + why
              + " with "
              + kept.size()
              + " task(s) never run; Loop.unrunTasks() returns them");
    }
  }

  /**
   * Moves to STOP. The winner of that move (only it) sweeps what never started: it takes every
   * queued task (returned, or kept when {@code keep}) and cancels its future, cancels the scheduled
   * tasks and the timers handed in, rejects pending offloads and interrupts running ones, and
   * interrupts this loop's running callback (Lifecycle's handshake). Null if another stop won.
   */
  private List<Runnable> moveToStop(boolean keep) {
    if (!advance(STOP)) {
      return null;
    }
    List<Runnable> never = new ArrayList<>();
    try {
      sweepNeverStarted(never);
      interruptRunning(runningThread, () -> runningThread);
    } finally {
      swept(keep ? never : List.of());
      if (!inEventLoop()) {
        carrier.wake();
      }
    }
    return never;
  }

  private void sweepNeverStarted(List<Runnable> never) {
    List<InternalTask> internal = null;
    for (Object item : tasks.drainAll(any -> true)) {
      if (item instanceof InternalTask it) {
        if (internal == null) {
          internal = new ArrayList<>();
        }
        internal.add(it); // the loop's own: run as it terminates (settleWhatWasOwed)
        continue;
      }
      if (queued != null) {
        queued.decrementAndGet();
      }
      if (item instanceof ScheduledTask<?>) {
        continue; // returned from the registry below
      } else if (item instanceof TimerTask t) {
        if (t.casState(TimerTask.SCHEDULED, TimerTask.CANCELLED)) {
          t.cancelledByLoop();
        }
      } else if (item instanceof ImmediateTask im) {
        im.cancel();
      } else if (item instanceof Runnable r) {
        if (r instanceof Future<?> f) {
          f.cancel(false);
        }
        never.add(r);
      }
    }
    sweptInternal = internal; // published by swept, read by the loop after awaitSweep
    for (ScheduledTask<?> t : scheduled) {
      if (t.casState(TimerTask.SCHEDULED, TimerTask.CANCELLED)) {
        t.result.cancel(false);
        scheduled.remove(t);
        never.add(t);
      }
    }
    for (OffloadPool.Task<?> task : offloads) {
      task.cancel(false); // first: no offload that has not started may start once a worker is free
    }
    for (OffloadPool.Task<?> task : offloads) {
      abandon(task);
    }
  }

  private void recordFailure(Throwable t) {
    if (failure == null) {
      failure = t;
    }
  }

  // ==== microtasks
  // ================================================================================

  @Override
  public void nextTick(Runnable callback) {
    requireNonNull(callback, "callback");
    if (inEventLoop()) {
      ticks.add(callback);
    } else {
      execute(() -> ticks.add(callback));
    }
  }

  @Override
  public void queueMicrotask(Runnable callback) {
    requireNonNull(callback, "callback");
    if (inEventLoop()) {
      microtasks.add(callback);
    } else {
      execute(() -> microtasks.add(callback));
    }
  }

  /** Queues a promise reaction (loop only). */
  public void enqueueMicrotask(Runnable reaction) {
    microtasks.add(reaction);
  }

  /**
   * Queues a microtask from any thread (off the loop: through an internal task); false if the loop
   * has terminated (it will not run).
   */
  public boolean enqueueMicrotaskFromAnyThread(Runnable reaction) {
    if (inEventLoop()) {
      if (terminatedHere) {
        return false;
      }
      microtasks.add(reaction);
      return true;
    }
    return executeInternal(() -> microtasks.add(reaction));
  }

  // ==== immediates
  // ================================================================================

  @Override
  public Immediate setImmediate(Runnable callback) {
    requireNonNull(callback, "callback");
    if (inEventLoop()) {
      checkAccepting("setImmediate");
      ImmediateTask im = new ImmediateTask(this, immediateId(), callback);
      immediates.add(im); // new: queued and ref'd, no one else has seen it
      im.counted = true;
      refImmediates++;
      return im;
    }
    ImmediateTask im = new ImmediateTask(this, ids.getAndIncrement(), callback);
    submitItem(im, "setImmediate");
    return im;
  }

  /**
   * An id for an immediate made on the loop, from a block the loop reserves from {@code ids}: no
   * atomic per immediate (loop). Immediates' ids order nothing; timers' do (their sequence).
   */
  private long immediateId() {
    if (idNext == idEnd) {
      idNext = ids.getAndAdd(ID_BLOCK);
      idEnd = idNext + ID_BLOCK;
    }
    return idNext++;
  }

  void immediateArrived(ImmediateTask im) {
    if (im.state != ImmediateTask.QUEUED) {
      return;
    }
    immediates.add(im);
    if (im.hasRef()) {
      im.counted = true;
      refImmediates++;
    }
  }

  void immediateCancelled(ImmediateTask im) {
    if (inEventLoop()) {
      uncount(im);
    } else {
      executeInternal(() -> uncount(im), false);
    }
  }

  private void uncount(ImmediateTask im) {
    if (im.counted) {
      im.counted = false;
      refImmediates--;
    }
  }

  void changeImmediateRef(ImmediateTask im, boolean value) {
    im.setRefFlag(value);
    if (value && !im.counted && im.state == ImmediateTask.QUEUED && immediates.contains(im)) {
      im.counted = true;
      refImmediates++;
    } else if (!value) {
      uncount(im);
    }
  }

  // ==== timers
  // ====================================================================================

  @Override
  public Timer setTimeout(Runnable callback, long delayMillis) {
    return newTimer(callback, delayMillis, false, "setTimeout");
  }

  @Override
  public Timer setTimeout(Runnable callback, Duration delay) {
    requireNonNull(delay, "delay");
    return newTimer(callback, millisOf(delay, "delay"), false, "setTimeout");
  }

  @Override
  public Timer setInterval(Runnable callback, long periodMillis) {
    return newTimer(callback, periodMillis, true, "setInterval");
  }

  @Override
  public Timer setInterval(Runnable callback, Duration period) {
    requireNonNull(period, "period");
    return newTimer(callback, millisOf(period, "period"), true, "setInterval");
  }

  private static long millisOf(Duration d, String what) {
    if (d.isNegative()) {
      return 0; // clamped to 1 ms, as Node does with a negative delay
    }
    try {
      long ms = d.toMillis();
      return d.toNanos() % 1_000_000 == 0 ? ms : ms + 1; // round up: never early
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          what + ": " + d + " is above the largest allowed, 2147483647 ms", e);
    }
  }

  private Timer newTimer(Runnable callback, long millis, boolean repeating, String call) {
    return newTimer(callback, millis, repeating, call, null);
  }

  /**
   * A timeout or interval; {@code onLoopCancel}, if not null, runs when the loop (not the user)
   * cancels it: a stop, or termination.
   */
  private TimerTask newTimer(
      Runnable callback, long millis, boolean repeating, String call, Runnable onLoopCancel) {
    requireNonNull(callback, "callback");
    String what = repeating ? "period" : "delay";
    if (millis > MAX_DELAY_MILLIS) {
      throw new IllegalArgumentException(
          call
              + ": "
              + what
              + " "
              + millis
              + " ms is above the largest allowed, 2147483647 ms (2³¹−1)");
    }
    long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis)); // below 1 ms: 1 ms, as Node
    long deadline = clock.nanoTime() + nanos;
    long id = ids.getAndIncrement();
    long period = repeating ? nanos : 0;
    TimerTask t =
        onLoopCancel == null
            ? new TimerTask(this, id, callback, nanos, period, deadline)
            : new TimerTask(this, id, callback, nanos, period, deadline) {
              @Override
              void cancelledByLoop() {
                onLoopCancel.run();
              }
            };
    if (inEventLoop()) {
      checkAccepting(call);
      timers.add(t);
    } else {
      submitItem(t, call);
    }
    return t;
  }

  /**
   * {@code Promise.delay}: a promise resolved by a timeout, or rejected with
   * LoopTerminatedException if the loop cancels that timeout (a stop).
   */
  public Promise<Void> delay(Duration delay) {
    requireNonNull(delay, "delay");
    Promise.Resolvers<Void> r = Promise.withResolvers(this);
    newTimer(
        () -> r.resolve(null),
        millisOf(delay, "delay"),
        false,
        "Promise.delay",
        () -> r.reject(terminatedException()));
    return r.promise();
  }

  void timerArrived(TimerTask t) {
    if (t.state == TimerTask.SCHEDULED && !timers.contains(t)) {
      timers.add(t);
    }
  }

  void timerCancelled(TimerTask t) {
    if (inEventLoop()) {
      timers.remove(t);
    } else {
      executeInternal(() -> timers.remove(t), false);
    }
  }

  void refreshTimer(TimerTask t) {
    int s = t.state;
    if (s == TimerTask.RUNNING) {
      t.refreshRequested = true;
    } else if (s == TimerTask.SCHEDULED
        || (s == TimerTask.DONE && t.casState(s, TimerTask.SCHEDULED))) {
      timers.remove(t);
      arm(t, clock.nanoTime() + t.delayNanos);
    }
  }

  void changeTimerRef(TimerTask t, boolean value) {
    if (t.hasRef() != value) {
      t.setRefFlag(value);
      timers.refChanged(t, value);
    }
  }

  // ==== close callbacks and keep-alives
  // ===========================================================

  /**
   * Queues a close callback for the close phase.
   *
   * @throws LoopTerminatedException if the loop has terminated: the callback could never run
   */
  void addCloseCallback(Runnable callback) {
    if (inEventLoop() && state() != TERMINATED) {
      closing.add(callback);
    } else if (!executeInternal(() -> closing.add(callback))) {
      throw new LoopTerminatedException(
          "close: the loop " + name + " has terminated, so the close callback would never run");
    }
  }

  @Override
  public KeepAlive keepAlive() {
    KeepAliveHandle k = new KeepAliveHandle(this, ids.getAndIncrement());
    keepAlives.add(k);
    if (!accepting()) {
      keepAlives.remove(k);
      throw rejected("keepAlive");
    }
    return k;
  }

  boolean keepAliveActive(KeepAliveHandle k) {
    return keepAlives.contains(k);
  }

  void keepAliveClosed(KeepAliveHandle k) {
    keepAlives.remove(k);
    if (!inEventLoop()) {
      carrier.wake();
    }
  }

  void changeKeepAliveRef(KeepAliveHandle k, boolean value) {
    k.setRefFlag(value);
  }

  // ==== offload
  // ===================================================================================

  @Override
  public <T> Promise<T> offload(Callable<T> task) {
    requireNonNull(task, "task");
    return offload(defaultPool, task);
  }

  @Override
  public <T> Promise<T> offload(String pool, Callable<T> task) {
    requireNonNull(pool, "pool");
    requireNonNull(task, "task");
    OffloadPool p = pools.get(pool);
    if (p == null) {
      throw new IllegalArgumentException(
          "pool: no offload pool named '"
              + pool
              + "'; configured pools: "
              + String.join(", ", pools.keySet()));
    }
    return offload(p, task);
  }

  private <T> Promise<T> offload(OffloadPool pool, Callable<T> callable) {
    Promise.Resolvers<T> r = Promise.withResolvers(this);
    OffloadPool.Task<T> task =
        new OffloadPool.Task<>(this, pool, ids.getAndIncrement(), callable, r);
    r.onCancel(mayInterrupt -> offloadCancelled(task, mayInterrupt));
    offloads.add(task); // pending before the state check: see the class notes
    if (!accepting()) {
      task.cancel(false); // (its pool counted it as queued)
      withdrawOffload(task);
      throw rejected("offload");
    }
    try {
      pool.execute(task);
    } catch (RuntimeException e) {
      withdrawOffload(task);
      throw e;
    }
    return r.promise();
  }

  /**
   * Takes back a refused offload. The loop may have seen it pending and gone idle on that: wake it
   * so that a shut-down loop re-checks whether it may terminate.
   */
  private void withdrawOffload(OffloadPool.Task<?> task) {
    if (offloads.remove(task) && !inEventLoop()) {
      carrier.wake();
    }
  }

  /** A worker finished {@code task}: hand its outcome to the loop (past any queue capacity). */
  <T> void offloadCompleted(OffloadPool.Task<T> task, T value, Throwable failure) {
    Runnable deliver =
        () -> {
          if (offloads.remove(task)) {
            if (failure == null) {
              task.resolvers.resolve(value);
            } else {
              task.resolvers.reject(failure);
            }
          }
        };
    if (!executeInternal(deliver)) {
      abandon(task); // the loop stopped: the promise was or is now rejected
    }
  }

  /** The offload's promise was cancelled: it no longer holds the loop open. */
  private void offloadCancelled(OffloadPool.Task<?> task, boolean mayInterrupt) {
    task.cancel(mayInterrupt);
    withdrawOffload(task);
  }

  private void abandon(OffloadPool.Task<?> task) {
    if (offloads.remove(task)) {
      task.cancel(true);
      task.resolvers.reject(
          failure != null
              ? new LoopTerminatedException("the loop " + name + " stopped on an error", failure)
              : new LoopTerminatedException(
                  "the loop " + name + " was stopped before the offload's result came back"));
    }
  }

  @Override
  public List<String> offloadPools() {
    return List.copyOf(pools.keySet());
  }

  // ==== handing work to the loop
  // ==================================================================

  @Override
  public void execute(Runnable task) {
    requireNonNull(task, "task");
    submitItem(task, "execute");
  }

  /**
   * Enqueues a user item; refused with RejectedExecutionException once the loop is shutting down
   * (see the ledger in the class notes).
   */
  private void submitItem(Object item, String call) {
    if (!accepting()) {
      if (withdraw(item)) {
        throw rejected(call); // a scheduled task leaves the registry, or shutdownNow returns it
      }
      return; // shutdownNow took it from the registry first: it is in shutdownNow's list
    }
    boolean onLoop = inEventLoop();
    if (queued != null) {
      try {
        reserveCapacity(onLoop, call);
      } catch (RejectedExecutionException e) {
        if (withdraw(item)) {
          throw e;
        }
        return;
      }
    }
    long ticket = tasks.offer(item);
    if (!accepting() && tasks.reclaim(ticket)) {
      if (queued != null) {
        queued.decrementAndGet();
      }
      if (withdraw(item)) {
        throw rejected(call);
      }
      return; // shutdownNow took it first: it is in shutdownNow's list
    }
    stampIfSampled(ticket); // before the wake-up: the loop may take it at once
    if (!onLoop) {
      carrier.wake();
    }
  }

  /** Leaves a stamp for a poll-queue item whose wait is sampled (see LoopStats's notes). */
  private void stampIfSampled(long ticket) {
    if ((ticket & sampleMask) == 0 && stats.instruments() != null) {
      stats.stamp(ticket, clock.nanoTime());
    }
  }

  private void reserveCapacity(boolean onLoop, String call) {
    if (queued.incrementAndGet() <= queueCapacity) {
      return;
    }
    if (config.queueBlocks() && !onLoop) {
      long deadline =
          LoopClock.system().nanoTime()
              + TimeUnit.MILLISECONDS.toNanos(config.queueBlockTimeoutMillis());
      long pause = 1_000;
      while (queued.get() > queueCapacity
          && accepting()
          && LoopClock.system().nanoTime() - deadline < 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(this, pause);
        pause = Math.min(pause * 2, 1_000_000);
      }
      if (queued.get() <= queueCapacity && accepting()) {
        return;
      }
    }
    queued.decrementAndGet();
    throw new RejectedExecutionException(
        call
            + ": the loop "
            + name
            + "'s task queue is full (loopkit.queue.capacity="
            + queueCapacity
            + ", fullPolicy="
            + (!config.queueBlocks()
                ? "reject"
                : onLoop
                    ? "block, but the loop's own thread never blocks: refused at once"
                    : "block: waited " + config.queueBlockTimeoutMillis() + " ms")
            + ")");
  }

  /**
   * Hands a loop-side action in from any thread, past shutdown, stop and capacity. False if the
   * loop has terminated: the action will not run, and the caller settles what it owed itself.
   */
  public boolean executeInternal(Runnable action) {
    return executeInternal(action, true);
  }

  /**
   * As {@link #executeInternal(Runnable)}; {@code inBatch} false for loop bookkeeping that runs no
   * user code (a cancel's clean-up), which takes no place in the poll phase's batch.
   */
  private boolean executeInternal(Runnable action, boolean inBatch) {
    if (state() == TERMINATED) {
      return false;
    }
    long ticket = tasks.offer(new InternalTask(action, inBatch));
    if (state() == TERMINATED && tasks.reclaim(ticket)) {
      return false; // else the loop took it, after TERMINATED too (settleWhatWasOwed)
    }
    stampIfSampled(ticket);
    if (!inEventLoop()) {
      carrier.wake();
    }
    return true;
  }

  /**
   * After taking back a refused item: whether this caller owns its outcome (true), or shutdownNow
   * already returned it (a scheduled task it found in the registry).
   */
  private boolean withdraw(Object item) {
    if (item instanceof ScheduledTask<?> t) {
      if (!t.casState(TimerTask.SCHEDULED, TimerTask.CANCELLED)) {
        return false;
      }
      scheduled.remove(t);
    }
    return true;
  }

  private void checkAccepting(String call) {
    if (!accepting()) {
      throw rejected(call);
    }
  }

  private RejectedExecutionException rejected(String call) {
    return new RejectedExecutionException(
        call + ": the loop " + name + " is shutting down and accepts no new work");
  }

  /**
   * Before an untimed wait for a future of this loop that is not done. On the loop's own thread:
   * suspends the calling callback until {@code done} completes (a carrier that can suspend), or
   * throws IllegalStateException. Off the loop: throws IllegalStateException at once if nothing
   * runs the loop's turns meanwhile (a manual loop nobody steps), rather than wait forever.
   */
  public void beforeBlockingWait(
      String call,
      java.util.function.Supplier<? extends java.util.concurrent.CompletionStage<?>> done) {
    if (inEventLoop()) {
      if (!carrier.canSuspendCallbacks()) {
        checkNotOnLoop(call);
      }
      Promise.from(this, done.get()).await();
    } else {
      checkTurnsRun(call);
    }
  }

  /** Off the loop, before an untimed wait: refused if nothing runs the loop's turns meanwhile. */
  private void checkTurnsRun(String call) {
    if (!carrier.turnsRunUnattended() && state() != TERMINATED) {
      throw new IllegalStateException(
          call
              + " would wait forever: the loop "
              + name
              + " runs on the "
              + carrierName
              + " carrier, whose turns run only inside ManualControl's calls, and no thread is"
              + " stepping it; step it (runUntilIdle, step) until the future is done");
    }
  }

  /** Throws if the caller is this loop's own thread, which would wait for itself. */
  public void checkNotOnLoop(String call) {
    if (inEventLoop()) {
      throw new IllegalStateException(
          call
              + " would make the loop "
              + name
              + "'s own thread wait for the loop; use then() on the loop instead");
    }
  }

  // ==== lifecycle
  // =================================================================================

  @Override
  public void shutdown() {
    if (advance(SHUTDOWN)) {
      if (inEventLoop()) {
        cancelOnShutdown();
      } else {
        executeInternal(this::cancelOnShutdown); // a node: the loop cannot terminate before it
      }
    }
  }

  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> never = moveToStop(false);
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
    return state() == TERMINATED && termination.isDone();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    checkNotOnLoop("awaitTermination");
    long deadline = LoopClock.system().nanoTime() + unit.toNanos(timeout);
    if (!terminated.await(timeout, unit)) {
      return false;
    }
    for (OffloadPool pool : pools.values()) {
      if (!pool.awaitTermination(Math.max(0, deadline - LoopClock.system().nanoTime()))) {
        return false;
      }
    }
    return carrier.awaitTermination(Math.max(0, deadline - LoopClock.system().nanoTime()));
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
          stop(null, "an interrupt of close()");
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public CompletableFuture<Void> terminationFuture() {
    return termination.copy();
  }

  @Override
  public boolean isTerminatedForCarrier() {
    return terminated.getCount() == 0;
  }

  @Override
  public void awaitTerminationUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        terminated.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ==== JDK face: blocking calls from the loop are refused
  // ========================================

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
      throws InterruptedException {
    checkTasks(tasks);
    checkAccepting("invokeAll"); // refused at once, so it would not wait: REE before ISE
    checkNotOnLoop("invokeAll");
    checkTurnsRun("invokeAll");
    return super.invokeAll(tasks);
  }

  @Override
  public <T> List<Future<T>> invokeAll(
      Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException {
    checkTasks(tasks);
    checkAccepting("invokeAll"); // refused at once, so it would not wait: REE before ISE
    checkNotOnLoop("invokeAll");
    return super.invokeAll(tasks, timeout, unit);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
      throws InterruptedException, ExecutionException {
    checkTasks(tasks);
    checkAccepting("invokeAny"); // refused at once, so it would not wait: REE before ISE
    checkNotOnLoop("invokeAny");
    checkTurnsRun("invokeAny");
    return super.invokeAny(tasks);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    checkTasks(tasks);
    checkAccepting("invokeAny"); // refused at once, so it would not wait: REE before ISE
    checkNotOnLoop("invokeAny");
    return super.invokeAny(tasks, timeout, unit);
  }

  /** The JDK's contract: a null collection or element throws NPE before any task is submitted. */
  private static void checkTasks(Collection<? extends Callable<?>> tasks) {
    requireNonNull(tasks, "tasks");
    int i = 0;
    for (Callable<?> t : tasks) {
      requireNonNull(t, "tasks[" + i++ + "]");
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    return schedule0(
        Executors.callable(command), delay, unit, 0, ScheduledTask.Repeat.ONCE, "schedule");
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    requireNonNull(callable, "callable");
    return schedule0(callable, delay, unit, 0, ScheduledTask.Repeat.ONCE, "schedule");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    requireNonNull(command, "command");
    requireNonNull(unit, "unit");
    if (period <= 0) {
      throw new IllegalArgumentException(
          "scheduleAtFixedRate: period " + period + " " + unit + " is not positive");
    }
    return schedule0(
        Executors.callable(command),
        initialDelay,
        unit,
        clampDelay(unit.toNanos(period)),
        ScheduledTask.Repeat.FIXED_RATE,
        "scheduleAtFixedRate");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    requireNonNull(unit, "unit");
    if (delay <= 0) {
      throw new IllegalArgumentException(
          "scheduleWithFixedDelay: delay " + delay + " " + unit + " is not positive");
    }
    return schedule0(
        Executors.callable(command),
        initialDelay,
        unit,
        clampDelay(unit.toNanos(delay)),
        ScheduledTask.Repeat.FIXED_DELAY,
        "scheduleWithFixedDelay");
  }

  /**
   * Delays at or below zero are due at the next timers pass; huge ones are capped (no overflow).
   */
  private static long clampDelay(long nanos) {
    return Math.min(Math.max(0, nanos), MAX_SCHEDULE_NANOS);
  }

  private <V> ScheduledTask<V> schedule0(
      Callable<V> callable,
      long delay,
      TimeUnit unit,
      long periodNanos,
      ScheduledTask.Repeat repeat,
      String call) {
    requireNonNull(unit, "unit");
    long deadline = clock.nanoTime() + clampDelay(unit.toNanos(delay));
    ScheduledTask<V> t =
        new ScheduledTask<>(this, ids.getAndIncrement(), callable, periodNanos, repeat, deadline);
    scheduled.add(t);
    if (inEventLoop()) {
      if (!accepting()) {
        if (withdraw(t)) {
          throw rejected(call);
        }
        return t;
      }
      timers.add(t);
    } else {
      submitItem(t, call);
    }
    return t;
  }

  /** A scheduled task finished for good (ran once, threw, or was cancelled). */
  void scheduledDone(ScheduledTask<?> t) {
    scheduled.remove(t);
  }

  @Override
  protected <T> java.util.concurrent.RunnableFuture<T> newTaskFor(Callable<T> callable) {
    return new LoopFutureTask<>(this, callable);
  }

  @Override
  protected <T> java.util.concurrent.RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
    return new LoopFutureTask<>(this, Executors.callable(runnable, value));
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
    GracefulShutdown g =
        new GracefulShutdown(
            saturatedNanos(quietPeriod), saturatedNanos(timeout), clock.nanoTime());
    if (GRACEFUL.compareAndSet(this, null, g)) {
      if (!clock.isVirtual()) {
        g.watchTimeout();
      }
      if (inEventLoop()) {
        g.start();
      } else {
        carrier.wake(); // the loop starts it at its next turn (runTurns), or before it parks
      }
    }
    return terminationFuture();
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return MAX_SCHEDULE_NANOS;
    }
  }

  /**
   * Netty's graceful shutdown: keep accepting while tasks keep arriving; shut down after a quiet
   * period with no task; past the timeout, stop as shutdownNow() would, keeping the never-run tasks
   * in unrunTasks() (and logging how many). Both count from the call. Checks on an internal,
   * unref'd timer; the loop starts it at its first turn after the call, so a long queue ahead of it
   * delays nothing but that turn.
   */
  private final class GracefulShutdown {
    private final long quiet;
    private final long end;
    private long quietSince;
    private long seen;
    boolean started; // loop
    private volatile Thread watcher; // real time: stops the loop at the timeout, from outside

    GracefulShutdown(long quiet, long timeout, long calledAt) {
      this.quiet = quiet;
      this.end = calledAt + Math.min(timeout, MAX_SCHEDULE_NANOS);
      this.quietSince = calledAt;
    }

    void start() {
      started = true;
      seen = polled;
      long step =
          Math.max(
              TimeUnit.MILLISECONDS.toNanos(1),
              Math.min(quiet, TimeUnit.MILLISECONDS.toNanos(100)));
      TimerTask t =
          new TimerTask(
              EventLoop.this,
              ids.getAndIncrement(),
              this::check,
              step,
              step,
              clock.nanoTime() + step);
      t.internal = true;
      t.setRefFlag(false);
      timers.add(t);
      check();
    }

    /**
     * A thread that stops the loop at the timeout even while a callback holds it (the stop then
     * interrupts that callback); it ends at the timeout or when the loop terminates.
     */
    void watchTimeout() {
      Thread w =
          threadFactory("graceful")
              .newThread(
                  () -> {
                    long left;
                    while (!hasTerminated() && (left = end - clock.nanoTime()) > 0) {
                      LockSupport.parkNanos(this, left);
                    }
                    if (!hasTerminated()) {
                      stop(null, "the timeout of shutdownGracefully");
                    }
                  });
      watcher = w;
      w.start();
    }

    /** On termination: the watcher need not wait any longer. */
    void terminated() {
      Thread w = watcher;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }

    private void check() {
      long now = clock.nanoTime();
      if (polled != seen) {
        seen = polled;
        quietSince = now;
      }
      if (now - end >= 0) {
        stop(null, "the timeout of shutdownGracefully");
      } else if (now - quietSince >= quiet) {
        shutdown();
      }
    }
  }

  // ==== introspection
  // =============================================================================

  @Override
  public List<HandleInfo> activeHandles() {
    if (!inEventLoop()) {
      if (state() == TERMINATED) {
        return List.of();
      }
      CompletableFuture<List<HandleInfo>> answer = new CompletableFuture<>();
      if (!executeInternal(() -> answer.complete(activeHandlesOnLoop()))) {
        return List.of();
      }
      try {
        return answer.get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the loop " + name, e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("the loop " + name + " did not answer within 10 s", e);
      }
    }
    return activeHandlesOnLoop();
  }

  private List<HandleInfo> activeHandlesOnLoop() {
    List<HandleInfo> out = new ArrayList<>();
    long now = clock.nanoTime();
    timers.forEach(
        t ->
            out.add(
                new HandleInfo(
                    t.kind(), t.id, t.hasRef(), Optional.of(Duration.ofNanos(t.deadline - now)))));
    for (ImmediateTask im : immediates) {
      if (im.state == ImmediateTask.QUEUED) {
        out.add(new HandleInfo(im.kind(), im.id, im.hasRef(), Optional.empty()));
      }
    }
    for (KeepAliveHandle k : keepAlives) {
      out.add(new HandleInfo(k.kind(), k.id, k.hasRef(), Optional.empty()));
    }
    for (OffloadPool.Task<?> task : offloads) {
      out.add(new HandleInfo("offload", task.id, true, Optional.empty()));
    }
    out.sort(Comparator.comparingLong(HandleInfo::id));
    return out;
  }

  @Override
  public DelayMonitor monitorDelay(Duration resolution) {
    return monitorDelay(resolution, null);
  }

  /** As {@link #monitorDelay(Duration)}, also handing each sample (nanoseconds) to {@code sink}. */
  public DelayMonitor monitorDelay(Duration resolution, java.util.function.LongConsumer sink) {
    requireNonNull(resolution, "resolution");
    if (resolution.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("resolution: " + resolution + " is below 1 ms");
    }
    LoopDelayMonitor m = new LoopDelayMonitor(this, resolution.toNanos(), sink);
    if (inEventLoop()) {
      m.start();
    } else {
      execute(m::start);
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

  // ==== LoopDriver and accessors
  // ==================================================================

  @Override
  public long nextDeadline() {
    return nextDeadline;
  }

  @Override
  public boolean hasPendingWork() {
    return tasks.hasNodes() || state() >= STOP || gracefulRequested();
  }

  /** A graceful shutdown asked from another thread that the loop has not started yet. */
  private boolean gracefulRequested() {
    GracefulShutdown g = graceful;
    return g != null && !g.started;
  }

  @Override
  public boolean hasReadyWork() {
    return tasks.nextWritten() || state() >= STOP || gracefulRequested();
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

  // ==== observability: read by the watchdog and metrics binders (any thread)
  // ======================

  /** This loop's figures. */
  public LoopStats stats() {
    return stats;
  }

  /** Items waiting in the poll queue: tasks, completions, arrivals (a moment's figure). */
  public long taskQueueDepth() {
    return tasks.depth();
  }

  /** The offload pools, by name. */
  public Map<String, OffloadPool> pools() {
    return java.util.Collections.unmodifiableMap(pools);
  }

  /** The thread inside runTurns, or null between turns. */
  Thread watchedThread() {
    return runningThread;
  }

  long watchedProgress() {
    return stats.progress();
  }

  Object watchedCallback() {
    return current;
  }

  int watchedPhase() {
    return phase;
  }

  @Override
  public ThreadFactory threadFactory(String role) {
    return Thread.ofPlatform()
        .name(name + "-" + role + "-", 0)
        .daemon(config.daemonThreads())
        .factory();
  }

  @Override
  public String toString() {
    return "Loop[" + name + ", " + carrierName + ", " + stateName() + "]";
  }
}
