package dev.loopkit.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.LincheckAssertionError;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Param;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * The poll phase's cross-thread queue ({@link TaskQueue}: many producers, one consumer) is
 * linearizable against a FIFO that a sweep closes: producers {@code offer} in parallel with the
 * consumer's {@code poll} and with {@code sweep} ({@code shutdownNow}'s, which races the loop: both
 * take items through one claim counter). After a sweep the loop takes nothing more; a later sweep
 * takes what was offered since.
 *
 * <p>The consumer's {@code poll} is the poll phase's way of taking one item: read how far the slots
 * are written, take up to there; a slot reserved but not yet written ends a pass early (the queue
 * is not linearizable at that instant), so, like the loop, which turns again while {@code
 * hasNodes()}, it retries until it has an item or the queue holds no node.
 *
 * <p>{@code reclaim} (a producer taking its own item back) is not modelled here: it needs the
 * ticket of a particular offer, which a Lincheck operation cannot name; the soak and JCStress cover
 * it through {@code shutdownNow} and rejected submissions.
 *
 * <p>Negative control: the same checks on a queue whose {@code offer} reads the tail and then
 * writes it (instead of one atomic swap) must fail; two producers interleaved between the read and
 * the write lose an item, which model checking finds every time.
 */
class TaskQueueLincheckTest {

  /** The sequential specification: a FIFO. */
  public static final class Fifo {
    private final ArrayDeque<Integer> items = new ArrayDeque<>();

    public void offer(int v) {
      items.addLast(v);
    }

    public Integer poll() {
      return closed ? null : items.pollFirst();
    }

    private boolean closed;

    public List<Integer> drainAll() {
      List<Integer> out = new ArrayList<>(items);
      items.clear();
      closed = true;
      return out;
    }
  }

  /** The real queue under Lincheck. */
  @Param(name = "v", gen = IntGen.class, conf = "1:9")
  public static final class RealQueue {
    private final TaskQueue queue = new TaskQueue(2); // small chunks: offers cross chunk ends

    @Operation
    public void offer(@Param(name = "v") int v) {
      queue.offer(v);
    }

    @Operation(nonParallelGroup = "consumer")
    public Integer poll() {
      while (true) {
        Object item = queue.pollUpTo(queue.publishedEnd(Integer.MAX_VALUE, any -> true));
        if (item != null) {
          return (Integer) item;
        }
        if (queue.closed() || !queue.hasNodes()) {
          return null;
        }
        Thread.onSpinWait(); // a producer is between its reservation and its store
      }
    }

    @Operation(nonParallelGroup = "sweeper")
    public List<Integer> drainAll() {
      List<Integer> out = new ArrayList<>();
      for (Object o : queue.sweep()) {
        out.add((Integer) o);
      }
      return out;
    }
  }

  /** A broken copy: offer reads the tail, then writes it, so concurrent offers can lose one. */
  @Param(name = "v", gen = IntGen.class, conf = "1:9")
  public static final class BrokenQueue {
    static final class Node {
      volatile Integer item;
      volatile Node next;

      Node(Integer item) {
        this.item = item;
      }
    }

    private volatile Node head = new Node(null);
    private volatile Node tail = head;

    @Operation
    public void offer(@Param(name = "v") int v) {
      Node node = new Node(v);
      Node prev = tail; // BUG: a read and a write where an atomic swap is needed
      tail = node;
      prev.next = node;
    }

    private volatile boolean closed;

    @Operation(nonParallelGroup = "consumer")
    public Integer poll() {
      while (!closed) {
        Node n = head.next;
        if (n != null) {
          head = n;
          return n.item;
        }
        if (tail == head) {
          return null;
        }
        Thread.onSpinWait();
      }
      return null;
    }

    @Operation(nonParallelGroup = "consumer")
    public List<Integer> drainAll() {
      List<Integer> out = new ArrayList<>();
      closed = false;
      for (Integer v; (v = poll()) != null; ) {
        out.add(v);
      }
      closed = true;
      return out;
    }
  }

  private static ModelCheckingOptions modelChecking() {
    return new ModelCheckingOptions()
        .iterations(Integer.getInteger("loopkit.lincheck.iterations", 10))
        .invocationsPerIteration(Integer.getInteger("loopkit.lincheck.invocations", 300))
        .threads(3)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Fifo.class);
  }

  @Test
  void theTaskQueueIsLinearizableUnderModelChecking() {
    LinChecker.Companion.check(RealQueue.class, modelChecking());
    System.out.println("lincheck: TaskQueue linearizable (model checking)");
  }

  @Test
  void theTaskQueueIsLinearizableUnderStress() {
    LinChecker.Companion.check(
        RealQueue.class,
        new StressOptions()
            .iterations(Integer.getInteger("loopkit.lincheck.iterations", 10))
            .invocationsPerIteration(Integer.getInteger("loopkit.lincheck.invocations", 300))
            .threads(3)
            .actorsPerThread(3)
            .sequentialSpecification(Fifo.class));
    System.out.println("lincheck: TaskQueue linearizable (stress)");
  }

  @Test
  void negativeControlModelCheckingCatchesABrokenQueue() {
    LincheckAssertionError e =
        assertThrows(
            LincheckAssertionError.class,
            () -> LinChecker.Companion.check(BrokenQueue.class, modelChecking()));
    String report = e.getMessage() == null ? "" : e.getMessage();
    System.out.println(
        "lincheck: negative control caught (BrokenQueue, non-atomic tail swap): "
            + report.lines().filter(l -> !l.isBlank()).findFirst().orElse("(no message)"));
  }
}
