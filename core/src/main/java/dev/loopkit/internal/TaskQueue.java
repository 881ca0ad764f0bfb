package dev.loopkit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The poll phase's queue: many producers, one consumer (the loop), and a second, rare consumer
 * ({@code shutdownNow}, and producers taking back their own item after a shutdown).
 *
 * <pre>{@code
 * Implementation notes
 *
 * A linked queue after Vyukov's intrusive MPSC queue: a producer swaps itself in as the tail
 * (getAndSet: the only contended write) and then links the previous tail to it (release store).
 * The loop owns head and walks next pointers. Every item is taken exactly once by an atomic
 * getAndSet of the node's item to null, so the loop, shutdownNow and a producer taking its item
 * back after a shutdown can race on it: whoever clears it owns it. A node whose item is gone is
 * skipped. Nodes are never reused, so a consumer holding a stale head still walks valid links.
 *
 * The poll phase reads the tail once when it begins (snapshotTail) and stops at that node: items
 * that arrive while it runs wait for the next turn. A link not yet published ends the phase
 * early; the queue still reads as non-empty (tail != head), so the loop turns again.
 * }</pre>
 */
final class TaskQueue {

  /** A queued item; producers keep it to take the item back. */
  static final class Node {
    volatile Object item;
    volatile Node next;

    Node(Object item) {
      this.item = item;
    }
  }

  private static final VarHandle ITEM;
  private static final VarHandle NEXT;
  private static final VarHandle TAIL;
  private static final VarHandle HEAD;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      ITEM = l.findVarHandle(Node.class, "item", Object.class);
      NEXT = l.findVarHandle(Node.class, "next", Node.class);
      TAIL = l.findVarHandle(TaskQueue.class, "tail", Node.class);
      HEAD = l.findVarHandle(TaskQueue.class, "head", Node.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // written through TAIL
  private volatile Node tail;

  @SuppressWarnings("unused") // read by the loop plainly, by drainAll opaquely
  private Node head;

  TaskQueue() {
    Node stub = new Node(null);
    head = stub;
    tail = stub;
  }

  /** Appends {@code item} (any thread). */
  Node offer(Object item) {
    Node node = new Node(item);
    Node prev = (Node) TAIL.getAndSet(this, node);
    NEXT.setRelease(prev, node);
    return node;
  }

  /** Takes back {@code node}'s item if no one has taken it yet (any thread). */
  static boolean reclaim(Node node) {
    return ITEM.getAndSet(node, null) != null;
  }

  /** The current tail, marking the end of a poll phase (loop only). */
  Node snapshotTail() {
    return (Node) TAIL.getAcquire(this);
  }

  /**
   * Takes the next item up to and including {@code end}, or null when {@code end} was reached or
   * the next link is not yet published (loop only).
   */
  Object pollUpTo(Node end) {
    Node h = head;
    while (h != end) {
      Node n = (Node) NEXT.getAcquire(h);
      if (n == null) {
        return null;
      }
      h = n;
      HEAD.setOpaque(this, n);
      Object item = ITEM.getAndSet(n, null);
      if (item != null) {
        return item;
      }
    }
    return null;
  }

  /** Whether any node is queued or being linked, even one whose item was taken (any thread). */
  boolean hasNodes() {
    return TAIL.getAcquire(this) != HEAD.getOpaque(this);
  }

  /**
   * Takes every item still in the queue (any thread; used by shutdownNow): every node swapped in
   * before the call read the tail. A link not yet published is waited for (its producer is between
   * its two steps), for a producer whose node lies beyond it may already have returned.
   */
  List<Object> drainAll() {
    List<Object> out = new ArrayList<>();
    Node n = (Node) HEAD.getAcquire(this); // before the tail: head never passes a later tail
    Node end = (Node) TAIL.getVolatile(this);
    while (n != end) {
      Node next = (Node) NEXT.getAcquire(n);
      if (next == null) {
        Thread.onSpinWait();
        continue;
      }
      n = next;
      Object item = ITEM.getAndSet(n, null);
      if (item != null) {
        out.add(item);
      }
    }
    return out;
  }
}
