package dev.loopkit.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The loop's timers, in exact (deadline, sequence) order: the earliest deadline first, equal
 * deadlines in creation (or re-arming) order. Confined to the loop. {@link #refCount()} counts the
 * ref'd timers, for the loop's liveness.
 *
 * <pre>{@code
 * Implementation notes
 *
 * A timing wheel in front of a heap. Time is cut into ticks of 2^20 ns (about 1 ms); the cursor is
 * the last tick the loop has reached. A timer whose tick is
 *   at or before the cursor    is in the ready heap (exact order);
 *   within WHEEL ticks after   is in that tick's bucket (unordered; add and remove O(1));
 *   further                    is in the far heap.
 * When the loop's clock passes a tick, its bucket joins the run, an array sorted once per tick, and
 * far timers that came within reach move into buckets. Every due timer is then in the run or the
 * ready heap (a bucket or far timer's tick is after the cursor, so after now), and the next is the
 * smaller of their firsts, in exact order; so the wheel changes nothing observable. It makes the
 * common schedule-then-cancel O(1) (as in Netty's HashedWheelTimer, without its tick-granular
 * order) and a timer's way out one sort per tick instead of heap sifts over timer objects. A timer
 * removed from the run stays there, dead, until the run passes it.
 * A timer knows where it is and its index there (LoopTimer.where, index).
 * }</pre>
 */
final class TimerQueue {
  static final byte NONE = 0;
  static final byte READY = 1;
  static final byte BUCKET = 2;
  static final byte FAR = 3;
  static final byte RUN = 4;

  /** (deadline, sequence) order; deadlines compared by difference, as nanoTime values. */
  private static final Comparator<LoopTimer> ORDER =
      (a, b) -> {
        long d = a.deadline - b.deadline;
        return d != 0 ? (d < 0 ? -1 : 1) : Long.compare(a.seq, b.seq);
      };

  private static final int SHIFT = 20;
  private static final int WHEEL = 256;
  private static final int MASK = WHEEL - 1;

  private final TimerHeap ready = new TimerHeap();
  // The buckets the cursor passed, sorted once: run[runHead, runEnd). An entry is live while its
  // timer's where is RUN and its index is the entry's; a removed one is skipped when reached.
  private LoopTimer[] run = new LoopTimer[64];
  private int runHead;
  private int runEnd;
  private final TimerHeap far = new TimerHeap();
  private final LoopTimer[][] buckets = new LoopTimer[WHEEL][];
  private final int[] bucketSizes = new int[WHEEL];
  private final long[] occupied = new long[WHEEL / 64];
  private boolean started; // whether cursor is set
  private long cursor;
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
    long best = 0;
    boolean found = false;
    LoopTimer r = first();
    if (r != null) {
      best = r.deadline;
      found = true;
    }
    int b = firstOccupied();
    if (b >= 0) {
      LoopTimer[] bucket = buckets[b];
      for (int i = 0, n = bucketSizes[b]; i < n; i++) {
        if (!found || bucket[i].deadline - best < 0) {
          best = bucket[i].deadline;
          found = true;
        }
      }
    } else if (!far.isEmpty() && (!found || far.peek().deadline - best < 0)) {
      best = far.peek().deadline; // buckets are empty, so far holds the rest
    }
    return best;
  }

  /**
   * Removes and returns the first timer if it is due at {@code now} and was armed before the phase
   * began (sequence below {@code passSeq}); otherwise null.
   */
  LoopTimer pollDue(long now, long passSeq) {
    if (size == 0) {
      return null;
    }
    long tick = now >> SHIFT;
    if (!started || tick - cursor > 0) {
      advanceTo(tick);
    }
    LoopTimer t = first();
    if (t == null || t.deadline - now > 0 || t.seq >= passSeq) {
      return null;
    }
    if (t.where == RUN) {
      run[runHead++] = null;
    } else {
      ready.poll();
    }
    removed(t);
    return t;
  }

  void add(LoopTimer t) {
    if (!started) {
      started = true;
      cursor = (t.deadline - t.delayNanos) >> SHIFT; // about now
    }
    size++;
    if (t.hasRef()) {
      refCount++;
    }
    place(t);
  }

  /** Removes {@code t} if it is queued; true if it was. */
  boolean remove(LoopTimer t) {
    switch (t.where) {
      case READY -> ready.remove(t);
      case FAR -> far.remove(t);
      case BUCKET -> removeFromBucket(t);
      case RUN -> {} // skipped when reached
      default -> {
        return false;
      }
    }
    removed(t);
    return true;
  }

  boolean contains(LoopTimer t) {
    return t.where != NONE;
  }

  /** Adjusts the ref count after {@code t}'s ref flag changed from {@code !nowRef}. */
  void refChanged(LoopTimer t, boolean nowRef) {
    if (contains(t)) {
      refCount += nowRef ? 1 : -1;
    }
  }

  /** Each queued timer, in no particular order. */
  void forEach(Consumer<LoopTimer> action) {
    for (int i = runHead; i < runEnd; i++) {
      if (liveInRun(i)) {
        action.accept(run[i]);
      }
    }
    ready.forEach(action);
    for (int b = 0; b < WHEEL; b++) {
      for (int i = 0, n = bucketSizes[b]; i < n; i++) {
        action.accept(buckets[b][i]);
      }
    }
    far.forEach(action);
  }

  /** Removes every timer, passing each to {@code action}. */
  void clear(Consumer<LoopTimer> action) {
    List<LoopTimer> all = new ArrayList<>(size);
    forEach(all::add);
    ready.clear();
    far.clear();
    Arrays.fill(run, 0, runEnd, null);
    runHead = 0;
    runEnd = 0;
    for (int b = 0; b < WHEEL; b++) {
      if (buckets[b] != null) {
        Arrays.fill(buckets[b], 0, bucketSizes[b], null);
      }
      bucketSizes[b] = 0;
    }
    Arrays.fill(occupied, 0);
    size = 0;
    refCount = 0;
    for (LoopTimer t : all) {
      t.where = NONE;
      t.index = -1;
      action.accept(t);
    }
  }

  private void removed(LoopTimer t) {
    t.where = NONE;
    t.index = -1;
    size--;
    if (t.hasRef()) {
      refCount--;
    }
  }

  /** Puts {@code t} where its tick belongs, given the cursor. */
  private void place(LoopTimer t) {
    long ahead = (t.deadline >> SHIFT) - cursor;
    if (ahead <= 0) {
      t.where = READY;
      ready.add(t);
    } else if (ahead < WHEEL) {
      addToBucket(t, (int) (t.deadline >> SHIFT) & MASK);
    } else {
      t.where = FAR;
      far.add(t);
    }
  }

  private void addToBucket(LoopTimer t, int b) {
    LoopTimer[] bucket = buckets[b];
    int n = bucketSizes[b];
    if (bucket == null) {
      bucket = buckets[b] = new LoopTimer[16];
    } else if (n == bucket.length) {
      bucket = buckets[b] = Arrays.copyOf(bucket, n * 2);
    }
    bucket[n] = t;
    bucketSizes[b] = n + 1;
    occupied[b >>> 6] |= 1L << b;
    t.where = BUCKET;
    t.index = n;
  }

  private void removeFromBucket(LoopTimer t) {
    int b = (int) (t.deadline >> SHIFT) & MASK;
    LoopTimer[] bucket = buckets[b];
    int last = --bucketSizes[b];
    int i = t.index;
    if (i != last) {
      LoopTimer moved = bucket[last];
      bucket[i] = moved;
      moved.index = i;
    }
    bucket[last] = null;
    if (last == 0) {
      occupied[b >>> 6] &= ~(1L << b);
    }
  }

  /** The first timer of the run and the ready heap, or null (drops dead run entries). */
  private LoopTimer first() {
    while (runHead < runEnd && !liveInRun(runHead)) {
      run[runHead++] = null;
    }
    LoopTimer r = runHead < runEnd ? run[runHead] : null;
    LoopTimer h = ready.peek();
    return r == null || (h != null && TimerHeap.before(h, r)) ? h : r;
  }

  private boolean liveInRun(int i) {
    LoopTimer t = run[i];
    return t.where == RUN && t.index == i;
  }

  /**
   * Moves the cursor to {@code tick}: the buckets it passes join the run, sorted once; far timers
   * that came within reach move into buckets.
   */
  private void advanceTo(long tick) {
    if (!started) {
      started = true;
      cursor = tick;
      return;
    }
    int before = compactRun();
    if (tick - cursor >= WHEEL) {
      for (int b = 0; b < WHEEL; b++) {
        drain(b);
      }
    } else {
      for (long k = cursor + 1; k - tick <= 0; k++) {
        int b = (int) k & MASK;
        if ((occupied[b >>> 6] & (1L << b)) != 0) {
          drain(b);
        }
      }
    }
    if (runEnd > before) {
      Arrays.sort(run, 0, runEnd, ORDER);
      for (int i = 0; i < runEnd; i++) {
        run[i].index = i;
      }
    }
    cursor = tick;
    while (!far.isEmpty() && (far.peek().deadline >> SHIFT) - cursor < WHEEL) {
      place(far.poll());
    }
  }

  /** Moves the run's live entries to its front; returns how many there are. */
  private int compactRun() {
    int n = 0;
    for (int i = runHead; i < runEnd; i++) {
      if (liveInRun(i)) {
        LoopTimer t = run[i];
        t.index = n;
        run[n++] = t;
      }
    }
    Arrays.fill(run, n, runEnd, null);
    runHead = 0;
    runEnd = n;
    return n;
  }

  /** Appends bucket {@code b}'s timers to the run (unsorted until advanceTo sorts it). */
  private void drain(int b) {
    LoopTimer[] bucket = buckets[b];
    int n = bucketSizes[b];
    if (runEnd + n > run.length) {
      run = Arrays.copyOf(run, Math.max(run.length * 2, runEnd + n));
    }
    for (int i = 0; i < n; i++) {
      LoopTimer t = bucket[i];
      bucket[i] = null;
      t.where = RUN;
      t.index = runEnd;
      run[runEnd++] = t;
    }
    bucketSizes[b] = 0;
    occupied[b >>> 6] &= ~(1L << b);
  }

  /** The first occupied bucket after the cursor (wrapping), or -1. */
  private int firstOccupied() {
    int start = (int) (cursor + 1) & MASK;
    int startWord = start >>> 6;
    long fromStart = -1L << (start & 63);
    for (int step = 0; step <= WHEEL / 64; step++) {
      int word = (startWord + step) % (WHEEL / 64);
      long bits = occupied[word];
      if (step == 0) {
        bits &= fromStart;
      } else if (step == WHEEL / 64) {
        bits &= ~fromStart; // back at the start's word: the buckets before the start
      }
      if (bits != 0) {
        return (word << 6) + Long.numberOfTrailingZeros(bits);
      }
    }
    return -1;
  }
}
