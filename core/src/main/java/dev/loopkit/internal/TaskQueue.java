package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The poll phase's queue: many producers, one consumer (the loop), and a second, rare consumer
 * ({@code shutdownNow}'s sweep, and the terminated loop taking its hand-ins), which may race the
 * loop; producers may take back their own item after a shutdown.
 *
 * <pre>{@code
 * Implementation notes
 *
 * A linked list of array chunks. A producer reserves a slot with one atomic add on the tail
 * chunk's counter (the only contended write), then stores its item there (release). The slot's
 * ticket (chunk base + index) names it for a later reclaim. When a chunk is full, the producer
 * that links the next one puts its item in that chunk's first slot; every producer helps swing the
 * tail forward, and an offer returns only after the tail has reached its chunk.
 *
 * The claim. Slots are taken in order, each exactly once, through one counter, claimed: the
 * ticket of the next slot to take. The loop takes slot p with a CAS of claimed from p to p + 1 (one
 * uncontended atomic per item, on a line only the loop and the sweep write), then reads the slot;
 * it writes nothing into the slots, which producers keep writing (no cache line moves back and
 * forth between them). A sweep closes the counter in one CAS (CLOSED | the end of what it takes)
 * and takes [claimed, that end); the loop's next CAS then fails, and it takes nothing more. Slots
 * are never cleared: a chunk's items are dropped with the chunk once the loop has passed it (at
 * most one chunk of finished items stays reachable), and the garbage collector sees no chain of
 * live nodes, whatever the backlog.
 *
 * Taking back (reclaim, rare: a producer that finds the loop no longer accepting). The producer
 * swaps its item for WITHDRAWN, then reads claimed. If no one has claimed the slot, no one will take
 * the item: whoever claims the slot later finds WITHDRAWN (its claim, a CAS, comes after the
 * producer's swap, also a CAS) and skips it. If the slot was claimed meanwhile, the claimer may
 * have read the item already: the producer puts it back (CAS WITHDRAWN -> item), and a claimer that
 * finds WITHDRAWN marks it SKIPPED (CAS); the CAS that wins decides: put back, the claimer takes
 * (or took) it; SKIPPED, the producer keeps it. After the loop has ended, takeWhere takes its own
 * hand-ins slot by slot (CAS item -> SWEPT), leaving the counter alone: against a producer taking
 * the same item back, one CAS on the slot decides.
 *
 * The poll phase fixes its end when it begins (publishedEnd: the items written by then, at most a
 * batch) and stops there: items that arrive while it runs wait for the next turn. It reads the
 * slots it is about to take, not the producers' counter, which they keep writing. A slot reserved
 * but not yet written ends the phase early; the queue still reads as non-empty (hasNodes reads the
 * counter), so the loop turns again.
 * }</pre>
 */
final class TaskQueue extends TaskQueuePadded {

  /** Slots per chunk. */
  static final int DEFAULT_CHUNK = 1024;

  /** In a slot: its producer took the item back, or is taking it back. */
  private static final Object WITHDRAWN = new Object();

  /** In a slot: the claimer passed it by; its producer keeps the item. */
  private static final Object SKIPPED = new Object();

  /** In a slot: taken after the loop ended ({@link #takeWhere}). */
  private static final Object SWEPT = new Object();

  /** In claimed: the counter is closed; the low bits hold the end of what sweeps took. */
  private static final long CLOSED = Long.MIN_VALUE;

  /** A run of slots; {@code base} is the ticket of slot 0. */
  static final class Chunk {
    final long base;
    final Object[] slots;

    @SuppressWarnings("unused") // through RESERVED
    volatile int reserved;

    volatile Chunk next;

    Chunk(long base, int size) {
      this.base = base;
      this.slots = new Object[size];
    }
  }

  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
  private static final VarHandle RESERVED;
  private static final VarHandle NEXT;
  private static final VarHandle TAIL;
  private static final VarHandle HEAD;
  private static final VarHandle CLAIMED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RESERVED = l.findVarHandle(Chunk.class, "reserved", int.class);
      NEXT = l.findVarHandle(Chunk.class, "next", Chunk.class);
      TAIL = l.findVarHandle(TaskQueueProducerFields.class, "tail", Chunk.class);
      HEAD = l.findVarHandle(TaskQueue.class, "head", Chunk.class);
      CLAIMED = l.findVarHandle(TaskQueue.class, "claimed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // The producers' fields (tail, chunkSize) are in TaskQueueProducerFields, padded off these,
  // which the loop writes for every item.
  private Chunk head; // the chunk the loop reads (written opaque: reclaim and sweeps start there)
  private int headIndex; // the next slot it reads there (loop only)
  private long last = -1; // the ticket of the item pollUpTo returned last (loop only)

  @SuppressWarnings("unused") // through CLAIMED
  private volatile long claimed; // the next ticket to take, or CLOSED | the end sweeps reached

  TaskQueue() {
    this(DEFAULT_CHUNK);
  }

  /** A queue with chunks of {@code chunkSize} slots (small ones test the chunk hand-over). */
  TaskQueue(int chunkSize) {
    super(chunkSize, new Chunk(0, chunkSize));
    head = (Chunk) TAIL.get(this);
  }

  /** Appends {@code item} (any thread); returns its ticket, for {@link #reclaim}. */
  long offer(Object item) {
    for (; ; ) {
      Chunk t = (Chunk) TAIL.getAcquire(this);
      int i = (int) RESERVED.getAndAdd(t, 1);
      if (i < chunkSize) {
        SLOT.setRelease(t.slots, i, item);
        return t.base + i;
      }
      Chunk next = (Chunk) NEXT.getAcquire(t);
      if (next == null) {
        Chunk fresh = new Chunk(t.base + chunkSize, chunkSize);
        fresh.slots[0] = item;
        fresh.reserved = 1; // published with the chunk by the CAS below
        if (NEXT.compareAndSet(t, null, fresh)) {
          TAIL.compareAndSet(this, t, fresh);
          return fresh.base;
        }
        next = (Chunk) NEXT.getAcquire(t);
      }
      TAIL.compareAndSet(this, t, next); // help: the tail reaches a chunk before it is used
    }
  }

  /**
   * Takes back the item of {@code ticket}, offered by this caller, if no one takes it (any thread):
   * true if the caller keeps it, false if the loop takes (or took) it or a sweep took it.
   */
  boolean reclaim(long ticket) {
    Chunk c = (Chunk) HEAD.getAcquire(this);
    if (ticket < c.base) {
      return false; // the loop has passed its whole chunk: it took the item
    }
    while (ticket >= c.base + chunkSize) {
      c = (Chunk) NEXT.getAcquire(c); // linked: the ticket's chunk was the tail when it was issued
    }
    int i = (int) (ticket - c.base);
    Object item = SLOT.getAcquire(c.slots, i); // written: the caller's own offer stored it
    if (item == WITHDRAWN) {
      return false; // taken back already: once only
    }
    if (item != SKIPPED && item != SWEPT && !SLOT.compareAndSet(c.slots, i, item, WITHDRAWN)) {
      item = SLOT.getAcquire(c.slots, i); // (the CAS fails only when the slot was marked)
    }
    if (item == SKIPPED || item == SWEPT) {
      return item == SKIPPED; // a claimer passed it by, or the ended loop took it
    }
    long cl = (long) CLAIMED.getVolatile(this);
    if (ticket >= ((cl & CLOSED) == 0 ? cl : cl & ~CLOSED)) {
      return true; // unclaimed: whoever claims it later finds WITHDRAWN
    }
    return !SLOT.compareAndSet(c.slots, i, WITHDRAWN, item); // put back, unless it was skipped
  }

  /**
   * After claiming a slot: its item, or null if its producer took it back (the claimer's side of
   * {@link #reclaim}).
   */
  private static @Nullable Object takeClaimed(Object[] slots, int i, Object item) {
    while (item == WITHDRAWN) {
      if (SLOT.compareAndSet(slots, i, WITHDRAWN, SKIPPED)) {
        return null;
      }
      item = SLOT.getAcquire(slots, i); // put back: the item is ours
    }
    return item == SKIPPED ? null : item;
  }

  /** The end of the slots reserved so far (any thread). */
  private long reservedEnd() {
    Chunk t = (Chunk) TAIL.getAcquire(this);
    return t.base + Math.min((int) RESERVED.getVolatile(t), chunkSize);
  }

  /** Whether a sweep has closed the queue to the loop (any thread). */
  boolean closed() {
    return ((long) CLAIMED.getVolatile(this) & CLOSED) != 0;
  }

  /** The ticket of the next slot to take (any thread); past a close, the end sweeps reached. */
  private long position() {
    long cl = (long) CLAIMED.getOpaque(this);
    return cl & ~CLOSED;
  }

  /**
   * The poll phase's end: after the first {@code max} items already written that {@code counts}
   * (marks never count), or at the first slot not yet written. Read from the slots the loop reads
   * next, not from the producers' counter, which they keep writing (loop only).
   */
  long publishedEnd(int max, Predicate<Object> counts) {
    Chunk c = head;
    int i = headIndex;
    for (int n = 0; n < max; i++) {
      if (i == chunkSize) {
        Chunk next = (Chunk) NEXT.getAcquire(c);
        if (next == null) {
          break;
        }
        c = next;
        i = 0;
      }
      Object item = SLOT.getAcquire(c.slots, i);
      if (item == null) {
        break;
      }
      if (item != WITHDRAWN && item != SKIPPED && counts.test(item)) {
        n++;
      }
    }
    return c.base + i;
  }

  /** Whether the loop's next slot is written (loop only; cheap, may say no). */
  boolean nextWritten() {
    Chunk c = head;
    int i = headIndex;
    if (i == chunkSize) {
      c = (Chunk) NEXT.getAcquire(c);
      if (c == null) {
        return false;
      }
      i = 0;
    }
    return SLOT.getAcquire(c.slots, i) != null;
  }

  /**
   * Takes the next item before {@code end}, an end from {@link #publishedEnd} (so every slot before
   * it is written), or null when {@code end} was reached or a sweep closed the queue (loop only).
   */
  @Nullable Object pollUpTo(long end) {
    Chunk h = head;
    int i = headIndex;
    while (h.base + i < end) {
      if (i == chunkSize) {
        Chunk n = (Chunk) NEXT.getAcquire(h);
        if (n == null) {
          return null; // cannot happen before a published end; kept as a guard
        }
        h = n;
        i = 0;
        HEAD.setOpaque(this, n); // before the claim below: a sweep starts at or before it
        headIndex = 0;
        continue;
      }
      long ticket = h.base + i;
      if (!CLAIMED.compareAndSet(this, ticket, ticket + 1)) {
        return null; // a sweep closed the queue: what is left is the sweep's
      }
      headIndex = ++i;
      Object item = takeClaimed(h.slots, i - 1, SLOT.getAcquire(h.slots, i - 1));
      if (item != null) {
        last = ticket;
        return item;
      }
    }
    return null;
  }

  /** The ticket of the item {@link #pollUpTo} returned last (loop only). */
  long lastTicket() {
    return last;
  }

  /**
   * The slots reserved and not yet taken, marked ones included (any thread; a moment's figure: the
   * producers and the loop keep moving).
   */
  long depth() {
    return Math.max(0, reservedEnd() - position());
  }

  /** Whether any slot is reserved and not yet taken, even a marked one (any thread). */
  boolean hasNodes() {
    return reservedEnd() != position();
  }

  /**
   * A stop's sweep (any thread): closes the queue to the loop and takes every item not yet taken.
   * May be called again: it takes what was reserved since. A slot reserved but not yet written is
   * waited for (its producer is between its two steps), for a producer whose slot lies beyond it
   * may already have returned.
   */
  List<Object> sweep() {
    long from;
    long end;
    for (; ; ) {
      long cl = (long) CLAIMED.getVolatile(this);
      from = cl & ~CLOSED;
      end = reservedEnd();
      if (CLAIMED.compareAndSet(this, cl, CLOSED | end)) {
        break; // (it fails when the loop claimed a slot meanwhile)
      }
    }
    List<Object> out = new ArrayList<>();
    Chunk c = (Chunk) HEAD.getAcquire(this); // at or before from: the loop moves it before claiming
    for (long pos = from; pos < end; pos++) {
      c = chunkOf(c, pos);
      int i = (int) (pos - c.base);
      Object item = takeClaimed(c.slots, i, written(c.slots, i));
      if (item != null) {
        out.add(item);
      }
    }
    return out;
  }

  /**
   * After the loop has ended (any thread): takes, slot by slot, the items not yet taken that {@code
   * which} accepts (the terminated loop's own hand-ins), and leaves the others, and the claim
   * counter, to their producers, who take them back.
   */
  List<Object> takeWhere(Predicate<Object> which) {
    long end = reservedEnd();
    List<Object> out = new ArrayList<>();
    Chunk c = (Chunk) HEAD.getAcquire(this);
    for (long pos = position(); pos < end; pos++) {
      c = chunkOf(c, pos);
      int i = (int) (pos - c.base);
      Object item = written(c.slots, i);
      if (item != WITHDRAWN
          && item != SKIPPED
          && item != SWEPT
          && which.test(item)
          && SLOT.compareAndSet(c.slots, i, item, SWEPT)) { // (fails if its producer took it back)
        out.add(item);
      }
    }
    return out;
  }

  /** The chunk holding {@code pos}, from {@code c} (at or before it) onwards. */
  private Chunk chunkOf(Chunk c, long pos) {
    while (pos >= c.base + chunkSize) {
      Chunk n;
      while ((n = (Chunk) NEXT.getAcquire(c)) == null) {
        Thread.onSpinWait(); // linked before the tail moved past it; cannot stay null
      }
      c = n;
    }
    return c;
  }

  /** A reserved slot's content, once its producer has written it. */
  private static Object written(Object[] slots, int i) {
    Object item;
    while ((item = SLOT.getAcquire(slots, i)) == null) {
      Thread.onSpinWait();
    }
    return item;
  }
}

/** The fields producers use on every offer, on cache lines the loop does not write per item. */
@SuppressWarnings("unused")
abstract class TaskQueueProducerFields {
  final int chunkSize;
  volatile TaskQueue.Chunk tail; // through TaskQueue's TAIL
  int padInt; // fills the gap before the padding, which a loop field would otherwise take

  TaskQueueProducerFields(int chunkSize, TaskQueue.Chunk first) {
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize < 1: " + chunkSize);
    }
    this.chunkSize = chunkSize;
    this.tail = first;
  }
}

/**
 * Padding between the producers' fields and the loop's: HotSpot lays a superclass's fields out
 * before a subclass's, so the loop's writes stay off the cache lines producers read (no false
 * sharing).
 */
@SuppressWarnings("unused")
abstract class TaskQueuePadded extends TaskQueueProducerFields {
  long pad01, pad02, pad03, pad04, pad05, pad06, pad07, pad08;
  long pad09, pad10, pad11, pad12, pad13, pad14, pad15, pad16;

  TaskQueuePadded(int chunkSize, TaskQueue.Chunk first) {
    super(chunkSize, first);
  }
}
