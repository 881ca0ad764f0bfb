package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The poll phase's queue: many producers, one consumer (the loop), and a second, rare consumer
 * ({@code shutdownNow}, and producers taking back their own item after a shutdown).
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
 * The loop owns the head (chunk, index) and reads slots in order. Every item is taken exactly once
 * by an atomic getAndSet of its slot to TAKEN, so the loop, shutdownNow and a producer taking its
 * item back after a shutdown can race on it: whoever swaps the item out owns it. A TAKEN slot is
 * skipped. Chunks are never reused, so a consumer holding a stale chunk still walks valid links;
 * slots the loop has passed hold TAKEN, not the item, so the garbage collector sees no chain of
 * live nodes, whatever the backlog.
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

  private static final Object TAKEN = new Object();

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
  private static final VarHandle CONSUMED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RESERVED = l.findVarHandle(Chunk.class, "reserved", int.class);
      NEXT = l.findVarHandle(Chunk.class, "next", Chunk.class);
      TAIL = l.findVarHandle(TaskQueueProducerFields.class, "tail", Chunk.class);
      HEAD = l.findVarHandle(TaskQueue.class, "head", Chunk.class);
      CONSUMED = l.findVarHandle(TaskQueue.class, "consumed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // The producers' fields (tail, chunkSize) are in TaskQueueProducerFields, padded off these,
  // which the loop writes for every item (opaque, so that other threads read a recent value).
  private Chunk head; // the chunk the loop reads
  private int headIndex; // the next slot it reads there (loop only)
  private long consumed; // head.base + headIndex: the slots the loop has passed

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

  /** Takes back the item of {@code ticket} if no one has taken it yet (any thread). */
  boolean reclaim(long ticket) {
    Chunk c = (Chunk) HEAD.getAcquire(this);
    if (ticket < c.base) {
      return false; // the loop has passed its whole chunk: it took the item
    }
    while (ticket >= c.base + chunkSize) {
      c = (Chunk) NEXT.getAcquire(c); // linked: the ticket's chunk was the tail when it was issued
    }
    return SLOT.getAndSet(c.slots, (int) (ticket - c.base), TAKEN) != TAKEN;
  }

  /** The end of the slots reserved so far (any thread). */
  private long reservedEnd() {
    Chunk t = (Chunk) TAIL.getAcquire(this);
    return t.base + Math.min((int) RESERVED.getVolatile(t), chunkSize);
  }

  /**
   * The poll phase's end: after the first {@code max} items already written that {@code counts}
   * (taken slots never count), or at the first slot not yet written. Read from the slots the loop
   * reads next, not from the producers' counter, which they keep writing (loop only).
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
      if (item != TAKEN && counts.test(item)) {
        n++;
      }
    }
    return c.base + i;
  }

  /** Whether the loop's next slot holds an item or a taken mark (loop only; cheap, may say no). */
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
   * it is written), or null when {@code end} was reached (loop only).
   */
  Object pollUpTo(long end) {
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
        HEAD.setOpaque(this, n);
        headIndex = 0;
        continue;
      }
      Object item = SLOT.getAndSet(h.slots, i, TAKEN); // written: publishedEnd read it
      headIndex = ++i;
      CONSUMED.setOpaque(this, h.base + i);
      if (item != TAKEN) {
        return item;
      }
    }
    return null;
  }

  /** The ticket of the item {@link #pollUpTo} returned last (loop only). */
  long lastTicket() {
    return consumed - 1;
  }

  /**
   * The slots reserved and not yet passed, taken ones included (any thread; a moment's figure: the
   * producers and the loop keep moving).
   */
  long depth() {
    return Math.max(0, reservedEnd() - (long) CONSUMED.getOpaque(this));
  }

  /**
   * Whether any slot is reserved and not yet passed, even one whose item was taken (any thread).
   */
  boolean hasNodes() {
    return reservedEnd() != (long) CONSUMED.getOpaque(this);
  }

  /**
   * Takes every item still in the queue that {@code which} accepts, leaving the others in place
   * (any thread; a stop's sweep takes all, the terminated loop only its own hand-ins): every slot
   * reserved before the call read the tail. A slot reserved but not yet written is waited for (its
   * producer is between its two steps), for a producer whose slot lies beyond it may already have
   * returned.
   */
  List<Object> drainAll(Predicate<Object> which) {
    List<Object> out = new ArrayList<>();
    Chunk c = (Chunk) HEAD.getAcquire(this); // before the tail: the head never passes a later tail
    long end = reservedEnd();
    for (long pos = c.base; pos < end; pos++) {
      int i = (int) (pos - c.base);
      if (i == chunkSize) {
        Chunk n;
        while ((n = (Chunk) NEXT.getAcquire(c)) == null) {
          Thread.onSpinWait(); // linked before the tail moved past it; cannot stay null
        }
        c = n;
        i = 0;
      }
      Object item;
      while ((item = SLOT.getAcquire(c.slots, i)) == null) {
        Thread.onSpinWait();
      }
      if (item != TAKEN && which.test(item)) {
        item = SLOT.getAndSet(c.slots, i, TAKEN); // the item, or TAKEN if its producer took it back
        if (item != TAKEN) {
          out.add(item);
        }
      }
    }
    return out;
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
