package dev.loopkit.internal;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The check phase: the {@code setImmediate} callbacks queued before the phase began, in order; ones
 * queued meanwhile wait for the next turn.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. An immediate made off the loop, or cancelled from another thread, reaches
 * the loop through the poll queue. refCount counts the queued, ref'd immediates (those with
 * counted set): what holds a program-mode loop open. An immediate made on the loop takes its id
 * from a block reserved from the loop's id counter, so it costs no atomic (ids order nothing for
 * immediates). left: how many of the pass's immediates are still to run (the resume position).
 * }</pre>
 */
final class CheckPhase extends Phase {
  private static final int ID_BLOCK = 1024;

  private final EventLoop loop;
  private final ArrayDeque<ImmediateTask> queue = new ArrayDeque<>();
  private int refCount;
  private int left;
  private long idNext;
  private long idEnd;

  CheckPhase(EventLoop loop, TurnDriver driver) {
    super(driver);
    this.loop = loop;
  }

  @Override
  void run() {
    if (!begun) {
      begun = true;
      left = queue.size();
    }
    while (left > 0 && loop.state() < Lifecycle.STOP) {
      left--;
      ImmediateTask im = queue.poll();
      uncount(im);
      if (im.start()) {
        runCallback(im.callback);
      }
    }
    begun = false;
  }

  /** {@code setImmediate} on the loop: queued and ref'd; no one else has seen it yet. */
  ImmediateTask add(Runnable callback) {
    ImmediateTask im = new ImmediateTask(loop, nextId(), callback);
    queue.add(im);
    im.counted = true;
    refCount++;
    return im;
  }

  private long nextId() {
    if (idNext == idEnd) {
      idNext = loop.ids.getAndAdd(ID_BLOCK);
      idEnd = idNext + ID_BLOCK;
    }
    return idNext++;
  }

  /** An immediate made off the loop arrived through the poll queue. */
  void arrived(ImmediateTask im) {
    if (im.state != ImmediateTask.QUEUED) {
      return;
    }
    queue.add(im);
    if (im.hasRef()) {
      im.counted = true;
      refCount++;
    }
  }

  /** {@code im} was cancelled (any thread): it no longer holds the loop open. */
  void cancelled(ImmediateTask im) {
    if (loop.inEventLoop()) {
      uncount(im);
    } else {
      loop.pollQueue.handIn(() -> uncount(im), false);
    }
  }

  private void uncount(ImmediateTask im) {
    if (im.counted) {
      im.counted = false;
      refCount--;
    }
  }

  void changeRef(ImmediateTask im, boolean value) {
    im.setRefFlag(value);
    if (value && !im.counted && im.state == ImmediateTask.QUEUED && queue.contains(im)) {
      im.counted = true;
      refCount++;
    } else if (!value) {
      uncount(im);
    }
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }

  /** Whether a ref'd immediate holds the loop open. */
  boolean holdsLoop() {
    return refCount > 0;
  }

  /** On termination: every immediate left is cancelled. */
  void cancelAll() {
    for (ImmediateTask im; (im = queue.poll()) != null; ) {
      im.cancel();
    }
    refCount = 0;
  }

  void forEachQueued(Consumer<ImmediateTask> action) {
    for (ImmediateTask im : queue) {
      if (im.state == ImmediateTask.QUEUED) {
        action.accept(im);
      }
    }
  }
}
