package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The task ledger of the loop's contract, counted exactly: while producers hand the loop work in
 * every way, the loop is shut down ({@code shutdown()} or {@code shutdownNow()}) at a random
 * moment; every attempt must end in exactly one of rejected at submit, ran, cancelled before it
 * ran, or returned by {@code shutdownNow()} — none twice, none missing.
 *
 * <p>{@code -Dloopkit.ledger.seeds=N} changes the number of seeds (at least 2: seeds 0 and 1 are
 * the full-volume runs, one per shutdown method).
 */
class LedgerTest {

  private static final int PRODUCERS = 4;
  private static final int FULL_PER_PRODUCER = 250_000;
  private static final int SMALL_PER_PRODUCER = 5_000;

  private static final int EXECUTE = 0;
  private static final int SUBMIT_CALLABLE = 1;
  private static final int SUBMIT_RUNNABLE = 2;
  private static final int SCHEDULE_CALLABLE = 3;
  private static final int SCHEDULE_RUNNABLE = 4;
  private static final int OFFLOAD = 5;
  private static final String[] KINDS = {
    "execute",
    "submit(Callable)",
    "submit(Runnable)",
    "schedule(Callable)",
    "schedule(Runnable)",
    "offload"
  };

  /** Outcome counts, summed over seeds. */
  private static final class Totals {
    long attempts;
    long rejected;
    long ran;
    long cancelled;
    long returned;
    int shutdownSeeds;
    int shutdownNowSeeds;

    void add(Totals o) {
      attempts += o.attempts;
      rejected += o.rejected;
      ran += o.ran;
      cancelled += o.cancelled;
      returned += o.returned;
    }

    @Override
    public String toString() {
      return "attempts="
          + attempts
          + " rejected="
          + rejected
          + " ran="
          + ran
          + " cancelled="
          + cancelled
          + " returned="
          + returned;
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void everySubmissionAttemptEndsInExactlyOneOutcome(LoopFixture f) throws Exception {
    int seeds = Math.max(2, Integer.getInteger("loopkit.ledger.seeds", 100));
    Totals all = new Totals();
    long begin = System.nanoTime();
    List<String> fullRuns = new ArrayList<>();
    for (int seed = 0; seed < seeds; seed++) {
      Random rnd = new Random(seed * 0x9E3779B97F4A7C15L);
      boolean now = seed < 2 ? seed == 1 : rnd.nextBoolean();
      int perProducer = seed < 2 ? FULL_PER_PRODUCER : SMALL_PER_PRODUCER;
      long t0 = System.nanoTime();
      Totals t = runSeed(f, seed, rnd, now, perProducer);
      if (seed < 2) {
        fullRuns.add(
            (now ? "shutdownNow" : "shutdown")
                + " "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                + " ms ("
                + t
                + ")");
      }
      all.add(t);
      if (now) {
        all.shutdownNowSeeds++;
      } else {
        all.shutdownSeeds++;
      }
    }
    System.out.println(
        "ledger ["
            + f.setup().name()
            + "]: "
            + seeds
            + " seeds ("
            + all.shutdownSeeds
            + " shutdown, "
            + all.shutdownNowSeeds
            + " shutdownNow), "
            + all
            + ", in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)
            + " ms; full volume: "
            + String.join("; ", fullRuns));
    // Negative controls: each outcome the ledger counts must actually occur.
    assertTrue(all.ran > 0, "nothing ran: " + all);
    assertTrue(all.rejected > 0, "nothing was rejected: " + all);
    assertTrue(all.returned > 0, "shutdownNow() never returned a task: " + all);
    assertEquals(all.attempts, all.rejected + all.ran + all.cancelled + all.returned);
  }

  private static Totals runSeed(LoopFixture f, int seed, Random rnd, boolean now, int perProducer)
      throws Exception {
    Loop loop = f.newLoop();
    int total = PRODUCERS * perProducer;
    long shutdownAt = rnd.nextInt(total);
    byte[] kind = new byte[total];
    Object[] handle = new Object[total];
    boolean[] rejected = new boolean[total];
    AtomicIntegerArray runs = new AtomicIntegerArray(total);
    AtomicLong attempts = new AtomicLong();
    List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      int base = p * perProducer;
      long producerSeed = seed * 1_000_003L + p;
      Thread t =
          new Thread(
              () -> {
                Random r = new Random(producerSeed);
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < perProducer; i++) {
                  int id = base + i;
                  int k = r.nextInt(KINDS.length);
                  kind[id] = (byte) k;
                  try {
                    handle[id] = attempt(loop, k, id, runs, r.nextInt(3));
                  } catch (RejectedExecutionException e) {
                    rejected[id] = true;
                  } catch (Throwable e) {
                    unexpected.add(e);
                  }
                  attempts.incrementAndGet();
                }
              },
              "ledger-producer-" + p);
      producers.add(t);
      t.start();
    }
    go.countDown();
    long patience = System.nanoTime() + LoopFixture.PATIENCE.toNanos();
    while (attempts.get() < shutdownAt && System.nanoTime() - patience < 0) {
      LockSupport.parkNanos(20_000);
    }
    List<Runnable> returnedList;
    if (now) {
      returnedList = loop.shutdownNow();
    } else {
      loop.shutdown();
      returnedList = List.of();
    }
    for (Thread t : producers) {
      t.join(LoopFixture.PATIENCE.toMillis());
      assertTrue(!t.isAlive(), t.getName() + " did not finish");
    }
    assertEquals(List.of(), unexpected, "seed " + seed + ": unexpected exceptions");
    assertTrue(
        loop.awaitTermination(LoopFixture.PATIENCE.toSeconds() * 3, TimeUnit.SECONDS),
        "seed " + seed + ": the loop did not terminate: " + loop);
    return count(seed, now, total, kind, handle, rejected, runs, returnedList);
  }

  /** One submission of kind {@code k}; returns what the ledger identifies it by. */
  private static Object attempt(Loop loop, int k, int id, AtomicIntegerArray runs, int delayMs) {
    switch (k) {
      case EXECUTE -> {
        Runnable task = () -> runs.incrementAndGet(id);
        loop.execute(task);
        return task;
      }
      case SUBMIT_CALLABLE -> {
        return loop.submit(() -> runs.incrementAndGet(id));
      }
      case SUBMIT_RUNNABLE -> {
        return loop.submit((Runnable) () -> runs.incrementAndGet(id));
      }
      case SCHEDULE_CALLABLE -> {
        return loop.schedule(() -> runs.incrementAndGet(id), delayMs, TimeUnit.MILLISECONDS);
      }
      case SCHEDULE_RUNNABLE -> {
        return loop.schedule(
            (Runnable) () -> runs.incrementAndGet(id), delayMs, TimeUnit.MILLISECONDS);
      }
      case OFFLOAD -> {
        return loop.offload(() -> runs.incrementAndGet(id));
      }
      default -> throw new AssertionError(k);
    }
  }

  private static Totals count(
      int seed,
      boolean now,
      int total,
      byte[] kind,
      Object[] handle,
      boolean[] rejected,
      AtomicIntegerArray runs,
      List<Runnable> returnedList) {
    Set<Object> returned = Collections.newSetFromMap(new IdentityHashMap<>());
    returned.addAll(returnedList);
    List<String> problems = new ArrayList<>();
    if (returned.size() != returnedList.size()) {
      problems.add("shutdownNow() returned a task twice");
    }
    Set<Object> known = Collections.newSetFromMap(new IdentityHashMap<>());
    Totals t = new Totals();
    t.attempts = total;
    for (int id = 0; id < total; id++) {
      int k = kind[id];
      Object h = handle[id];
      if (h != null) {
        known.add(h);
      }
      int ran = runs.get(id);
      boolean wasReturned = h != null && returned.contains(h);
      boolean cancelled = false;
      String pending = null;
      if (h instanceof Future<?> fut) {
        cancelled = !wasReturned && fut.isCancelled();
        if (!fut.isDone()) {
          pending = "its future is not done";
        }
        if (wasReturned && !fut.isCancelled()) {
          pending = "returned by shutdownNow() but its future is not cancelled";
        }
      } else if (h instanceof Promise<?> p) {
        if (p.isPending()) {
          pending = "its promise is still pending";
        } else if (ran == 0) {
          if (p.isRejected() && p.reason() instanceof LoopTerminatedException) {
            cancelled = true;
          } else {
            pending = "its callable never ran, yet its promise settled: " + p;
          }
        }
      }
      int outcomes = (rejected[id] ? 1 : 0) + ran + (cancelled ? 1 : 0) + (wasReturned ? 1 : 0);
      if (outcomes != 1 || pending != null) {
        if (problems.size() < 20) {
          problems.add(
              "attempt "
                  + id
                  + " ("
                  + KINDS[k]
                  + "): rejected="
                  + rejected[id]
                  + " runs="
                  + ran
                  + " cancelled="
                  + cancelled
                  + " returned="
                  + wasReturned
                  + (pending == null ? "" : "; " + pending));
        } else {
          problems.set(19, "... and more");
        }
      }
      if (rejected[id]) {
        t.rejected++;
      }
      t.ran += ran;
      if (cancelled) {
        t.cancelled++;
      }
      if (wasReturned) {
        t.returned++;
      }
      if (!now && !rejected[id] && ran == 0 && problems.size() < 20) {
        problems.add(
            "attempt " + id + " (" + KINDS[k] + ") was accepted before shutdown() but never ran");
      }
    }
    for (Runnable r : returnedList) {
      if (!known.contains(r) && problems.size() < 20) {
        problems.add("shutdownNow() returned a task no attempt made: " + r);
      }
    }
    assertEquals(
        List.of(),
        problems,
        "seed " + seed + " (" + (now ? "shutdownNow" : "shutdown") + "): " + t);
    return t;
  }
}
