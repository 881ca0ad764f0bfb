package dev.loopkit.internal;

import dev.loopkit.LoopTerminatedException;
import java.util.ArrayList;

/**
 * The close phase: the callbacks given to {@code Handle.close(callback)} for handles closed during
 * the turn, in the order they were closed; ones added meanwhile wait for the next turn.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop; a close from another thread reaches it through the poll queue. The pass
 * is the list swapped out when the phase began (batch), and index is how far it got.
 * }</pre>
 */
final class ClosePhase extends Phase {
  private final EventLoop loop;
  private ArrayList<Runnable> pending = new ArrayList<>();
  private ArrayList<Runnable> batch;
  private int index;

  ClosePhase(EventLoop loop, TurnDriver driver) {
    super(driver);
    this.loop = loop;
  }

  @Override
  void run() {
    if (!begun) {
      if (pending.isEmpty()) {
        return;
      }
      begun = true;
      batch = pending;
      index = 0;
      pending = new ArrayList<>();
    }
    while (index < batch.size() && loop.state() < Lifecycle.STOP) {
      runCallback(batch.get(index++));
    }
    batch = null;
    begun = false;
  }

  /**
   * Queues a close callback for the close phase (any thread).
   *
   * @throws LoopTerminatedException if the loop has terminated: the callback could never run
   */
  void add(Runnable callback) {
    if (loop.inEventLoop() && loop.state() != Lifecycle.TERMINATED) {
      pending.add(callback);
    } else if (!loop.pollQueue.handIn(() -> pending.add(callback), true)) {
      throw new LoopTerminatedException(
          "close: the loop "
              + loop.name()
              + " has terminated, so the close callback would never run");
    }
  }

  /** Whether a close callback is waiting (it holds the loop open). */
  boolean hasPending() {
    return !pending.isEmpty();
  }

  /** On termination: the callbacks left will not run. */
  void clear() {
    pending.clear();
  }
}
