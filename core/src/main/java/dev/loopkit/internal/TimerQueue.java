package dev.loopkit.internal;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The loop's timers, as a binary min-heap ordered by (deadline, sequence): the earliest deadline
 * first, equal deadlines in creation (or re-arming) order. Confined to the loop.
 *
 * <p>Each timer knows its index, so removing a cancelled timer costs O(log n) (as jsr166's {@code
 * ScheduledThreadPoolExecutor.DelayedWorkQueue}). {@link #refCount()} counts the ref'd timers, for
 * the loop's liveness.
 */
final class TimerQueue {
  private TimerTask[] heap = new TimerTask[16];
  private int size;
  private int refCount;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  int refCount() {
    return refCount;
  }

  /** The earliest deadline; only when not empty. */
  long peekDeadline() {
    return heap[0].deadline;
  }

  /**
   * Removes and returns the first timer if it is due at {@code now} and was armed before the phase
   * began (sequence below {@code passSeq}); otherwise null.
   */
  TimerTask pollDue(long now, long passSeq) {
    if (size == 0) {
      return null;
    }
    TimerTask t = heap[0];
    if (t.deadline - now > 0 || t.seq >= passSeq) {
      return null;
    }
    removeAt(0);
    return t;
  }

  void add(TimerTask t) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    int i = size++;
    heap[i] = t;
    t.heapIndex = i;
    siftUp(i);
    if (t.refd()) {
      refCount++;
    }
  }

  /** Removes {@code t} if it is queued; true if it was. */
  boolean remove(TimerTask t) {
    int i = t.heapIndex;
    if (i < 0 || i >= size || heap[i] != t) {
      return false;
    }
    removeAt(i);
    return true;
  }

  boolean contains(TimerTask t) {
    int i = t.heapIndex;
    return i >= 0 && i < size && heap[i] == t;
  }

  /** Adjusts the ref count after {@code t}'s ref flag changed from {@code !nowRef}. */
  void refChanged(TimerTask t, boolean nowRef) {
    if (contains(t)) {
      refCount += nowRef ? 1 : -1;
    }
  }

  void forEach(Consumer<TimerTask> action) {
    for (int i = 0; i < size; i++) {
      action.accept(heap[i]);
    }
  }

  /** Removes every timer, passing each to {@code action}. */
  void clear(Consumer<TimerTask> action) {
    TimerTask[] old = Arrays.copyOf(heap, size);
    Arrays.fill(heap, 0, size, null);
    size = 0;
    refCount = 0;
    for (TimerTask t : old) {
      t.heapIndex = -1;
      action.accept(t);
    }
  }

  private void removeAt(int i) {
    TimerTask removed = heap[i];
    removed.heapIndex = -1;
    if (removed.refd()) {
      refCount--;
    }
    int last = --size;
    if (i != last) {
      TimerTask moved = heap[last];
      heap[i] = moved;
      moved.heapIndex = i;
      heap[last] = null;
      siftDown(i);
      if (heap[i] == moved) {
        siftUp(i);
      }
    } else {
      heap[last] = null;
    }
  }

  private static boolean before(TimerTask a, TimerTask b) {
    long d = a.deadline - b.deadline;
    return d < 0 || (d == 0 && a.seq < b.seq);
  }

  private void siftUp(int i) {
    TimerTask t = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      TimerTask p = heap[parent];
      if (!before(t, p)) {
        break;
      }
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = t;
    t.heapIndex = i;
  }

  private void siftDown(int i) {
    TimerTask t = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      TimerTask c = heap[child];
      int right = child + 1;
      if (right < size && before(heap[right], c)) {
        child = right;
        c = heap[child];
      }
      if (!before(c, t)) {
        break;
      }
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = t;
    t.heapIndex = i;
  }
}
