package dev.loopkit.conformance;

import dev.loopkit.Loop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one check that a terminated loop released its threads, used after every conformance test
 * ({@link LoopFixture}) and by the tests of threads themselves.
 *
 * <p>A loop's threads are recognised by name: every thread a carrier or an offload pool starts for
 * a loop is named {@code <loop name>-…} ({@code LoopDriver.threadFactory} names them so), which is
 * what a carrier must do for this check to see its threads. Threads shared by several loops (a
 * shared fork-join pool) carry another name and are not a loop's own.
 */
public final class ThreadLeaks {
  private ThreadLeaks() {}

  /** Every live thread now. */
  public static Set<Thread> live() {
    return new LinkedHashSet<>(Thread.getAllStackTraces().keySet());
  }

  /** Whether {@code t}'s name says it belongs to one of {@code loops}. */
  public static boolean isOf(Thread t, Collection<? extends Loop> loops) {
    String name = t.getName();
    for (Loop loop : loops) {
      if (name.startsWith(loop.name() + "-")) {
        return true;
      }
    }
    return false;
  }

  /** The live threads that belong to one of {@code loops} and are not in {@code before}. */
  public static Set<Thread> threadsOf(Collection<? extends Loop> loops, Set<Thread> before) {
    Set<Thread> mine = new LinkedHashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(t) && isOf(t, loops)) {
        mine.add(t);
      }
    }
    return mine;
  }

  /**
   * Joins each of {@code threads} for up to {@link LoopFixture#PATIENCE} and returns the names of
   * those still alive (the calling thread is left out: it may have run a manual loop's turns).
   */
  public static List<String> survivors(Collection<Thread> threads) throws InterruptedException {
    return survivors(threads, LoopFixture.PATIENCE);
  }

  /** {@link #survivors(Collection)} with another patience per thread. */
  public static List<String> survivors(Collection<Thread> threads, Duration patience)
      throws InterruptedException {
    List<String> alive = new ArrayList<>();
    for (Thread t : threads) {
      if (t == Thread.currentThread()) {
        continue;
      }
      t.join(patience.toMillis());
      if (t.isAlive()) {
        alive.add(t.getName());
      }
    }
    return alive;
  }

  /**
   * The names of the threads that {@code loops} started after {@code before} was taken and that are
   * still alive after a join of up to {@link LoopFixture#PATIENCE} each: empty when the loops
   * released their threads.
   */
  public static List<String> survivorsOf(Collection<? extends Loop> loops, Set<Thread> before)
      throws InterruptedException {
    return survivors(threadsOf(loops, before));
  }
}
