package dev.loopkit.internal;

import dev.loopkit.ErrorHandler;
import dev.loopkit.spi.LoopClock;
import dev.loopkit.spi.LoopDriver.Next;

/**
 * The turn driver: runs the loop's turns in libuv's order — timers, poll, check, close — each
 * callback followed by the microtask checkpoint, and tells the carrier what the loop needs next.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop: one thread at a time is inside runTurns (the carrier guarantees it, with a
 * happens-before edge between two calls). phase is the turn's resume position: each phase keeps
 * its own place too, so that when a callback is suspended (virtual carrier) the thread that takes
 * the loop over continues the same turn where it was.
 *
 * What a callback throws goes to the uncaught-error handler; a fatal error (VirtualMachineError,
 * LinkageError) stops the loop and is rethrown to the carrier.
 *
 * Observability. Each turn and each phase callback bumps a count as it starts (a plain store, no
 * clock): the callbacks-per-phase metric and the watchdog's progress; current names the callback
 * for the watchdog's report. Clocks are read for metrics only while a binder is attached: busy
 * time at runTurns' edges (and the clock's recent reading every 64 turns, with the queue depths),
 * one callback and one poll-queue item in sampleEvery.
 * }</pre>
 */
final class TurnDriver {
  static final int TIMERS = 0;
  static final int POLL = 1;
  static final int CHECK = 2;
  static final int CLOSE = 3;
  private static final long NO_SAMPLE = Long.MIN_VALUE;
  private static final int BATCH = 64; // turns between two looks at the busy clock and the slice
  static final long NO_SLICE = Long.MAX_VALUE;
  private static final System.Logger LOG = System.getLogger("dev.loopkit");

  private final EventLoop loop;
  final TimerPhase timers;
  final PollPhase poll;
  final CheckPhase immediates;
  final ClosePhase closing;
  final PollQueue pollQueue;
  private final MicrotaskQueue microtasks;
  private final Suspensions suspensions;
  private final LoopStats stats;
  private final long sampleMask; // sampleEvery - 1
  private final ErrorHandler uncaughtHandler;
  private final ErrorHandler rejectionHandler;

  long turns; // turns started: a plain increment, read opaque by LoopStats
  int phase = TIMERS; // the phase the turn is in (read by the watchdog)
  Object current; // the callback running or last run, for the watchdog's report
  private long busyMark = NO_SAMPLE; // since when busy time is not yet counted
  private long nextDeadline;

  TurnDriver(EventLoop loop) {
    this.loop = loop;
    this.stats = new LoopStats(this, loop.config().metricsSampleEvery());
    this.pollQueue = new PollQueue(loop, stats); // before the phases: off their cache lines
    this.timers = new TimerPhase(loop, this);
    this.poll = new PollPhase(loop, this, pollQueue);
    this.immediates = new CheckPhase(loop, this);
    this.closing = new ClosePhase(loop, this);
    this.suspensions = new Suspensions(loop);
    this.microtasks = new MicrotaskQueue(loop, suspensions);
    this.sampleMask = loop.config().metricsSampleEvery() - 1L;
    this.uncaughtHandler =
        loop.config()
            .uncaughtErrorHandler()
            .orElseGet(() -> policy(loop.config().uncaughtPolicy(), "uncaught error"));
    this.rejectionHandler =
        loop.config()
            .unhandledRejectionHandler()
            .orElseGet(
                () -> policy(loop.config().unhandledRejectionPolicy(), "unhandled rejection"));
  }

  MicrotaskQueue microtasks() {
    return microtasks;
  }

  Suspensions suspensions() {
    return suspensions;
  }

  LoopStats stats() {
    return stats;
  }

  // ==== the carrier's call

  /**
   * Runs at most {@code maxTurns} turns, stopping early when there is nothing to run now, or when
   * {@code sliceNanos} of real time passed (checked every batch; {@link #NO_SLICE}: no limit).
   */
  Next runTurns(int maxTurns, long sliceNanos) {
    if (sliceNanos <= 0) {
      throw new IllegalArgumentException("runTurns: slice " + sliceNanos + " ns is not positive");
    }
    Thread self = Thread.currentThread();
    EventLoop outer = EventLoop.enter(loop);
    suspensions.runner = self;
    loop.runningThread = self;
    busyMark = stats.instruments() != null ? loop.clock().nanoTime() : NO_SAMPLE;
    timers.clockMayHaveMoved();
    try {
      if (suspensions.owedCheckpoint) { // the turn thread before this one suspended in a callback
        suspensions.owedCheckpoint = false;
        checkpoint();
      }
      long start = sliceNanos == NO_SLICE ? 0 : LoopClock.system().nanoTime();
      for (int left = maxTurns; left > 0; left -= BATCH) {
        Next next = turns(Math.min(left, BATCH));
        if (busyMark != NO_SAMPLE) {
          flushBusy(loop.clock().recentNanoTime()); // (exact at the edges: the sum is exact)
        }
        if (next != Next.RUN_AGAIN
            || (sliceNanos != NO_SLICE && LoopClock.system().nanoTime() - start >= sliceNanos)) {
          return next;
        }
      }
      return Next.RUN_AGAIN;
    } catch (Suspensions.Retired r) {
      return Next.HANDED_OFF; // this thread finished a resumed callback; another runs the turns
    } catch (Throwable t) {
      if (Fatal.isFatal(t)) {
        loop.termination.stop(t, "a fatal error");
        loop.termination.finish();
      }
      throw t;
    } finally {
      if (suspensions.runner == self) { // (a retired thread's time is the turn thread's to count)
        stopBusyClock();
        current = null; // what the last callback captured is not kept alive by an idle loop
      }
      if (loop.runningThread == self) {
        loop.runningThread = null;
      }
      loop.leaving(self); // after runningThread: an interrupt from shutdownNow ends here
      EventLoop.leave(outer);
    }
  }

  /**
   * Up to {@code n} turns, stopping at the first that answers other than RUN_AGAIN. (A method of
   * its own, called once per batch: the JIT compiles it whole, with the turn inlined, rather than
   * only as an on-stack replacement of runTurns' loop, which a busy loop may never leave.)
   */
  private Next turns(int n) {
    for (int i = 0; i < n; i++) {
      Next next = turn();
      if (next != Next.RUN_AGAIN) {
        return next;
      }
    }
    return Next.RUN_AGAIN;
  }

  // ==== one turn

  /** One turn, in libuv's order; then what the loop needs next. */
  private Next turn() {
    turns++;
    loop.termination.startGracefulIfAsked();
    if (loop.state() < Lifecycle.STOP) {
      if (phase == TIMERS) {
        timers.run(); // 1. the timers due at one clock reading
        phase = POLL;
      }
      if (phase == POLL) {
        poll.run(); // 2. tasks, completions and hand-ins present when it began
        phase = CHECK;
      }
      if (phase == CHECK) {
        immediates.run(); // 3. the immediates queued before it began
        phase = CLOSE;
      }
      if (phase == CLOSE) {
        closing.run(); // 4. the close callbacks of handles closed during the turn
        phase = TIMERS;
      }
    }
    return whatNext();
  }

  /**
   * Liveness, and the hand-over to the carrier: run again now, wait for the next timer or for a
   * wake-up, or terminate when nothing is left.
   */
  private Next whatNext() {
    int s = loop.state();
    if (s == Lifecycle.RUNNING && loop.mode == EventLoop.Mode.PROGRAM && !isAlive()) {
      if (loop.advance(Lifecycle.SHUTDOWN)) { // program over: refuse new work, then re-check
        timers.cancelOnShutdown();
      }
      s = loop.state();
    }
    if (s >= Lifecycle.STOP || (s == Lifecycle.SHUTDOWN && !isAlive())) {
      return loop.termination.finish();
    }
    // hasReady, not hasItems: a slot reserved but not yet written is left to the carrier's
    // hasPendingWork before it parks, so that a turn does not read the producers' counter
    if (closing.hasPending()
        || !immediates.isEmpty()
        || pollQueue.hasReady()
        || loop.io.hasReady()) {
      return Next.RUN_AGAIN;
    }
    if (!timers.isEmpty()) {
      nextDeadline = timers.nextDeadline();
      return Next.AT_DEADLINE;
    }
    return Next.IDLE;
  }

  /**
   * Whether anything holds the loop open (for program mode, and after shutdown). Open I/O (a
   * listening server, a connection) holds it only while it accepts work, as keep-alives do: after
   * shutdown() it would hold the loop for as long as a peer keeps a connection open, so the loop
   * ends when the rest of its work is done and its end closes the I/O.
   */
  private boolean isAlive() {
    return closing.hasPending()
        || immediates.holdsLoop()
        || timers.holdsLoop()
        || pollQueue.hasItems()
        || loop.offloads.holdsLoop()
        || (loop.accepting() && (loop.io.holdsLoop() || loop.keepAlives.holdLoop()));
  }

  /** The deadline an AT_DEADLINE answer referred to. */
  long nextDeadline() {
    return nextDeadline;
  }

  // ==== a callback

  /**
   * Runs one callback, routes what it throws, then the microtask checkpoint. {@code count}: its
   * phase's callbacks so far, itself included.
   */
  void runCallback(Runnable callback, long count) {
    long sampledFrom = enterCallback(callback, count);
    try {
      callback.run();
    } catch (Throwable t) {
      uncaught(t);
    }
    retireIfResumed();
    checkpoint();
    sampleEnd(sampledFrom);
  }

  /**
   * A callback run inside the running one (an event an I/O source's callback emits): its own error
   * routing and checkpoint, but not counted as a callback of the phase.
   */
  void runNested(Runnable callback) {
    try {
      callback.run();
    } catch (Throwable t) {
      uncaught(t);
    }
    checkpoint();
  }

  /**
   * Before a phase's callback, counted (which tells the watchdog the loop moved on): every
   * sampleEvery-th callback of a phase reads the clock (if instruments are attached) to time it
   * with its checkpoint.
   */
  long enterCallback(Object callback, long count) {
    current = callback;
    if ((count & sampleMask) != 0) {
      return NO_SAMPLE;
    }
    return stats.instruments() != null ? loop.clock().nanoTime() : NO_SAMPLE;
  }

  void sampleEnd(long from) {
    LoopStats.Instruments in;
    if (from != NO_SAMPLE && (in = stats.instruments()) != null) {
      in.callbackDuration(phase, loop.clock().nanoTime() - from);
    }
  }

  void checkpoint() {
    microtasks.checkpoint();
  }

  void retireIfResumed() {
    suspensions.retireIfResumed();
  }

  // ==== metrics

  /** Whether busy time is being measured (a binder is bound). */
  boolean measuring() {
    return busyMark != NO_SAMPLE;
  }

  /** The loop took the poll-queue item {@code ticket}: its wait may be sampled. */
  void taskTaken(long ticket) {
    LoopStats.Instruments in;
    if ((ticket & sampleMask) == 0 && (in = stats.instruments()) != null) {
      stats.taskTaken(in, ticket, loop.clock().nanoTime());
    }
  }

  /**
   * Adds the busy time up to {@code now} and publishes the queue depths (while a binder is bound).
   * Within runTurns, {@code now} may be the clock's recent reading, which may lag the mark: then
   * nothing is added yet; the exact reading at the edge adds what is owed, so the sum is exact.
   */
  private void flushBusy(long now) {
    if (busyMark != NO_SAMPLE) {
      if (now - busyMark > 0) {
        stats.addBusy(now - busyMark);
        busyMark = now;
      }
      stats.publishDepths(immediates.size(), timers.size());
    }
  }

  /** Counts the busy time so far and stops counting (this thread lets the loop go). */
  void stopBusyClock() {
    if (busyMark != NO_SAMPLE) {
      flushBusy(loop.clock().nanoTime());
    }
    busyMark = NO_SAMPLE;
  }

  // ==== errors

  /** What a callback threw: a fatal error stops the loop; any other goes to the handler. */
  @SuppressWarnings("ReferenceEquality") // a throwable cannot suppress itself (identity)
  void uncaught(Throwable t) {
    if (Fatal.isFatal(t)) {
      loop.termination.recordFailure(t);
      throw (Error) t;
    }
    try {
      uncaughtHandler.handle(loop, t);
    } catch (Throwable h) {
      Fatal.rethrowIfFatal(h);
      if (h != t) {
        h.addSuppressed(t); // the original error stays visible in the report
      }
      LOG.log(
          System.Logger.Level.ERROR,
          "[" + loop.name() + "] the uncaught-error handler threw while handling " + t,
          h);
    }
  }

  /** A rejection still unhandled at the end of a checkpoint. */
  void unhandledRejection(Throwable reason) {
    try {
      rejectionHandler.handle(loop, reason);
    } catch (Throwable h) {
      Fatal.rethrowIfFatal(h);
      LOG.log(System.Logger.Level.ERROR, "[" + loop.name() + "] the rejection handler threw", h);
    }
  }

  private ErrorHandler policy(String policy, String what) {
    boolean stop =
        policy.equals("stop") || (policy.equals("auto") && loop.mode == EventLoop.Mode.PROGRAM);
    if (stop) {
      return (l, error) -> loop.termination.stop(error, "an error (loopkit.errors policy stop)");
    }
    return (l, error) ->
        LOG.log(
            System.Logger.Level.ERROR,
            "[" + loop.name() + "] " + what + "; the loop goes on",
            error);
  }
}
