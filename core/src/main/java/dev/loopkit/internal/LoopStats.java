package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A loop's figures for metrics and the watchdog: callbacks run per phase, busy time, queue depths,
 * blocked-loop incidents, and the sampled task-wait stamps.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Counts of turns and of callbacks per phase are plain fields of the turn driver, each phase and
 * the microtask queue, incremented as each starts: no atomic and no VarHandle on the hot path. The call to the callback
 * that follows each increment publishes it; other threads read them here, opaque (a 64-bit long
 * read is not torn on the JVMs we run). The loop writes busy time every 64 turns and when a thread
 * lets the loop go, and depths per turn, both opaque and only while instruments are attached (a
 * binder bound); a depth may lag by a turn.
 *
 * Poll-queue wait (a task, a completion, an arrival), sampled 1 in N without a clock read per
 * item: a producer whose item got a ticket that is a multiple of N reads the clock after the offer
 * and leaves a stamp (ticket, time) in a ring; the loop, taking the item with that ticket, records
 * now minus the stamp if the stamp is its own. An item the loop took before its producer stamped
 * it, or whose stamp a later one overwrote, is not sampled; the clock is read after the offer, so
 * a wait is short by the offer's few nanoseconds.
 * }</pre>
 */
public final class LoopStats {

  /** Where the sampled figures go: a metrics binder (its methods are called on the loop). */
  public interface Instruments {
    /** A sampled callback of {@code phase} (an index of {@link #PHASES}) ran for {@code nanos}. */
    void callbackDuration(int phase, long nanos);

    /** A sampled poll-queue item waited {@code nanos} before the loop took it. */
    void taskWait(long nanos);
  }

  /** The phases callbacks are counted by, with the tag names metrics use. */
  @SuppressWarnings(
      "MutablePublicArray") // internal (not exported): read, never written, by the engine and
  // LoopMetrics
  public static final String[] PHASES = {
    "timers", "poll", "check", "close", "nextTick", "microtask"
  };

  private static final VarHandle BUSY;
  private static final VarHandle TURNS;
  private static final VarHandle STARTED;
  private static final VarHandle TICKS;
  private static final VarHandle MICROTASKS;
  private static final VarHandle IMMEDIATES;
  private static final VarHandle TIMERS_DEPTH;
  private static final int STAMPS = 256;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      BUSY = l.findVarHandle(LoopStats.class, "busyNanos", long.class);
      TURNS = l.findVarHandle(TurnDriver.class, "turns", long.class);
      STARTED = l.findVarHandle(Phase.class, "started", long.class);
      TICKS = l.findVarHandle(MicrotaskQueue.class, "ticksRun", long.class);
      MICROTASKS = l.findVarHandle(MicrotaskQueue.class, "microtasksRun", long.class);
      IMMEDIATES = l.findVarHandle(LoopStats.class, "immediates", int.class);
      TIMERS_DEPTH = l.findVarHandle(LoopStats.class, "timers", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private record Stamp(long ticket, long nanos) {}

  private final TurnDriver driver;
  private final AtomicReferenceArray<Stamp> stamps = new AtomicReferenceArray<>(STAMPS);
  private final AtomicLong blocked = new AtomicLong();
  private final int sampleShift; // log2 of sampleEvery
  private volatile Instruments instruments;

  @SuppressWarnings("unused") // through BUSY
  private long busyNanos;

  @SuppressWarnings("unused") // through IMMEDIATES
  private int immediates;

  @SuppressWarnings("unused") // through TIMERS_DEPTH
  private int timers;

  LoopStats(TurnDriver driver, int sampleEvery) {
    this.driver = driver;
    this.sampleShift = Integer.numberOfTrailingZeros(sampleEvery);
  }

  /** The instruments attached, or null (any thread). */
  Instruments instruments() {
    return instruments;
  }

  /**
   * Attaches {@code in}: one binder at a time.
   *
   * @throws IllegalStateException if other instruments are attached
   */
  public synchronized void attach(Instruments in) {
    if (instruments != null) {
      throw new IllegalStateException(
          "this loop's metrics are already bound to a registry; close that LoopMetrics first");
    }
    instruments = java.util.Objects.requireNonNull(in, "in");
  }

  /** Detaches {@code in}, if attached. */
  @SuppressWarnings("ReferenceEquality") // detaches that very binder (identity)
  public synchronized void detach(Instruments in) {
    if (instruments == in) {
      instruments = null;
    }
  }

  // ---- written by the loop ----

  void addBusy(long nanos) {
    BUSY.setOpaque(this, (long) BUSY.getOpaque(this) + nanos);
  }

  void publishDepths(int immediateCount, int timerCount) {
    IMMEDIATES.setOpaque(this, immediateCount);
    TIMERS_DEPTH.setOpaque(this, timerCount);
  }

  /** A producer's stamp for a sampled ticket, after its offer. */
  void stamp(long ticket, long nanos) {
    stamps.setRelease((int) (ticket >>> sampleShift) & (STAMPS - 1), new Stamp(ticket, nanos));
  }

  /** On the loop: records the wait of the sampled task {@code ticket} if its stamp is there. */
  void taskTaken(Instruments in, long ticket, long now) {
    Stamp s = stamps.getAcquire((int) (ticket >>> sampleShift) & (STAMPS - 1));
    if (s != null && s.ticket == ticket) {
      in.taskWait(Math.max(0, now - s.nanos));
    }
  }

  void blockedIncident() {
    blocked.incrementAndGet();
  }

  // ---- read from any thread ----

  /** Callbacks run in {@code phase} (an index of {@link #PHASES}) so far. */
  public long callbacks(int phase) {
    return switch (phase) {
      case TurnDriver.TIMERS -> started(driver.timers);
      case TurnDriver.POLL -> started(driver.poll);
      case TurnDriver.CHECK -> started(driver.immediates);
      case TurnDriver.CLOSE -> started(driver.closing);
      case 4 -> (long) TICKS.getOpaque(driver.microtasks());
      case 5 -> (long) MICROTASKS.getOpaque(driver.microtasks());
      default -> throw new IllegalArgumentException("phase: " + phase + " is not in 0..5");
    };
  }

  private static long started(Phase phase) {
    return (long) STARTED.getOpaque(phase);
  }

  /**
   * Moves whenever the loop starts a turn or a phase callback; not for nextTicks and microtasks, so
   * a chain of them shows as its callback's checkpoint (the watchdog's view).
   */
  long progress() {
    long p = (long) TURNS.getOpaque(driver);
    p += started(driver.timers) + started(driver.poll);
    p += started(driver.immediates) + started(driver.closing);
    return p;
  }

  /** Time spent running turns while instruments were attached, in nanoseconds. */
  public long busyNanos() {
    return (long) BUSY.getOpaque(this);
  }

  /** Immediates queued at the end of the last turn (while instruments are attached). */
  public int immediatesDepth() {
    return (int) IMMEDIATES.getOpaque(this);
  }

  /** Timers armed at the end of the last turn (while instruments are attached). */
  public int timersDepth() {
    return (int) TIMERS_DEPTH.getOpaque(this);
  }

  /** Blocked-loop incidents the watchdog reported. */
  public long blockedIncidents() {
    return blocked.get();
  }
}
