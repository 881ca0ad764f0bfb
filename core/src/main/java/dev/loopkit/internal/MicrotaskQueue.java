package dev.loopkit.internal;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
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
 * }</pre>
 */
final class MicrotaskQueue implements PromiseHost {
  private final EventLoop loop;
  private final ArrayDeque<Runnable> ticks = new ArrayDeque<>();
  private final ArrayDeque<Runnable> microtasks = new ArrayDeque<>();
  private ArrayList<Rejection> rejections;
  long ticksRun; // read opaque by LoopStats
  long microtasksRun; // read opaque by LoopStats

  MicrotaskQueue(EventLoop loop) {
    this.loop = loop;
  }

  /** The checkpoint (loop). */
  void checkpoint() {
    while (!ticks.isEmpty() || !microtasks.isEmpty()) {
      Runnable r;
      while (loop.state() < Lifecycle.STOP && (r = ticks.poll()) != null) {
        ticksRun++;
        runGuarded(r);
      }
      while (loop.state() < Lifecycle.STOP && (r = microtasks.poll()) != null) {
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
    loop.driver.retireIfResumed();
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

  @Override
  public boolean terminatedHere() {
    return loop.termination.terminatedHere();
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
