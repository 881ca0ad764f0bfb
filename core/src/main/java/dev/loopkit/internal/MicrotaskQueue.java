package dev.loopkit.internal;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * The microtask checkpoint run after every callback: the {@code nextTick} queue drained completely
 * (ticks added meanwhile included), then the microtask queue ({@code queueMicrotask} and promise
 * reactions share one FIFO; ones added meanwhile included), again while ticks remain; then the
 * rejections left unhandled go to the loop's handler.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop: a tick or microtask queued off the loop reaches it through the poll queue.
 * It is the promises' host (PromiseHost): the one seam through which Promise reaches the engine.
 * ticksRun and microtasksRun count what ran: plain increments, read opaque by LoopStats. After a
 * stop the checkpoint returns at once; what it left is settled as the loop terminates (settle).
 *
 * Between two callbacks the checkpoint asks two questions: has a stop begun, and has this callback
 * been resumed on a thread that no longer runs the turns (await on the virtual carrier). Both can
 * only be yes after an event that sets lookUp, sticky: a stop begins (Termination, after its move
 * to STOP; another thread's write is read opaque, so it is seen at the next callback or soon
 * after) or a callback begins to suspend (Suspensions.begin, on the very thread that will later
 * return resumed). Until then a microtask costs one plain-speed read of lookUp instead of the
 * state's volatile read and the runner's check. queueMicrotask on the loop adds to the FIFO
 * directly (EventLoop holds it), one step shorter than through this class.
 * }</pre>
 */
final class MicrotaskQueue extends PromiseHost {
  private static final VarHandle LOOK_UP;

  static {
    try {
      LOOK_UP = MethodHandles.lookup().findVarHandle(MicrotaskQueue.class, "lookUp", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EventLoop loop;
  private final Suspensions suspensions;
  private final ArrayDeque<Runnable> ticks = new ArrayDeque<>();
  private final ArrayDeque<Runnable> microtasks = new ArrayDeque<>();
  private ArrayList<Rejection> rejections;
  // Loop: past TERMINATED, settling what was owed (Termination.finish). Here, one load from a
  // promise's host, since every settlement and reaction asks it.
  private boolean terminatedHere;
  long ticksRun; // read opaque by LoopStats
  long microtasksRun; // read opaque by LoopStats

  @SuppressWarnings("unused") // through LOOK_UP (see the notes)
  private boolean lookUp;

  MicrotaskQueue(EventLoop loop, Suspensions suspensions) {
    this.loop = loop;
    this.suspensions = suspensions;
  }

  /** The checkpoint (loop). */
  void checkpoint() {
    while (!ticks.isEmpty() || !microtasks.isEmpty()) {
      Runnable r;
      while (!(lookUp() && loop.state() >= Lifecycle.STOP) && (r = ticks.poll()) != null) {
        ticksRun++;
        runGuarded(r);
      }
      while (!(lookUp() && loop.state() >= Lifecycle.STOP) && (r = microtasks.poll()) != null) {
        microtasksRun++;
        runGuarded(r);
      }
      if (loop.state() >= Lifecycle.STOP) {
        return; // what is left is settled as the loop terminates
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
      loop.driver.uncaught(t);
    }
    if (lookUp()) {
      suspensions.retireIfResumed();
    }
  }

  private boolean lookUp() {
    return (boolean) LOOK_UP.getOpaque(this);
  }

  /** A stop began, or a callback is about to suspend (any thread; sticky): see the notes. */
  void lookUpFromNowOn() {
    LOOK_UP.setVolatile(this, true);
  }

  /** The microtask FIFO, for {@code queueMicrotask} on the loop (see the notes). */
  ArrayDeque<Runnable> fifo() {
    return microtasks;
  }

  /** {@code nextTick} on the loop. */
  void addTick(Runnable callback) {
    ticks.add(callback);
  }

  /** {@code queueMicrotask} on the loop (a reaction too: {@link #queueReaction}). */
  void add(Runnable callback) {
    microtasks.add(callback);
  }

  private void reportRejections() {
    ArrayList<Rejection> list = rejections;
    rejections = null;
    for (Rejection p : list) {
      if (p.unhandled() && loop.state() < Lifecycle.STOP) {
        loop.driver.unhandledRejection(p.reason());
      }
    }
  }

  /**
   * After TERMINATED: drops the ticks and rejections left, and settles with {@code why} the
   * promises that the microtasks left owed; true if there were any (they may have queued more).
   */
  boolean settle(LoopTerminatedException why) {
    ticks.clear();
    rejections = null;
    boolean any = false;
    for (Runnable r; (r = microtasks.poll()) != null; ) {
      if (r instanceof Abandonable a) {
        loop.termination.runOwed(() -> a.abandon(why));
      }
      any = true;
    }
    return any;
  }

  // ---- PromiseHost ----

  @Override
  public Runnable capture(Runnable reaction) {
    return loop.capture(reaction);
  }

  @Override
  public Loop loop() {
    return loop;
  }

  @Override
  public boolean inEventLoop() {
    return loop.inEventLoop();
  }

  @Override
  public void queueReaction(Runnable reaction) {
    microtasks.add(reaction);
  }

  @Override
  public boolean handIn(Runnable action) {
    return loop.pollQueue.handIn(action, true);
  }

  /** The loop is past TERMINATED: promises settle what they owe instead of queueing (loop). */
  void pastTerminated() {
    terminatedHere = true;
  }

  @Override
  public boolean terminatedHere() {
    return terminatedHere;
  }

  @Override
  public LoopTerminatedException terminatedException() {
    return loop.termination.terminatedException();
  }

  @Override
  public void trackRejection(Rejection rejection) {
    if (rejections == null) {
      rejections = new ArrayList<>(2);
    }
    rejections.add(rejection);
  }

  @Override
  public Promise<Void> delay(Duration delay) {
    return loop.timers.delay(delay);
  }

  @Override
  public Suspensions.Suspension beginSuspension(String call) {
    return loop.suspensions.begin(call);
  }

  @Override
  public void suspend(Suspensions.Suspension s) {
    loop.suspensions.suspend(s);
  }

  @Override
  public void resume(Suspensions.Suspension s) {
    loop.suspensions.resume(s);
  }
}
