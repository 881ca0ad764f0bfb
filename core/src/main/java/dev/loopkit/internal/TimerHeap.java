package dev.loopkit.internal;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A binary min-heap of timers ordered by (deadline, sequence), each timer knowing its index, so
 * that removing one costs O(log n) (as jsr166's {@code DelayedWorkQueue}). A part of {@link
 * TimerQueue}; confined to the loop.
 */
final class TimerHeap {
  private LoopTimer[] heap = new LoopTimer[16];
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  /** The first timer, or null. */
  LoopTimer peek() {
    return size == 0 ? null : heap[0];
  }

  /** Removes and returns the first timer; only when not empty. */
  LoopTimer poll() {
    LoopTimer t = heap[0];
    removeAt(0);
    return t;
  }

  void add(LoopTimer t) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    int i = size++;
    heap[i] = t;
    t.index = i;
    siftUp(i);
  }

  /** Removes {@code t}, which is in this heap. */
  void remove(LoopTimer t) {
    removeAt(t.index);
  }

  void forEach(Consumer<LoopTimer> action) {
    for (int i = 0; i < size; i++) {
      action.accept(heap[i]);
    }
  }

  void clear() {
    Arrays.fill(heap, 0, size, null);
    size = 0;
  }

  private void removeAt(int i) {
    heap[i].index = -1;
    int last = --size;
    if (i != last) {
      LoopTimer moved = heap[last];
      heap[i] = moved;
      moved.index = i;
      heap[last] = null;
      siftDown(i);
      if (heap[i] == moved) {
        siftUp(i);
      }
    } else {
      heap[last] = null;
    }
  }

  static boolean before(LoopTimer a, LoopTimer b) {
    long d = a.deadline - b.deadline;
    return d < 0 || (d == 0 && a.seq < b.seq);
  }

  private void siftUp(int i) {
    LoopTimer t = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      LoopTimer p = heap[parent];
      if (!before(t, p)) {
        break;
      }
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = t;
    t.index = i;
  }

  private void siftDown(int i) {
    LoopTimer t = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      LoopTimer c = heap[child];
      int right = child + 1;
      if (right < size && before(heap[right], c)) {
        child = right;
        c = heap[child];
      }
      if (!before(c, t)) {
        break;
      }
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = t;
    t.index = i;
  }
}
