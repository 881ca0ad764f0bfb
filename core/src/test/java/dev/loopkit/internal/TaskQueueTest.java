package dev.loopkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The task queue's single-threaded contract, across chunk ends (chunks of 3 slots): FIFO, the poll
 * phase's end, reclaim, sweep and takeWhere each take an item at most once. Concurrency: Lincheck
 * and JCStress in {@code stress/}.
 */
class TaskQueueTest {

  private static long end(TaskQueue q) {
    return q.publishedEnd(Integer.MAX_VALUE, item -> true);
  }

  @Test
  void aPhaseEndsAfterMaxCountedItems() {
    TaskQueue q = new TaskQueue(3);
    for (int i = 0; i < 6; i++) {
      q.offer(i);
    }
    long end = q.publishedEnd(3, item -> (Integer) item % 2 == 0); // counts 0, 2, 4
    List<Object> out = new ArrayList<>();
    for (Object o; (o = q.pollUpTo(end)) != null; ) {
      out.add(o);
    }
    assertEquals(List.of(0, 1, 2, 3, 4), out);
    assertTrue(q.nextWritten());
    assertEquals(5, q.pollUpTo(end(q)));
    assertFalse(q.nextWritten());
  }

  @Test
  void itemsComeOutInOrderAcrossChunks() {
    TaskQueue q = new TaskQueue(3);
    for (int i = 0; i < 10; i++) {
      q.offer(i);
    }
    List<Object> out = new ArrayList<>();
    for (Object o; (o = q.pollUpTo(end(q))) != null; ) {
      out.add(o);
    }
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), out);
    assertFalse(q.hasNodes());
  }

  @Test
  void aPollPhaseStopsAtTheEndReadWhenItBegan() {
    TaskQueue q = new TaskQueue(3);
    q.offer("a");
    q.offer("b");
    long end = end(q);
    q.offer("c"); // arrives during the phase: next turn
    assertEquals("a", q.pollUpTo(end));
    assertEquals("b", q.pollUpTo(end));
    assertNull(q.pollUpTo(end));
    assertTrue(q.hasNodes());
    assertEquals("c", q.pollUpTo(end(q)));
    assertFalse(q.hasNodes());
  }

  @Test
  void reclaimTakesAnItemBackOnlyIfNoOneTookIt() {
    TaskQueue q = new TaskQueue(3);
    long[] tickets = new long[7];
    for (int i = 0; i < tickets.length; i++) {
      tickets[i] = q.offer(i);
    }
    long end = end(q);
    for (int i = 0; i < 4; i++) {
      assertEquals(i, q.pollUpTo(end));
    }
    assertFalse(q.reclaim(tickets[0]), "the loop ran it (its chunk is passed)");
    assertFalse(q.reclaim(tickets[3]), "the loop ran it (same chunk as the head)");
    assertTrue(q.reclaim(tickets[5]));
    assertFalse(q.reclaim(tickets[5]), "taken once only");
    assertEquals(List.of(4, 6), q.sweep());
    assertTrue(q.sweep().isEmpty());
    assertFalse(q.reclaim(tickets[6]), "shutdownNow's sweep took it");
    assertNull(q.pollUpTo(end(q)));
    assertFalse(q.hasNodes(), "every slot is taken, or passed by");
  }

  @Test
  void aSweepClosesTheQueueToTheLoopAndTakesWhatCameLaterWhenCalledAgain() {
    TaskQueue q = new TaskQueue(3);
    q.offer("a");
    q.offer("b");
    long end = end(q);
    assertEquals("a", q.pollUpTo(end));
    assertEquals(List.of("b"), q.sweep());
    assertTrue(q.closed());
    long c = q.offer("c");
    long d = q.offer("d");
    assertNull(q.pollUpTo(end(q)), "the loop takes nothing after a sweep");
    assertTrue(q.reclaim(d), "a producer keeps what no sweep has reached");
    assertEquals(List.of("c"), q.sweep(), "the second sweep passes d by");
    assertFalse(q.reclaim(c), "the second sweep took it");
    assertFalse(q.hasNodes());
  }

  @Test
  void afterTheLoopEndedTakeWhereTakesOnlyWhatItAcceptsAndProducersKeepTheRest() {
    TaskQueue q = new TaskQueue(3);
    long h1 = q.offer("hand-in 1");
    long user = q.offer(7);
    long h2 = q.offer("hand-in 2");
    long h3 = q.offer("hand-in 3");
    assertTrue(q.reclaim(h3), "taken back before the loop looked");
    assertEquals(List.of("hand-in 1", "hand-in 2"), q.takeWhere(String.class::isInstance));
    assertTrue(q.takeWhere(String.class::isInstance).isEmpty(), "each is taken once");
    assertFalse(q.reclaim(h1), "the ended loop took it");
    assertFalse(q.reclaim(h2), "the ended loop took it");
    assertTrue(q.reclaim(user), "its producer keeps it");
  }
}
