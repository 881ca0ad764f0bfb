package dev.loopkit.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The soak with fault injection, per real carrier: 8 producer threads hand the current loop a
 * random mix of tasks ({@code execute}, {@code submit}), timers ({@code setTimeout}, {@code
 * schedule}), cancels of their own recent attempts and offloads; 1% of callbacks throw; offloads
 * throw, sleep or are interrupted (a cancelled promise interrupts its running offload). Meanwhile
 * the loop is shut down — {@code shutdown()} or {@code shutdownNow()}, at random — every 50–400 ms
 * and a new loop takes its place.
 *
 * <p>At the end, for each carrier: the exact ledger of the loop's contract (every attempt ended as
 * rejected, ran, cancelled or returned by {@code shutdownNow()} — exactly once), no thread leaked,
 * and the loop delay p50/p99 over the soak ({@code monitorDelay(10 ms)} on every loop, the loops'
 * distributions merged by sample count).
 *
 * <p>{@code -Dloopkit.soak.seconds=N}: total duration, split evenly over the carriers (30 in the
 * short mode, 630 in {@code -Pstress-long}).
 */
class SoakTest {

  private static final List<String> CARRIERS = List.of("single-thread", "fork-join", "virtual");
  private static final int PRODUCERS = 8;
  private static final int RECENT = 16; // attempts a producer may cancel
  private static final int BACKLOG = 4_000; // producers wait while a loop has more unstarted work

  private static final int EXECUTE = 0;
  private static final int SUBMIT = 1;
  private static final int SET_TIMEOUT = 2;
  private static final int SCHEDULE = 3;
  private static final int OFFLOAD = 4;
  private static final String[] KINDS = {"execute", "submit", "setTimeout", "schedule", "offload"};

  /** One submission attempt and what became of it. */
  private static final class Attempt {
    final int kind;
    final AtomicInteger runs = new AtomicInteger();
    volatile Object handle;
    volatile boolean rejected;
    volatile boolean cancelReturnedTrue;

    Attempt(int kind) {
      this.kind = kind;
    }
  }

  /** One loop's life: its attempts, and the producers still inside an attempt on it. */
  private static final class Generation {
    final Loop loop;
    final DelayMonitor delay;
    final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong accepted = new AtomicLong(); // backpressure: accepted - started is the backlog
    final AtomicLong started = new AtomicLong();
    volatile boolean retired;

    Generation(Loop loop) {
      this.loop = loop;
      this.delay = loop.monitorDelay(Duration.ofMillis(10));
    }
  }

  /** Per-carrier figures. */
  private static final class Totals {
    long attempts;
    long rejected;
    long ran;
    long cancelled;
    long returned;
    int loops;
    int shutdowns;
    int shutdownNows;
    long slowestRetireMillis;
    final AtomicLong thrown = new AtomicLong();
    final AtomicLong offloadsFailed = new AtomicLong();
    final AtomicLong offloadsInterrupted = new AtomicLong();
    final AtomicLong uncaught = new AtomicLong();
    final AtomicLong unhandled = new AtomicLong();
    final List<double[]> delaySamples = new ArrayList<>(); // {millis, weight}
    final List<String> problems = new ArrayList<>();

    void problem(String p) {
      if (problems.size() < 20) {
        problems.add(p);
      } else {
        problems.set(19, "... and more");
      }
    }
  }

  @Test
  void everyAttemptEndsExactlyOnceWhileLoopsComeAndGo() throws Exception {
    long totalMillis = TimeUnit.SECONDS.toMillis(Long.getLong("loopkit.soak.seconds", 30));
    long perCarrier = totalMillis / CARRIERS.size();
    List<String> summary = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (String carrier : CARRIERS) {
      long t0 = System.nanoTime();
      Totals t = soak(carrier, perCarrier);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      String line = summaryLine(carrier, ms, t);
      System.out.println(line);
      summary.add(line);
      for (String p : t.problems) {
        failures.add(carrier + ": " + p);
      }
      // negative controls: each outcome the ledger counts must actually occur
      if (t.ran == 0 || t.rejected == 0 || t.returned == 0 || t.cancelled == 0) {
        failures.add(carrier + ": an outcome never occurred, the ledger may be vacuous: " + line);
      }
      if (t.attempts != t.rejected + t.ran + t.cancelled + t.returned) {
        failures.add(carrier + ": the ledger does not balance: " + line);
      }
    }
    System.out.println("soak summary:");
    summary.forEach(l -> System.out.println("  " + l));
    assertEquals(List.of(), failures);
  }

  private static String summaryLine(String carrier, long ms, Totals t) {
    return String.format(
        "soak [%s]: %.1f s, %d loops (%d shutdown, %d shutdownNow): attempts=%d rejected=%d ran=%d"
            + " cancelled=%d returned=%d (balanced=%s); faults: %d callbacks threw, %d offloads"
            + " threw, %d interrupted; loop delay p50=%.2f ms p99=%.2f ms (%d samples); slowest termination %d ms",
        carrier,
        ms / 1000.0,
        t.loops,
        t.shutdowns,
        t.shutdownNows,
        t.attempts,
        t.rejected,
        t.ran,
        t.cancelled,
        t.returned,
        t.attempts == t.rejected + t.ran + t.cancelled + t.returned,
        t.thrown.get(),
        t.offloadsFailed.get(),
        t.offloadsInterrupted.get(),
        percentile(t.delaySamples, 50),
        percentile(t.delaySamples, 99),
        (long) t.delaySamples.stream().mapToDouble(s -> s[1]).sum(),
        t.slowestRetireMillis);
  }

  private static Totals soak(String carrier, long millis) throws Exception {
    Totals totals = new Totals();
    Set<Thread> before = liveThreads();
    SplittableRandom rnd = new SplittableRandom(carrier.hashCode());
    Generation[] current = {newGeneration(carrier, totals)};
    Object lock = new Object();
    List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      long seed = rnd.nextLong();
      Thread th =
          new Thread(
              () -> produce(seed, () -> current[0], stop, totals, unexpected),
              "soak-producer-" + p);
      producers.add(th);
      th.start();
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() - end < 0) {
      Thread.sleep(50 + rnd.nextInt(350)); // the soak's clock: let traffic run against this loop
      Generation old;
      synchronized (lock) {
        old = current[0];
        current[0] = newGeneration(carrier, totals);
      }
      retire(old, rnd.nextBoolean(), totals);
    }
    stop.set(true);
    for (Thread th : producers) {
      th.join(TimeUnit.SECONDS.toMillis(30));
      if (th.isAlive()) {
        totals.problem(th.getName() + " did not stop");
      }
    }
    retire(current[0], rnd.nextBoolean(), totals);
    for (Throwable e : unexpected) {
      totals.problem("unexpected exception in a producer: " + e);
    }
    List<Thread> leaked = leakedThreads(before, producers);
    if (!leaked.isEmpty()) {
      totals.problem("threads leaked after every loop terminated: " + leaked);
    }
    return totals;
  }

  private static Generation newGeneration(String carrier, Totals totals) {
    Loop loop =
        Loop.create(
            LoopConfig.builder()
                .isolated()
                .carrier(carrier)
                .name("soak")
                .onUncaughtError((l, e) -> totals.uncaught.incrementAndGet())
                .onUnhandledRejection((l, e) -> totals.unhandled.incrementAndGet())
                .build());
    return new Generation(loop);
  }

  /** Shuts {@code g} down, waits for it and its producers, and counts its ledger. */
  private static void retire(Generation g, boolean now, Totals totals) throws InterruptedException {
    long t0 = System.nanoTime();
    List<Runnable> returned = now ? g.loop.shutdownNow() : List.of();
    if (!now) {
      g.loop.shutdown();
    }
    g.retired = true; // producers that see it go to the next loop; the others are counted below
    while (g.inFlight.get() != 0) {
      LockSupport.parkNanos(100_000);
    }
    if (!g.loop.awaitTermination(60, TimeUnit.SECONDS)) {
      totals.problem(
          "a loop did not terminate within 60 s of " + (now ? "shutdownNow" : "shutdown"));
      g.loop.shutdownNow();
      return;
    }
    totals.slowestRetireMillis =
        Math.max(totals.slowestRetireMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    g.delay.close();
    long n = g.delay.count();
    if (n > 0) {
      for (int q = 0; q < 100; q++) {
        totals.delaySamples.add(
            new double[] {g.delay.percentile(q + 0.5).toNanos() / 1e6, n / 100.0});
      }
    }
    totals.loops++;
    if (now) {
      totals.shutdownNows++;
    } else {
      totals.shutdowns++;
    }
    count(g, now, returned, totals);
  }

  private static void count(Generation g, boolean now, List<Runnable> returnedList, Totals t) {
    Set<Object> returned = Collections.newSetFromMap(new IdentityHashMap<>());
    returned.addAll(returnedList);
    if (returned.size() != returnedList.size()) {
      t.problem("shutdownNow() returned a task twice");
    }
    Set<Object> known = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Attempt a : g.attempts) {
      t.attempts++;
      Object h = a.handle;
      if (h != null) {
        known.add(h);
      }
      int ran = a.runs.get();
      boolean wasReturned = h != null && returned.contains(h);
      boolean cancelled = false;
      String bad = null;
      switch (h) {
        case null -> {}
        case Future<?> f -> {
          cancelled = !wasReturned && f.isCancelled() && ran == 0;
          if (!f.isDone()) {
            bad = "its future is not done";
          } else if (wasReturned && !f.isCancelled()) {
            bad = "returned by shutdownNow() but its future is not cancelled";
          }
        }
        case Timer timer -> { // setTimeout (a schedule()d task is a Future, above)
          if (a.cancelReturnedTrue) {
            cancelled = true;
          } else if (ran == 0 && now) {
            cancelled = true; // shutdownNow cancels timers; they are not Runnables to return
          }
          if (a.cancelReturnedTrue && ran > 0) {
            bad = "Timer.cancel() returned true, yet the callback ran";
          }
        }
        case Promise<?> p -> {
          if (p.isPending()) {
            bad = "its promise is still pending after termination";
          } else if (ran == 0) {
            if (p.isRejected()
                && (p.reason() instanceof LoopTerminatedException || p.isCancelled())) {
              cancelled = true;
            } else {
              bad = "its offload never ran, yet its promise settled: " + p;
            }
          }
        }
        default -> {} // an executed Runnable: ran or returned
      }
      int outcomes = (a.rejected ? 1 : 0) + ran + (cancelled ? 1 : 0) + (wasReturned ? 1 : 0);
      if (outcomes != 1 || bad != null) {
        t.problem(
            KINDS[a.kind]
                + " after "
                + (now ? "shutdownNow" : "shutdown")
                + ": rejected="
                + a.rejected
                + " runs="
                + ran
                + " cancelled="
                + cancelled
                + " returned="
                + wasReturned
                + (bad == null ? "" : "; " + bad));
      }
      if (!now && !a.rejected && ran == 0 && !cancelled) {
        t.problem(KINDS[a.kind] + " was accepted before shutdown() but never ran");
      }
      t.rejected += a.rejected ? 1 : 0;
      t.ran += ran;
      t.cancelled += cancelled ? 1 : 0;
      t.returned += wasReturned ? 1 : 0;
    }
    for (Runnable r : returnedList) {
      if (!known.contains(r)) {
        t.problem("shutdownNow() returned a task no attempt made: " + r);
      }
    }
  }

  private static void produce(
      long seed,
      java.util.function.Supplier<Generation> current,
      java.util.concurrent.atomic.AtomicBoolean stop,
      Totals totals,
      List<Throwable> unexpected) {
    SplittableRandom r = new SplittableRandom(seed);
    Attempt[] recent = new Attempt[RECENT];
    Generation last = null;
    long i = 0;
    while (!stop.get()) {
      Generation g = current.get();
      g.inFlight.incrementAndGet();
      try {
        if (g.retired) {
          continue; // its ledger may already be counted: use the next loop
        }
        if (g != last) {
          java.util.Arrays.fill(recent, null); // cancel only attempts on this loop
          last = g;
        }
        while (g.accepted.get() - g.started.get() > BACKLOG && !g.retired && !stop.get()) {
          LockSupport.parkNanos(
              100_000); // backpressure (cancelled work keeps it high until retired)
        }
        if (r.nextInt(8) == 0) {
          cancelOne(recent[r.nextInt(RECENT)], r);
        } else {
          Attempt a = new Attempt(r.nextInt(KINDS.length));
          g.attempts.add(a);
          try {
            a.handle = attempt(g, a, r, totals);
            g.accepted.incrementAndGet();
          } catch (RejectedExecutionException e) {
            a.rejected = true;
          }
          recent[r.nextInt(RECENT)] = a;
        }
      } catch (Throwable e) {
        unexpected.add(e);
      } finally {
        g.inFlight.decrementAndGet();
      }
      if (++i % 16 == 0) {
        LockSupport.parkNanos(50_000 + r.nextInt(200_000)); // leave the loops some CPU
      }
    }
  }

  private static void cancelOne(Attempt a, SplittableRandom r) {
    if (a == null) {
      return;
    }
    boolean ok =
        switch (a.handle) {
          case Timer t -> t.cancel();
          case Promise<?> p -> p.cancel(true); // interrupts a running offload
          case Future<?> f -> f.cancel(r.nextBoolean());
          case null, default -> false;
        };
    if (ok) {
      a.cancelReturnedTrue = true;
    }
  }

  /** One attempt of {@code a.kind}; returns what the ledger identifies it by. */
  private static Object attempt(Generation g, Attempt a, SplittableRandom r, Totals totals) {
    Loop loop = g.loop;
    Runnable callback =
        () -> {
          a.runs.incrementAndGet();
          g.started.incrementAndGet();
          if (ThreadLocalRandom.current().nextInt(100) == 0) {
            totals.thrown.incrementAndGet();
            throw new IllegalStateException("injected fault");
          }
        };
    switch (a.kind) {
      case EXECUTE -> {
        loop.execute(callback);
        return callback;
      }
      case SUBMIT -> {
        return loop.submit(callback);
      }
      case SET_TIMEOUT -> {
        return loop.setTimeout(callback, r.nextInt(6));
      }
      case SCHEDULE -> {
        return loop.schedule(callback, r.nextInt(6), TimeUnit.MILLISECONDS);
      }
      case OFFLOAD -> {
        int fault = r.nextInt(10);
        return loop.offload(
            () -> {
              a.runs.incrementAndGet();
              g.started.incrementAndGet();
              if (fault == 0) {
                totals.offloadsFailed.incrementAndGet();
                throw new java.io.IOException("injected offload fault");
              }
              if (fault == 1) {
                try {
                  Thread.sleep(1 + ThreadLocalRandom.current().nextInt(3));
                } catch (InterruptedException e) {
                  totals.offloadsInterrupted.incrementAndGet();
                  throw e;
                }
              }
              return 1;
            });
      }
      default -> throw new AssertionError(a.kind);
    }
  }

  /** The delay at {@code q} percent of the merged {millis, weight} samples. */
  private static double percentile(List<double[]> samples, double q) {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    List<double[]> sorted = new ArrayList<>(samples);
    sorted.sort((x, y) -> Double.compare(x[0], y[0]));
    double total = sorted.stream().mapToDouble(s -> s[1]).sum();
    double target = total * q / 100;
    double seen = 0;
    for (double[] s : sorted) {
      seen += s[1];
      if (seen >= target) {
        return s[0];
      }
    }
    return sorted.get(sorted.size() - 1)[0];
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .collect(Collectors.toCollection(() -> Collections.newSetFromMap(new IdentityHashMap<>())));
  }

  /** Threads alive now that were not before (the producers aside), after a grace period. */
  private static List<Thread> leakedThreads(Set<Thread> before, List<Thread> producers)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<Thread> leaked;
    do {
      leaked = new ArrayList<>();
      for (Thread th : liveThreads()) {
        if (!before.contains(th) && !producers.contains(th) && !isJvmThread(th)) {
          leaked.add(th);
        }
      }
      if (leaked.isEmpty()) {
        return leaked;
      }
      Thread.sleep(50); // threads end a moment after awaitTermination returns
    } while (System.nanoTime() - deadline < 0);
    return leaked;
  }

  /**
   * Threads the JDK starts on its own: the virtual-thread scheduler's carriers and helpers (started
   * with the first virtual thread), the common pool used by CompletableFuture.
   */
  private static boolean isJvmThread(Thread th) {
    String n = th.getName();
    ThreadGroup group = th.getThreadGroup();
    String g = group == null ? "" : group.getName();
    return g.equals("CarrierThreads")
        || g.equals("InnocuousThreadGroup")
        || n.startsWith("ForkJoinPool.commonPool-")
        || n.startsWith("Common-Cleaner")
        || n.startsWith("Attach Listener")
        || n.startsWith("surefire-");
  }
}
